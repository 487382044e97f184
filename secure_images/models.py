"""Wagtail's image and rendition models, owned by an organization and stored privately."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from wagtail.images.image_operations import FilterOperation
from wagtail.images.models import (
    AbstractImage,
    AbstractRendition,
    Filter,
    Image,
    WagtailImageField,
    get_rendition_upload_to,
    get_upload_to,
)
from wagtail.models import get_root_collection_id
from wagtail.search import index

from secure_documents.models import owner_of_collection
from secure_images.storage import get_image_storage, original_name, rendition_name

# EXIF's GPS sub-directory (tag 0x8825): where a photo was taken.
GPS_IFD = 0x8825


class StripLocationOperation(FilterOperation):
    """Removes the EXIF location (GPS) that Willow copies into a rendition."""

    def construct(self) -> None:
        pass

    def run(self, willow: Any, image: Any, env: Any) -> Any:
        pillow = getattr(willow, "image", None)
        info = getattr(pillow, "info", None)
        if pillow is not None and info and "exif" in info:
            exif = pillow.getexif()
            if GPS_IFD in exif:
                del exif[GPS_IFD]
            info["exif"] = exif.tobytes()
        return willow


class LocationFreeFilter(Filter):
    """Wagtail's filter with one more filter operation, last: the documented ways to
    customise renditions are a Filter subclass and image operations."""

    @property
    def filter_operations(self) -> list[Any]:
        return [*super().filter_operations, StripLocationOperation("strip-location")]


class SecureImage(AbstractImage):
    """An image of exactly one organization: the organization follows from the collection
    (each organization owns one), as for documents."""

    file = WagtailImageField(
        verbose_name="file",
        upload_to=get_upload_to,
        storage=get_image_storage,
        width_field="width",
        height_field="height",
        max_length=255,
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="images",
        editable=False,
    )

    # Declared for the type checker: Wagtail's base class is untyped, so the Django
    # plugin cannot derive the foreign key's id attribute.
    organization_id: int | None

    admin_form_fields = Image.admin_form_fields
    # The access rule's condition (organizations.access.visible_q) filters searches too.
    search_fields = [*AbstractImage.search_fields, index.FilterField("organization_id")]

    class Meta(AbstractImage.Meta):
        verbose_name = "image"
        verbose_name_plural = "images"
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def get_upload_to(self, filename: str) -> str:
        # Generated, never taken from the client; the name was checked by the form.
        from secure_documents.filenames import clean_filename

        return original_name(self.organization.public_id, self.public_id, clean_filename(filename))

    def clean(self) -> None:
        super().clean()
        if self.collection_id is not None and self.collection_id != get_root_collection_id():
            self._derive_organization()

    def _derive_organization(self) -> None:
        self.organization_id = owner_of_collection(
            self.collection_id, self.organization_id, "image"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("update_fields") or "collection" in kwargs["update_fields"]:
            self._derive_organization()
        super().save(*args, **kwargs)

    def generate_rendition_file(self, filter: Filter, *, source: Any = None) -> Any:
        return super().generate_rendition_file(LocationFreeFilter(spec=filter.spec), source=source)


class SecureRendition(AbstractRendition):
    image = models.ForeignKey(SecureImage, on_delete=models.CASCADE, related_name="renditions")
    file = WagtailImageField(
        upload_to=get_rendition_upload_to,
        storage=get_image_storage,
        width_field="width",
        height_field="height",
        max_length=255,
    )
    # Known when the rendition is written; the serve view needs it for Content-Length.
    file_size = models.PositiveIntegerField(null=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("image", "filter_spec", "focal_point_key"),
                name="unique_secure_rendition",
            )
        ]

    def get_upload_to(self, filename: str) -> str:
        image = self.image
        return rendition_name(image.organization.public_id, image.public_id, filename)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.file_size is None and self.file:
            self.file_size = self.file.size
        super().save(*args, **kwargs)
