from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from wagtail.documents.models import AbstractDocument, Document
from wagtail.models import get_root_collection_id
from wagtail.search import index

from secure_documents.storage import get_secure_storage


def owner_of_collection(collection_id: int, current: int | None, noun: str) -> int:
    """The organization that owns a collection: the organization of a file stored in it.
    Refuses a collection of no organization, and a move to another organization's."""
    from organizations.models import Organization

    owner_id = (
        Organization.objects.filter(collection_id=collection_id)
        .values_list("pk", flat=True)
        .first()
    )
    if owner_id is None:
        # Non-field error: the collection field may be hidden from the form.
        raise ValidationError(f"{noun.capitalize()}s must go into an organization's collection.")
    if current is not None and current != owner_id:
        article = "An" if noun[0] in "aeiou" else "A"
        raise ValidationError(f"{article} {noun} cannot move to another organization's collection.")
    return owner_id


class ProcessingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLEAN = "clean", "Clean"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


def document_upload_to(instance: SecureDocument, filename: str) -> str:
    # Generated, never taken from the client: <org uuid>/<document uuid>/<checked name>.
    from secure_documents.filenames import clean_filename

    return f"{instance.organization.public_id}/{instance.public_id}/{clean_filename(filename)}"


class SecureDocument(AbstractDocument):
    """A Wagtail document that belongs to exactly one organization.

    The organization follows from the collection (each organization owns one), so the
    Wagtail admin's own upload forms fill it in; rows can never exist without it.
    """

    file = models.FileField(
        upload_to=document_upload_to,
        storage=get_secure_storage,
        max_length=255,
        verbose_name="file",
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="documents",
        editable=False,
    )
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    content_type = models.CharField(max_length=127, blank=True, editable=False)
    status = models.CharField(
        max_length=16,
        choices=ProcessingStatus.choices,
        default=ProcessingStatus.PENDING,
        db_index=True,
        editable=False,
    )
    status_reason = models.CharField(max_length=255, blank=True, editable=False)
    active_content = models.BooleanField(
        default=False,
        editable=False,
        help_text="Contains scripts or embedded files (PDF): never shown inline.",
    )
    scanned = models.BooleanField(
        default=False, editable=False, help_text="False when no virus scanner was configured."
    )
    processed_at = models.DateTimeField(null=True, blank=True, editable=False)
    min_role = models.CharField(
        max_length=16,
        blank=True,
        editable=False,
        help_text="Only this role and the roles above it see the document (exports: admin).",
    )
    # Filled by processing once the file is clean (secure_documents/text.py), for search.
    extracted_text = models.TextField(blank=True, editable=False)

    # Declared for the type checker: Wagtail's base class is untyped, so the Django
    # plugin cannot derive the foreign key's id attribute.
    organization_id: int | None

    admin_form_fields = Document.admin_form_fields
    # The access rule's condition (organizations.access.visible_q) filters searches too.
    search_fields = [
        *AbstractDocument.search_fields,
        index.FilterField("organization_id"),
        index.FilterField("min_role"),
        # The words of the file itself and of its name ("budget-2026.pdf": budget, 2026).
        index.SearchField("extracted_text"),
        index.SearchField("search_filename", boost=2),
    ]

    class Meta(AbstractDocument.Meta):
        verbose_name = "document"
        verbose_name_plural = "documents"
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def clean(self) -> None:
        super().clean()
        # Wagtail's form assigns the collection only when it saves if the user has a
        # single collection; until then the field holds its default, the root collection.
        if self.collection_id is not None and self.collection_id != get_root_collection_id():
            self._derive_organization()

    def _derive_organization(self) -> None:
        self.organization_id = owner_of_collection(
            self.collection_id, self.organization_id, "document"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._derive_organization()
        super().save(*args, **kwargs)

    def search_filename(self) -> str:
        """The file's name with its separators as spaces, so that each part is a word."""
        name = self.filename
        return f"{name} {re.sub(r'[^0-9A-Za-z]+', ' ', name)}".strip()

    @property
    def etag(self) -> str:
        return f'"{self.sha256 or self.file_hash}-{self.file_size}"'

    @property
    def status_label(self) -> str:
        """What happened to the file, exactly: "Clean (scanned)" only after a virus scan."""
        if self.status == ProcessingStatus.PENDING:
            return "Checking…"
        if self.status == ProcessingStatus.CLEAN:
            return "Clean (scanned)" if self.scanned else "Not scanned"
        if self.status == ProcessingStatus.REJECTED:
            return f"Rejected: {self.status_reason}" if self.status_reason else "Rejected"
        return "Processing failed"

    @property
    def status_variant(self) -> str:
        """The badge colour for ``status_label``."""
        if self.status == ProcessingStatus.CLEAN and not self.scanned:
            return "neutral"
        return str(self.status)
