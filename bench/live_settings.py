"""The production settings with the channel layer chosen by ``LIVE_BENCH_LAYER``.

``default`` keeps config/settings/base.py's layer (``config.channel_layers.
ResyncingPubSubChannelLayer``: channels-redis' pub/sub layer plus a notice to consumers
when Redis goes away). ``pubsub`` is the stock ``RedisPubSubChannelLayer`` and ``core`` the
``RedisChannelLayer`` as it was configured before the switch (15 s socket timeout, capacity
1,500, expiry 30 s), on the same Redis URL and prefix, so every run measures the same
application code against each layer.

``LIVE_BENCH_SOCKET_TIMEOUT`` (seconds), when set, replaces the ``core`` layer's socket
timeout. redis-py 8 reads with a 5 s socket timeout by default, the same as
``RedisChannelLayer``'s 5 s blocking ``BZPOPMIN``, so an idle receive can fail with
``redis.exceptions.TimeoutError`` (django/channels_redis#422).
"""

from __future__ import annotations

from config.settings.base import env
from config.settings.production import *  # noqa: F403

LIVE_BENCH_LAYER = env.str("LIVE_BENCH_LAYER", default="default")
LIVE_BENCH_SOCKET_TIMEOUT = float(env.str("LIVE_BENCH_SOCKET_TIMEOUT", default="") or 15)
_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="orgportal")

if LIVE_BENCH_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": _PREFIX},  # noqa: F405
        }
    }
elif LIVE_BENCH_LAYER == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": LIVE_BENCH_SOCKET_TIMEOUT}],  # noqa: F405
                "prefix": _PREFIX,
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
elif LIVE_BENCH_LAYER != "default":
    raise ValueError(
        f"LIVE_BENCH_LAYER must be 'default', 'pubsub' or 'core', not {LIVE_BENCH_LAYER!r}"
    )
