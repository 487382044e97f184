"""config.asgi's application, with two switches for measuring what limits live updates.

``LIVE_BENCH_PRESENCE=off``: the live consumer still records presence but no longer
broadcasts the members-online fragment to the whole organization on every connect and
disconnect. Each of N sockets connecting otherwise sends a fragment to every socket
already open: N * (N - 1) / 2 frames (about 500,000 for 1,000 sockets), which keeps one
worker busy for minutes. Off measures the channel layer and the fan-out of one broadcast on
their own, as they would be with coalesced presence updates.

``LIVE_BENCH_DISPATCH=direct``: ``live.*`` channel-layer messages go straight to their
handler. Channels' ``AsyncConsumer.dispatch`` first awaits ``aclose_old_connections()``,
a ``sync_to_async`` hop through the one thread-sensitive executor thread, for every message
of every consumer: a broadcast to 1,000 sockets makes 1,000 hops in a row. The ``live.*``
handlers do not touch the database, so they do not need it.
"""

from __future__ import annotations

import os
from typing import Any

from channels.consumer import get_handler_name

from config.asgi import application

if os.environ.get("LIVE_BENCH_PRESENCE", "on") == "off":
    from dashboards import consumers

    def _no_announcement(organization_id: int) -> None:
        return None

    consumers._announce_presence = _no_announcement

if os.environ.get("LIVE_BENCH_DISPATCH", "channels") == "direct":
    from dashboards.consumers import LiveConsumer

    _channels_dispatch = LiveConsumer.dispatch

    async def _direct_dispatch(self: LiveConsumer, message: dict[str, Any]) -> None:
        if message["type"].startswith("live."):
            await getattr(self, get_handler_name(message))(message)
            return
        await _channels_dispatch(self, message)

    LiveConsumer.dispatch = _direct_dispatch  # type: ignore[method-assign]

__all__ = ["application"]
