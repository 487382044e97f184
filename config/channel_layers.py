"""The project's channel layer: channels-redis' pub/sub layer, told when Redis goes away.

``RedisPubSubChannelLayer`` measured faster than ``RedisChannelLayer`` in every comparison
(docs/benchmarks.md, "Live updates": half the server CPU per broadcast to 1,000 sockets),
because a waiting consumer just awaits its own in-process queue instead of competing for
one receive lock. Delivery is at most once either way.

What it lacks is a way to tell consumers that Redis went away. Its receive loop logs the
error, sleeps and retries, and redis-py re-subscribes once Redis is back, so a consumer
never learns that it missed messages in between (the layer's ``on_disconnect`` and
``on_reconnect`` arguments are accepted but never called in channels-redis 4.3). This
subclass puts a ``layer.lost`` message (``LAYER_LOST``) into every local channel's
queue when the receive loop fails: a consumer that handles it closes with 1013 ("try again
later"), the browser reconnects with backoff, and the new connection asks for the current
state: nothing missed stays missing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import structlog
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close, decode_hosts

logger = logging.getLogger(__name__)

# Every consumer of the project handles it (Channels raises for a type without a handler).
LAYER_LOST = {"type": "layer.lost"}
RETRY_SECONDS = 1.0
POLL_SECONDS = 0.1


class _Shard(RedisSingleShardConnection):
    healthy = True

    async def subscribe(self, channel: str) -> None:
        await super().subscribe(channel)
        # A subscription went through, so Redis answers: the next failure is news to the
        # channels added since (the receive loop may not have polled successfully yet).
        self.healthy = True

    async def _do_receiving(self) -> None:
        # The upstream loop, plus the notification: it swallows every error, which is right
        # for the loop and wrong for consumers that then wait for messages that never come.
        # The loop serves every socket of the process, but its task was started inside the
        # first subscriber's logging context (a copy): its lines name no socket.
        structlog.contextvars.clear_contextvars()
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=POLL_SECONDS
                    )
                    self._receive_message(message)
                    self.healthy = True
                else:
                    await asyncio.sleep(POLL_SECONDS)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:
                if self.healthy:
                    logger.warning("channel layer lost Redis: %s", type(exc).__name__)
                    self._tell_local_channels()
                self.healthy = False
                await asyncio.sleep(RETRY_SECONDS)

    def _tell_local_channels(self) -> None:
        layer = self.channel_layer
        data = layer.channel_layer.serialize(LAYER_LOST)
        for queue in layer.channels.values():
            queue.put_nowait(data)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args: Any, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]


class ResyncingPubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` whose consumers hear ``layer.lost`` when Redis fails."""

    async def discard_channel(self, channel: str) -> None:
        """Forget a channel made with ``new_channel`` and unsubscribe it. Upstream only does
        this when a receive on the channel is cancelled (how a consumer ends); a one-off
        user such as the readiness probe calls this instead."""
        layer = self._get_layer()
        if layer.channels.pop(channel, None) is not None:
            await layer._get_shard(channel).unsubscribe(channel)

    def _get_layer(self) -> RedisPubSubLoopLayer:
        # One loop layer per event loop, as upstream; only the class differs.
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer
