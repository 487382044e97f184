"""Sending to the channel layer from synchronous code (services, Celery tasks).

``async_to_sync(layer.group_send)`` called outside an event loop starts a new loop each
time, and channels-redis opens a new Redis connection per loop: one per message. Here,
code that runs inside Django's ASGI thread hands the call back to the server's own loop
(what asgiref does when there is one); everything else (Celery workers, commands) uses a
single long-lived loop in a background thread per process, so one connection pool serves
every message.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import structlog
from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

logger = structlog.get_logger(__name__)
SEND_TIMEOUT = 5.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="channel-layer-publisher", daemon=True
            )
            thread.start()
            _loop = loop
        return _loop


def _inside_asgi_thread() -> bool:
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None) is not None


def group_send(group: str, message: dict[str, Any]) -> bool:
    """Send ``message`` to ``group``; returns False (and logs) if the layer is down.

    Delivery is at most once by design: clients resynchronise on every (re)connect.
    """
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        if _inside_asgi_thread():
            async_to_sync(layer.group_send)(group, message)
        else:
            future = asyncio.run_coroutine_threadsafe(
                layer.group_send(group, message), _background_loop()
            )
            future.result(timeout=SEND_TIMEOUT)
    except Exception as exc:
        logger.warning("live_event_not_sent", group=group, error=type(exc).__name__)
        return False
    return True
