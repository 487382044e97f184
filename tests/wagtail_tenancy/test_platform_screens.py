from __future__ import annotations

import pytest

from organizations.models import AuditEvent, Organization
from organizations.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ORGS = "/admin/platform/organizations/"
TASKS = "/admin/platform/failed-tasks/"
AUDIT = "/admin/audit/"


@pytest.fixture
def operator(client):  # type: ignore[no-untyped-def]
    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def test_organizations_list_with_counts_search_and_filter(client, operator, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    body = client.get(ORGS).content.decode()
    assert "Alpha" in body
    assert "Bravo" in body
    assert "of 1.0" in body  # storage used of quota
    assert "Bravo" not in client.get(ORGS, {"q": "Alpha"}).content.decode()
    Organization.objects.filter(pk=org_b.organization.pk).update(is_active=False)
    active_only = client.get(ORGS, {"is_active": "true"}).content.decode()
    assert "Alpha" in active_only
    assert "Bravo" not in active_only
    assert "Suspended" in body or "Suspended" in client.get(ORGS).content.decode()
    # Sorting by an annotated figure, and the export.
    assert client.get(ORGS, {"ordering": "-member_count"}).status_code == 200
    export = client.get(ORGS, {"export": "csv"})
    content = b"".join(export.streaming_content) if export.streaming else export.content
    assert b"alpha" in content
    assert b"bravo" in content
    inspect = client.get(f"{ORGS}inspect/{org_a.organization.pk}/")
    assert inspect.status_code == 200
    assert "Alpha" in inspect.content.decode()
    # No generic write views: organizations change through their services.
    for path in ("new/", f"edit/{org_a.organization.pk}/", f"delete/{org_a.organization.pk}/"):
        assert client.get(ORGS + path).status_code == 404


def test_suspend_and_activate(client, operator, org_a) -> None:  # type: ignore[no-untyped-def]
    url = f"/admin/platform/organizations/{org_a.organization.pk}/set-active/"
    assert b"Suspending" in client.get(url).content
    assert client.post(url).status_code == 302
    org_a.organization.refresh_from_db()
    assert not org_a.organization.is_active
    assert AuditEvent.objects.filter(action="organization.suspended", actor=operator).exists()
    client.post(url)
    org_a.organization.refresh_from_db()
    assert org_a.organization.is_active


def test_quota_form(client, operator, org_a) -> None:  # type: ignore[no-untyped-def]
    url = f"/admin/platform/organizations/{org_a.organization.pk}/quota/"
    assert client.post(url, {"quota_mb": "-5"}).status_code == 400
    assert client.post(url, {"quota_mb": "2048"}).status_code == 302
    org_a.organization.refresh_from_db()
    assert org_a.organization.storage_quota_bytes == 2048 * 1024 * 1024


def test_audit_log_is_read_only_filterable_and_exports_csv(client, operator, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    listing = client.get(
        f"{AUDIT}results/", {"organization": org_a.organization.pk}
    ).content.decode()
    assert "membership.joined" in listing
    assert "bravo.example" not in listing
    assert client.get(f"{AUDIT}new/").status_code == 404
    export = client.get(AUDIT, {"export": "csv", "action": "organization.created"})
    assert export.status_code == 200
    content = b"".join(export.streaming_content) if export.streaming else export.content
    assert b"organization.created" in content
    assert b"membership.joined" not in content


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR])
def test_organization_roles_cannot_reach_platform_screens(client, org_a, role: str) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[role])
    for url in (
        ORGS,
        TASKS,
        f"/admin/platform/organizations/{org_a.organization.pk}/set-active/",
        f"/admin/platform/organizations/{org_a.organization.pk}/quota/",
    ):
        response = client.get(url)
        # Operator-only screens do not exist for anyone else (admin registry).
        assert response.status_code == 404, (url, response.status_code)
    assert (
        client.post(
            f"/admin/platform/organizations/{org_a.organization.pk}/set-active/"
        ).status_code
        == 404
    )
    org_a.organization.refresh_from_db()
    assert org_a.organization.is_active


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR])
def test_inspect_views_are_for_operators_and_the_audit_log_for_its_organization(
    client, org_a, org_b, role: str
) -> None:  # type: ignore[no-untyped-def]
    event = AuditEvent.objects.filter(organization=org_a.organization).first()
    assert event is not None
    client.force_login(org_b.users[role])
    for url in (f"{ORGS}inspect/{org_a.organization.pk}/", f"{AUDIT}inspect/{event.pk}/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Alpha" not in response.content.decode()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(f"{ORGS}inspect/{org_a.organization.pk}/").status_code == 200
    assert client.get(f"{AUDIT}inspect/{event.pk}/").status_code == 200


def test_failed_tasks_list_filter_and_run_again_link(client, operator) -> None:  # type: ignore[no-untyped-def]
    from organizations.models import FailedTask

    failed = FailedTask.objects.create(
        task_id="t-1", task_name="dashboards.tasks.export", exception="RuntimeError: boom"
    )
    FailedTask.objects.create(task_id="t-2", task_name="other.task", exception="ValueError")
    body = client.get(TASKS, {"task_name": "dashboards.tasks.export"}).content.decode()
    assert "RuntimeError: boom" in body
    assert "ValueError" not in body
    assert f"/admin/platform/failed-tasks/{failed.pk}/retry/" in body
    assert client.get(f"{TASKS}inspect/{failed.pk}/").status_code == 200


def test_the_operators_site_summary_counts_once_a_minute(client, operator, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            body = client.get("/admin/").content.decode()
        assert "Pages" in body or "pages" in body
        return [
            q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(*)")
        ]

    first = counts()
    assert any("wagtailcore_page" in sql for sql in first)
    # The platform-wide counts come from the shared cache on the next visit.
    assert not any(
        table in sql
        for sql in counts()
        for table in (
            "wagtailcore_page",
            "secure_documents_securedocument",
            "secure_images_secureimage",
        )
    )


def test_an_editors_site_summary_is_not_shared(client, org_a) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org_a.users[Role.EDITOR])
    client.get("/admin/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/admin/")
    assert any(
        "wagtailcore_page" in q["sql"] and "COUNT(*)" in q["sql"] for q in captured.captured_queries
    )
