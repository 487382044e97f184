from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.roles import Role
from secure_images.models import SecureImage
from tests.secure_images.files import png


def make_image(
    tenant: Any, name: str = "photo.png", content: bytes | None = None, *, title: str = "Photo"
) -> SecureImage:
    """An image as the admin's form stores it."""
    image = SecureImage(
        title=title,
        collection_id=tenant.organization.collection_id,
        uploaded_by_user=tenant.users[Role.EDITOR],
        file=SimpleUploadedFile(name, content if content is not None else png()),
    )
    image._set_image_file_metadata()
    image.save()
    return image
