"""Organization export: a zip of the organization's documents and its audit log as CSV.

A real long job with progress: the task reports its progress to the organization's
admins over the live channel, and the finished zip is stored as a protected document
that only admins and owners see, downloaded through the same permission-checked path.

Faults: the request is queued through the outbox (sent when the broker is back); a file
that cannot be read is skipped and listed in the zip (``skipped-files.csv``) and in the
progress line; a failed export says so, with its reason, live; the task is idempotent per
job (a run that is delivered again, after a lost worker, finds the finished export and
stops; two runs at once end with one export document and one audit row), and
``export_sweep`` queues again any requested export that neither finished nor failed.
"""

from __future__ import annotations

import csv
import io
import tempfile
import uuid
import zipfile
from datetime import timedelta
from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from dashboards.events import Event, publish
from dashboards.models import NotificationKind
from dashboards.notifications import notify
from organizations import outbox
from organizations.audit import audit_record
from organizations.models import AuditEvent, Membership, Organization
from organizations.roles import Capability, Role, has_capability
from organizations.task_base import RELIABLE_DEFAULTS, tenant_task
from secure_documents.models import ProcessingStatus, SecureDocument

logger = structlog.get_logger(__name__)

PROGRESS_EVERY = 10  # files
REQUESTED, EXPORTED, FAILED = (
    "organization.export_requested",
    "organization.exported",
    "organization.export_failed",
)


def organization_export_request(*, acting_user: Any, organization: Organization) -> str:
    """Start an export (owners and admins); returns the job id shown in progress events."""
    role = (
        Membership.objects.filter(user=acting_user, organization=organization)
        .values_list("role", flat=True)
        .first()
    )
    if not has_capability(role, Capability.MANAGE_ORGANIZATION):
        raise PermissionDenied("Only owners and admins can export the organization.")
    job_id = uuid.uuid4().hex[:12]
    with transaction.atomic():
        audit_record(
            action="organization.export_requested",
            actor=acting_user,
            organization=organization,
            target=organization,
            details={"job": job_id},
        )
        outbox.enqueue(export_organization, job_id, acting_user.pk, organization_id=organization.pk)
    return job_id


def _progress(
    organization_id: int,
    job_id: str,
    percent: int,
    done_url: str = "",
    *,
    failed: str = "",
    note: str = "",
) -> None:
    try:
        publish(
            Event.TASK_PROGRESS,
            organization_id=organization_id,
            context={
                "task_id": job_id,
                "label": "Organization export",
                "percent": percent,
                "done_url": done_url,
                "failed": failed,
                "note": note,
            },
        )
    except Exception:  # progress is a courtesy: the export does not depend on it
        logger.warning("export_progress_not_sent", job=job_id, exc_info=True)


def _job_event(organization_id: int, job_id: str, action: str) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(
            organization_id=organization_id, action=action, details__job=job_id
        )
        .order_by("pk")
        .first()
    )


def _audit_csv(organization_id: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time", "actor", "action", "target", "details", "ip", "request_id"])
    events = (
        AuditEvent.objects.filter(organization_id=organization_id)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    for event in events.iterator(chunk_size=1000):
        writer.writerow(
            [
                event.created_at.isoformat(),
                event.actor.email if event.actor else "",
                event.action,
                event.target_repr,
                event.details,
                event.ip or "",
                event.request_id,
            ]
        )
    return buffer.getvalue().encode()


# Below the broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT): a run that outlived
# it would be handed to a second worker while still running.
@tenant_task(name="dashboards.export_organization", time_limit=540, soft_time_limit=500)
def export_organization(
    self: Any, job_id: str, user_id: int, *, organization_id: int
) -> int | None:
    done = _job_event(organization_id, job_id, EXPORTED)
    if done is not None or _job_event(organization_id, job_id, FAILED) is not None:
        return int(done.target_id) if done is not None and done.target_id else None
    try:
        return _export(job_id, user_id, organization_id)
    except Exception as exc:
        if self.request.retries < self.max_retries and isinstance(exc, OSError):
            raise self.retry(exc=exc) from exc
        reason = _reason(exc)
        with transaction.atomic():
            Organization.objects.select_for_update().filter(pk=organization_id).first()
            if _job_event(organization_id, job_id, FAILED) is None:
                audit_record(
                    action=FAILED,
                    actor=None,
                    organization=organization_id,
                    details={"job": job_id, "reason": reason},
                )
        _progress(organization_id, job_id, 0, failed=reason)
        raise


def _reason(exc: BaseException) -> str:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        return "it took too long; try again later"
    if isinstance(exc, OSError):
        return "the file store could not be written; try again later"
    return "an unexpected error; the operators have been told"


def _export(job_id: str, user_id: int, organization_id: int) -> int:
    organization = Organization.objects.get(pk=organization_id)
    documents = list(
        SecureDocument.objects.filter(organization_id=organization_id, min_role="")
        .exclude(status=ProcessingStatus.REJECTED)
        .order_by("pk")
    )
    total = len(documents) + 1
    skipped: list[tuple[str, str]] = []
    _progress(organization_id, job_id, 0)
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, document in enumerate(documents, start=1):
                entry = f"documents/{document.public_id}/{document.filename}"
                try:
                    source = document.file.open("rb")
                except OSError as exc:  # missing or unreadable: listed, not fatal
                    logger.warning("export_file_skipped", document_id=document.pk, error=repr(exc))
                    skipped.append((entry, type(exc).__name__))
                    continue
                with source, archive.open(entry, "w") as target:
                    while chunk := source.read(1024 * 1024):
                        target.write(chunk)
                if index % PROGRESS_EVERY == 0:
                    _progress(organization_id, job_id, int(index * 90 / total))
            archive.writestr("audit-log.csv", _audit_csv(organization_id))
            if skipped:
                listing = io.StringIO()
                writer = csv.writer(listing)
                writer.writerow(["file", "reason"])
                writer.writerows(skipped)
                archive.writestr("skipped-files.csv", listing.getvalue())
        size = spool.tell()
        spool.seek(0)
        name = f"export-{organization.slug}-{timezone.now():%Y%m%d-%H%M%S}.zip"
        export = SecureDocument(
            organization=organization,
            collection_id=organization.collection_id,
            title=f"Export of {organization.name}",
            uploaded_by_user_id=user_id,
            file_size=size,
            content_type="application/zip",
            status=ProcessingStatus.CLEAN,
            status_reason="generated by the platform",
            processed_at=timezone.now(),
            min_role=Role.ADMIN,
        )
        export.file.save(name, File(spool), save=False)
        stored = str(export.file.name)
        try:
            with transaction.atomic():
                # One export per job, even when two runs of it finish together.
                Organization.objects.select_for_update().get(pk=organization_id)
                earlier = _job_event(organization_id, job_id, EXPORTED)
                if earlier is None:
                    export.save()
                    audit_record(
                        action=EXPORTED,
                        actor=None,
                        organization=organization_id,
                        target=export,
                        details={
                            "job": job_id,
                            "documents": len(documents) - len(skipped),
                            "skipped": [entry for entry, _ in skipped],
                            "size": size,
                        },
                    )
        except BaseException:
            export.file.storage.delete(stored)
            raise
    if earlier is not None:
        export.file.storage.delete(stored)
        return int(earlier.target_id or 0)
    note = f"{len(skipped)} unreadable file(s) skipped, listed in the zip" if skipped else ""
    _progress(organization_id, job_id, 100, done_url=export.url, note=note)
    notify(
        user_ids=[user_id],
        organization_id=organization_id,
        kind=NotificationKind.EXPORT_READY,
        text=f"The export of {organization.name} is ready to download.",
        url=export.url,
    )
    return int(export.pk)


@shared_task(bind=True, name="dashboards.export_sweep", **RELIABLE_DEFAULTS)
def export_sweep(self: Any) -> int:
    """Queue again every export requested more than EXPORT_SWEEP_AFTER_SECONDS ago (and
    within a day) that neither finished nor failed: its message was lost with a broker or
    its worker. The task is idempotent per job, so a slow run sent twice is harmless."""
    now = timezone.now()
    requested = AuditEvent.objects.filter(
        action=REQUESTED,
        created_at__lt=now - timedelta(seconds=settings.EXPORT_SWEEP_AFTER_SECONDS),
        created_at__gt=now - timedelta(days=1),
    ).values_list("organization_id", "actor_id", "details__job")
    requeued = 0
    for organization_id, user_id, job_id in requested:
        if not job_id or organization_id is None:
            continue
        ended = AuditEvent.objects.filter(
            organization_id=organization_id, action__in=[EXPORTED, FAILED], details__job=job_id
        ).exists()
        if not ended:
            with transaction.atomic():
                outbox.enqueue(
                    export_organization, job_id, user_id, organization_id=organization_id
                )
            requeued += 1
    if requeued:
        logger.info("export_sweep", requeued=requeued)
    return requeued
