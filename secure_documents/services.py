"""Writes for protected documents: upload, delete, processing results.

One upload service serves the member portal and the Wagtail admin alike: it checks the
name, type and content, the rate limit and (under a row lock, so concurrent uploads
cannot overshoot it) the organization's quota; a rejected upload leaves no row and no
file. A crash between writing the file and committing the row leaves a file without a
row, which ``document_sweep`` finds and removes after a grace period.
"""

from __future__ import annotations

import errno
import hashlib
from typing import IO, Any

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.dispatch import Signal
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.search import index

from organizations import access, outbox
from organizations.audit import audit_record
from organizations.models import Organization
from organizations.ratelimit import consume
from organizations.roles import Capability, has_capability
from secure_documents.access import DOWNLOAD_ACTION
from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.validation import CheckedFile, check_upload

logger = structlog.get_logger(__name__)

document_uploaded = Signal()  # kwargs: document_id, organization_id
document_processed = Signal()  # kwargs: document_id, organization_id, status
document_deleted = Signal()  # kwargs: document_id, organization_id

# A document store that cannot take the file: full, over its quota, read-only.
_STORE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


class DocumentStoreUnavailable(ValidationError):
    """The file could not be stored (full or read-only disk); nothing was kept. Views
    answer 507 Insufficient Storage with the message."""


def storage_used(organization: Organization | int) -> int:
    """Bytes of the organization's documents and (with an organization-owned image model)
    original images."""
    organization_id = organization if isinstance(organization, int) else organization.pk
    total = SecureDocument.objects.filter(organization_id=organization_id).aggregate(
        n=Sum("file_size")
    )["n"]
    image_model = get_image_model()
    if any(field.name == "organization" for field in image_model._meta.get_fields()):
        images = image_model.objects.filter(organization_id=organization_id).aggregate(
            n=Sum("file_size")
        )["n"]
        total = (total or 0) + (images or 0)
    return int(total or 0)


def _check_rate(user: Any, organization: Organization) -> None:
    if not consume(organization, settings.DOCUMENT_UPLOAD_RATE, "upload", user.pk).allowed:
        raise ValidationError(
            "Too many uploads in a short time. Wait a minute and try again.", code="rate_limited"
        )


def _digests(file: IO[bytes]) -> tuple[str, str]:
    """SHA-256 (the ETag, the integrity record) and SHA-1 (Wagtail's duplicate check)."""
    sha256, sha1 = hashlib.sha256(), hashlib.sha1()  # noqa: S324 - not used for security
    file.seek(0)
    while chunk := file.read(1024 * 1024):
        sha256.update(chunk)
        sha1.update(chunk)
    file.seek(0)
    return sha256.hexdigest(), sha1.hexdigest()


def _title_from(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    return stem.replace("_", " ").strip()[:255] or name


def document_check(
    *, acting_user: Any, organization: Organization, name: str | None, file: IO[bytes], size: int
) -> CheckedFile:
    """Everything that can be decided without the database lock (also used by the admin form)."""
    access.require(acting_user, organization, Capability.UPLOAD_DOCUMENTS)
    return check_upload(name=name, file=file, size=size)


def document_create(
    *,
    acting_user: Any,
    organization: Organization,
    uploaded_file: Any,
    title: str | None = None,
    tags: list[str] | None = None,
) -> SecureDocument:
    checked = document_check(
        acting_user=acting_user,
        organization=organization,
        # The name as the client sent it, when the parser kept it (see upload_handlers).
        name=getattr(uploaded_file, "raw_name", None) or uploaded_file.name,
        file=uploaded_file,
        size=uploaded_file.size,
    )
    _check_rate(acting_user, organization)
    sha256, sha1 = _digests(uploaded_file)
    document = SecureDocument(
        organization=organization,
        collection_id=organization.collection_id,
        title=(title or "").strip()[:255] or _title_from(checked.name),
        uploaded_by_user=acting_user,
        file_size=checked.size,
        content_type=checked.content_type,
        active_content=checked.active_content,
        status=ProcessingStatus.PENDING,
        sha256=sha256,
        file_hash=sha1,
    )
    # The stored name is known before writing, so that a write that fails half-way (a
    # full disk) leaves no partial file behind.
    target = document.file.field.generate_filename(document, checked.name)
    storage = document.file.storage
    try:
        with transaction.atomic():
            # The row lock serialises uploads per organization, so two uploads that each
            # fit but together exceed the quota cannot both pass the check.
            locked = Organization.objects.select_for_update().get(pk=organization.pk)
            used = storage_used(locked)
            if used + checked.size > locked.storage_quota_bytes:
                raise ValidationError(
                    "This upload would exceed your organization's storage quota "
                    f"({used} of {locked.storage_quota_bytes} bytes used).",
                    code="quota",
                )
            uploaded_file.seek(0)
            try:
                document.file.save(checked.name, uploaded_file, save=False)
            except OSError as exc:
                if exc.errno not in _STORE_ERRNOS and not isinstance(exc, PermissionError):
                    raise
                logger.error("document_store_unavailable", error=repr(exc), name=target)
                raise DocumentStoreUnavailable(
                    "The document store is full or not writable at the moment, so this "
                    "file was not uploaded. Try again later; nothing was saved.",
                    code="storage_unavailable",
                ) from exc
            target = document.file.name or target
            document.save()
            if tags:
                document.tags.add(*tags)
            audit_record(
                action="document.uploaded",
                actor=acting_user,
                organization=organization,
                target=document,
                details={
                    "name": checked.name,
                    "size": checked.size,
                    "content_type": checked.content_type,
                },
            )
            # Processing is queued through the outbox: committed with the row, sent after
            # the commit, and sent again by the relay if the broker is down right now.
            from secure_documents.tasks import process_document

            outbox.enqueue(process_document, document.pk, organization_id=organization.pk)
            document_id, organization_id = document.pk, organization.pk
            transaction.on_commit(
                lambda: document_uploaded.send(
                    sender=SecureDocument, document_id=document_id, organization_id=organization_id
                ),
                robust=True,
            )
    except BaseException:
        # Nothing was committed: no file either (partial or whole).
        try:
            if storage.exists(target):
                storage.delete(target)
        except OSError:
            logger.exception("document_cleanup_failed", name=target)
        raise
    return document


def document_delete(*, acting_user: Any, document: SecureDocument) -> None:
    """Uploaders delete their own documents; editors and above delete any."""
    role = access.require(acting_user, document.organization, min_role=document.min_role)
    own = document.uploaded_by_user_id == getattr(acting_user, "pk", None)
    if not (
        has_capability(role, Capability.EDIT_CONTENT)
        or (own and has_capability(role, Capability.UPLOAD_DOCUMENTS))
    ):
        raise PermissionDenied("You cannot delete this document.")
    storage, name = document.file.storage, document.file.name or ""
    document_id, organization_id = document.pk, document.organization_id
    with transaction.atomic():
        audit_record(
            action="document.deleted",
            actor=acting_user,
            organization=document.organization,
            target=document,
            details={"name": document.filename, "size": document.file_size},
        )
        SecureDocument.objects.filter(pk=document.pk).delete()

        def remove_file() -> None:
            storage.delete(name)
            document_deleted.send(
                sender=SecureDocument, document_id=document_id, organization_id=organization_id
            )

        # Only once the row is surely gone: a rolled-back delete keeps its file.
        transaction.on_commit(remove_file)


def document_record_download(*, user: Any, document: SecureDocument, byte_range: str = "") -> None:
    """One INSERT: the organization is passed by id (no extra query per download)."""
    audit_record(
        action=DOWNLOAD_ACTION,
        actor=user,
        organization=document.organization_id,
        target=document,
        details={"range": byte_range} if byte_range else None,
    )


@transaction.atomic
def document_mark_processed(
    *,
    document: SecureDocument,
    status: str,
    reason: str,
    sha256: str,
    sha1: str,
    content_type: str,
    scanned: bool,
    extracted_text: str = "",
) -> SecureDocument:
    """Record the outcome once: only a pending document changes, so a redelivered task
    running beside the first one cannot record (or announce) a second result. The text
    is kept for clean documents only (a rejected file's words are never searchable) and
    goes into the search index with the rest of the row."""
    if status != ProcessingStatus.CLEAN:
        extracted_text = ""
    changed = SecureDocument.objects.filter(pk=document.pk, status=ProcessingStatus.PENDING).update(
        status=status,
        status_reason=reason[:255],
        sha256=sha256,
        file_hash=sha1,
        content_type=content_type,
        scanned=scanned,
        extracted_text=extracted_text,
        processed_at=timezone.now(),
    )
    document.refresh_from_db()
    if not changed:
        return document
    # update() sends no post_save, so Wagtail's index is told here; the database search
    # backend writes in this transaction, so the index and the row commit together.
    index.insert_or_update_object(document)
    audit_record(
        action=f"document.{status}",
        actor=None,
        organization=document.organization,
        target=document,
        details={"reason": reason, "scanned": scanned, "sha256": sha256},
    )
    document_id, organization_id = document.pk, document.organization_id
    transaction.on_commit(
        lambda: document_processed.send(
            sender=SecureDocument,
            document_id=document_id,
            organization_id=organization_id,
            status=status,
        )
    )
    return document


@transaction.atomic
def document_store_text(*, document: SecureDocument, extracted_text: str) -> bool:
    """The searchable text of a document processed before extraction existed (or again,
    with other limits): kept for a clean document only, and indexed with it."""
    changed = SecureDocument.objects.filter(pk=document.pk, status=ProcessingStatus.CLEAN).update(
        extracted_text=extracted_text
    )
    if changed:
        document.refresh_from_db()
        index.insert_or_update_object(document)
    return bool(changed)
