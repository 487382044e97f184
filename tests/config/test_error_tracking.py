"""Error tracking (SENTRY_DSN): a real sentry-sdk posts to a real HTTP receiver on this
machine, the way it posts to Sentry or a Sentry-compatible server; what arrives holds no
personal data and names the request and the organization."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from config.error_tracking import REDACTED, scrub
from tests.conftest import ROOT

# A view that fails with an email address in its message, called with a cookie, an
# Authorization header and a session; the request runs with a request id and an
# organization bound, as the middlewares bind them.
FAILING_REQUEST = r"""
import sys, types
import django
django.setup()
import sentry_sdk
import structlog
from django.test import Client, override_settings
from django.urls import path

def fail(request):
    structlog.contextvars.bind_contextvars(organization_id=42)
    raise RuntimeError("export failed for alice@example.com")

urls = types.ModuleType("failing_urls")
urls.urlpatterns = [path("fail/", fail)]
sys.modules["failing_urls"] = urls
with override_settings(ROOT_URLCONF="failing_urls"):
    client = Client(raise_request_exception=False)
    client.cookies["preferences"] = "secret-session-cookie"
    response = client.get(
        "/fail/?email=bob@example.com",
        HTTP_AUTHORIZATION="Bearer secret-token",
        HTTP_X_REQUEST_ID="req-0123456789",
    )
    assert response.status_code == 500, response.status_code
sentry_sdk.flush(timeout=10)
"""


class Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]

            body = brotli.decompress(body)
        type(self).bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "0"}')

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[bytes]]]:
    Receiver.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], Receiver.bodies
    server.shutdown()
    server.server_close()


def events(bodies: list[bytes]) -> list[dict[str, Any]]:
    found = []
    for body in bodies:
        lines = body.split(b"\n")
        # An envelope: a header line, then item header / payload pairs.
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_an_error_reaches_the_server_without_personal_data(receiver) -> None:  # type: ignore[no-untyped-def]
    port, bodies = receiver
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1",
        "SENTRY_ENVIRONMENT": "test",
        "LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(
        [sys.executable, "-c", FAILING_REQUEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = events(bodies)
    assert found, f"no event arrived ({len(bodies)} posts)"
    event = next(e for e in found if "RuntimeError" in json.dumps(e.get("exception", {})))
    text = json.dumps(event)
    assert "alice@example.com" not in text
    assert "bob@example.com" not in text
    assert "secret-session-cookie" not in text
    assert "secret-token" not in text
    assert event["environment"] == "test"
    assert event["tags"]["request_id"] == "req-0123456789"
    assert event["tags"]["organization_id"] == "42"
    request = event.get("request") or {}
    assert (request.get("headers") or {}).get("Authorization") in (None, REDACTED)
    assert "cookies" not in request
    assert set(event.get("user", {})) <= {"id"}


def test_scrub_keeps_only_the_user_id_and_strips_secret_headers() -> None:
    event = {
        "user": {"id": 7, "email": "carol@example.com", "ip_address": "203.0.113.9"},
        "request": {
            "headers": {"Cookie": "a=b", "X-Csrftoken": "t", "Accept": "text/html"},
            "cookies": {"sessionid": "x"},
            "data": {"password": "hunter2"},
        },
        "extra": {"note": "mail dave@example.org please", "nested": [{"authorization": "x"}]},
    }
    cleaned = scrub(event)
    assert cleaned["user"] == {"id": 7}
    assert cleaned["request"]["headers"] == {
        "Cookie": REDACTED,
        "X-Csrftoken": REDACTED,
        "Accept": "text/html",
    }
    assert "cookies" not in cleaned["request"]
    assert "data" not in cleaned["request"]
    assert cleaned["extra"]["note"] == f"mail {REDACTED} please"
    assert cleaned["extra"]["nested"] == [{"authorization": REDACTED}]
