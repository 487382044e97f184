"""The data migration moves existing Wagtail images into their organization's protected
storage, keeping their ids (pages refer to images by id)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from wagtail.images.models import Image, Rendition
from wagtail.models import Collection

from secure_images.models import SecureImage
from tests.secure_images.files import png

pytestmark = pytest.mark.django_db

migration = importlib.import_module("secure_images.migrations.0002_move_wagtail_images")


def test_existing_images_move_out_of_public_media(settings, org_a) -> None:  # type: ignore[no-untyped-def]
    old = Image(
        title="Old logo",
        collection_id=org_a.organization.collection_id,
        file=SimpleUploadedFile("old logo.png", png()),
    )
    old._set_image_file_metadata()
    old.save()
    old.tags.add("brand")
    old.get_rendition("width-10")
    orphan = Image(
        title="Nobody's",
        collection=Collection.get_first_root_node(),
        file=SimpleUploadedFile("nobody.png", png()),
    )
    orphan._set_image_file_metadata()
    orphan.save()
    old_path = Path(settings.MEDIA_ROOT) / old.file.name

    migration.move_images(apps, SimpleNamespace(connection=connection))

    moved = SecureImage.objects.get(pk=old.pk)
    assert moved.organization_id == org_a.organization.pk
    assert moved.title == "Old logo"
    assert moved.file.name == (
        f"{org_a.organization.public_id}/images/{moved.public_id}/old_logo.png"
    )
    assert (Path(settings.SECURE_DOCUMENTS_ROOT) / moved.file.name).read_bytes() == png()
    assert [tag.name for tag in moved.tags.all()] == ["brand"]
    assert not old_path.exists()
    assert not Image.objects.filter(pk=old.pk).exists()
    assert not Rendition.objects.filter(image_id=old.pk).exists()
    remaining = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    # Only the image of no organization stays, for an operator to deal with.
    assert [p.name for p in remaining] == ["nobody.png"]
    # New images continue after the moved ids.
    new = SecureImage(
        title="New",
        collection_id=org_a.organization.collection_id,
        file=SimpleUploadedFile("new.png", png()),
    )
    new.save()
    assert new.pk > old.pk
