"""The Redis cache backend: django-redis, with one client per process instead of one per
request.

Django keeps cache objects per request context (``caches`` is context-local), so under
ASGI every request builds a new ``RedisCache``, and django-redis then builds a new client
and a new ``redis.Redis`` (about 170 response callbacks and an event dispatcher) for its
first command; the sockets come from a shared pool either way. Measured here, that was
about 0.3 ms of CPU per request that touches the cache, which every signed-in request
does (the session). The client and ``redis.Redis`` are thread-safe, so each process keeps
one per cache configuration; the cache objects themselves stay per request, as Django
expects.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from django_redis.cache import RedisCache


class SharedClientRedisCache(RedisCache):
    _clients: ClassVar[dict[str, Any]] = {}
    _clients_lock: ClassVar[threading.Lock] = threading.Lock()

    @property
    def client(self) -> Any:
        if getattr(self, "_client", None) is None:
            # Same LOCATION and options, same client: the key is the configuration
            # itself, so a changed setting (tests' override_settings) gets its own.
            key = repr((type(self), self._server, sorted(self._params.items())))
            with self._clients_lock:
                client = self._clients.get(key)
                if client is None:
                    client = self._clients[key] = self._client_cls(self._server, self._params, self)
            self._client = client
        return self._client

    def close(self, **kwargs: Any) -> None:
        # Django closes caches at the end of every request. django-redis only disconnects
        # there when CLOSE_CONNECTION is set, which would tear down the client that other
        # requests are using: a shared client stays open (its sockets are pooled).
        return None
