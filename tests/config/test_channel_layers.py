"""The project's channel layer (config/channel_layers.py) on a Redis that stops and starts."""

from __future__ import annotations

import asyncio
import contextlib

from redis.exceptions import RedisError

from config.channel_layers import LAYER_LOST, ResyncingPubSubChannelLayer
from config.health import ChannelLayer
from tests.conftest import RedisServer


def test_local_channels_hear_layer_lost_and_messages_flow_after_restart(
    redis_server: RedisServer,
) -> None:
    async def scenario() -> None:
        layer = ResyncingPubSubChannelLayer(hosts=[redis_server.url], prefix="lost-test")
        first = await layer.new_channel()
        second = await layer.new_channel()
        await layer.group_add("everyone", first)
        await layer.group_send("everyone", {"type": "live.event", "html": "before"})
        assert (await asyncio.wait_for(layer.receive(first), 5))["html"] == "before"

        redis_server.stop()
        # Every local channel is told, whether or not it is in a group.
        assert await asyncio.wait_for(layer.receive(first), 5) == LAYER_LOST
        assert await asyncio.wait_for(layer.receive(second), 5) == LAYER_LOST
        await asyncio.sleep(1.5)
        assert layer._get_layer().channels[first].empty(), "told once per outage"

        redis_server.start()
        # One receive stays pending throughout: cancelling a receive (as ``wait_for`` does on
        # a timeout) makes channels-redis forget the channel, which is how a consumer ends.
        receiver = asyncio.ensure_future(layer.receive(first))
        deadline = asyncio.get_running_loop().time() + 30
        while not receiver.done() and asyncio.get_running_loop().time() < deadline:
            # redis-py re-subscribes after it reconnects; until then a publish is lost.
            with contextlib.suppress(RedisError, OSError):
                await layer.group_send("everyone", {"type": "live.event", "html": "after"})
            await asyncio.wait({receiver}, timeout=0.5)
        assert receiver.done(), "no message arrived after Redis came back"
        received = receiver.result()
        assert received["html"] == "after"
        await layer.flush()

    asyncio.run(scenario())


def test_readiness_probe_leaves_no_channel_behind(redis_server: RedisServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_layers.ResyncingPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_server.url], "prefix": "probe-test"},
        }
    }

    async def scenario() -> None:
        from channels.layers import get_channel_layer

        for _ in range(3):
            await ChannelLayer().run()
        loop_layer = get_channel_layer()._get_layer()
        assert loop_layer.channels == {}
        assert all(not shard._subscribed_to for shard in loop_layer._shards)
        await get_channel_layer().flush()

    asyncio.run(scenario())
