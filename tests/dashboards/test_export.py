"""The organization export: a real long job with progress, downloadable by admins only."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.models import AuditEvent
from organizations.roles import Role
from secure_documents.models import SecureDocument
from secure_documents.services import document_create
from tests.dashboards.test_live_consumer import _receive_until, connect
from tests.secure_documents.helpers import read_body

pytestmark = pytest.mark.django_db(transaction=True)


def _seed(org_a) -> None:  # type: ignore[no-untyped-def]
    for index in range(3):
        document_create(
            acting_user=org_a.users[Role.MEMBER],
            organization=org_a.organization,
            uploaded_file=SimpleUploadedFile(f"file-{index}.txt", f"content {index}\n".encode()),
        )


async def test_export_with_progress_for_admins_only(celery_worker, org_a) -> None:  # type: ignore[no-untyped-def]
    await database_sync_to_async(_seed)(org_a)
    admin, _, _ = await connect(org_a.users[Role.ADMIN], "alpha")

    def request_export() -> int:
        from django.test import Client

        client = Client()
        client.force_login(org_a.users[Role.OWNER])
        response = client.post("/o/alpha/settings/export/")
        assert response.status_code == 303
        return response.status_code

    await database_sync_to_async(request_export)()
    done = await _receive_until(admin, "Download", timeout=60)
    assert "100%" in done

    def check() -> None:
        from django.test import Client

        export = SecureDocument.objects.get(min_role=Role.ADMIN)
        assert AuditEvent.objects.filter(action="organization.exported").count() == 1
        owner = Client()
        owner.force_login(org_a.users[Role.OWNER])
        response = owner.get(export.url)
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(read_body(response))) as archive:
            names = archive.namelist()
        assert "audit-log.csv" in names
        assert sum(name.startswith("documents/") for name in names) == 3
        member = Client()
        member.force_login(org_a.users[Role.MEMBER])
        assert member.get(export.url).status_code == 404
        assert "Export of" not in member.get("/o/alpha/documents/").content.decode()
        assert "Export of" in owner.get("/o/alpha/documents/").content.decode()

    await database_sync_to_async(check)()


def test_members_cannot_start_an_export(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.EDITOR])
    assert client.post("/o/alpha/settings/export/").status_code == 403
    time.sleep(0)
    assert not AuditEvent.objects.filter(action="organization.export_requested").exists()


def test_a_failed_export_is_recorded_once_and_shown_with_its_reason(
    org_a, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The document store cannot be written (its root is a file) and the retries are
    spent: the export fails for good; no export document, one failure audit row with the
    reason, and a second delivery of the same job does not run it again."""
    from dashboards.events import Event, render_event
    from dashboards.exports import export_organization
    from secure_documents.storage import reset_secure_storage

    _seed(org_a)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.SECURE_DOCUMENTS_ROOT = blocked
    reset_secure_storage()
    run = {
        "args": ["job-fails", org_a.users[Role.OWNER].pk],
        "kwargs": {"organization_id": org_a.organization.pk},
        "retries": export_organization.max_retries,
    }
    with pytest.raises(NotADirectoryError):
        export_organization.apply(**run, throw=True)
    failed = AuditEvent.objects.filter(action="organization.export_failed")
    assert failed.count() == 1
    assert failed.get().details == {
        "job": "job-fails",
        "reason": "the file store could not be written; try again later",
    }
    assert not SecureDocument.objects.filter(min_role=Role.ADMIN).exists()
    assert export_organization.apply(**run, throw=True).result is None
    assert failed.count() == 1
    html = render_event(
        Event.TASK_PROGRESS,
        {"task_id": "job-fails", "label": "Organization export", "percent": 0, "failed": "x y"},
    )
    assert "Failed: x y" in html
    assert 'role="alert"' in html
    assert "<progress" not in html


def test_the_sweep_runs_an_export_whose_message_was_lost_and_only_that_one(org_a, settings) -> None:  # type: ignore[no-untyped-def]
    """An export requested long ago that neither finished nor failed (its message was lost
    with the broker) is run again by the sweep; a finished one is left alone."""
    from datetime import timedelta

    from django.utils import timezone

    from dashboards.exports import export_sweep
    from organizations.audit import audit_record

    _seed(org_a)
    owner, organization = org_a.users[Role.OWNER], org_a.organization
    for job in ("lost-job", "done-job"):
        audit_record(
            action="organization.export_requested",
            actor=owner,
            organization=organization,
            target=organization,
            details={"job": job},
        )
    audit_record(
        action="organization.exported",
        actor=None,
        organization=organization,
        details={"job": "done-job"},
    )
    AuditEvent.objects.filter(action="organization.export_requested").update(
        created_at=timezone.now() - timedelta(seconds=settings.EXPORT_SWEEP_AFTER_SECONDS + 60)
    )
    assert export_sweep.apply().result == 1
    exported = AuditEvent.objects.filter(action="organization.exported")
    assert sorted(event.details["job"] for event in exported) == ["done-job", "lost-job"]
    assert SecureDocument.objects.filter(min_role=Role.ADMIN).count() == 1
    assert export_sweep.apply().result == 0
