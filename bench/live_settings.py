"""The production settings with the channel layer chosen by ``LIVE_BENCH_LAYER``.

``core`` (the default) keeps config/settings/base.py's ``RedisChannelLayer``; ``pubsub``
swaps in ``RedisPubSubChannelLayer`` on the same Redis URL and prefix, so both live-update
benchmarks run the same application code against either layer.

``LIVE_BENCH_SOCKET_TIMEOUT`` (seconds), when set, replaces the layer's hosts with one
entry carrying that ``socket_timeout``. redis-py 8 reads with a 5 s socket timeout by
default, the same as ``RedisChannelLayer``'s 5 s blocking ``BZPOPMIN``, so an idle receive
can fail with ``redis.exceptions.TimeoutError`` (django/channels_redis#422); base.py sets
15 s since commit 9c26fce.
"""

from __future__ import annotations

from config.settings.base import env
from config.settings.production import *  # noqa: F403

LIVE_BENCH_LAYER = env.str("LIVE_BENCH_LAYER", default="core")
LIVE_BENCH_SOCKET_TIMEOUT = float(env.str("LIVE_BENCH_SOCKET_TIMEOUT", default="") or 0)

if LIVE_BENCH_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],  # noqa: F405
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="orgportal"),
            },
        }
    }
elif LIVE_BENCH_LAYER != "core":
    raise ValueError(f"LIVE_BENCH_LAYER must be 'core' or 'pubsub', not {LIVE_BENCH_LAYER!r}")

if LIVE_BENCH_SOCKET_TIMEOUT:
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {"address": REDIS_URL, "socket_timeout": LIVE_BENCH_SOCKET_TIMEOUT}  # noqa: F405
    ]
