"""Where Redis is, for every client of the project: one server, or a master found through
Redis Sentinel.

Each library names its own way to reach a Sentinel-managed master, so one description
(``RedisTarget``, read from the environment by the settings) is translated here into each
library's documented configuration:

- the Django cache (django-redis: ``SentinelConnectionFactory``, which also carries the
  ``cached_db`` sessions and allauth's rate limits);
- the channel layer (channels-redis: a host with ``master_name`` and ``sentinels``);
- Celery's broker (kombu: ``sentinel://`` URLs and the ``master_name`` transport option)
  and result backend (Celery's ``sentinel://`` backend);
- the project's own clients (metrics, presence, health checks): ``client()``.

In Sentinel mode the host of the URL is the master's name (django-redis' convention:
``redis://mymaster/0``); ``rediss://`` means TLS to the master and, unless told
otherwise, to the sentinels too. Every client reads and writes the master only: a
replica may lag behind, and a session or a rate-limit counter must not go back in time.

Nothing here imports Django, so the settings module can use it.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlparse

# Connecting to a sentinel or a master that went away must fail fast enough for the
# retry to reach the new master within the failover.
CONNECT_TIMEOUT = 3
SOCKET_TIMEOUT = 5
FAILOVER_RETRIES = 14


@dataclass(frozen=True)
class RedisTarget:
    url: str
    host: str  # a host name, or the master's name in Sentinel mode
    port: int
    db: int
    username: str | None
    password: str | None
    tls: bool
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_password: str | None = None
    sentinel_tls: bool = False
    ca_file: str | None = None

    @property
    def sentinel(self) -> bool:
        return bool(self.sentinels)

    @property
    def master_name(self) -> str:
        return self.host


def parse_sentinels(value: str) -> tuple[tuple[str, int], ...]:
    """``host:port,host:port`` (IPv6 as ``[::1]:26379``); the port defaults to 26379."""
    sentinels = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        parsed = urlparse(f"//{item}")
        if not parsed.hostname:
            raise ValueError(f"REDIS_SENTINELS: {item!r} is not host:port")
        sentinels.append((parsed.hostname, parsed.port or 26379))
    return tuple(sentinels)


def parse(
    url: str,
    *,
    sentinels: str = "",
    password: str = "",
    sentinel_password: str = "",
    sentinel_tls: bool | None = None,
    ca_file: str = "",
) -> RedisTarget:
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ValueError(f"a Redis URL starts with redis:// or rediss://, not {url!r}")
    tls = parsed.scheme == "rediss"
    nodes = parse_sentinels(sentinels)
    if nodes and not parsed.hostname:
        raise ValueError("with REDIS_SENTINELS, the host of the Redis URL names the master")
    return RedisTarget(
        url=url,
        host=parsed.hostname or "localhost",
        port=parsed.port or 6379,
        db=int(parsed.path.strip("/") or 0),
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else (password or None),
        tls=tls,
        sentinels=nodes,
        sentinel_password=sentinel_password or None,
        sentinel_tls=tls if sentinel_tls is None else sentinel_tls,
        ca_file=ca_file or None,
    )


def _tls_options(target: RedisTarget) -> dict[str, Any]:
    options: dict[str, Any] = {"ssl_cert_reqs": "required"}
    if target.ca_file:
        options["ssl_ca_certs"] = target.ca_file
    return options


def sentinel_kwargs(target: RedisTarget) -> dict[str, Any]:
    """How to talk to the sentinels themselves (their own password and TLS)."""
    kwargs: dict[str, Any] = {
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
    }
    if target.sentinel_password:
        kwargs["password"] = target.sentinel_password
    if target.sentinel_tls:
        kwargs["ssl"] = True
        kwargs.update(_tls_options(target))
    return kwargs


def failover_retry(*, asynchronous: bool = False) -> Any:
    """How a Sentinel-managed connection rides out a failover: each connection attempt
    asks the sentinels for the master again, and a command that fails on a dead
    connection reconnects, for about 12 seconds in all (0.2, 0.4, 0.8, then 1 s steps),
    instead of failing the request at once. Sentinel's ``down-after-milliseconds`` plus
    the election must fit in that (docs/deployment.md: 5000 ms)."""
    from redis.backoff import ExponentialBackoff

    retry: type[Any]
    if asynchronous:
        from redis.asyncio.retry import Retry as retry
    else:
        from redis.retry import Retry as retry
    return retry(ExponentialBackoff(cap=1.0, base=0.1), FAILOVER_RETRIES)


def _retry_kwargs(*, asynchronous: bool = False) -> dict[str, Any]:
    from redis.exceptions import ConnectionError, TimeoutError

    return {
        "retry": failover_retry(asynchronous=asynchronous),
        "retry_on_error": [ConnectionError, TimeoutError],
    }


def _master_kwargs(target: RedisTarget) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"db": target.db}
    if target.username:
        kwargs["username"] = target.username
    if target.password:
        kwargs["password"] = target.password
    if target.tls:
        # SentinelConnectionPool turns ``ssl`` into SentinelManagedSSLConnection.
        kwargs["ssl"] = True
        kwargs.update(_tls_options(target))
    return kwargs


# --- Django cache (django-redis) ----------------------------------------------------------


def django_cache_options(target: RedisTarget) -> tuple[str, dict[str, Any]]:
    """``LOCATION`` and ``OPTIONS`` for django-redis."""
    options: dict[str, Any] = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": CONNECT_TIMEOUT,
        "SOCKET_TIMEOUT": SOCKET_TIMEOUT,
    }
    if not target.sentinel:
        if target.tls and target.ca_file:
            options["CONNECTION_POOL_KWARGS"] = {"ssl_ca_certs": target.ca_file}
        return target.url, options
    # DefaultClient on a SentinelConnectionFactory: every command goes to the master
    # (SentinelClient would read from replicas). The scheme stays redis://, because
    # rediss:// would make the pool connect to the master's *name*; TLS is the pool's
    # ``ssl`` option instead.
    master = _master_kwargs(target)
    pool_kwargs = {key: value for key, value in master.items() if key not in ("db",)}
    pool_kwargs.update(_retry_kwargs())
    password = pool_kwargs.pop("password", None)
    username = pool_kwargs.pop("username", None)
    options.update(
        {
            "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
            "SENTINELS": list(target.sentinels),
            "SENTINEL_KWARGS": sentinel_kwargs(target),
            "CONNECTION_POOL_KWARGS": pool_kwargs,
        }
    )
    if password:
        options["PASSWORD"] = password
    if username:
        options["USERNAME"] = username
    return f"redis://{quote(target.master_name)}/{target.db}", options


# --- channel layer (channels-redis) -------------------------------------------------------


def channel_layer_host(target: RedisTarget, **extra: Any) -> dict[str, Any]:
    """One entry of the channel layer's ``hosts``."""
    if not target.sentinel:
        host: dict[str, Any] = {"address": target.url, **extra}
        if target.tls and target.ca_file:
            host["ssl_ca_certs"] = target.ca_file
        return host
    return {
        "master_name": target.master_name,
        "sentinels": list(target.sentinels),
        "sentinel_kwargs": sentinel_kwargs(target),
        "socket_connect_timeout": CONNECT_TIMEOUT,
        # No failover retry here: the layer's receive loop must fail, so that consumers
        # hear ``layer.lost`` and their clients reconnect and resync; a transparent
        # reconnect would hide the messages published during the failover.
        **_master_kwargs(target),
        **extra,
    }


# --- Celery (kombu broker, result backend) ------------------------------------------------


def celery_url(target: RedisTarget) -> str:
    """The broker / result backend URL: the Redis URL, or one ``sentinel://`` per
    sentinel, joined by ``;`` (the master's credentials ride on each)."""
    if not target.sentinel:
        return target.url
    credentials = ""
    if target.password:
        user = quote(target.username or "", safe="")
        credentials = f"{user}:{quote(target.password, safe='')}@"
    parts = []
    for host, port in target.sentinels:
        shown = f"[{host}]" if ":" in host else host
        parts.append(f"sentinel://{credentials}{shown}:{port}/{target.db}")
    return ";".join(parts)


def celery_transport_options(target: RedisTarget) -> dict[str, Any]:
    """What the Sentinel transport and backend need besides the URL."""
    if not target.sentinel:
        return {}
    return {"master_name": target.master_name, "sentinel_kwargs": sentinel_kwargs(target)}


def celery_ssl(target: RedisTarget) -> dict[str, Any] | None:
    """``broker_use_ssl`` / ``redis_backend_use_ssl``: required for a TLS master."""
    if not target.tls:
        return None
    options: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if target.ca_file:
        options["ssl_ca_certs"] = target.ca_file
    return options


# --- the project's own clients ------------------------------------------------------------


def client(target: RedisTarget, *, asynchronous: bool = False, **extra: Any) -> Any:
    """A new redis-py client (``redis.asyncio`` with ``asynchronous``) for the target."""
    redis_class: Any
    sentinel_class: Any
    if asynchronous:
        from redis.asyncio import Redis as redis_class
        from redis.asyncio.sentinel import Sentinel as sentinel_class
    else:
        from redis import Redis as redis_class
        from redis.sentinel import Sentinel as sentinel_class
    timeouts: dict[str, Any] = {
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "socket_timeout": SOCKET_TIMEOUT,
    }
    timeouts.update(extra)
    if not target.sentinel:
        kwargs = dict(timeouts)
        if target.tls and target.ca_file:
            kwargs["ssl_ca_certs"] = target.ca_file
        return redis_class.from_url(target.url, **kwargs)
    sentinel = sentinel_class(list(target.sentinels), sentinel_kwargs=sentinel_kwargs(target))
    return sentinel.master_for(
        target.master_name,
        **_master_kwargs(target),
        **_retry_kwargs(asynchronous=asynchronous),
        **timeouts,
    )


@functools.cache
def shared_client(target: RedisTarget) -> Any:
    """One synchronous client per process and target (redis-py clients are thread-safe
    and pool their connections): for code that runs often, such as a task's metrics."""
    return client(target)
