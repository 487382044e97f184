"""The uvicorn protocol with the ASGI zero-copy extension (config/zero_copy.py), serving a
small ASGI application of its own: what is offered when, and the fallbacks."""

from __future__ import annotations

import datetime
import http.client
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from config.asgi import _sendable_slice
from config.zero_copy import EXTENSION, ZeroCopyHttpToolsProtocol
from secure_documents.serving import FileSlice, FileStreamingResponse
from tests.conftest import free_port

CONTENT = bytes(range(256)) * 4096  # 1 MiB


def _app(path: Path) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        offered = EXTENSION in scope.get("extensions", {})
        if scope["path"] == "/offered":
            body = b"yes" if offered else b"no"
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        # /file, /file-chunked: 1000 bytes from offset 5, with or without a Content-Length.
        headers = [] if scope["path"] == "/file-chunked" else [(b"content-length", b"1000")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        with path.open("rb") as handle:
            await send({"type": EXTENSION, "file": handle, "offset": 5, "count": 1000})

    return app


@pytest.fixture
def content_file(tmp_path: Path) -> Path:
    path = tmp_path / "content.bin"
    path.write_bytes(CONTENT)
    return path


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _serve(app: Any, **options: Any) -> Iterator[int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            port=port,
            http=ZeroCopyHttpToolsProtocol,
            lifespan="off",
            log_level="warning",
            **options,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def plain_port(content_file: Path) -> Iterator[int]:
    yield from _serve(_app(content_file))


@pytest.fixture
def tls_port(content_file: Path, tmp_path: Path) -> Iterator[int]:
    key, cert = _self_signed(tmp_path)
    yield from _serve(_app(content_file), ssl_keyfile=str(key), ssl_certfile=str(cert))


def _get(
    connection: http.client.HTTPConnection, path: str, method: str = "GET"
) -> tuple[int, bytes]:
    connection.request(method, path)
    response = connection.getresponse()
    return response.status, response.read()


def test_plain_connections_are_offered_the_extension(plain_port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", plain_port, timeout=10)
    assert _get(connection, "/offered") == (200, b"yes")
    assert _get(connection, "/file") == (200, CONTENT[5:1005])
    # Without a Content-Length the bytes are read and sent as chunks.
    assert _get(connection, "/file-chunked") == (200, CONTENT[5:1005])
    assert _get(connection, "/file", method="HEAD") == (200, b"")
    assert _get(connection, "/offered") == (200, b"yes")  # still in step after all four
    connection.close()


def test_tls_connections_are_not_offered_it(tls_port: int) -> None:
    # sendfile on the raw socket would put plaintext into the TLS stream.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", tls_port, timeout=10, context=context)
    assert _get(connection, "/offered") == (200, b"no")
    connection.close()


def test_a_response_whose_headers_no_longer_match_the_file_is_sent_as_its_content() -> None:
    def response(**headers: str) -> FileStreamingResponse:
        result = FileStreamingResponse(FileSlice("/x", 0, 10), iter([b"0123456789"]))
        for name, value in headers.items():
            result[name] = value
        return result

    assert _sendable_slice(response(**{"Content-Length": "10"})) == FileSlice("/x", 0, 10)
    assert _sendable_slice(response()) is None  # no length: someone rewrote the body
    assert _sendable_slice(response(**{"Content-Length": "7"})) is None
    assert _sendable_slice(response(**{"Content-Length": "10", "Content-Encoding": "gzip"})) is None
