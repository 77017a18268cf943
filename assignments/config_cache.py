"""A per-process, time-bounded memo of the routing configuration: rules, scoring rules, reps' profiles.

Routing reads the configuration for every lead while managers change it a few times a day, so each process
re-reads it at most every ROUTING_CONFIG_CACHE_SECONDS. What changes lead by lead (a rep's status, load,
capacity, last offer, stats) is never memoised here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar, cast

from django.conf import settings

T = TypeVar("T")
_entries: dict[str, tuple[float, object]] = {}


def config_cached(*, key: str, load: Callable[[], T], stale: Callable[[T], bool] | None = None) -> T:
    """`load()`, reused in this process until the TTL runs out or `stale(value)` says it no longer fits."""
    ttl = settings.ROUTING_CONFIG_CACHE_SECONDS
    if ttl <= 0:
        return load()
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and hit[0] > now:
        # One memo holds values of many types; a key is only ever filled by the same `load`, so its value is a T.
        cached = cast(T, hit[1])
        if not (stale and stale(cached)):
            return cached
    value = load()
    _entries[key] = (now + ttl, value)
    return value


def config_cache_clear() -> None:
    """Forget every memoised value (the next routing reads the configuration again)."""
    _entries.clear()
