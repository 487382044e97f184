"""Background work on documents: processing after upload, and the reconciling sweep."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import magic
import structlog
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from organizations.task_base import RELIABLE_DEFAULTS, tenant_task
from secure_documents import text
from secure_documents.models import ProcessingStatus, SecureDocument
from secure_documents.scanners import ScannerUnavailable, get_scanner
from secure_documents.services import document_mark_processed
from secure_documents.validation import EXPECTED_TYPES, SNIFF_BYTES

logger = structlog.get_logger(__name__)
# What one file's text extraction may read; characters and time come from settings.
TEXT_LIMITS = text.Limits()


@tenant_task(
    name="secure_documents.process_document",
    autoretry_for=(ScannerUnavailable, OSError),
)
def process_document(self: Any, document_id: int, *, organization_id: int) -> str | None:
    """Hash, detect the type, scan; then mark clean or rejected. Safe to run twice."""
    document = SecureDocument.objects.filter(
        pk=document_id, organization_id=organization_id
    ).first()
    if document is None:
        return None  # deleted meanwhile
    if document.status != ProcessingStatus.PENDING:
        return document.status
    sha256, sha1 = hashlib.sha256(), hashlib.sha1()  # noqa: S324 - Wagtail's duplicate check uses sha1
    with document.file.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        handle.seek(0)
        while chunk := handle.read(1024 * 1024):
            sha256.update(chunk)
            sha1.update(chunk)
        detected = magic.from_buffer(head, mime=True)
        extension = document.file.name.rsplit(".", 1)[-1].lower()
        if detected not in EXPECTED_TYPES.get(extension, set()):
            status, reason, scanned = (
                ProcessingStatus.REJECTED,
                f"content {detected} does not match .{extension}",
                False,
            )
        else:
            handle.seek(0)
            result = get_scanner().scan(handle)
            scanned = result.scanned
            status = ProcessingStatus.CLEAN if result.clean else ProcessingStatus.REJECTED
            reason = result.reason
        data = b""
        if status == ProcessingStatus.CLEAN and extension in _text_extensions():
            handle.seek(0)
            data = handle.read(TEXT_LIMITS.max_bytes + 1)
    document_mark_processed(
        document=document,
        status=status,
        reason=reason,
        sha256=sha256.hexdigest(),
        sha1=sha1.hexdigest(),
        content_type=detected,
        scanned=scanned,
        extracted_text=document_text(data, extension),
    )
    logger.info("document_processed", document_id=document_id, status=status)
    return status


def _text_extensions() -> set[str]:
    """Types read for text: those the extractor knows that uploads may still have."""
    allowed = {ext.lower() for ext in settings.DOCUMENT_ALLOWED_EXTENSIONS}
    return allowed & set(text.SUPPORTED)


def document_text(data: bytes, extension: str) -> str:
    """The searchable text of a clean file's bytes, or "" (never raises: a file whose
    text cannot be read is still a good document)."""
    limit = settings.DOCUMENT_TEXT_MAX_CHARS
    if not data or limit <= 0:
        return ""
    limits = replace(
        TEXT_LIMITS,
        max_chars=limit,
        timeout_seconds=float(settings.DOCUMENT_TEXT_TIMEOUT_SECONDS),
    )
    started = time.monotonic()
    try:
        extracted = text.extract_text_isolated(data, extension, limits)
    except Exception:  # the extractor catches its own failures; this is the last guard
        logger.exception("document_text_error", extension=extension)
        return ""
    logger.info(
        "document_text_extracted",
        extension=extension,
        characters=len(extracted),
        seconds=round(time.monotonic() - started, 3),
    )
    return extracted


def stored_document_text(document: SecureDocument) -> str:
    """``document_text`` of a stored document's file (for documents processed before)."""
    extension = (document.file.name or "").rsplit(".", 1)[-1].lower()
    if extension not in _text_extensions():
        return ""
    with document.file.open("rb") as handle:
        data = handle.read(TEXT_LIMITS.max_bytes + 1)
    return document_text(data, extension)


def _is_document_name(name: str) -> bool:
    from django.core.exceptions import SuspiciousFileOperation

    from secure_documents.storage import SecureFileStorage

    try:
        SecureFileStorage.check_name(name)
    except SuspiciousFileOperation:
        return False
    return True


def _stored_files(storage: Any) -> dict[str, float]:
    """Every stored file with its modification time (epoch seconds)."""
    found: dict[str, float] = {}
    if hasattr(storage, "bucket"):  # S3
        for obj in storage.bucket.objects.all():
            found[obj.key] = obj.last_modified.timestamp()
        return found
    root = storage.location
    for directory, _dirs, files in os.walk(root):
        for filename in files:
            full = os.path.join(directory, filename)
            found[os.path.relpath(full, root).replace(os.sep, "/")] = os.path.getmtime(full)
    return found


@shared_task(bind=True, name="secure_documents.sweep", **RELIABLE_DEFAULTS)
def document_sweep(self: Any) -> dict[str, Any]:
    """Reconcile stored files and rows. Files without a row (a crash between writing the
    file and committing the row) and rows without a file are reported; orphan files older
    than the grace period are deleted, rows without a file are marked failed, and rows
    stuck in "pending" are queued for processing again."""
    from organizations.audit import audit_record
    from secure_documents.storage import secure_storage

    grace = settings.DOCUMENT_SWEEP_GRACE_SECONDS
    cutoff = timezone.now() - timedelta(seconds=grace)
    # The storage holds images too (secure_images): only document-shaped names are ours.
    files = {
        name: mtime
        for name, mtime in _stored_files(secure_storage).items()
        if _is_document_name(name)
    }
    rows = dict(SecureDocument.objects.values_list("file", "pk"))
    orphans = [
        name for name, mtime in files.items() if name not in rows and mtime < cutoff.timestamp()
    ]
    for name in orphans:
        secure_storage.delete(name)
    missing_qs = (
        SecureDocument.objects.filter(created_at__lt=cutoff)
        .exclude(file__in=list(files))
        .exclude(status=ProcessingStatus.FAILED)
    )
    missing = list(missing_qs.values_list("pk", flat=True))
    missing_qs.update(status=ProcessingStatus.FAILED, status_reason="stored file is missing")
    stuck = SecureDocument.objects.filter(status=ProcessingStatus.PENDING, created_at__lt=cutoff)
    requeued = 0
    for document_id, organization_id in stuck.values_list("pk", "organization_id"):
        process_document.delay(document_id, organization_id=organization_id)
        requeued += 1
    report = {"orphan_files_deleted": orphans, "rows_missing_file": missing, "requeued": requeued}
    if orphans or missing:
        audit_record(action="documents.swept", actor=None, organization=None, details=report)
    logger.info(
        "document_sweep", **{k: len(v) if isinstance(v, list) else v for k, v in report.items()}
    )
    return report
