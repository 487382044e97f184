"""Images and renditions are served by one view, to exactly the people who may view the
organization's pages; everyone else gets the 404 of a missing image."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template

from organizations.models import Organization
from organizations.roles import Role
from secure_images.models import SecureImage
from tests.factories import UserFactory
from tests.secure_documents.helpers import read_body
from tests.secure_images.files import has_location, jpeg_with_location
from tests.secure_images.helpers import make_image

pytestmark = pytest.mark.django_db


def render_image(image: SecureImage, spec: str = "fill-20x20") -> str:
    return Template(
        "{% load wagtailimages_tags %}{% image img " + spec + " as r %}{{ r.url }}"
    ).render(Context({"img": image}))


def publish_site(organization: Organization) -> None:
    root = organization.root_page.specific
    root.members_only = False
    root.save()


def get(client: Any, url: str, user: Any = None, **headers: Any) -> Any:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url, headers=headers)


@pytest.fixture
def image_a(org_a):  # type: ignore[no-untyped-def]
    return make_image(org_a, "alpha-photo.png", title="Alpha photo")


def test_files_live_in_protected_storage_under_the_organization(settings, org_a, image_a) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    org_uuid = org_a.organization.public_id
    assert image_a.organization_id == org_a.organization.pk
    assert image_a.file.name == f"{org_uuid}/images/{image_a.public_id}/alpha-photo.png"
    rendition = image_a.get_rendition("fill-20x20")
    assert rendition.file.name.startswith(f"{org_uuid}/images/{image_a.public_id}/renditions/")
    protected = Path(settings.SECURE_DOCUMENTS_ROOT)
    assert (protected / image_a.file.name).is_file()
    assert (protected / rendition.file.name).is_file()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_urls_are_the_serve_views(image_a) -> None:  # type: ignore[no-untyped-def]
    url = render_image(image_a)
    assert url.startswith(f"/images/{image_a.public_id}/r/alpha-photo.")
    assert image_a.file.url == f"/images/{image_a.public_id}/alpha-photo.png"


def test_members_get_renditions_privately(client, org_a, image_a) -> None:  # type: ignore[no-untyped-def]
    url = render_image(image_a)
    for role in (Role.OWNER, Role.EDITOR, Role.MEMBER, Role.VIEWER):
        response = get(client, url, org_a.users[role])
        assert response.status_code == 200, role
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"].startswith("private")
        assert response["Content-Disposition"].startswith("inline")
        assert read_body(response)[:8] == b"\x89PNG\r\n\x1a\n"


def test_outsiders_get_the_same_404_as_for_a_missing_image(client, org_a, org_b, image_a) -> None:  # type: ignore[no-untyped-def]
    url = render_image(image_a)
    missing_image = f"/images/{SecureImage().public_id}/r/alpha-photo.png"
    missing_rendition = url.rsplit("/", 1)[0] + "/nothing.png"
    inactive = org_a.users[Role.MEMBER]
    inactive.is_active = False
    inactive.save()
    outsiders = [None, org_b.users[Role.OWNER], UserFactory()]
    for user in outsiders:
        for target in (url, image_a.file.url, missing_image, missing_rendition):
            response = get(client, target, user)
            assert response.status_code == 404, (user, target)
            assert response["Content-Type"].startswith("text/html")
            head = client.head(target)
            assert head.status_code == 404
            ranged = get(client, target, user, Range="bytes=0-3", If_None_Match="*")
            assert ranged.status_code == 404


def test_suspended_organization_serves_nobody(client, org_a, image_a) -> None:  # type: ignore[no-untyped-def]
    url = render_image(image_a)
    publish_site(org_a.organization)
    Organization.objects.filter(pk=org_a.organization.pk).update(is_active=False)
    assert get(client, url).status_code == 404
    assert get(client, url, org_a.users[Role.MEMBER]).status_code == 404


def test_originals_only_for_editors(client, org_a, org_b, image_a) -> None:  # type: ignore[no-untyped-def]
    url = image_a.file.url
    assert get(client, url, org_a.users[Role.EDITOR]).status_code == 200
    assert get(client, url, org_a.users[Role.OWNER]).status_code == 200
    # Originals keep the camera's metadata: members and the public see renditions only.
    assert get(client, url, org_a.users[Role.MEMBER]).status_code == 404
    assert get(client, url, org_a.users[Role.VIEWER]).status_code == 404
    publish_site(org_a.organization)
    assert get(client, url).status_code == 404
    assert get(client, url, org_b.users[Role.OWNER]).status_code == 404
    operator = UserFactory(is_superuser=True, is_staff=True)
    assert get(client, url, operator).status_code == 200


def test_a_published_site_serves_everyone_with_a_public_cache(
    client, settings, org_a, org_b, image_a
) -> None:  # type: ignore[no-untyped-def]
    url = render_image(image_a)
    publish_site(org_a.organization)
    for user in (None, org_b.users[Role.OWNER], org_a.users[Role.MEMBER]):
        response = get(client, url, user)
        assert response.status_code == 200
        assert response["Cache-Control"] == f"public, max-age={settings.IMAGE_PUBLIC_CACHE_SECONDS}"
        assert "Vary" not in response or "Cookie" not in response["Vary"]


def test_etag_304_head_and_range(client, org_a, image_a) -> None:  # type: ignore[no-untyped-def]
    url = render_image(image_a)
    member = org_a.users[Role.MEMBER]
    full = get(client, url, member)
    body = read_body(full)
    etag = full["ETag"]
    assert etag
    assert int(full["Content-Length"]) == len(body)
    assert get(client, url, member, If_None_Match=etag).status_code == 304
    head = client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    part = get(client, url, member, Range="bytes=0-7")
    assert part.status_code == 206
    assert read_body(part) == body[:8]
    assert part["Content-Range"] == f"bytes 0-7/{len(body)}"


def test_renditions_are_generated_once(client, org_a, image_a) -> None:  # type: ignore[no-untyped-def]
    first = render_image(image_a)
    again = render_image(SecureImage.objects.get(pk=image_a.pk))
    assert first == again
    assert image_a.renditions.count() == 1


def test_renditions_drop_the_location(client, org_a) -> None:  # type: ignore[no-untyped-def]
    image = make_image(org_a, "trip.jpg", jpeg_with_location())
    assert has_location(image.file.read())
    response = get(client, render_image(image, "width-32"), org_a.users[Role.MEMBER])
    assert response.status_code == 200
    assert not has_location(read_body(response))


def test_accel_mode_hands_the_file_to_nginx(client, settings, org_a, image_a) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENT_SERVE_MODE = "accel"
    url = render_image(image_a)
    response = get(client, url, org_a.users[Role.MEMBER])
    assert response.status_code == 200
    rendition = image_a.renditions.get()
    assert response["X-Accel-Redirect"] == f"{settings.DOCUMENT_ACCEL_PREFIX}{rendition.file.name}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert get(client, url).status_code == 404


SPECS = [
    "original",
    "fill-20x20",
    "fill-20x10-c50",
    "width-16",
    "height-8",
    "max-30x30",
    "min-5x5",
    "scale-50",
    "width-16|format-webp",
    "width-16|format-jpeg|jpegquality-40",
    "width-16|format-gif",
    "width-16|bgcolor-ff0000",
]


def test_every_filter_spec_is_protected(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    image = make_image(org_a, "specs.png")
    member, outsider = org_a.users[Role.MEMBER], org_b.users[Role.OWNER]
    for spec in SPECS:
        url = image.get_rendition(spec).url
        assert url.startswith(f"/images/{image.public_id}/r/"), spec
        allowed = get(client, url, member)
        assert allowed.status_code == 200, spec
        assert allowed["Content-Type"].startswith("image/"), spec
        assert allowed["X-Content-Type-Options"] == "nosniff"
        assert get(client, url, outsider).status_code == 404, spec
        assert get(client, url).status_code == 404, spec
