"""The Redis cache backend keeps one client per process and configuration
(config/cache.py), while Django still builds cache objects per request context."""

from __future__ import annotations

import contextvars
import uuid
from typing import Any

import pytest
from django.core.cache import caches

from config.cache import SharedClientRedisCache


def _in_new_context(function: Any) -> Any:
    # A request under ASGI runs in a context of its own, where `caches` starts empty.
    return contextvars.Context().run(function)


def _redis_url(settings: Any) -> str:
    location = settings.CACHES["default"].get("LOCATION", "")
    if not str(location).startswith("redis"):
        pytest.fail("the test settings must use Redis for the cache (make test starts it)")
    return str(location)


def test_the_configured_cache_is_the_shared_client_backend(settings: Any) -> None:
    _redis_url(settings)
    assert isinstance(caches["default"], SharedClientRedisCache)


def test_cache_objects_of_different_requests_share_one_client(settings: Any) -> None:
    _redis_url(settings)
    key = f"shared-client-{uuid.uuid4()}"

    def write() -> tuple[Any, Any]:
        cache = caches["default"]
        cache.set(key, "stored", 30)
        return cache, cache.client

    def read() -> tuple[Any, Any, Any]:
        cache = caches["default"]
        return cache, cache.client, cache.get(key)

    first_cache, first_client = _in_new_context(write)
    second_cache, second_client, value = _in_new_context(read)
    assert first_cache is not second_cache  # Django's per-context objects, as before
    assert first_client is second_client  # one client (and one redis.Redis) for both
    assert value == "stored"
    first_cache.delete(key)


def test_another_configuration_gets_its_own_client(settings: Any) -> None:
    url = _redis_url(settings)
    base = {"BACKEND": "config.cache.SharedClientRedisCache", "LOCATION": url}
    settings.CACHES = {
        "default": settings.CACHES["default"],
        "a": {**base, "KEY_PREFIX": "a"},
        "b": {**base, "KEY_PREFIX": "b"},
    }
    key = f"prefixed-{uuid.uuid4()}"
    caches["a"].set(key, "from a", 30)
    assert caches["a"].client is not caches["b"].client
    assert caches["b"].get(key) is None  # the prefix of each configuration still applies
    assert caches["a"].get(key) == "from a"
    caches["a"].delete(key)


def test_the_shared_client_serves_many_threads_at_once(settings: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _redis_url(settings)
    prefix = f"threads-{uuid.uuid4()}"

    def round_trip(number: int) -> tuple[int, Any]:
        def work() -> tuple[int, Any]:
            cache = caches["default"]
            key = f"{prefix}-{number}"
            for attempt in range(20):
                cache.set(key, (number, attempt), 30)
                assert cache.get(key) == (number, attempt)
            cache.delete(key)
            cache.close()  # as at the end of a request: the shared client stays usable
            return number, cache.client

        return _in_new_context(work)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(round_trip, range(32)))
    assert [number for number, _ in results] == list(range(32))
    assert len({id(client) for _, client in results}) == 1
