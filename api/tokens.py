"""Making and checking token strings: ``op_<prefix>_<secret>``."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from api.models import ApiToken

TOKEN_PREFIX = "op"  # noqa: S105 - a label, not a secret
# last_used_at is written at most once a minute per token: not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewSecret:
    prefix: str
    secret: str
    secret_hash: str

    @property
    def plaintext(self) -> str:
        return f"{TOKEN_PREFIX}_{self.prefix}_{self.secret}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> NewSecret:
    prefix = secrets.token_hex(6)  # 12 hex characters: finds the row, not secret
    secret = secrets.token_urlsafe(32)  # 256 bits
    return NewSecret(prefix, secret, hash_secret(secret))


def parse(raw: str) -> tuple[str, str] | None:
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def authenticate(raw: str) -> ApiToken | None:
    """The usable token behind ``raw`` with its user and organization (one query), else
    None: unknown, wrong secret, revoked, expired or its person disabled."""
    parsed = parse(raw)
    if parsed is None:
        return None
    prefix, secret = parsed
    token = (
        ApiToken.objects.usable()
        .select_related("user", "organization")
        .filter(prefix=prefix[:16])
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    if not token.user.is_active:
        return None
    record_use(token)
    return token


def record_use(token: ApiToken, *, now: Any = None) -> None:
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
