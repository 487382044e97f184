"""kombu's Redis transports (plain and Sentinel), with the one change that lets a Celery
worker outlive the loss of its broker.

When the broker connection breaks, Celery releases the connection's transport and
reconnects with a new one. Messages received on the old channel are still being worked
on: once such a task ends, its acknowledgement goes to the old channel, which asks the
released transport for the broker's address and fails with ``AttributeError`` (``'NoneType'
object has no attribute 'hostname'``). Celery expects a connection error there and treats
anything else as unrecoverable: the worker exited for good (kombu 5.7.0, celery 5.7.0;
reproduced by tests/faults/test_broker_outage.py, which kills the broker under a worker
running a task).

Here the old channel raises the connection error Celery handles: the acknowledgement is
logged as not sent, the message stays in the broker's unacknowledged set, Redis hands it
out again after the visibility timeout, and the idempotent task finds its work done.
Selected by ``CELERY_BROKER_TRANSPORT`` (config/settings/base.py).
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis


class _ReleasedTransportIsAConnectionError:
    connection: Any

    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError(
                "this channel's broker connection was closed (the worker reconnected)"
            )
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]


class Channel(_ReleasedTransportIsAConnectionError, kombu_redis.Channel):
    pass


class Transport(kombu_redis.Transport):
    Channel = Channel


class SentinelChannel(_ReleasedTransportIsAConnectionError, kombu_redis.SentinelChannel):
    pass


class SentinelTransport(kombu_redis.SentinelTransport):
    Channel = SentinelChannel
