"""The Wagtail admin's document form, checked by the same rules as portal uploads."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.documents.forms import BaseDocumentForm

from organizations.models import Organization


class OrganizationFileForm:
    """What the admin's document and image forms share: a stored file is immutable (a new
    one is uploaded instead), and a new file is checked for the organization that owns
    the chosen collection."""

    cleaned_data: dict[str, Any]
    fields: dict[str, Any]
    instance: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Wagtail's collection-member form consumes the ``user`` argument; keep it.
        self.uploading_user = kwargs.get("user")
        super().__init__(*args, **kwargs)
        if self.instance.pk and "file" in self.fields:
            del self.fields["file"]

    def target_organization(self) -> Organization | None:
        collection = self.cleaned_data.get("collection")
        if collection is None and len(getattr(self, "collections", [])) == 1:
            collection = self.collections[0]  # type: ignore[attr-defined]
        if collection is None:
            return None
        return Organization.objects.filter(collection=collection).first()


class SecureDocumentAdminForm(OrganizationFileForm, BaseDocumentForm):
    """Files are immutable once stored (upload a new document instead), and a new file
    must pass ``secure_documents.services.document_check`` for the organization that owns
    the chosen collection."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if self.instance.pk or upload is None or "file" not in self.fields:
            return cleaned
        from secure_documents.services import document_check

        organization = self.target_organization()
        if organization is None:
            self.add_error(None, "Choose your organization's collection.")
            return cleaned
        try:
            document_check(
                acting_user=self.uploading_user,
                organization=organization,
                name=getattr(upload, "raw_name", None) or upload.name,
                file=upload,
                size=upload.size,
            )
        except ValidationError as exc:
            self.add_error("file", exc.messages)
        except PermissionDenied as exc:
            self.add_error(None, str(exc))
        return cleaned
