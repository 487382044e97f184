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


def test_a_theme_picked_in_the_wagtail_admin_becomes_the_portal_theme() -> None:
    user = UserFactory()
    admin_profile = UserProfile.get_for_user(user)
    admin_profile.theme = "dark"
    admin_profile.save()
    user.profile.refresh_from_db()
    assert user.profile.theme == "dark"
    event = AuditEvent.objects.get(action="profile.theme_set")
    assert event.details == {"from": "system", "to": "dark"}
    admin_profile.save()  # saved again unchanged (another preference): nothing new
    assert AuditEvent.objects.filter(action="profile.theme_set").count() == 1


def test_admin_preferences_form_sets_the_portal_theme(client) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    page = client.get("/admin/account/")
    assert page.status_code == 200
    # Every panel of the account page is submitted at once: send what it shows, then
    # change the theme, as a person saving the page would.
    data: dict[str, object] = {}
    for panels in page.context["panels_by_tab"].values():
        for panel in panels:
            form = panel.get_form()
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value in (None, False) or getattr(field.widget, "needs_multipart_form", False):
                    continue
                data[f"{form.prefix}-{name}" if form.prefix else name] = (
                    "on" if value is True else value
                )
    data["theme-theme"] = "dark"
    response = client.post("/admin/account/", data)
    assert response.status_code == 302, response.context and [
        (panel.name, panel.get_form().errors)
        for panels in response.context["panels_by_tab"].values()
        for panel in panels
    ]
    assert UserProfile.get_for_user(user).theme == "dark"
    user.profile.refresh_from_db()
    assert user.profile.theme == "dark"
