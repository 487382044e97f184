"""The Wagtail admin's image form (every door: add, chooser upload, multiple upload),
checked by ``secure_images.services.image_check`` before anything is stored."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.images.forms import BaseImageForm

from secure_documents.forms import OrganizationFileForm


class SecureImageAdminForm(OrganizationFileForm, BaseImageForm):
    """Files are immutable once stored (upload a new image instead). Every refusal is an
    error of the file field: the multiple-upload view then answers with it at once instead
    of parking the upload as a temporary file in public media."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk or "file" not in self.fields:
            return cleaned
        upload = cleaned.get("file")
        if upload is None:
            if "file" not in self.errors:
                self.add_error("file", "Choose an image to upload.")
            return cleaned
        from secure_images.services import image_check

        organization = self.target_organization()
        if organization is None:
            self.add_error("file", "Choose your organization's collection.")
            return cleaned
        try:
            image_check(
                acting_user=self.uploading_user,
                organization=organization,
                name=getattr(upload, "raw_name", None) or upload.name,
                file=upload,
                size=upload.size,
            )
        except ValidationError as exc:
            self.add_error("file", exc.messages)
        except PermissionDenied as exc:
            self.add_error("file", str(exc))
        return cleaned
