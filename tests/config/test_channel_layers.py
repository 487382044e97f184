"""The project's channel layer (config/channel_layers.py) on a Redis that stops and starts."""

from __future__ import annotations

import asyncio

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
        deadline = asyncio.get_running_loop().time() + 15
        received = None
        while received is None and asyncio.get_running_loop().time() < deadline:
            # redis-py re-subscribes after it reconnects; until then a publish is lost.
            try:
                await layer.group_send("everyone", {"type": "live.event", "html": "after"})
                received = await asyncio.wait_for(layer.receive(first), 0.5)
            except (TimeoutError, RedisError, OSError):
                await asyncio.sleep(0.2)
        assert received is not None
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
