"""Who is online in an organization: one entry per open socket, kept alive by heartbeats.

Counting sockets rather than users makes it right across several tabs (the user stays
online until the last tab closes) and after reconnects (a dropped socket's entry expires
on its own when its heartbeats stop). Redis sorted sets when Redis is configured; a
process-local table otherwise (the embedded setup runs one process).

Presence lives in the cache's Redis, which may be lost: then nobody shows as online and
pages work on (each failure is logged), like the cache itself.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog
from django.conf import settings
from redis.exceptions import RedisError

logger = structlog.get_logger(__name__)

TTL_SECONDS = 60
_local: dict[int, dict[str, tuple[int, float]]] = {}
_local_lock = threading.Lock()


def _key(organization_id: int) -> str:
    return f"orgportal:presence:{organization_id}"


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def touch(organization_id: int, user_id: int, channel_name: str) -> None:
    expires = time.time() + TTL_SECONDS
    if settings.REDIS_URL:
        try:
            # Expired sockets are dropped here, on the heartbeat, so that reading who is
            # online (on every overview load) is one command.
            pipeline = _redis().pipeline(transaction=False)
            pipeline.zremrangebyscore(_key(organization_id), "-inf", time.time())
            pipeline.zadd(_key(organization_id), {f"{user_id}:{channel_name}": expires})
            pipeline.expire(_key(organization_id), TTL_SECONDS * 2)
            pipeline.execute()
        except RedisError as exc:
            logger.warning("presence_unavailable", error=repr(exc))
        return
    with _local_lock:
        _local.setdefault(organization_id, {})[channel_name] = (user_id, expires)


def leave(organization_id: int, channel_name: str, user_id: int) -> None:
    if settings.REDIS_URL:
        try:
            _redis().zrem(_key(organization_id), f"{user_id}:{channel_name}")
        except RedisError as exc:
            logger.warning("presence_unavailable", error=repr(exc))
        return
    with _local_lock:
        _local.get(organization_id, {}).pop(channel_name, None)


def online_user_ids(organization_id: int) -> set[int]:
    now = time.time()
    if settings.REDIS_URL:
        try:
            members = _redis().zrangebyscore(_key(organization_id), now, "+inf")
        except RedisError as exc:
            logger.warning("presence_unavailable", error=repr(exc))
            return set()
        return {int(member.decode().split(":", 1)[0]) for member in members}
    with _local_lock:
        entries = _local.get(organization_id, {})
        for channel, (_user, expires) in list(entries.items()):
            if expires < now:
                del entries[channel]
        return {user for user, _ in entries.values()}
