"""A real HTTP receiver for deliveries: ``http.server`` in a thread on a free port.

It checks every signature the way docs/webhooks.md tells receivers to (the same code),
records what it got, and answers with the next status code of its script (the last one
repeats)."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, as in docs/webhooks.md."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        signature = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, signature)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool | None


@dataclass
class Receiver:
    port: int
    secret: str = ""
    script: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def next_status(self) -> int:
        with self.lock:
            index = min(len(self.requests), len(self.script) - 1)
            return self.script[index]

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return self.requests
            time.sleep(0.05)
        raise TimeoutError(f"{len(self.requests)} of {count} deliveries arrived")


def start_receiver(tls: Any = None) -> tuple[Receiver, ThreadingHTTPServer]:
    """``tls``: a server-side ``ssl.SSLContext`` to serve HTTPS."""
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = holder["receiver"]
            status = receiver.next_status()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            valid = (
                verify_signature(receiver.secret, headers.get("webhook-signature", ""), body)
                if receiver.secret
                else None
            )
            with receiver.lock:
                receiver.requests.append(Received(self.path, headers, body, valid))
            reply = b"ok" if status < 300 else b"receiver says no"
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver = Receiver(port=server.server_address[1])
    holder["receiver"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
