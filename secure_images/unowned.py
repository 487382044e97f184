"""Images that belonged to no organization go to the operators' organization.

The data migration that moved Wagtail's images into their organizations' protected
storage (migration 0002) left the images of no organization's collection in public media,
because no owner the access rule knows existed for them. They belong to the platform's
operators now: each becomes an image of the operators' organization
(``organizations.services.operators_organization``, members-only, no members), keeping its
id where that id is free (pages refer to images by id), with its file copied into the
protected storage and its public file and renditions deleted. Afterwards public media holds
nothing of an organization.

Runs after every ``migrate`` (a no-op when there is nothing to move; it needs the Wagtail
page tree, which data migrations cannot build) and as ``manage.py move_unowned_images``.
"""

from __future__ import annotations

import logging
import posixpath
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import QuerySet

logger = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class MoveReport:
    moved: dict[int, int] = field(default_factory=dict)  # old id -> new id
    missing_file: list[int] = field(default_factory=list)


def _safe_name(name: str, image_id: int) -> str:
    base = posixpath.basename(name)
    stem, _, extension = base.rpartition(".")
    stem = _SAFE.sub("_", stem).strip("._")[:100] or f"image-{image_id}"
    extension = _SAFE.sub("", extension).lower()[:10] or "bin"
    return f"{stem}.{extension}"


def unowned_images() -> QuerySet[Any]:
    """Wagtail's own image rows (public media) in no organization's collection."""
    from wagtail.images.models import Image

    from organizations.models import Organization

    owned = Organization.objects.filter(collection__isnull=False).values("collection_id")
    return Image.objects.exclude(collection_id__in=owned)


def _delete_public_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("public image file not deleted", extra={"storage_name": name})


def _move(old: Any, operators: Any) -> int:
    from django.contrib.contenttypes.models import ContentType
    from taggit.models import TaggedItem
    from wagtail.images.models import Image, Rendition

    from secure_images.models import SecureImage
    from secure_images.storage import image_storage, original_name

    public_id = uuid.uuid4()
    name = original_name(operators.public_id, public_id, _safe_name(old.file.name, old.pk))
    keep_id = not SecureImage.objects.filter(pk=old.pk).exists()
    with default_storage.open(old.file.name, "rb") as source:
        stored = image_storage.save(name, source)
    public_files = [old.file.name]
    try:
        with transaction.atomic():
            new = SecureImage.objects.create(
                pk=old.pk if keep_id else None,
                public_id=public_id,
                organization=operators,
                collection_id=operators.collection_id,
                title=old.title,
                description=getattr(old, "description", ""),
                file=stored,
                width=old.width,
                height=old.height,
                created_at=old.created_at,
                uploaded_by_user_id=old.uploaded_by_user_id,
                focal_point_x=old.focal_point_x,
                focal_point_y=old.focal_point_y,
                focal_point_width=old.focal_point_width,
                focal_point_height=old.focal_point_height,
                file_size=old.file_size,
                file_hash=old.file_hash,
            )
            TaggedItem.objects.filter(
                content_type=ContentType.objects.get_for_model(Image), object_id=old.pk
            ).update(content_type=ContentType.objects.get_for_model(SecureImage), object_id=new.pk)
            renditions = list(Rendition.objects.filter(image_id=old.pk).select_related("image"))
            for rendition in renditions:
                # Cached by image id: the moved image keeps the id, so a cached public
                # rendition would be handed back for it.
                rendition.purge_from_cache()
                public_files.append(rendition.file.name)
            Rendition.objects.filter(image_id=old.pk).delete()
            old.delete()
            transaction.on_commit(lambda: _delete_public_files(public_files))
    except BaseException:
        image_storage.delete(stored)
        raise
    return int(new.pk)


def _reset_sequence() -> None:
    from django.core.management.color import no_style

    from secure_images.models import SecureImage

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [SecureImage]):
            cursor.execute(sql)


def move_unowned_images() -> MoveReport:
    from organizations.services import operators_organization

    report = MoveReport()
    pending = list(unowned_images().order_by("pk"))
    if not pending:
        return report
    operators = operators_organization()
    for old in pending:
        if not default_storage.exists(old.file.name):
            report.missing_file.append(old.pk)
            continue
        report.moved[old.pk] = _move(old, operators)
    _reset_sequence()
    logger.info(
        "unowned images moved to the operators' organization",
        extra={"moved": report.moved, "missing_file": report.missing_file},
    )
    return report
