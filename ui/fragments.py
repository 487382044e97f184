"""Fragments of a page kept in the cache for one reader: ``{% reader_cache %}``.

Django's ``{% cache %}`` tag keeps a fragment under the values it varies on; this one
does the same for markup that belongs to one signed-in person (the portal's sidebar and
top bar: their organizations, their bell, their menu), with two differences:

- **The CSRF token is never stored.** The fragment is rendered with a random marker in
  place of ``csrf_token``, stored with its marker, and the marker is replaced by the
  request's own token (Django's ``get_token``, masked afresh) on every read. A fragment
  rendered before a sign-in rotated the token therefore never hands out the old one.
  The marker is random per entry, so no text on the page can know it in advance.
- **The caller names the reader.** The first value it varies on is the reader's key
  (person, what the fragment shows of them); an empty one renders without the cache, for
  visitors and for requests that must not be shared with a later one.

Every other value the fragment shows must be among the values it varies on: the cache
stores the rendering, never the data, so a changed value is a new key and an old entry
is simply never read again (it expires after ``FRAGMENT_CACHE_SECONDS``; 0 turns the
cache off). A cache that fails (Redis gone) renders the fragment as without it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Context, NodeList
from django.utils.safestring import SafeString, mark_safe

DEFAULT_SECONDS = 60
PREFIX = "fragment"
MISSING = object()  # render_for_reader: the caller has not read the entry
MARKER_LENGTH = 32

# The lives of the entries being rendered (innermost last): content that is only right
# for a while (a panel that expires at an announcement's end) shortens them all.
_lives: ContextVar[tuple[list[float], ...]] = ContextVar("fragment_lives", default=())


def ttl() -> int:
    return int(getattr(settings, "FRAGMENT_CACHE_SECONDS", DEFAULT_SECONDS))


def fragment_key(name: str, vary_on: list[Any]) -> str:
    """The entry's key: the fragment's name, the release it was rendered by (static
    files' manifest, so an entry never points at assets a deploy removed) and a digest
    of the values it varies on."""
    digest = hashlib.sha256(usedforsecurity=False)
    for part in (_release(), *vary_on):
        digest.update(repr(part).encode())
        digest.update(b"\x1f")
    return f"{PREFIX}:{name}:{digest.hexdigest()}"


def _release() -> str:
    storage_hash = getattr(staticfiles_storage, "manifest_hash", "")
    version = getattr(settings, "APP_VERSION", "")
    return f"{version}:{getattr(settings, 'APP_GIT_COMMIT', '')}:{storage_hash}"


def expire_within(seconds: float) -> None:
    """What is being rendered is right for at most ``seconds``: every entry being
    rendered around it is kept no longer."""
    for life in _lives.get():
        life[0] = min(life[0], seconds)


@contextmanager
def _life(seconds: int) -> Iterator[list[float]]:
    life = [float(seconds)]
    reset = _lives.set((*_lives.get(), life))
    try:
        yield life
    finally:
        _lives.reset(reset)


def _valid(entry: Any) -> tuple[str, str, Any] | None:
    """``(marker, html, checks)`` of a stored entry; None for anything else (another
    shape, a marker that is not ours), which is a miss."""
    if not (isinstance(entry, tuple) and len(entry) == 3):
        return None
    marker, html, checks = entry
    if not (isinstance(marker, str) and len(marker) == MARKER_LENGTH and marker.isalnum()):
        return None
    return (marker, html, checks) if isinstance(html, str) else None


def stored_checks(entry: Any) -> Any:
    """The checks a stored entry was rendered with (None: no usable entry), so that a
    caller can skip reading what the entry shows it does not depend on."""
    valid = _valid(entry)
    return valid[2] if valid is not None else None


def _kept(
    key: str,
    token: str,
    draw: Callable[[str], str],
    *,
    checks: Any = None,
    entry: Any = MISSING,
    drawn_checks: Callable[[], Any] | None = None,
) -> str:
    """The markup kept under ``key`` if it was rendered with ``checks``, else
    ``draw(marker)`` kept for as long as what it shows allows; either way with the
    marker replaced by ``token``."""
    valid = _valid(cache.get(key) if entry is MISSING else entry)
    if valid is not None and valid[2] == checks:
        marker, html, _checks = valid
        return html.replace(marker, token)
    marker = secrets.token_hex(MARKER_LENGTH // 2)
    with _life(ttl()) as life:
        html = draw(marker)
    if life[0] >= 1:
        stored = (marker, html, drawn_checks() if drawn_checks else checks)
        cache.set(key, stored, timeout=int(life[0]))
    return html.replace(marker, token)


def reader_key(name: str, vary_on: list[Any]) -> str:
    """The key of a reader's page (``render_for_reader``), or "" when the reader's key
    (the first of ``vary_on``) is empty: such a page is never kept. Callers may read
    the entry themselves, together with other keys, and pass it in."""
    return fragment_key(name, vary_on) if vary_on and vary_on[0] else ""


def render_for_reader(
    request: HttpRequest,
    key: str,
    render: Callable[[dict[str, Any]], str],
    *,
    checks: Any = None,
    entry: Any = MISSING,
    rendered_checks: Callable[[], Any] | None = None,
) -> str:
    """A whole page for one reader: ``render(extra_context)`` (the template's output
    with ``extra_context`` over its own context), kept under ``key`` (``reader_key``;
    empty: not kept). ``checks`` are values read with the entry rather than put in its
    key (generations, who is online): an entry is used only if it was rendered with the
    same ones; ``rendered_checks``, when given, says after rendering which ones the page
    turned out to depend on (it is stored with those). ``entry`` is what the caller
    already read under ``key``. A page with messages to show is never stored nor read:
    they are shown once."""
    if not key or ttl() <= 0 or len(get_messages(request)):
        return render({})
    return _kept(
        key,
        get_token(request),
        lambda marker: render({"csrf_token": marker}),
        checks=checks,
        entry=entry,
        drawn_checks=rendered_checks,
    )


def render(context: Context, nodelist: NodeList, name: str, vary_on: list[Any]) -> SafeString:
    """``nodelist`` rendered in ``context``, from the cache when the reader's key (the
    first of ``vary_on``) is set and an entry exists."""
    token = context.get("csrf_token")
    if not vary_on or not vary_on[0] or ttl() <= 0 or token is None:
        return mark_safe(nodelist.render(context))  # noqa: S308 - the template's own output
    token = str(token)
    if token == "NOTPROVIDED":  # noqa: S105 - rendered without a request: nothing to put back
        return mark_safe(nodelist.render(context))  # noqa: S308

    def draw(marker: str) -> str:
        with context.push(csrf_token=marker):
            return str(nodelist.render(context))

    return mark_safe(_kept(fragment_key(name, vary_on), token, draw))  # noqa: S308 - rendered
