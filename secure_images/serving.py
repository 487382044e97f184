"""What a response needs to know about an image or a rendition (secure_documents.serving
sends it: headers, ETag and 304, Range, stream / X-Accel / presigned S3)."""

from __future__ import annotations

import posixpath

from django.conf import settings

from secure_documents.serving import StoredFile
from secure_images.models import SecureImage, SecureRendition
from secure_images.storage import image_storage
from secure_images.validation import CONTENT_TYPES


def cache_control(*, public: bool) -> str:
    if public:
        return f"public, max-age={settings.IMAGE_PUBLIC_CACHE_SECONDS}"
    return f"private, max-age={settings.IMAGE_PRIVATE_CACHE_SECONDS}"


def _content_type(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


def original_file(image: SecureImage) -> StoredFile:
    size = int(image.get_file_size() or 0)
    return StoredFile(
        storage=image_storage,
        name=image.file.name,
        filename=image.filename,
        size=size,
        content_type=_content_type(image.file.name),
        etag=f'"{image.file_hash or image.public_id.hex}-{size}"',
        inline=True,
        cache_control=cache_control(public=False),
    )


def rendition_file(rendition: SecureRendition, *, public: bool) -> StoredFile:
    size = int(rendition.get_file_size() or 0)
    image = rendition.image
    return StoredFile(
        storage=image_storage,
        name=rendition.file.name,
        filename=posixpath.basename(rendition.file.name),
        size=size,
        content_type=_content_type(rendition.file.name),
        etag=f'"{image.file_hash or image.public_id.hex}-{rendition.pk}-{size}"',
        inline=True,
        cache_control=cache_control(public=public),
    )
