"""Scoping must not break normal work: editors do everything their role allows."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page

from dashboards.models import Announcement, OrganizationPage, QuickLink
from home.models import ContentPage
from organizations.roles import Role
from secure_documents.models import SecureDocument
from tests.factories import UserFactory, make_org
from tests.tenants import MARKER_A, MARKER_B
from tests.wagtail_tenancy.content import build_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_b(client, org_a, org_b):  # type: ignore[no-untyped-def]
    build_content(org_a.organization, MARKER_A, org_a.users[Role.EDITOR])
    build_content(org_b.organization, MARKER_B, org_b.users[Role.EDITOR])
    client.force_login(org_b.users[Role.EDITOR])
    return org_b


def test_dashboard_shows_a_panel_for_the_editors_organization(client, editor_b) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/admin/").content.decode()
    assert MARKER_B in body
    assert MARKER_A not in body


def test_explorer_from_the_top_shows_only_own_root(client, editor_b) -> None:  # type: ignore[no-untyped-def]
    home = Page.objects.get(depth=2)
    body = client.get(f"/admin/pages/{home.pk}/", follow=True).content.decode()
    assert MARKER_B in body
    assert MARKER_A not in body


def test_editor_creates_edits_and_publishes_a_page(client, editor_b) -> None:  # type: ignore[no-untyped-def]
    root = OrganizationPage.objects.get(organization=editor_b.organization)
    response = client.post(
        f"/admin/pages/add/home/contentpage/{root.pk}/",
        {
            "title": "Team news",
            "slug": "team-news",
            "intro": "",
            "body-count": "0",
            "action-publish": "publish",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    page = ContentPage.objects.get(slug="team-news")
    assert page.live
    assert page.get_parent().pk == root.pk


def test_editor_cannot_add_pages_outside_own_tree(client, editor_b) -> None:  # type: ignore[no-untyped-def]
    home = Page.objects.get(depth=2)
    response = client.post(
        f"/admin/pages/add/home/contentpage/{home.pk}/",
        {"title": "Escape", "slug": "escape", "body-count": "0", "action-publish": "publish"},
    )
    assert response.status_code in (302, 403, 404)
    assert not ContentPage.objects.filter(slug="escape").exists()


def test_editor_creates_an_announcement_for_own_organization_only(client, editor_b, org_a) -> None:  # type: ignore[no-untyped-def]
    form = client.get("/admin/snippets/dashboards/announcement/add/").content.decode()
    assert f'value="{editor_b.organization.pk}"' in form
    assert f'value="{org_a.organization.pk}"' not in form
    base = {
        "title": "Office closed",
        "body": json.dumps(
            {
                "blocks": [
                    {
                        "key": "a",
                        "type": "unstyled",
                        "depth": 0,
                        "text": "Closed.",
                        "inlineStyleRanges": [],
                        "entityRanges": [],
                    }
                ],
                "entityMap": {},
            }
        ),
        "min_role": "",
        "action-publish": "publish",
    }
    forged = client.post(
        "/admin/snippets/dashboards/announcement/add/",
        {**base, "organization": org_a.organization.pk},
    )
    assert forged.status_code == 200  # form error: not a valid choice
    assert not Announcement.objects.filter(
        organization=org_a.organization, title="Office closed"
    ).exists()
    response = client.post(
        "/admin/snippets/dashboards/announcement/add/",
        {**base, "organization": editor_b.organization.pk},
    )
    assert response.status_code == 302
    assert Announcement.objects.get(title="Office closed").organization == editor_b.organization


def test_snippet_listing_and_counts_are_scoped(client, editor_b) -> None:  # type: ignore[no-untyped-def]
    listing = client.get("/admin/snippets/dashboards/quicklink/").content.decode()
    assert MARKER_B in listing
    assert MARKER_A not in listing
    index = client.get("/admin/snippets/").content.decode()
    own = QuickLink.objects.filter(organization=editor_b.organization).count()
    assert QuickLink.objects.count() > own
    assert f">{own}<" in index.replace(" ", "").replace("\n", "")


def test_choosers_offer_own_content(client, editor_b) -> None:  # type: ignore[no-untyped-def]
    pages = client.get("/admin/choose-page/search/?q=Page").content.decode()
    assert MARKER_B in pages
    assert MARKER_A not in pages
    docs = client.get("/admin/documents/chooser/").content.decode()
    assert MARKER_B in docs
    assert MARKER_A not in docs
    links = client.get("/admin/snippets/choose/dashboards/quicklink/").content.decode()
    assert MARKER_B in links
    assert MARKER_A not in links


def test_upload_document_and_image_into_own_collection(client, editor_b, org_a) -> None:  # type: ignore[no-untyped-def]
    collection = editor_b.organization.collection
    response = client.post(
        "/admin/documents/add/",
        {
            "title": "Minutes",
            "collection": collection.pk,
            "file": SimpleUploadedFile("minutes.txt", b"minutes of the meeting"),
        },
    )
    assert response.status_code == 302, response.content[:1500]
    document = SecureDocument.objects.get(title="Minutes")
    assert document.organization == editor_b.organization
    foreign = client.post(
        "/admin/documents/add/",
        {
            "title": "Smuggled",
            "collection": org_a.organization.collection_id,
            "file": SimpleUploadedFile("s.txt", b"x"),
        },
    )
    # The collection field only offers the editor's own collection, so a forged id of
    # another organization's collection is ignored or refused, never obeyed.
    assert foreign.status_code in (200, 302, 403)
    assert not SecureDocument.objects.filter(
        title="Smuggled", organization=org_a.organization
    ).exists()
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4)).save(buffer, format="PNG")
    response = client.post(
        "/admin/images/add/",
        {
            "title": "Logo",
            "collection": collection.pk,
            "file": SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png"),
        },
    )
    assert response.status_code == 302
    assert get_image_model().objects.get(title="Logo").collection_id == collection.pk


def test_user_group_and_site_screens_are_for_operators_only(client, org_b) -> None:  # type: ignore[no-untyped-def]
    for role in (Role.ADMIN, Role.OWNER, Role.EDITOR):
        client.force_login(org_b.users[role])
        for url in ("/admin/users/", "/admin/groups/", "/admin/sites/", "/admin/collections/"):
            response = client.get(url)
            assert response.status_code == 404, (role, url, response.status_code)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    for url in ("/admin/users/", "/admin/groups/", "/admin/sites/"):
        assert client.get(url).status_code == 200


def _editor_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    _editor_queries.last = [q["sql"] for q in queries]  # type: ignore[attr-defined]
    return len(queries)


def test_explorer_and_snippet_index_query_counts_do_not_grow_with_organizations(
    client, org_b
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_b.users[Role.EDITOR])
    root = OrganizationPage.objects.get(organization=org_b.organization)
    urls = [f"/admin/pages/{root.pk}/", "/admin/snippets/dashboards/quicklink/", "/admin/snippets/"]
    with_2 = []
    sql_2 = []
    for url in urls:
        with_2.append(_editor_queries(client, url))
        sql_2.append(_editor_queries.last)  # type: ignore[attr-defined]
    # Forty organizations: any per-organization clause shows as a different count.
    for n in range(38):
        organization, _owner = make_org(f"Filler {n}", f"filler-{n}")
        QuickLink.objects.create(
            organization=organization, title=f"L{n}", url="https://example.com/"
        )
    with_40 = []
    for index, url in enumerate(urls):
        with_40.append(_editor_queries(client, url))
        extra = set(_editor_queries.last) - set(sql_2[index])  # type: ignore[attr-defined]
        assert with_2[index] == with_40[index], (url, sorted(extra))


def test_people_filters_list_the_colleagues_who_work_in_the_admin(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    from dashboards.models import OrganizationPage

    client.force_login(org_a.users[Role.EDITOR])
    root = OrganizationPage.objects.get(organization=org_a.organization)
    response = client.get(f"/admin/pages/{root.pk}/")
    choices = set(response.context["filters"].form.fields["owner"].queryset)
    assert org_a.users[Role.EDITOR] in choices
    assert org_a.users[Role.OWNER] in choices
    # Members and viewers never own or edit pages; other organizations' people never show.
    assert org_a.users[Role.MEMBER] not in choices
    assert org_a.users[Role.VIEWER] not in choices
    assert not choices & set(org_b.users.values())
