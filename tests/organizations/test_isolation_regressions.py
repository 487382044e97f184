"""One test per way the tenant promise was broken from outside (all fail on the code
before the access rule and the admin allow list; the marker sweep covers them broadly).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from wagtail.models import Page

from dashboards.models import Announcement, OrganizationPage
from dashboards.selectors import dashboard_state
from home.models import ContentPage
from organizations.models import Organization
from organizations.roles import Role
from secure_documents.models import SecureDocument
from tests.factories import DEFAULT_PASSWORD
from tests.secure_documents.conftest import make_document
from tests.tenants import MARKER_A, MARKER_B, Tenant

pytestmark = pytest.mark.django_db


def _body(response: Any) -> str:
    return response.content.decode(errors="replace")


# 1. Wagtail's front-end login skipped two-factor and rate limits.


def test_wagtail_front_end_login_leads_to_allauth_keeping_next(client: Client) -> None:
    response = client.get("/_util/login/?next=/o/alpha/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fo%2Falpha%2F"
    # A foreign next is dropped, not followed.
    assert client.get("/_util/login/?next=https://evil.example/")["Location"] == "/accounts/login/"


def test_the_front_end_login_form_signs_nobody_in(client: Client, org_a: Tenant) -> None:
    Organization.objects.filter(pk=org_a.organization.pk).update(require_mfa=True)
    owner = org_a.users[Role.OWNER]
    response = client.post("/_util/login/", {"username": owner.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/o/alpha/documents/").status_code == 302  # still signed out


def test_members_only_pages_send_nobody_to_wagtails_login(client: Client, org_a: Tenant) -> None:
    root = OrganizationPage.objects.get(organization=org_a.organization)
    response = client.get(root.url)
    assert response.status_code == 404
    assert "/_util/login/" not in _body(response)


# 2. Site history was open to anyone; its user filter listed every organization's people.


@pytest.mark.parametrize("suffix", ["", "?export=csv", "?export=xlsx", "results/"])
def test_site_history_is_for_signed_in_editors_only(
    client: Client, org_a: Tenant, suffix: str
) -> None:
    url = f"/admin/reports/site-history/{suffix}"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    for role in (Role.VIEWER, Role.MEMBER):
        client.force_login(org_a.users[role])
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert MARKER_A not in _body(response)


def test_site_history_user_filter_lists_only_the_editors_people(
    client: Client, org_a: Tenant, org_b: Tenant
) -> None:
    for tenant in (org_a, org_b):
        editor = tenant.users[Role.EDITOR]
        root = OrganizationPage.objects.get(organization=tenant.organization)
        page = root.add_child(instance=ContentPage(title="Notes", slug="notes", owner=editor))
        page.save_revision(user=editor, log_action=True).publish(user=editor)
    client.force_login(org_b.users[Role.EDITOR])
    body = _body(client.get("/admin/reports/site-history/"))
    assert "editor@bravo.example" in body or org_b.users[Role.EDITOR].get_full_name() in body
    assert "alpha.example" not in body
    assert org_a.users[Role.EDITOR].get_full_name() not in body


# 3. The page types usage report showed other organizations' page titles and counts.


def test_page_types_usage_is_for_operators_only(
    client: Client, org_a: Tenant, org_b: Tenant
) -> None:
    for role in (Role.OWNER, Role.EDITOR):
        client.force_login(org_b.users[role])
        for url in ("/admin/reports/page-types-usage/", "/admin/reports/page-types-usage/results/"):
            assert client.get(url).status_code == 404


# 4. Filter choices (explorer owner, locked pages' locked by) listed other people.


def test_owner_and_locked_by_choices_list_only_the_editors_people(
    client: Client, org_a: Tenant, org_b: Tenant
) -> None:
    root_a = OrganizationPage.objects.get(organization=org_a.organization)
    page = root_a.add_child(
        instance=ContentPage(
            title=f"Page {MARKER_A}", slug="page-a", owner=org_a.users[Role.EDITOR]
        )
    )
    Page.objects.filter(pk=page.pk).update(locked=True, locked_by=org_a.users[Role.EDITOR])
    # Admins: the locked pages report is for those who may unlock.
    client.force_login(org_b.users[Role.ADMIN])
    root_b = OrganizationPage.objects.get(organization=org_b.organization)
    for url in (
        f"/admin/pages/{root_b.pk}/",
        "/admin/pages/search/?q=page",
        "/admin/reports/locked/",
        "/admin/reports/locked/results/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "editor@alpha.example" not in _body(response), url
        assert org_a.users[Role.EDITOR].get_full_name() not in _body(response), url


# 5. Role ceilings were ignored in the Wagtail admin.


@pytest.fixture
def export_a(org_a: Tenant) -> SecureDocument:
    document = make_document(org_a, "export.txt", b"board only")
    SecureDocument.objects.filter(pk=document.pk).update(
        min_role=Role.ADMIN, title=f"Export {MARKER_A}"
    )
    document.refresh_from_db()
    return document


def test_an_admin_only_document_is_missing_for_editors_in_the_admin(
    client: Client, org_a: Tenant, export_a: SecureDocument
) -> None:
    client.force_login(org_a.users[Role.EDITOR])
    for url in ("/admin/documents/", "/admin/documents/chooser/", "/admin/api/main/documents/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert MARKER_A not in _body(response), url
    for url in (
        f"/admin/api/main/documents/{export_a.pk}/",
        f"/admin/documents/edit/{export_a.pk}/",
        f"/admin/documents/delete/{export_a.pk}/",
        f"/admin/documents/usage/{export_a.pk}/",
        f"/admin/documents/chooser/chosen/{export_a.pk}/",
    ):
        response = client.get(url)
        # Missing, or Wagtail's "no permission" redirect: nothing of the document either way.
        assert response.status_code in (302, 404), url
        assert MARKER_A not in _body(response), url
    client.post(f"/admin/documents/edit/{export_a.pk}/", {"title": "renamed"})
    client.post(f"/admin/documents/delete/{export_a.pk}/")
    export_a.refresh_from_db()
    assert export_a.title == f"Export {MARKER_A}"
    # Its admins still see it.
    client.force_login(org_a.users[Role.ADMIN])
    assert MARKER_A in _body(client.get("/admin/documents/"))


# 6. Admin-only announcement titles reached lower roles in the feed and the sync frame.


def test_the_feed_and_the_sync_frame_keep_admin_only_titles_from_lower_roles(
    client: Client, org_a: Tenant
) -> None:
    board = Announcement(
        organization=org_a.organization,
        title=f"Board {MARKER_A}",
        body="<p>for admins</p>",
        min_role=Role.ADMIN,
    )
    board.save()
    board.save_revision(user=org_a.users[Role.ADMIN]).publish()
    for role in (Role.VIEWER, Role.MEMBER, Role.EDITOR):
        client.force_login(org_a.users[role])
        assert f"Board {MARKER_A}" not in _body(client.get("/o/alpha/"))
        state = dashboard_state(org_a.organization.pk, role)
        assert all(f"Board {MARKER_A}" not in event.sentence for event in state["events"])
        assert all(f"Board {MARKER_A}" not in a.title for a in state["announcements"])
    client.force_login(org_a.users[Role.ADMIN])
    assert f"Board {MARKER_A}" in _body(client.get("/o/alpha/"))
    assert MARKER_B  # the other organization's marker is planted by the fixtures too
