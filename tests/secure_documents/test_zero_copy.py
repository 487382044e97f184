"""Document downloads through a real uvicorn running the deployment's HTTP protocol, which
sends streamed files with ``sendfile`` (config/zero_copy.py, config/asgi.py)."""

from __future__ import annotations

import http.client
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from config.zero_copy import EXTENSION as ZERO_COPY
from organizations.models import AuditEvent
from organizations.roles import Role
from secure_documents.models import SecureDocument
from secure_documents.serving import CHUNK_SIZE
from secure_documents.storage import secure_storage
from tests.conftest import asgi_http_scope, uvicorn_server
from tests.secure_documents.conftest import make_document
from tests.tenants import Tenant

# Text (the allowlist takes it) in which every 10-byte line differs, so a byte from the
# wrong offset shows; 12 MiB is more than loopback's socket buffers take in one go, so the
# server has to wait for the client at least once.
LINES = (12 * 1024 * 1024) // 10
BODY = b"".join(b"%09d\n" % number for number in range(LINES))


@pytest.fixture
def live_port(transactional_db, tmp_path: Path) -> Iterator[int]:  # type: ignore[no-untyped-def]
    with uvicorn_server(tmp_path) as port:
        yield port


@pytest.fixture
def asyncio_port(transactional_db, tmp_path: Path) -> Iterator[int]:  # type: ignore[no-untyped-def]
    # The protocol does not depend on uvloop: the same test on asyncio's own loop.
    with uvicorn_server(tmp_path, server_args=("--loop", "asyncio")) as port:
        yield port


@pytest.fixture
def big_doc(org_a: Tenant) -> SecureDocument:
    return make_document(org_a, "numbers.txt", BODY)


def _cookie(user: object) -> str:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _request(
    connection: http.client.HTTPConnection, method: str, url: str, **headers: str
) -> tuple[http.client.HTTPResponse, bytes]:
    connection.request(method, url, headers=headers)
    response = connection.getresponse()
    return response, response.read()


def _server_pid(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"uvicorn" in command and str(port).encode() in command:
            return int(entry.name)
    raise LookupError(f"no uvicorn on port {port}")


def _descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _healthy(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return b"200 OK" in sock.recv(4096)


@pytest.mark.parametrize("port_fixture", ["live_port", "asyncio_port"], ids=["uvloop", "asyncio"])
def test_full_range_and_head_on_one_keep_alive_connection(
    transactional_db: None,
    request: pytest.FixtureRequest,
    port_fixture: str,
    org_a: Tenant,
    big_doc: SecureDocument,
) -> None:
    # transactional_db comes first, so that the rows below are visible to the server.
    live_port: int = request.getfixturevalue(port_fixture)
    cookie = _cookie(org_a.users[Role.MEMBER])
    connection = http.client.HTTPConnection("127.0.0.1", live_port, timeout=30)
    try:
        response, body = _request(connection, "GET", big_doc.url, Cookie=cookie)
        assert response.status == 200
        assert response.getheader("Content-Length") == str(len(BODY))
        assert response.getheader("Content-Security-Policy") == "default-src 'none'; sandbox"
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        assert response.getheader("Content-Disposition").startswith("attachment")
        assert body == BODY

        # A range that starts and ends mid-line and spans several chunks.
        start, end = 3 * CHUNK_SIZE + 7, 9 * CHUNK_SIZE + 3
        response, body = _request(
            connection, "GET", big_doc.url, Cookie=cookie, Range=f"bytes={start}-{end}"
        )
        assert response.status == 206
        assert response.getheader("Content-Range") == f"bytes {start}-{end}/{len(BODY)}"
        assert body == BODY[start : end + 1]

        response, body = _request(connection, "HEAD", big_doc.url, Cookie=cookie)
        assert response.status == 200
        assert response.getheader("Content-Length") == str(len(BODY))
        assert body == b""

        # The connection is still in step: the next request on it gets its own answer.
        response, body = _request(connection, "GET", "/health/live")
        assert response.status == 200
    finally:
        connection.close()
    downloads = AuditEvent.objects.filter(action="document.downloaded", target_id=str(big_doc.pk))
    assert downloads.filter(details={}).count() >= 1
    assert downloads.exclude(details={}).count() == 1  # the range


def test_other_organization_gets_404_and_no_bytes(
    live_port: int, org_b: Tenant, big_doc: SecureDocument
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", live_port, timeout=30)
    try:
        for method, headers in (("GET", {}), ("HEAD", {}), ("GET", {"Range": "bytes=0-99"})):
            response, body = _request(
                connection, method, big_doc.url, Cookie=_cookie(org_b.users[Role.OWNER]), **headers
            )
            assert response.status == 404
            assert BODY[:20] not in body
            assert response.getheader("Content-Range") is None
    finally:
        connection.close()


@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
def test_client_hanging_up_mid_download_leaves_nothing_behind(
    live_port: int, org_a: Tenant, big_doc: SecureDocument, reset: bool
) -> None:
    cookie = _cookie(org_a.users[Role.MEMBER])
    pid = _server_pid(live_port)
    request = (
        f"GET {big_doc.url} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n"
    ).encode()
    # A first download opens whatever the server keeps (database connection, pools).
    connection = http.client.HTTPConnection("127.0.0.1", live_port, timeout=30)
    assert _request(connection, "GET", big_doc.url, Cookie=cookie)[1] == BODY
    connection.close()
    time.sleep(0.5)
    baseline = _descriptors(pid)

    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", live_port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(request)
        received = 0
        while received < 1024 * 1024:
            received += len(sock.recv(65536))
        # The server now waits for the socket to drain (its writer is registered).
        time.sleep(0.3)
        if reset:
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        sock.close()

    deadline = time.monotonic() + 10
    while _descriptors(pid) > baseline and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _descriptors(pid) <= baseline, "a socket, duplicate or file was left open"
    assert _healthy(live_port)


def test_a_file_shorter_than_its_record_ends_the_connection(
    live_port: int, org_a: Tenant, big_doc: SecureDocument
) -> None:
    # The row says 12 MiB; the disk (damaged, or replaced behind our back) has less. The
    # client must see a short response and a closed connection, never a hang or a
    # response that looks complete.
    with open(secure_storage.path(big_doc.file.name), "r+b") as handle:
        handle.truncate(len(BODY) // 2)
    connection = http.client.HTTPConnection("127.0.0.1", live_port, timeout=30)
    try:
        connection.request(
            "GET", big_doc.url, headers={"Cookie": _cookie(org_a.users[Role.MEMBER])}
        )
        response = connection.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as short:
            response.read()
        assert short.value.partial == BODY[: len(BODY) // 2]
    finally:
        connection.close()
    assert _healthy(live_port)


def _run_handler(url: str, cookie: str, *, zero_copy: bool, **headers: str) -> list[dict]:  # type: ignore[type-arg]
    """Django's side alone: the project's ASGI handler answering one request, with or
    without the server advertising the extension; returns the messages it sent."""
    from asgiref.sync import async_to_sync

    from config.asgi import django_asgi_app

    scope = asgi_http_scope(
        url,
        [(b"cookie", cookie.encode())]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        {ZERO_COPY: {}} if zero_copy else {},
    )
    sent: list[dict] = []  # type: ignore[type-arg]

    async def run() -> None:
        import asyncio

        requested = False
        forever = asyncio.Event()

        async def receive() -> dict:  # type: ignore[type-arg]
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await forever.wait()  # the client stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == ZERO_COPY:
                # What the server would send: read it before the handler closes the file.
                message = {
                    **message,
                    "bytes": os.pread(
                        message["file"].fileno(), message["count"], message["offset"]
                    ),
                }
            sent.append(message)

        await django_asgi_app(scope, receive, send)

    async_to_sync(run)()
    return sent


@pytest.mark.django_db(transaction=True)  # the handler runs the view in a thread of its own
def test_the_handler_hands_a_streamed_file_to_a_server_that_offers_sendfile(
    org_a: Tenant, big_doc: SecureDocument
) -> None:
    cookie = _cookie(org_a.users[Role.MEMBER])
    start, end = CHUNK_SIZE + 5, 4 * CHUNK_SIZE
    sent = _run_handler(big_doc.url, cookie, zero_copy=True, Range=f"bytes={start}-{end}")
    assert [message["type"] for message in sent] == ["http.response.start", ZERO_COPY]
    assert sent[0]["status"] == 206
    assert (sent[1]["offset"], sent[1]["count"]) == (start, end - start + 1)
    assert sent[1]["bytes"] == BODY[start : end + 1]
    assert sent[1]["file"].closed

    # Without the extension: the same bytes as body messages of one chunk each.
    sent = _run_handler(big_doc.url, cookie, zero_copy=False, Range=f"bytes={start}-{end}")
    assert ZERO_COPY not in {message["type"] for message in sent}
    assert b"".join(message.get("body", b"") for message in sent[1:]) == BODY[start : end + 1]
    assert max(len(message.get("body", b"")) for message in sent[1:]) == CHUNK_SIZE


@pytest.mark.django_db(transaction=True)  # the handler runs the view in a thread of its own
def test_the_handler_keeps_small_files_and_refusals_off_the_sendfile_path(
    org_a: Tenant, org_b: Tenant, big_doc: SecureDocument
) -> None:
    small = make_document(org_a, "small.txt", BODY[:1000])
    sent = _run_handler(small.url, _cookie(org_a.users[Role.MEMBER]), zero_copy=True)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == BODY[:1000]

    sent = _run_handler(big_doc.url, _cookie(org_b.users[Role.OWNER]), zero_copy=True)
    assert sent[0]["status"] == 404
    assert ZERO_COPY not in {message["type"] for message in sent}
