"""Uploads while the broker Redis is down: each answers success at once, keeps its file
and its row, and is processed once the broker is back (the outbox relay sends what the
upload could not). Real processes: uvicorn, the broker Redis (killed), a Celery worker
and beat started after the outage."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from organizations.models import AuditEvent, OutboxTask
from organizations.roles import Role
from tests.conftest import uvicorn_server
from tests.faults.processes import (
    BrokerRedis,
    beat_process,
    loss_counts,
    process_env,
    running,
    session_cookies,
    wait_until,
    worker_process,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

UPLOADS = 3


def test_uploads_during_a_broker_outage_are_kept_and_processed(
    org_a, tmp_path: Path, record_property
) -> None:  # type: ignore[no-untyped-def]
    from secure_documents.models import ProcessingStatus, SecureDocument

    broker = BrokerRedis(tmp_path / "broker")
    env = process_env(tmp_path, broker.url, OUTBOX_RELAY_SECONDS="2", OUTBOX_SEND_GRACE_SECONDS="1")
    # The broker is down from the start: nothing listens on its port.
    with (
        uvicorn_server(tmp_path, **env) as port,
        httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            cookies=session_cookies(org_a.users[Role.EDITOR]),
            timeout=60,
        ) as client,
    ):
        assert client.get("/o/alpha/documents/").status_code == 200
        token = client.cookies["csrftoken"]
        seconds = []
        for number in range(UPLOADS):
            started = time.monotonic()
            response = client.post(
                "/o/alpha/documents/upload/",
                files={"file": (f"outage-{number}.txt", b"kept\n", "text/plain")},
                headers={"X-CSRFToken": token, "X-Upload": "file"},
            )
            seconds.append(round(time.monotonic() - started, 2))
            assert response.status_code == 201, response.text[:500]
    record_property("uploads_during_outage_s", seconds)
    documents = SecureDocument.objects.filter(organization=org_a.organization)
    assert documents.count() == UPLOADS
    assert set(documents.values_list("status", flat=True)) == {ProcessingStatus.PENDING}
    assert OutboxTask.objects.count() == UPLOADS
    assert loss_counts(org_a.organization.pk)["rows_without_file"] == 0

    broker.start()
    worker = worker_process(env, tmp_path / "worker.log", "after-outage")
    beat = beat_process(env, tmp_path / "beat.log", tmp_path)
    try:
        with running(worker), running(beat):
            took = wait_until(
                lambda: not documents.filter(status=ProcessingStatus.PENDING).exists(),
                90,
                "every upload is processed once the broker is back",
            )
        record_property("processed_after_broker_back_s", round(took, 1))
    finally:
        broker.kill()
    assert set(documents.values_list("status", flat=True)) == {ProcessingStatus.CLEAN}
    assert loss_counts(org_a.organization.pk) == {
        "rows_without_file": 0,
        "files_without_row": 0,
        "outbox_unsent": 0,
    }
    # One audit row per upload and per processing result, however often a task was sent.
    for action in ("document.uploaded", "document.clean"):
        assert AuditEvent.objects.filter(action=action).count() == UPLOADS, action
