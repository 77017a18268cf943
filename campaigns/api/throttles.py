"""Per-key intake rate limit in the Django cache (LocMem embedded, Redis across processes in scale-out)."""

import logging
import re
import time

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

from campaigns.models import SupplierApiKey

COUNTER_PREFIX = "intake-rate"
log = logging.getLogger(__name__)
_redis_clients: dict[str, redis.Redis] = {}


def _redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per process and URL.

    Django's cache objects live per request context under ASGI, so going through them opened a new Redis
    connection for each post.
    """
    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients.setdefault(url, redis.Redis.from_url(url, socket_connect_timeout=2,
                                                                     socket_timeout=2))
    return client


def _write_server() -> str:
    """The default cache's first server: the one RedisCache writes to."""
    location = settings.CACHES["default"]["LOCATION"]
    return (re.split("[;,]", location) if isinstance(location, str) else list(location))[0]


def _counter_incr(counter: str) -> int:
    """Add one to the counter (kept 5 s) and return it, atomically: no read-modify-write race between workers."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # SET NX + INCR in one pipelined round trip (add + incr would take three: SET NX, EXISTS, INCR).
        key = backend.make_and_validate_key(counter)
        with _redis_client(_write_server()).pipeline(transaction=False) as pipe:
            pipe.set(key, 0, ex=5, nx=True)
            pipe.incr(key)
            return pipe.execute()[1]
    cache.add(counter, 0, timeout=5)
    try:
        return cache.incr(counter)
    except ValueError:  # evicted between add and incr
        cache.set(counter, 1, timeout=5)
        return 1


class SupplierKeyRateThrottle(BaseThrottle):
    """At most supplier.rate_limit_per_second requests per key in each wall-clock second; people are not limited."""

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, SupplierApiKey):
            return True
        second = int(time.time())
        self.retry_after = 1
        counter = f"{COUNTER_PREFIX}:{key.pk}:{second}"
        try:
            count = _counter_incr(counter)
        except Exception as error:  # the cache (Redis) is down: leads are worth more than the limit
            log.warning("intake rate limit skipped, cache unavailable: %s", type(error).__name__)
            return True
        return count <= key.supplier.rate_limit_per_second

    def wait(self) -> float:
        return self.retry_after
