"""Fixed-window rate limits kept in the cache, shared by every feature that counts calls.

A counter per key and window (``org:<id>:...`` keys, organizations/cache.py); the cache
failing open (decision 33) means the limit does too, with a warning.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog
from django.core.cache import cache

from organizations.cache import org_cache_key
from organizations.models import Organization

logger = structlog.get_logger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    limit: int
    retry_after: int  # seconds until the window resets (0 when allowed)


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/m"`` -> (60, 60): calls per period in seconds."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[-1]]


def consume(organization: Organization | int, rate: str, *key: object) -> RateResult:
    """Count one call for ``key`` in ``organization`` against ``rate``."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    cache_key = org_cache_key(organization, "rate", *key, window)
    cache.add(cache_key, 0, timeout=period * 2)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=period * 2)
        count = 1
    if count is None:  # the cache is down (it fails open): so does the limit
        logger.warning("rate_limit_unavailable", key=":".join(str(part) for part in key))
        return RateResult(True, limit, 0)
    if count > limit:
        return RateResult(False, limit, max(1, int((window + 1) * period - now) + 1))
    return RateResult(True, limit, 0)
