"""The overview's rendered panels and the bell's inbox, kept in the cache (Redis in
production) so that a portal page costs a cache read instead of a query per figure.

Invalidation is by **generation**: each organization (and, for the inbox, each person)
has a number in the cache that every change to what the overview shows moves on
(``invalidate``: at once, and again after the commit); entries are read and written
under the current number, so an old entry is never read again and simply expires. A
generation that is missing (evicted, Redis restarted) starts again from a random number,
which brings back no old entry. The entries also expire after ``OVERVIEW_CACHE_SECONDS``: the
safety net for what changes with time alone (the chart's days, an announcement's window,
whose next edge is also an entry's latest expiry) and for writes that send no signal.

An entry's key always holds the organization, its generation, the reader's role (the
access rule's role ceiling decides which announcements and events show) and time zone
(exact times and the chart's days), and the digest of the panels' own settings; what
follows the reader (who is online, their own inbox) is not shared.
Relative times in a cached panel are ``<time datetime=... data-relative>``, which
static/js/live.js rewrites on load.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from ui import fragments

DEFAULT_SECONDS = 60
EXPIRES = "expires"  # in an entry: when it expires (a time.time())


def ttl() -> int:
    return int(getattr(settings, "OVERVIEW_CACHE_SECONDS", DEFAULT_SECONDS))


# --- generations -------------------------------------------------------------------------


def _organization_key(organization_id: int) -> str:
    return f"overview:gen:{organization_id}"


def _person_key(user_id: int) -> str:
    return f"inbox:gen:{user_id}"


def _generation(key: str) -> int:
    value = cache.get(key)
    if value is None:
        # Random, not 0: a restarted count must not meet the entries of an earlier one.
        cache.add(key, secrets.randbelow(2**60), timeout=None)
        value = cache.get(key)
    if value is None:
        # The cache is failing: a number of its own for this read, so nothing stored
        # under it (if a write gets through) is ever read again.
        return secrets.randbelow(2**60)
    return int(value)


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # no generation yet: nothing cached under one either
        cache.set(key, secrets.randbelow(2**60), timeout=None)


def inbox_generation(user_id: int) -> int:
    return _generation(_person_key(user_id))


def generation_keys(organization_id: int, user_id: int) -> tuple[str, str]:
    """The cache keys of the organization's and the person's inbox generation, for
    callers that read them together with entries of their own (one round trip)."""
    return _organization_key(organization_id), _person_key(user_id)


def generations(found: dict[str, Any], organization_id: int, user_id: int) -> tuple[int, int]:
    """Both generations from ``found`` (a ``get_many`` over ``generation_keys``); one
    that is missing is started as ``organization_generation`` starts it."""
    keys = generation_keys(organization_id, user_id)
    organization, person = (found.get(key) for key in keys)
    return (
        int(organization) if organization is not None else _generation(keys[0]),
        int(person) if person is not None else _generation(keys[1]),
    )


def organization_generation(organization_id: int) -> int:
    return _generation(_organization_key(organization_id))


def bump(organization_id: int | None) -> None:
    """Everything cached for the organization's overview is out of date from now on."""
    if organization_id:
        _bump(_organization_key(organization_id))


def invalidate(organization_ids: Iterable[int | None]) -> None:
    """``bump`` now and again once the current transaction commits: now, so that a read
    later in the same transaction sees its own change; after the commit, because a page
    loaded in between read the old rows and may have stored them under the new number."""
    for organization_id in {pk for pk in organization_ids if pk}:
        bump(organization_id)
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda pk=organization_id: bump(pk))  # type: ignore[misc]


def invalidate_inbox(user_ids: Iterable[int]) -> None:
    """The person's inbox (the bell) is out of date: as ``invalidate``."""
    for user_id in set(user_ids):
        _bump(_person_key(user_id))
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(lambda pk=user_id: _bump(_person_key(pk)))  # type: ignore[misc]


# --- the overview's panels ----------------------------------------------------------------


def _digest(parts: Any) -> str:
    data = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha1(data.encode(), usedforsecurity=False).hexdigest()


def render_panels(
    blocks: Sequence[Any],
    *,
    organization_id: int | None,
    generation: int | None = None,
    role: str,
    zone: str,
    render: Callable[[Any], str],
) -> list[str]:
    """Each of ``blocks`` (a stream's bound blocks) rendered by ``render``; those whose
    block says ``cache_rendered`` come from one cache entry for the organization, the
    reader's role and time zone, rendered and stored together on a miss."""
    cached = [block for block in blocks if getattr(block.block, "cache_rendered", False)]
    if not organization_id or not role or not cached:
        return [render(block) for block in blocks]
    settings_digest = _digest(
        [(block.id, block.block_type, block.block.get_prep_value(block.value)) for block in cached]
    )
    if generation is None:
        generation = organization_generation(organization_id)
    key = f"overview:panels:{organization_id}:{generation}:{role}:{zone}:{settings_digest}"
    stored: dict[str, Any] | None = cache.get(key)
    if stored is None or any(str(block.id) not in stored for block in cached):
        stored = {str(block.id): str(render(block)) for block in cached}
        seconds = min(
            [ttl(), *(block.block.cache_seconds(organization_id, ttl()) for block in cached)]
        )
        stored[EXPIRES] = time.time() + seconds
        if seconds > 0:
            cache.set(key, stored, timeout=seconds)
    # A page kept whole (ui/fragments.py) lives no longer than the panels it shows.
    fragments.expire_within(float(stored.get(EXPIRES, 0)) - time.time())
    return [
        stored[str(block.id)] if getattr(block.block, "cache_rendered", False) else render(block)
        for block in blocks
    ]


def _value_entry(value: Any) -> dict[str, Any]:
    return {"value": value, EXPIRES: time.time() + ttl()}


def _kept_value(entry: Any) -> tuple[Any] | None:
    """``(value,)`` of an entry written by ``_value_entry``, else None; a page kept whole
    (ui/fragments.py) lives no longer than the values it was drawn from."""
    if not (isinstance(entry, dict) and EXPIRES in entry and "value" in entry):
        return None
    fragments.expire_within(float(entry[EXPIRES]) - time.time())
    return (entry["value"],)


def organization_values(
    organization_id: int, generation: int, computes: dict[str, Callable[[], Any]]
) -> dict[str, Any]:
    """Values of the organization's overview, by name (the name also says for whom when
    a value depends on the reader), each computed once per generation and read together
    (one round trip); ``generation`` is the caller's ``organization_generation``, read
    once per page. A computed value must not be None."""
    keys = {name: f"overview:v2:{name}:{organization_id}:{generation}" for name in computes}
    found = cache.get_many(list(keys.values()))
    values: dict[str, Any] = {}
    missing: dict[str, Any] = {}
    for name, key in keys.items():
        kept = _kept_value(found.get(key))
        if kept:
            values[name] = kept[0]
        else:
            values[name] = computes[name]()
            missing[key] = _value_entry(values[name])
    if missing:
        cache.set_many(missing, timeout=ttl())
    return values


# --- the inbox ----------------------------------------------------------------------------


def inbox(user_id: int, visible_organizations: Iterable[int], compute: Callable[[], Any]) -> Any:
    """The person's inbox as the organizations the access rule lets them view allow it
    (a membership that ends or a suspension changes the key, not only a new note)."""
    generation = _generation(_person_key(user_id))
    visible = ",".join(str(pk) for pk in sorted(visible_organizations))
    key = f"inbox:v2:{user_id}:{generation}:{_digest(visible)}"
    kept = _kept_value(cache.get(key))
    if kept:
        return kept[0]
    found = compute()
    cache.set(key, _value_entry(found), timeout=ttl())
    return found
