"""Existing Wagtail images move into their organization's protected storage.

Each ``wagtailimages.Image`` whose collection belongs to an organization becomes a
``SecureImage`` with the same id (so StreamField blocks and rich-text embeds, which refer
to images by id, keep working), its file is copied to
``<org uuid>/images/<image uuid>/<name>`` and removed from public media, and its old
renditions are deleted (they are generated again on first use, privately). Images in no
organization's collection belong to nobody the access rule knows: they are left where
they were, listed in the migration's output, for an operator to move or delete.
"""

from __future__ import annotations

import posixpath
import re
import uuid

from django.core.files.storage import default_storage
from django.db import migrations

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str, image_id: int) -> str:
    base = posixpath.basename(name)
    stem, _, extension = base.rpartition(".")
    stem = _SAFE.sub("_", stem).strip("._")[:100] or f"image-{image_id}"
    extension = _SAFE.sub("", extension).lower()[:10] or "bin"
    return f"{stem}.{extension}"


def move_images(apps, schema_editor):  # type: ignore[no-untyped-def]
    from secure_images.storage import image_storage, original_name

    Image = apps.get_model("wagtailimages", "Image")
    Rendition = apps.get_model("wagtailimages", "Rendition")
    SecureImage = apps.get_model("secure_images", "SecureImage")
    Organization = apps.get_model("organizations", "Organization")
    ContentType = apps.get_model("contenttypes", "ContentType")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    old_type = ContentType.objects.get_or_create(app_label="wagtailimages", model="image")[0]
    new_type = ContentType.objects.get_or_create(app_label="secure_images", model="secureimage")[0]
    owners = dict(Organization.objects.values_list("collection_id", "pk"))
    public_ids = dict(Organization.objects.values_list("pk", "public_id"))
    left = []
    for old in Image.objects.all().order_by("pk"):
        organization_id = owners.get(old.collection_id)
        if organization_id is None:
            left.append(old.pk)
            continue
        public_id = uuid.uuid4()
        name = original_name(public_ids[organization_id], public_id, _safe_name(old.file.name, old.pk))
        with default_storage.open(old.file.name, "rb") as source:
            stored = image_storage.save(name, source)
        SecureImage.objects.create(
            pk=old.pk,
            public_id=public_id,
            organization_id=organization_id,
            collection_id=old.collection_id,
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
        TaggedItem.objects.filter(content_type=old_type, object_id=old.pk).update(
            content_type=new_type
        )
        for rendition in Rendition.objects.filter(image_id=old.pk):
            default_storage.delete(rendition.file.name)
            rendition.delete()
        default_storage.delete(old.file.name)
        old.delete()
    if SecureImage.objects.exists():
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [SecureImage]):
                cursor.execute(sql)
    if left:
        print(f"\n  Images in no organization's collection (moved to the operators' after migrate): {left}")


def no_style():  # type: ignore[no-untyped-def]
    from django.core.management.color import no_style as style

    return style()


class Migration(migrations.Migration):
    dependencies = [
        ("secure_images", "0001_initial"),
        ("wagtailimages", "0027_image_description"),
        ("organizations", "0006_auditevent_min_role"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(move_images, migrations.RunPython.noop)]
