"""A client that hangs up in the middle of an upload leaves no row and no file."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from organizations.roles import Role
from secure_documents.models import SecureDocument
from tests.conftest import uvicorn_server

CSRF = "a" * 32


@pytest.fixture
def live_app(transactional_db, tmp_path: Path) -> Iterator[int]:  # type: ignore[no-untyped-def]
    with uvicorn_server(tmp_path) as port:
        yield port


def test_disconnect_mid_upload(live_app: int, org_a) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(org_a.users[Role.MEMBER])
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    boundary = "CutShort"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    declared = len(head) + 20 * 1024 * 1024
    request = (
        f"POST /o/alpha/documents/upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: {settings.SESSION_COOKIE_NAME}={session}; csrftoken={CSRF}\r\n"
        f"X-CSRFToken: {CSRF}\r\nX-Upload: file\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live_app)) as sock:
        sock.sendall(request + head)
        for _ in range(16):
            sock.sendall(b"x" * 65536)  # 1 MiB of the promised 20 MiB, then hang up
    time.sleep(2)
    assert not SecureDocument.objects.exists()
    root = Path(settings.SECURE_DOCUMENTS_ROOT)
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]
    # The server is still healthy afterwards.
    with socket.create_connection(("127.0.0.1", live_app)) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert b"200 OK" in sock.recv(4096)
