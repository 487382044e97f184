"""Exports under faults, with real processes (uvicorn, a broker Redis, Celery workers).

One stored file is missing and another blocks whoever reads it (a named pipe: the export
hangs on it, holding its unacknowledged message); the worker running the export is then
killed outright (SIGKILL of its whole process group: main process and pool). A new
worker gets the task back after the visibility timeout and finishes it: one export
document, one audit row, the missing file listed in the zip instead of failing the job.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from organizations.models import AuditEvent
from organizations.roles import Role
from secure_documents.models import SecureDocument
from secure_documents.services import document_create
from tests.conftest import uvicorn_server
from tests.faults.processes import (
    BrokerRedis,
    loss_counts,
    process_env,
    session_cookies,
    wait_until,
    worker_process,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 5


def test_a_killed_workers_export_is_finished_once_and_skips_a_missing_file(
    org_a, tmp_path: Path, record_property
) -> None:  # type: ignore[no-untyped-def]
    documents = [
        document_create(
            acting_user=org_a.users[Role.MEMBER],
            organization=org_a.organization,
            uploaded_file=SimpleUploadedFile(f"file-{index}.txt", f"content {index}\n".encode()),
        )
        for index in range(4)
    ]
    missing, blocking = documents[1], documents[2]
    os.remove(missing.file.path)
    os.remove(blocking.file.path)
    os.mkfifo(blocking.file.path)

    broker = BrokerRedis(tmp_path / "broker")
    broker.start()
    env = process_env(tmp_path, broker.url, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    first = worker_process(env, tmp_path / "worker-1.log", "export-1")
    second = worker_process(env, tmp_path / "worker-2.log", "export-2")
    try:
        first.start()
        with (
            uvicorn_server(tmp_path, **env) as port,
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                cookies=session_cookies(org_a.users[Role.OWNER]),
                timeout=60,
            ) as client,
        ):
            assert client.get("/o/alpha/documents/").status_code == 200
            response = client.post(
                "/o/alpha/settings/export/",
                headers={"X-CSRFToken": client.cookies["csrftoken"]},
            )
            assert response.status_code in (200, 302, 303), response.text[:500]
        wait_until(
            lambda: "task=dashboards.export_organization" in first.log(),
            60,
            "the first worker starts the export",
        )
        time.sleep(1)  # it is now blocked reading the named pipe
        first.kill(signal.SIGKILL)
        killed_at = time.monotonic()
        os.remove(blocking.file.path)
        Path(blocking.file.path).write_bytes(b"content 2\n")

        second.start()
        exported = AuditEvent.objects.filter(action="organization.exported")
        # A worker returns expired deliveries when it starts, then on kombu's sweep
        # (every tenth 10-second tick): within about 100 s of its start.
        wait_until(exported.exists, 150, "the export is finished by the second worker")
        record_property("export_finished_after_kill_s", round(time.monotonic() - killed_at, 1))
        # Anything delivered twice finds the job done: still one document, one audit row.
        time.sleep(VISIBILITY_TIMEOUT + 11)
    finally:
        second.kill()
        first.kill()
        broker.kill()
    exports = SecureDocument.objects.filter(min_role=Role.ADMIN)
    assert exports.count() == 1
    assert exported.count() == 1
    assert AuditEvent.objects.filter(action="organization.export_failed").count() == 0
    with exports.get().file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        names = archive.namelist()
        skipped = list(csv.DictReader(io.StringIO(archive.read("skipped-files.csv").decode())))
    assert [row["file"] for row in skipped] == [f"documents/{missing.public_id}/{missing.filename}"]
    for document in (documents[0], blocking, documents[3]):
        assert f"documents/{document.public_id}/{document.filename}" in names
    assert exported.get().details["skipped"] == [skipped[0]["file"]]
    counts = loss_counts(org_a.organization.pk)
    assert counts["files_without_row"] == 0
    assert counts["outbox_unsent"] == 0
    assert counts["rows_without_file"] == 1  # the file this test deleted
