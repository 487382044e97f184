"""Signing deliveries: HMAC-SHA256 over ``"{timestamp}.{body}"`` with the endpoint's
secret. The timestamp is signed too, so a captured delivery cannot be replayed later
with a fresh timestamp; receivers refuse timestamps older than a few minutes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Webhook-Signature"
TIMESTAMP_HEADER = "Webhook-Timestamp"
ID_HEADER = "Webhook-Id"
EVENT_HEADER = "Webhook-Event"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does (docs/webhooks.md has the same code, for copying)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        received = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), received)
