"""A request costs the same with 30 organizations as with 2: the same SQL queries, the
same SQL size (Wagtail's ``public()`` grew by one ``path LIKE`` per organization), and
the public pages are exactly those anyone may see."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from dashboards.models import OrganizationPage
from home.models import ContentPage, HomePage
from organizations.models import Organization
from organizations.roles import Role
from organizations.services import organization_create
from secure_documents.models import ProcessingStatus, SecureDocument
from tests.factories import UserFactory, add_member, make_org

pytestmark = pytest.mark.django_db

# Digits of ids in SQL grow a little with more rows; clauses per organization would not.
SQL_SLACK = 40


def _page(parent: Page, title: str, slug: str) -> ContentPage:
    page = parent.add_child(instance=ContentPage(title=title, slug=slug, intro="scale probe"))
    page.save_revision().publish()
    return page


def _populate(organization: Organization, owner: Any) -> None:
    root = OrganizationPage.objects.get(organization=organization)
    _page(root, f"Probe page of {organization.slug}", "probe")
    SecureDocument.objects.create(
        organization=organization,
        collection_id=organization.collection_id,
        title=f"Probe document of {organization.slug}",
        file=f"probe/{organization.slug}.txt",
        file_size=10,
        status=ProcessingStatus.CLEAN,
        uploaded_by_user=owner,
    )


def _grow(start: int, stop: int) -> None:
    for index in range(start, stop):
        organization, owner = make_org(f"Filler {index}", f"filler-{index}")
        _populate(organization, owner)


def _cost(client: Client, url: str) -> tuple[int, int, int]:
    """(status, queries, total SQL characters) of one GET after a warm-up GET."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return (
        response.status_code,
        len(captured.captured_queries),
        sum(len(query["sql"]) for query in captured.captured_queries),
    )


def _assert_flat(small: dict[str, tuple[int, int, int]], large: dict[str, tuple[int, int, int]]):  # type: ignore[no-untyped-def]
    for url, (status, queries, size) in small.items():
        large_status, large_queries, large_size = large[url]
        assert status == large_status == 200, url
        assert large_queries == queries, f"{url}: {queries} queries at 2, {large_queries} at 30"
        assert large_size <= size + SQL_SLACK, f"{url}: {size} SQL characters at 2, {large_size}"


@pytest.fixture
def world(site_tree):  # type: ignore[no-untyped-def]
    """A members-only organization (with an editor) and one published to everyone."""
    private, private_owner = make_org("Private", "private")
    public, public_owner = make_org("Public", "public")
    root = OrganizationPage.objects.get(organization=public)
    root.members_only = False
    root.save_revision().publish()
    _populate(private, private_owner)
    _populate(public, public_owner)
    editor = add_member(private, Role.EDITOR, "editor@private.example")
    return {"private": private, "public": public, "editor": editor}


def _search_titles(client: Client, query: str) -> str:
    return client.get("/search/", {"query": query}).content.decode()


def test_public_search_and_sitemap_show_exactly_the_public_pages(client, world) -> None:  # type: ignore[no-untyped-def]
    home = HomePage.objects.get()
    _page(home, "Probe page of the site", "site-probe")
    public_root = OrganizationPage.objects.get(organization=world["public"])
    hidden = _page(public_root, "Probe page kept private", "kept-private")
    PageViewRestriction.objects.create(page=hidden, restriction_type=PageViewRestriction.LOGIN)
    suspended, owner = make_org("Suspended", "suspended")
    suspended_root = OrganizationPage.objects.get(organization=suspended)
    suspended_root.members_only = False
    suspended_root.save_revision().publish()
    _populate(suspended, owner)
    Organization.objects.filter(pk=suspended.pk).update(is_active=False)

    results = _search_titles(client, "probe")
    sitemap = client.get("/sitemap.xml").content.decode()
    for shown in ("Probe page of public", "Probe page of the site"):
        assert shown in results
    for url in ("/public/probe/", "/site-probe/", "/public/"):
        assert f"{url}</loc>" in sitemap
    for hidden_title in (
        "Probe page of private",
        "Probe page kept private",
        "Probe page of suspended",
    ):
        assert hidden_title not in results
    for hidden_url in ("/private/", "/public/kept-private/", "/suspended/"):
        assert hidden_url not in sitemap


def test_public_search_and_sitemap_cost_the_same_at_30_organizations(client, world) -> None:  # type: ignore[no-untyped-def]
    urls = ["/search/?query=probe", "/sitemap.xml"]
    small = {url: _cost(client, url) for url in urls}
    creating_small = _creation_queries("early")
    _grow(3, 30)
    assert PageViewRestriction.objects.count() >= 29  # one per members-only organization
    large = {url: _cost(client, url) for url in urls}
    _assert_flat(small, large)
    # Provisioning an organization (tree, collection, groups, permissions) too.
    assert _creation_queries("late") == creating_small


def _creation_queries(slug: str) -> int:
    owner = UserFactory(email=f"owner@{slug}.example")
    with CaptureQueriesContext(connection) as captured:
        organization_create(acting_user=owner, name=slug.title(), slug=slug)
    return len(captured.captured_queries)


ADMIN_URLS = [
    "/admin/",
    "/admin/pages/{root}/",
    "/admin/pages/search/?q=probe",
    "/admin/choose-page/",
    "/admin/documents/",
    "/admin/documents/?q=probe",
    "/admin/documents/chooser/",
    "/admin/images/",
    "/admin/images/?q=probe",
    "/admin/images/chooser/",
    "/admin/snippets/dashboards/announcement/",
    "/admin/snippets/dashboards/announcement/?q=probe",
    "/admin/reports/site-history/",
]

PORTAL_URLS = [
    "/o/private/",
    "/o/private/documents/",
    "/o/private/members/",
    "/o/private/search/?query=probe",
]


def test_a_members_portal_costs_the_same_at_30_organizations(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(add_member(world["private"], Role.MEMBER, "member@private.example"))
    small = {url: _cost(client, url) for url in PORTAL_URLS}
    _grow(2, 30)
    large = {url: _cost(client, url) for url in PORTAL_URLS}
    _assert_flat(small, large)


def test_an_editors_admin_costs_the_same_at_30_organizations(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world["editor"])
    root = OrganizationPage.objects.get(organization=world["private"]).pk
    urls = [url.format(root=root) for url in ADMIN_URLS]
    small = {url: _cost(client, url) for url in urls}
    _grow(2, 30)
    large = {url: _cost(client, url) for url in urls}
    _assert_flat(small, large)


def test_the_explorer_reads_only_the_view_restrictions_of_the_editors_pages(client, world) -> None:  # type: ignore[no-untyped-def]
    _grow(2, 6)
    client.force_login(world["editor"])
    root = OrganizationPage.objects.get(organization=world["private"])
    url = f"/admin/pages/{root.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    reads = [
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "wagtailcore_pageviewrestriction"' in query["sql"]
    ]
    assert reads
    for sql in reads:
        assert "LIKE" in sql  # limited to the editor's subtree (and its ancestors)
    with connection.cursor() as cursor:
        cursor.execute(reads[0])
        paths = [row[0] for row in cursor.fetchall()]
    assert paths == [root.path]


def _plan(queryset: Any) -> str:
    """PostgreSQL's plan with sequential scans priced out: shows whether the conditions
    can drive an index at all (tables this small are read whole either way)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


def test_the_document_listing_is_led_by_an_indexed_organization_condition(world) -> None:  # type: ignore[no-untyped-def]
    from wagtail.documents import get_document_model
    from wagtail.permissions import policy_registry

    policy = policy_registry.get_by_type(get_document_model())
    documents = policy.instances_user_has_any_permission_for(world["editor"], ["change"])
    assert list(documents.values_list("organization_id", flat=True)) == [world["private"].pk]
    plan = _plan(documents)
    assert "Seq Scan on secure_documents_securedocument" not in plan
    assert "organization_id" in plan


def test_public_pages_are_found_through_indexes(world) -> None:  # type: ignore[no-untyped-def]
    from organizations.pages import public_pages

    _grow(2, 6)
    pages = public_pages(HomePage.objects.get())
    assert "Probe page of public" in {page.title for page in pages}
    plan = _plan(pages)
    assert "Seq Scan on wagtailcore_page" not in plan
