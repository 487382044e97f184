"""Pluggable malware scanning: ClamAV (clamd) when configured, otherwise none."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import IO, Protocol
from urllib.parse import urlparse

from django.conf import settings


@dataclass(frozen=True)
class ScanResult:
    scanned: bool
    clean: bool
    reason: str = ""


class Scanner(Protocol):
    def scan(self, file: IO[bytes]) -> ScanResult: ...


class NoScanner:
    """Used when no scanner is configured: the document is recorded as not scanned."""

    def scan(self, file: IO[bytes]) -> ScanResult:
        return ScanResult(scanned=False, clean=True, reason="not scanned (no scanner configured)")


class ScannerUnavailable(ConnectionError):
    """The scanner could not be reached; the task retries later."""


class ClamdScanner:
    """Talks clamd's INSTREAM protocol directly (the Python clamd clients are unmaintained;
    the protocol is a few lines: length-prefixed chunks, then a zero-length chunk)."""

    CHUNK = 64 * 1024

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        self.url = url
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        parsed = urlparse(self.url)
        if parsed.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: object = parsed.path
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = (parsed.hostname or "127.0.0.1", parsed.port or 3310)
        sock.settimeout(self.timeout)
        sock.connect(target)  # type: ignore[arg-type]
        return sock

    def scan(self, file: IO[bytes]) -> ScanResult:
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                file.seek(0)
                while chunk := file.read(self.CHUNK):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    data = sock.recv(4096)
                    if not data:
                        break
                    reply += data
        except OSError as exc:
            raise ScannerUnavailable(f"clamd unreachable: {exc}") from exc
        finally:
            file.seek(0)
        answer = reply.rstrip(b"\0").decode(errors="replace")
        # "stream: OK" or "stream: Eicar-Signature FOUND" or "... ERROR"
        verdict = answer.split(":", 1)[-1].strip()
        if verdict == "OK":
            return ScanResult(scanned=True, clean=True)
        if verdict.endswith("FOUND"):
            return ScanResult(
                scanned=True, clean=False, reason=f"malware found: {verdict[:-5].strip()}"
            )
        raise ScannerUnavailable(f"clamd answered {answer!r}")


def get_scanner() -> Scanner:
    if settings.CLAMAV_URL:
        return ClamdScanner(settings.CLAMAV_URL)
    return NoScanner()
