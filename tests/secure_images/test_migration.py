"""The data migration moves existing Wagtail images into their organization's protected
storage, keeping their ids (pages refer to images by id)."""

from __future__ import annotations

import importlib
import io
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


def test_images_of_no_organization_go_to_the_operators_and_public_media_keeps_nothing(
    settings, org_a
) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command
    from django.test import Client

    from organizations.models import Organization
    from tests.factories import UserFactory

    root = Collection.get_first_root_node()
    loose = root.add_child(name="Loose files")
    owned = Image(
        title="Team photo",
        collection_id=org_a.organization.collection_id,
        file=SimpleUploadedFile("team.png", png()),
    )
    orphans = [
        Image(title="Nobody's", collection=root, file=SimpleUploadedFile("nobody.png", png())),
        Image(title="Loose", collection=loose, file=SimpleUploadedFile("loose.png", png(20, 20))),
    ]
    for image in [owned, *orphans]:
        image._set_image_file_metadata()
        image.save()
    orphans[0].tags.add("legacy")
    orphans[1].get_rendition("width-10")
    assert len([p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]) == 4

    # The data migration moves what an organization owns, then the step for the rest.
    migration.move_images(apps, SimpleNamespace(connection=connection))
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("move_unowned_images", stdout=io.StringIO())

    # Public media keeps nothing at all, of any organization.
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []
    assert not Image.objects.exists()
    assert not Rendition.objects.exists()
    operators = Organization.objects.get(slug="operators")
    assert operators.collection_id
    assert operators.memberships.count() == 0
    for old in orphans:
        moved = SecureImage.objects.get(pk=old.pk)  # ids kept: pages refer to them
        assert moved.organization_id == operators.pk
        assert moved.collection_id == operators.collection_id
        stored = Path(settings.SECURE_DOCUMENTS_ROOT) / moved.file.name
        assert stored.is_file()
        assert str(operators.public_id) in moved.file.name
    assert [t.name for t in SecureImage.objects.get(pk=orphans[0].pk).tags.all()] == ["legacy"]
    assert SecureImage.objects.get(pk=owned.pk).organization_id == org_a.organization.pk

    # Only operators reach the operators' images; a member of any organization does not.
    rendition_url = SecureImage.objects.get(pk=orphans[1].pk).get_rendition("width-10").url
    member = Client()
    member.force_login(org_a.users["owner"])
    assert member.get(rendition_url).status_code == 404
    assert Client().get(rendition_url).status_code == 404
    operator = Client()
    operator.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert operator.get(rendition_url).status_code == 200

    # Run again: nothing left to move.
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("move_unowned_images", stdout=io.StringIO())
    assert SecureImage.objects.filter(organization=operators).count() == 2


def test_the_operators_slug_is_reserved(org_a) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    from organizations.services import organization_create

    with pytest.raises(ValidationError):
        organization_create(acting_user=org_a.users["owner"], name="Ops", slug="operators")
