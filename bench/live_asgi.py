"""config.asgi's application, with two switches for measuring what limits live updates.

``LIVE_BENCH_PRESENCE=off``: the live consumer still records presence but never broadcasts
the members-online fragment. The app broadcasts it only when the set of people online
changes; with one socket per member, that is still once per connect and disconnect, to
every socket already open (N * (N - 1) / 2 frames for N members connecting).

``LIVE_BENCH_DISPATCH=channels``: ``live.*`` channel-layer messages go through Channels'
own ``AsyncConsumer.dispatch`` again, which first awaits ``aclose_old_connections()``, a
``sync_to_async`` hop through the one thread-sensitive executor thread, for every message
of every consumer. ``LiveConsumer.dispatch`` skips it for these messages (their handlers
touch no database); this switch measures what that saves.
"""

from __future__ import annotations

import os

from channels.consumer import AsyncConsumer

from config.asgi import application

if os.environ.get("LIVE_BENCH_PRESENCE", "on") == "off":
    from dashboards import consumers

    def _no_announcement(organization_id: int) -> None:
        return None

    consumers._announce_presence = _no_announcement

if os.environ.get("LIVE_BENCH_DISPATCH", "app") == "channels":
    from dashboards.consumers import LiveConsumer

    LiveConsumer.dispatch = AsyncConsumer.dispatch  # type: ignore[method-assign]

__all__ = ["application"]
