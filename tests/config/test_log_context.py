"""Log lines name the tenant: a real uvicorn and a real Celery worker write JSON lines,
and a member's page view, download, websocket and upload (with its processing task) are
looked up in them by request id.

``request_started`` is written before the organization middleware has checked the
membership, so it names the request and the user only; every later line of a request
names the organization too."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from django.conf import settings
from django.test import Client

from organizations.roles import Role
from tests.conftest import CeleryWorker, _database_url_for_current_test_db, uvicorn_server
from tests.sentinel import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_request_download_websocket_and_task_lines_name_the_tenant(org_a, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from config.celery import app
    from tests.secure_documents.conftest import make_document

    member = org_a.users[Role.MEMBER]
    organization_id = org_a.organization.pk
    document = make_document(org_a, "ledger.txt", b"ledger\n" * 50)
    client = Client()
    client.force_login(member)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    env = {
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SECURE_DOCUMENTS_ROOT": str(settings.SECURE_DOCUMENTS_ROOT),
    }
    worker = CeleryWorker(
        {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url_for_current_test_db(),
            "REDIS_URL": settings.REDIS_URL,
            **env,
        },
        tmp_path / "worker.log",
    )
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    worker.start()
    try:
        with uvicorn_server(tmp_path, **env) as port:
            base = f"http://127.0.0.1:{port}"
            cookies = {settings.SESSION_COOKIE_NAME: session}
            with httpx.Client(base_url=base, cookies=cookies, timeout=20) as http:
                page = http.get("/o/alpha/")
                assert page.status_code == 200, page.text[:300]
                download = http.get(document.url)
                assert download.status_code == 200
                http.get("/o/alpha/documents/")  # sets the CSRF cookie
                upload = http.post(
                    "/o/alpha/documents/upload/",
                    files={"file": ("notes.txt", b"meeting notes\n", "text/plain")},
                    headers={"X-CSRFToken": http.cookies["csrftoken"], "X-Upload": "file"},
                )
                assert upload.status_code == 201, upload.text[:300]

            async def live_socket() -> None:
                async with websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/live/?org=alpha",
                    additional_headers={
                        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
                        "Origin": "http://127.0.0.1",
                        "X-Request-ID": "socket-request-0001",
                    },
                ) as socket:
                    await asyncio.wait_for(socket.recv(), timeout=10)

            asyncio.run(live_socket())
            server_log = tmp_path / f"uvicorn-{port}.log"
            wait_for(
                lambda: any(
                    line.get("event") == "websocket_closed" for line in json_lines(server_log)
                ),
                10,
                "websocket_closed line",
            )
            server = json_lines(server_log)
        wait_for(
            lambda: any(
                line.get("event") == "document_processed"
                for line in json_lines(tmp_path / "worker.log")
            ),
            30,
            "processing of the upload",
        )
        time.sleep(0.5)
        tasks = json_lines(tmp_path / "worker.log")
    finally:
        app.conf.task_always_eager = previous
        worker.stop()

    def of_request(response: httpx.Response) -> list[dict[str, Any]]:
        request_id = response.headers["X-Request-ID"]
        return [line for line in server if line.get("request_id") == request_id]

    # A page of the organization: every line names the user; all after the start, the
    # organization.
    page_lines = of_request(page)
    assert page_lines[0]["event"] == "request_started"
    assert page_lines[-1]["event"] == "request_finished"
    assert all(line.get("user_id") == member.pk for line in page_lines)
    assert all(line.get("organization_id") == organization_id for line in page_lines[1:])

    # A download names its document's organization.
    download_lines = of_request(download)
    finished = [line for line in download_lines if line["event"] == "request_finished"]
    assert finished, download_lines
    assert finished[0]["organization_id"] == organization_id
    assert finished[0]["user_id"] == member.pk

    # The upload's lines, and the processing task it queued, in the worker.
    upload_lines = of_request(upload)
    assert all(line.get("organization_id") == organization_id for line in upload_lines[1:])
    request_id = upload.headers["X-Request-ID"]
    task_lines = [line for line in tasks if line.get("request_id") == request_id]
    assert {"task_started", "document_processed", "task_succeeded"} <= {
        line["event"] for line in task_lines
    }
    for line in task_lines:
        assert line.get("organization_id") == organization_id, line
        assert line.get("user_id") == member.pk, line
        assert line.get("task_id"), line

    # The websocket: its connect and close lines carry its request id, user, organization.
    socket_lines = [
        line for line in server if line.get("event") in ("websocket_connected", "websocket_closed")
    ]
    assert [line["event"] for line in socket_lines] == ["websocket_connected", "websocket_closed"]
    for line in socket_lines:
        assert line["request_id"] == "socket-request-0001"
        assert line["user_id"] == member.pk
        assert line["organization_id"] == organization_id

    # The processing task went through the outbox, which stores no result (nobody waits
    # for one; the outcome is the document's row): its worker lines above name the
    # organization, and no result row exists to carry it.
    task_id = next(line["task_id"] for line in task_lines)
    assert app.AsyncResult(task_id).state == "PENDING"


def test_a_websocket_of_a_non_member_names_no_organization(org_a, org_b, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outsider = org_b.users[Role.MEMBER]
    client = Client()
    client.force_login(outsider)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with uvicorn_server(tmp_path, LOG_FORMAT="json", LOG_LEVEL="INFO") as port:

        async def refused() -> None:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/live/?org=alpha",
                additional_headers={
                    "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
                    "Origin": "http://127.0.0.1",
                },
            ) as socket:
                with pytest.raises(websockets.exceptions.ConnectionClosed):
                    await asyncio.wait_for(socket.recv(), timeout=10)

        with pytest.raises(websockets.exceptions.InvalidStatus):
            asyncio.run(refused())
        server_log = tmp_path / f"uvicorn-{port}.log"
        wait_for(
            lambda: any(
                line.get("event") == "websocket_refused" for line in json_lines(server_log)
            ),
            10,
            "websocket_refused line",
        )
    refused_line = next(
        line for line in json_lines(server_log) if line.get("event") == "websocket_refused"
    )
    assert refused_line["user_id"] == outsider.pk
    assert "organization_id" not in refused_line
