"""Wagtail's API v2 at /api/v1/content/: anonymous callers get public content only, a
token its organization's only, a session the public content and its organizations'."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.images import ImageFile
from django.test import Client
from PIL import Image as PILImage
from wagtail.images import get_image_model

from dashboards.models import OrganizationPage
from home.models import ContentPage
from organizations.roles import Role
from organizations.services import membership_add
from tests.api.conftest import bearer, document, make_token
from tests.tenants import MARKER_A, MARKER_B

pytestmark = pytest.mark.django_db


def _image(tenant: Any, title: str) -> Any:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), (10, 20, 30)).save(buffer, format="PNG")
    image = get_image_model()(
        title=title,
        collection=tenant.organization.collection,
        uploaded_by_user=tenant.users["owner"],
    )
    image.file = ImageFile(io.BytesIO(buffer.getvalue()), name="pic.png")
    image.save()
    return image


@pytest.fixture
def content(org_a: Any, org_b: Any) -> dict[str, Any]:
    """A publishes its site; B keeps it for members. Each has a page, an image and
    documents (one for admins only)."""
    root_a = OrganizationPage.objects.get(organization=org_a.organization)
    root_a.members_only = False
    root_a.save()
    made: dict[str, Any] = {}
    for key, tenant, marker in (("a", org_a, MARKER_A), ("b", org_b, MARKER_B)):
        root = OrganizationPage.objects.get(organization=tenant.organization)
        page = root.add_child(instance=ContentPage(title=f"Page {marker}", slug="page"))
        page.save_revision().publish()
        made[f"page_{key}"] = page
        made[f"image_{key}"] = _image(tenant, f"Image {marker}")
        made[f"doc_{key}"] = document(tenant, "plain.txt", b"plain words", title=f"Doc {marker}")
        made[f"secret_{key}"] = document(
            tenant, "board.txt", b"board words", title=f"Board {marker}"
        )
        made[f"secret_{key}"].min_role = Role.ADMIN
        made[f"secret_{key}"].save()
    return made


def _titles(client: Client, kind: str, **extra: Any) -> set[str]:
    response = client.get(f"/api/v1/content/{kind}/?limit=20", **extra)
    assert response.status_code == 200, response.content
    return {item.get("title", "") for item in response.json()["items"]}


def test_anonymous_callers_see_public_content_only(content: dict[str, Any]) -> None:
    client = Client()
    pages = _titles(client, "pages")
    assert f"Page {MARKER_A}" in pages
    assert not any(MARKER_B in title for title in pages)
    assert _titles(client, "images") == {f"Image {MARKER_A}"}
    assert _titles(client, "documents") == set()
    detail = client.get(f"/api/v1/content/pages/{content['page_b'].pk}/")
    assert detail.status_code == 404
    assert set(detail.json()) == {"error"}
    assert MARKER_B not in detail.content.decode()


def test_a_token_sees_its_organization_only(
    content: dict[str, Any], org_a: Any, org_b: Any
) -> None:
    # Its person is also A's owner: the token is B's, so A stays out of reach.
    person = org_b.users[Role.VIEWER]
    membership_add(acting_user=None, organization=org_a.organization, user=person, role=Role.OWNER)
    client = Client()
    auth = bearer(make_token(org_b, user=person))
    pages = _titles(client, "pages", **auth)
    assert f"Page {MARKER_B}" in pages
    assert not any(MARKER_A in title for title in pages)
    assert "Org Portal" not in pages  # not even the public home page
    # A viewer of members-only B: images are its editors' (titles, tags), as in the admin.
    assert _titles(client, "images", **auth) == set()
    editor = bearer(make_token(org_b, Role.EDITOR))
    assert _titles(client, "images", **editor) == {f"Image {MARKER_B}"}
    # A viewer's token: the admins' document stays out of reach.
    assert _titles(client, "documents", **auth) == {f"Doc {MARKER_B}"}
    for kind in ("pages", "images", "documents"):
        foreign = content[{"pages": "page_a", "images": "image_a", "documents": "doc_a"}[kind]]
        response = client.get(f"/api/v1/content/{kind}/{foreign.pk}/", **auth)
        assert response.status_code == 404, kind
        assert MARKER_A not in response.content.decode()
    found = client.get("/api/v1/content/pages/find/?html_path=/alpha/page/", **auth)
    assert found.status_code == 404
    admin = bearer(make_token(org_b, Role.ADMIN))
    assert _titles(client, "documents", **admin) == {f"Doc {MARKER_B}", f"Board {MARKER_B}"}


def test_a_session_sees_public_content_and_its_organizations(
    content: dict[str, Any], org_b: Any
) -> None:
    client = Client()
    client.force_login(org_b.users[Role.MEMBER])
    pages = _titles(client, "pages")
    assert {f"Page {MARKER_A}", f"Page {MARKER_B}"} <= pages
    # B is members-only: its images are for its editors (titles, tags), as in the admin.
    assert _titles(client, "images") == {f"Image {MARKER_A}"}
    assert _titles(client, "documents") == {f"Doc {MARKER_B}"}


def test_a_suspended_organization_shows_nothing_to_its_token(
    content: dict[str, Any], org_b: Any
) -> None:
    auth = bearer(make_token(org_b, Role.OWNER))
    org_b.organization.is_active = False
    org_b.organization.save()
    client = Client()
    for kind in ("pages", "images", "documents"):
        assert _titles(client, kind, **auth) == set(), kind


def test_pages_an_editor_restricted_to_some_roles_stay_with_those_roles(
    content: dict[str, Any], org_b: Any
) -> None:
    from wagtail.models import PageViewRestriction

    board = content["page_b"].add_child(instance=ContentPage(title="Board only", slug="board"))
    board.save_revision().publish()
    restriction = PageViewRestriction.objects.create(
        page=board, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([org_b.organization.role_groups.get(role=Role.ADMIN).group])
    client = Client()
    viewer = bearer(make_token(org_b, Role.VIEWER))
    admin = bearer(make_token(org_b, Role.ADMIN))
    assert "Board only" not in _titles(client, "pages", **viewer)
    assert client.get(f"/api/v1/content/pages/{board.pk}/", **viewer).status_code == 404
    assert "Board only" in _titles(client, "pages", **admin)
