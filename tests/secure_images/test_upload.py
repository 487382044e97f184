"""Every upload door of the Wagtail admin applies the image rules; a refused upload is a
form error and leaves no row and no file anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.models import Organization
from organizations.roles import Role
from secure_images.models import SecureImage
from tests.secure_images.files import SVG, animated_gif, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, org_a):  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.EDITOR])
    return org_a


def stored_files(settings: Any) -> list[Path]:
    found = []
    for root in (Path(settings.SECURE_DOCUMENTS_ROOT), Path(settings.MEDIA_ROOT)):
        if root.exists():
            found += [path for path in root.rglob("*") if path.is_file()]
    return found


def add(client: Any, name: str, content: bytes) -> Any:
    return client.post(
        "/admin/images/add/", {"title": "Upload", "file": SimpleUploadedFile(name, content)}
    )


def add_multiple(client: Any, name: str, content: bytes) -> Any:
    return client.post(
        "/admin/images/multiple/add/", {"files[]": SimpleUploadedFile(name, content)}
    )


def chooser_create(client: Any, name: str, content: bytes) -> Any:
    return client.post(
        "/admin/images/chooser/create/",
        {
            "image-chooser-upload-title": "Upload",
            "image-chooser-upload-file": SimpleUploadedFile(name, content),
        },
    )


def test_admin_add_stores_privately_in_the_organization(client, settings, editor) -> None:  # type: ignore[no-untyped-def]
    response = add(client, "logo.png", png())
    assert response.status_code == 302
    image = SecureImage.objects.get()
    assert image.organization_id == editor.organization.pk
    assert image.file.name == f"{editor.organization.public_id}/images/{image.public_id}/logo.png"
    assert image.file_size == len(png())
    assert [p.name for p in stored_files(settings)] == ["logo.png"]
    assert not Path(settings.MEDIA_ROOT).exists() or not any(
        Path(settings.MEDIA_ROOT).rglob("*.png")
    )


def test_chooser_and_multiple_upload_store_privately(client, editor) -> None:  # type: ignore[no-untyped-def]
    response = chooser_create(client, "chosen.png", png())
    assert response.status_code == 200
    assert response.json()["step"] == "chosen"
    multiple = add_multiple(client, "many.png", png())
    assert multiple.json()["success"] is True
    names = sorted(image.filename for image in SecureImage.objects.all())
    assert names == ["chosen.png", "many.png"]
    assert all(
        image.organization_id == editor.organization.pk for image in SecureImage.objects.all()
    )


BAD_FILES = [
    ("text.png", b"just some text, not an image\n", "not a valid image"),
    ("mismatch.jpg", png(), "does not match"),
    ("drawing.svg", SVG, "not a valid image"),
    ("polyglot.png", png() + b"<script>alert(1)</script>", "markup"),
    ("CON.png", png(), "reserved"),
    ("bidi\u202egnp.png", png(), "right-to-left"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES)
def test_every_door_refuses_bad_images_and_keeps_nothing(
    client, settings, editor, name, content, reason
) -> None:  # type: ignore[no-untyped-def]
    single = add(client, name, content)
    assert single.status_code == 200
    chooser = chooser_create(client, name, content)
    assert chooser.status_code == 200
    assert chooser.json()["step"] != "chosen"
    multiple = add_multiple(client, name, content)
    assert multiple.json()["success"] is False
    assert multiple.json()["error_message"]
    assert not SecureImage.objects.exists()
    assert stored_files(settings) == []
    from wagtail.models import UploadedFile

    assert not UploadedFile.objects.exists()


def test_reasons_are_clear(client, editor) -> None:  # type: ignore[no-untyped-def]
    assert "does not match" in add_multiple(client, "mismatch.jpg", png()).json()["error_message"]
    assert "markup" in add_multiple(client, "x.png", png() + b"<script>").json()["error_message"]
    assert "reserved" in add_multiple(client, "CON.png", png()).json()["error_message"]


def test_pixel_limit_against_decompression_bombs(client, settings, editor) -> None:  # type: ignore[no-untyped-def]
    settings.IMAGE_MAX_PIXELS = 100 * 100
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 10**9  # ours decides, with our message
    response = add_multiple(client, "big.png", png(200, 200))
    assert response.json()["success"] is False
    assert "pixels" in response.json()["error_message"]
    assert not SecureImage.objects.exists()


def test_animation_frame_limit(client, settings, editor) -> None:  # type: ignore[no-untyped-def]
    settings.IMAGE_MAX_FRAMES = 5
    refused = add_multiple(client, "long.gif", animated_gif(8))
    assert refused.json()["success"] is False
    assert "frames" in refused.json()["error_message"]
    assert add_multiple(client, "short.gif", animated_gif(3)).json()["success"] is True


def test_images_count_towards_the_storage_quota(client, editor) -> None:  # type: ignore[no-untyped-def]
    from secure_documents.services import storage_used

    assert add_multiple(client, "first.png", png()).json()["success"] is True
    assert storage_used(editor.organization) == len(png())
    Organization.objects.filter(pk=editor.organization.pk).update(
        storage_quota_bytes=len(png()) + 10
    )
    response = add_multiple(client, "second.png", png())
    assert response.json()["success"] is False
    assert "quota" in response.json()["error_message"]
    assert SecureImage.objects.count() == 1


def test_lower_roles_cannot_upload(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    response = add(client, "logo.png", png())
    assert response.status_code in (302, 403, 404)
    assert not SecureImage.objects.exists()


def test_files_cannot_be_replaced_in_the_admin(client, editor) -> None:  # type: ignore[no-untyped-def]
    add(client, "logo.png", png())
    image = SecureImage.objects.get()
    form = client.get(f"/admin/images/{image.pk}/").content.decode()
    assert 'type="file"' not in form


def test_duplicate_detection_sees_only_the_uploaders_organization(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.EDITOR])
    assert add_multiple(client, "same.png", png()).json()["success"] is True
    again = add_multiple(client, "same.png", png()).json()
    assert again["duplicate"] is True  # Wagtail's check, within the organization
    client.force_login(org_b.users[Role.EDITOR])
    other = add_multiple(client, "same.png", png()).json()
    assert other["success"] is True
    assert other["duplicate"] is False
    assert "Upload" not in str(other.get("confirm_duplicate_upload", ""))
