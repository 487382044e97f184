from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from wagtail.users.models import UserProfile

from accounts.services import profile_set_theme
from organizations.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_sets_portal_and_wagtail_admin_theme_and_audits() -> None:
    user = UserFactory()
    profile = profile_set_theme(acting_user=user, theme="dark")
    assert profile.theme == "dark"
    assert UserProfile.get_for_user(user).theme == "dark"
    event = AuditEvent.objects.get(action="profile.theme_set")
    assert event.actor == user
    assert event.details == {"from": "system", "to": "dark"}


def test_same_theme_again_writes_no_audit_event() -> None:
    user = UserFactory()
    profile_set_theme(acting_user=user, theme="light")
    profile_set_theme(acting_user=user, theme="light")
    assert AuditEvent.objects.filter(action="profile.theme_set").count() == 1


def test_unknown_theme_changes_nothing() -> None:
    user = UserFactory()
    with pytest.raises(ValidationError):
        profile_set_theme(acting_user=user, theme="neon")
    user.profile.refresh_from_db()
    assert user.profile.theme == "system"
    assert not AuditEvent.objects.filter(action="profile.theme_set").exists()


def test_arguments_are_keyword_only() -> None:
    user = UserFactory()
    with pytest.raises(TypeError):
        profile_set_theme(user, "dark")  # type: ignore[misc]
