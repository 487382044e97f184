"""The portal's API tokens screen and the token services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from api.models import ApiToken, Scope
from api.services import token_create, token_revoke
from organizations.models import AuditEvent
from organizations.roles import Role
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db

URL = "/o/alpha/settings/api-tokens/"


def test_a_new_token_is_shown_once_and_stored_hashed(org_a: Any) -> None:
    client = Client()
    client.force_login(org_a.users[Role.MEMBER])
    made = client.post(URL, {"name": "Sync", "scope": "write", "expires": "30"})
    assert made.status_code == 201
    row = ApiToken.objects.get(name="Sync")
    plaintext = made.context["new_token"]
    assert plaintext.startswith(f"op_{row.prefix}_")
    assert plaintext.split("_", 2)[2] not in row.secret_hash
    assert row.scope == Scope.WRITE
    assert row.expires_at is not None
    assert row.expires_at - timezone.now() > timedelta(days=29)
    again = client.get(URL)
    assert plaintext not in again.content.decode()
    assert AuditEvent.objects.filter(action="api_token.created", min_role=Role.ADMIN).exists()


def test_bad_input_is_a_form_error(org_a: Any) -> None:
    client = Client()
    client.force_login(org_a.users[Role.MEMBER])
    response = client.post(URL, {"name": "", "scope": "root", "expires": "7"})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_members_see_their_own_tokens_admins_everyones(org_a: Any) -> None:
    make_token(org_a, Role.MEMBER)
    make_token(org_a, Role.VIEWER)
    viewer, admin = Client(), Client()
    viewer.force_login(org_a.users[Role.VIEWER])
    admin.force_login(org_a.users[Role.ADMIN])
    assert [t.user for t in viewer.get(URL).context["tokens"]] == [org_a.users[Role.VIEWER]]
    assert len(admin.get(URL).context["tokens"]) == 2


def test_revoking_someone_elses_token(org_a: Any, org_b: Any) -> None:
    make_token(org_a, Role.MEMBER)
    token = ApiToken.objects.get()
    viewer, admin, outsider = Client(), Client(), Client()
    viewer.force_login(org_a.users[Role.VIEWER])
    admin.force_login(org_a.users[Role.ADMIN])
    outsider.force_login(org_b.users[Role.OWNER])
    assert viewer.post(f"{URL}{token.pk}/revoke/").status_code == 404
    assert outsider.post(f"{URL}{token.pk}/revoke/").status_code == 404
    assert outsider.post(f"/o/bravo/settings/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert admin.post(f"{URL}{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_services_check_the_rule_and_their_input(org_a: Any, org_b: Any) -> None:
    owner = org_a.users[Role.OWNER]
    with pytest.raises(PermissionDenied):
        token_create(acting_user=org_b.users[Role.OWNER], organization=org_a.organization, name="x")
    with pytest.raises(ValidationError):
        token_create(acting_user=owner, organization=org_a.organization, name="  ")
    with pytest.raises(ValidationError):
        token_create(
            acting_user=owner,
            organization=org_a.organization,
            name="old",
            expires_at=timezone.now() - timedelta(days=1),
        )
    token, _ = token_create(acting_user=owner, organization=org_a.organization, name="mine")
    with pytest.raises(PermissionDenied):
        token_revoke(acting_user=org_a.users[Role.EDITOR], token=token)
    token_revoke(acting_user=owner, token=token)
    assert token.status == "revoked"
