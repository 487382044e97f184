"""Checks and writes for images (the Wagtail admin's upload doors call these)."""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import ValidationError

from organizations import access
from organizations.models import Organization
from organizations.roles import Capability
from secure_documents.services import storage_used
from secure_images.validation import CheckedImage, check_image_upload


def image_check(
    *, acting_user: Any, organization: Organization, name: str | None, file: IO[bytes], size: int
) -> CheckedImage:
    """Everything an image upload must pass: the access rule (editing the organization's
    content), the file's name and content, and the organization's storage quota (images
    count towards it with documents)."""
    access.require(acting_user, organization, Capability.EDIT_CONTENT)
    checked = check_image_upload(name=name, file=file, size=size)
    used = storage_used(organization)
    if used + checked.size > organization.storage_quota_bytes:
        raise ValidationError(
            "This upload would exceed your organization's storage quota "
            f"({used} of {organization.storage_quota_bytes} bytes used).",
            code="quota",
        )
    return checked
