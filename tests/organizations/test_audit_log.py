"""The audit log in the admin for organization admins: their organization's events only,
filtered by person, action and date, exported as CSV; nobody below admin finds it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.audit import audit_record
from organizations.models import AuditEvent
from organizations.roles import Role

pytestmark = pytest.mark.django_db
AUDIT = "/admin/audit/"


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_admins_read_their_organizations_events_only(client, org_a, org_b, role: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[role])
    body = client.get(AUDIT).content.decode()
    assert "membership.joined" in body
    assert "editor@alpha.example" in body
    assert "OKAPI-BRAVO" not in body
    assert "bravo.example" not in body
    event_b = AuditEvent.objects.filter(organization=org_b.organization).first()
    assert event_b is not None
    assert client.get(f"{AUDIT}inspect/{event_b.pk}/").status_code == 404
    event_a = AuditEvent.objects.filter(organization=org_a.organization).first()
    assert event_a is not None
    assert client.get(f"{AUDIT}inspect/{event_a.pk}/").status_code == 200


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MEMBER, Role.VIEWER])
def test_lower_roles_find_no_audit_log(client, org_a, role: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[role])
    event = AuditEvent.objects.filter(organization=org_a.organization).first()
    assert event is not None
    for url in (AUDIT, f"{AUDIT}results/", f"{AUDIT}?export=csv", f"{AUDIT}inspect/{event.pk}/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "membership.joined" not in _body(response)
    if role == Role.EDITOR:
        assert "/admin/audit/" not in client.get("/admin/").content.decode()


def test_a_suspended_organizations_admin_reads_nothing(client, org_a) -> None:  # type: ignore[no-untyped-def]
    org_a.organization.is_active = False
    org_a.organization.save()
    client.force_login(org_a.users[Role.ADMIN])
    assert client.get(AUDIT).status_code == 404
    assert client.get(f"{AUDIT}results/").status_code == 404


def test_events_above_the_readers_role_ceiling_are_not_listed(client, org_a) -> None:  # type: ignore[no-untyped-def]
    audit_record(
        action="organization.owners_only",
        actor=org_a.users[Role.OWNER],
        organization=org_a.organization,
        min_role=Role.OWNER,
    )
    client.force_login(org_a.users[Role.ADMIN])
    assert "organization.owners_only" not in client.get(f"{AUDIT}results/").content.decode()
    client.force_login(org_a.users[Role.OWNER])
    assert "organization.owners_only" in client.get(f"{AUDIT}results/").content.decode()


def test_filters_by_person_action_and_date_and_export(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    admin = org_a.users[Role.ADMIN]
    old = audit_record(action="document.deleted", actor=admin, organization=org_a.organization)
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    client.force_login(admin)
    page = client.get(AUDIT).content.decode()
    # The filters offer A's people and actions only.
    assert "owner@bravo.example" not in page
    by_action = client.get(f"{AUDIT}results/", {"action": "document.deleted"}).content.decode()
    assert "document.deleted" in by_action
    assert "membership.joined" not in by_action
    by_person = client.get(f"{AUDIT}results/", {"actor": admin.pk}).content.decode()
    assert "document.deleted" in by_person
    recent = (timezone.now() - timedelta(days=7)).date().isoformat()
    by_date = client.get(f"{AUDIT}results/", {"created_at_from": recent}).content.decode()
    assert "document.deleted" not in by_date
    assert "membership.joined" in by_date
    # Someone else's id in the person filter is not a valid choice: no rows of B.
    foreign = client.get(f"{AUDIT}results/", {"actor": org_b.users[Role.OWNER].pk})
    assert "bravo" not in foreign.content.decode().lower()
    export = client.get(AUDIT, {"export": "csv", "action": "document.deleted"})
    assert export.status_code == 200
    csv = _body(export)
    assert "document.deleted" in csv
    assert "membership.joined" not in csv
    assert "bravo" not in _body(client.get(AUDIT, {"export": "csv"})).lower()


def _queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{AUDIT}results/").status_code == 200
    return len(queries)


def test_the_listing_reads_a_fixed_number_of_queries(client, org_a) -> None:  # type: ignore[no-untyped-def]
    admin = org_a.users[Role.ADMIN]
    client.force_login(admin)
    for index in range(5):
        audit_record(action=f"test.small{index}", actor=admin, organization=org_a.organization)
    _queries(client)  # the first request also warms the signed-in user's cache
    small = _queries(client)
    for _ in range(40):
        audit_record(action="test.large", actor=admin, organization=org_a.organization)
    large = _queries(client)
    print(f"\naudit log listing: {small} queries at 5 extra events, {large} at 45")
    assert large == small
