"""Per-key intake rate limit in the Django cache (LocMem embedded, Redis across processes in scale-out)."""

import logging
import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from campaigns.models import SupplierApiKey

COUNTER_PREFIX = "intake-rate"
log = logging.getLogger(__name__)


class SupplierKeyRateThrottle(BaseThrottle):
    """At most supplier.rate_limit_per_second requests per key in each wall-clock second; people are not limited."""

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, SupplierApiKey):
            return True
        second = int(time.time())
        self.retry_after = 1
        counter = f"{COUNTER_PREFIX}:{key.pk}:{second}"
        # add + incr are atomic on Redis and under LocMem's lock: no read-modify-write race between workers.
        try:
            cache.add(counter, 0, timeout=5)
            try:
                count = cache.incr(counter)
            except ValueError:  # evicted between add and incr
                cache.set(counter, 1, timeout=5)
                count = 1
        except Exception as error:  # the cache (Redis) is down: leads are worth more than the limit
            log.warning("intake rate limit skipped, cache unavailable: %s", type(error).__name__)
            return True
        return count <= key.supplier.rate_limit_per_second

    def wait(self) -> float:
        return self.retry_after
