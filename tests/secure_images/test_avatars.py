"""Profile pictures: checked as images, stored protected without metadata, served only to
the person and the people who share an organization with them; initials otherwise, in the
portal and in the Wagtail admin."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from organizations.roles import Role
from organizations.services import organization_set_active
from secure_images.avatars import AVATAR_SIZES, avatar_upload, avatar_url
from tests.factories import UserFactory
from tests.secure_documents.helpers import read_body
from tests.secure_images.files import SVG, jpeg_with_location, png

pytestmark = pytest.mark.django_db


def upload(user: Any, content: bytes, name: str = "me.png") -> Any:
    return avatar_upload(acting_user=user, name=name, file=io.BytesIO(content), size=len(content))


def fetch(url: str, user: Any = None) -> Any:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_a_picture_is_stored_protected_small_and_without_metadata(settings, org_a) -> None:  # type: ignore[no-untyped-def]
    owner = org_a.users[Role.OWNER]
    key = upload(owner, jpeg_with_location(640, 480), "me.jpg")
    owner.profile.refresh_from_db()
    assert owner.profile.avatar_key == key
    stored = sorted(Path(settings.SECURE_DOCUMENTS_ROOT).rglob("*.webp"))
    assert [path.name for path in stored] == sorted(f"{size}.webp" for size in AVATAR_SIZES)
    assert all(f"avatars/{key}/picture/" in str(path) for path in stored)
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))  # nothing in public media
    for path in stored:
        with Image.open(path) as picture:
            assert picture.format == "WEBP"
            assert picture.size[0] == picture.size[1] == int(path.stem)
            assert not picture.getexif()
            assert "exif" not in picture.info
            assert "xmp" not in picture.info


def test_refused_uploads_say_why_and_store_nothing(settings, org_a) -> None:  # type: ignore[no-untyped-def]
    owner = org_a.users[Role.OWNER]
    settings.IMAGE_MAX_PIXELS = 100 * 100
    for content, name, code in (
        (SVG, "me.svg", "bad_filename"),
        (b"not an image", "me.png", "invalid_image"),
        (png(), "me.jpg", "content_mismatch"),
        (png(200, 200), "me.png", "too_many_pixels"),
    ):
        with pytest.raises(ValidationError) as refused:
            upload(owner, content, name)
        assert refused.value.code == code
    owner.profile.refresh_from_db()
    assert owner.profile.avatar_key is None
    assert not list(Path(settings.SECURE_DOCUMENTS_ROOT).rglob("*.*"))


def test_a_new_picture_replaces_the_old_files(settings, org_a) -> None:  # type: ignore[no-untyped-def]
    owner = org_a.users[Role.OWNER]
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        first = upload(owner, png(80, 60))
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = upload(owner, png(90, 90, "navy"))
    names = {str(path) for path in Path(settings.SECURE_DOCUMENTS_ROOT).rglob("*.webp")}
    assert names
    assert all(str(second) in name for name in names)
    assert not any(str(first) in name for name in names)


def test_only_people_who_share_an_organization_see_a_picture(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    owner = org_a.users[Role.OWNER]
    upload(owner, png(64, 64))
    owner.profile.refresh_from_db()
    url = avatar_url(owner, 32)
    assert url.endswith("/64.webp")

    seen = fetch(url, owner)
    assert seen.status_code == 200
    assert seen["Content-Type"] == "image/webp"
    assert seen["Cache-Control"].startswith("private")
    assert seen["X-Content-Type-Options"] == "nosniff"
    assert read_body(seen)[:4] == b"RIFF"
    assert fetch(url, org_a.users[Role.VIEWER]).status_code == 200

    outsider = org_b.users[Role.OWNER]
    stranger = UserFactory()
    operator = UserFactory(is_superuser=True, is_staff=True)
    assert fetch(url).status_code == 404  # anonymous
    assert fetch(url, outsider).status_code == 404
    assert fetch(url, stranger).status_code == 404
    assert fetch(url, operator).status_code == 200
    # Missing, another size, another key: the same 404.
    assert fetch(url.replace("/64.webp", "/65.webp"), owner).status_code == 404
    assert fetch("/avatars/00000000-0000-0000-0000-000000000000/64.webp", owner).status_code == 404

    # Once the shared organization is suspended, it is shared no more.
    organization_set_active(acting_user=operator, organization=org_a.organization, active=False)
    assert fetch(url, org_a.users[Role.VIEWER]).status_code == 404
    assert fetch(url, owner).status_code == 200


def test_conditional_requests_get_304(org_a) -> None:  # type: ignore[no-untyped-def]
    owner = org_a.users[Role.OWNER]
    upload(owner, png(64, 64))
    owner.profile.refresh_from_db()
    client = Client()
    client.force_login(owner)
    first = client.get(avatar_url(owner, 200))
    assert first.status_code == 200
    again = client.get(avatar_url(owner, 200), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_the_profile_page_uploads_and_removes_a_picture(settings, org_a) -> None:  # type: ignore[no-untyped-def]
    member = org_a.users[Role.MEMBER]
    client = Client()
    client.force_login(member)
    response = client.post(
        "/accounts/profile/",
        {
            "display_name": "Dana Reyes",
            "avatar": SimpleUploadedFile("dana.png", png(120, 90), "image/png"),
            "time_zone": "Europe/Lisbon",
        },
    )
    assert response.status_code == 303
    member.profile.refresh_from_db()
    assert member.profile.avatar_key
    assert member.profile.time_zone == "Europe/Lisbon"
    page = client.get("/accounts/profile/").content.decode()
    assert f'src="/avatars/{member.profile.avatar_key}/256.webp"' in page
    members = client.get(f"/o/{org_a.organization.slug}/members/").content.decode()
    assert f'src="/avatars/{member.profile.avatar_key}/64.webp"' in members

    refused = client.post(
        "/accounts/profile/",
        {"display_name": "Dana", "avatar": SimpleUploadedFile("x.png", b"<html>", "image/png")},
    )
    assert refused.status_code == 400
    assert "not a readable image" in refused.content.decode()
    member.profile.refresh_from_db()
    assert member.profile.display_name == "Dana Reyes"  # nothing saved

    removed = client.post(
        "/accounts/profile/", {"display_name": "Dana Reyes", "remove_avatar": "on"}
    )
    assert removed.status_code == 303
    member.profile.refresh_from_db()
    assert member.profile.avatar_key is None
    assert "DR" in client.get("/accounts/profile/").content.decode()


def test_the_admin_shows_protected_pictures_or_initials_never_gravatar(org_a) -> None:  # type: ignore[no-untyped-def]
    from django.template import Context, Template

    owner = org_a.users[Role.OWNER]
    owner.profile.display_name = "Ana Lima"
    owner.profile.save()
    template = Template("{% load wagtailadmin_tags %}{% avatar_url user 50 %}")
    initials = template.render(Context({"user": owner}))
    assert initials.startswith("data:image/svg+xml,")
    assert "AL" in initials
    upload(owner, png(64, 64))
    owner.refresh_from_db()
    owner.profile.refresh_from_db()
    assert template.render(Context({"user": owner})).startswith(
        f"/avatars/{owner.profile.avatar_key}/"
    )


def test_the_admin_account_page_stores_no_picture_in_public_media(settings, org_a) -> None:  # type: ignore[no-untyped-def]
    from wagtail.users.models import UserProfile

    editor = org_a.users[Role.EDITOR]
    client = Client()
    client.force_login(editor)
    page = client.get("/admin/account/")
    assert page.status_code == 200
    assert 'name="avatar-avatar"' not in page.content.decode()
    assert "/accounts/profile/" in page.content.decode()
    # A hand-made post of Wagtail's field is saved without the picture.
    response = client.post(
        "/admin/account/",
        {
            "name_email-first_name": "Eddie",
            "name_email-last_name": "Editor",
            "name_email-email": editor.email,
            "avatar-avatar": SimpleUploadedFile("me.png", png(), "image/png"),
            "locale-preferred_language": "en",
            "locale-current_time_zone": "",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "theme-keyboard_shortcuts": "on",
        },
    )
    assert response.status_code in (200, 302)
    assert not UserProfile.get_for_user(editor).avatar
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))


def test_neither_the_documents_sweep_nor_the_image_storage_takes_avatar_files() -> None:
    import uuid

    from django.core.exceptions import SuspiciousFileOperation

    from secure_documents.tasks import _is_document_name
    from secure_images.avatars import avatar_name, checked_avatar_name
    from secure_images.storage import checked_image_name

    name = avatar_name(uuid.uuid4(), 64)
    assert not _is_document_name(name)
    with pytest.raises(SuspiciousFileOperation):
        checked_image_name(name)
    for bad in ("avatars/../x/picture/64.webp", f"{name}/x", name.replace("64", "65")):
        with pytest.raises(SuspiciousFileOperation):
            checked_avatar_name(bad)
