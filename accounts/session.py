"""The signed-in user as the session states it, read without loading the user.

django.contrib.auth's ``get_user`` loads the user row and checks the session's auth hash
(an HMAC of the user's password hash) before trusting the session. The download view
checks the same facts in the statement that grants the download (secure_documents/
access.py): one database round trip instead of two on the portal's hottest path. Only the
current SECRET_KEY is tried there; a session that does not verify (signed with a fallback
key, a changed password, an inactive user) falls back to ``request.user``, whose loading
applies Django's own rules (rotating or flushing the session).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, empty

# AbstractBaseUser.get_session_auth_hash: salted_hmac(this salt, password, sha256).
SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


@dataclass(frozen=True)
class SessionClaim:
    user_id: int
    session_hash: str


def session_claim(request: HttpRequest) -> SessionClaim | None:
    """The user id and auth hash in the request's session, if it names a user through a
    configured backend and ``request.user`` has not been loaded yet (then the caller uses
    it). Nothing here is verified: see ``session_hash_pads``."""
    user = getattr(request, "user", None)
    if not isinstance(user, SimpleLazyObject) or user._wrapped is not empty:
        return None
    session = getattr(request, "session", None)
    if session is None:
        return None
    try:
        raw_id, backend, session_hash = (
            session[SESSION_KEY],
            session[BACKEND_SESSION_KEY],
            session[HASH_SESSION_KEY],
        )
        user_id = int(raw_id)
    except (KeyError, TypeError, ValueError):
        return None
    if backend not in settings.AUTHENTICATION_BACKENDS or not isinstance(session_hash, str):
        return None
    return SessionClaim(user_id=user_id, session_hash=session_hash)


def session_hash_pads() -> tuple[bytes, bytes]:
    """The inner and outer keys of the HMAC-SHA256 behind every session auth hash signed
    with the current SECRET_KEY (the derived key XOR ipad, XOR opad; RFC 2104), so that
    PostgreSQL can verify a session with its built-in ``sha256``:

        hex(sha256(outer || sha256(inner || user.password))) == session hash

    They are derived one-way from SECRET_KEY with a public salt: they can verify (and
    compute) session auth hashes, but sign nothing else (session data is signed with
    SECRET_KEY itself)."""
    return _pads(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _pads(secret: str) -> tuple[bytes, bytes]:
    # django.utils.crypto.salted_hmac: key = sha256(salt + secret), then HMAC-SHA256.
    key = hashlib.sha256((SESSION_HASH_SALT + secret).encode()).digest().ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def session_user_id(request: HttpRequest) -> Any:
    """For logging: the loaded user's id, else the id the session names (not verified,
    and nothing is loaded to find it)."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        session = getattr(request, "session", None)
        if session is None:
            return None
        accessed = session.accessed
        raw_id = session.get(SESSION_KEY)
        # Reading it for the log must not add "Vary: Cookie" to a response that did not
        # otherwise use the session.
        session.accessed = accessed
        return int(raw_id) if isinstance(raw_id, str) and raw_id.isdigit() else raw_id
    return getattr(user, "pk", None)
