"""Scale-out: the per-key rate counter lives in Redis, so every web process counts against the same limit."""

import threading

import pytest
import redis
from django.conf import settings

from campaigns.api import throttles
from tests.campaigns.conftest import lead_payload

pytestmark = [pytest.mark.scale]


def test_rate_counter_is_shared_through_redis(supplier_client, supplier, monkeypatch):
    assert settings.REDIS_URL, "the scale pass sets REDIS_URL"
    monkeypatch.setattr(throttles.time, "time", lambda: 1_900_000_000.3)
    supplier.rate_limit_per_second = 2
    supplier.save()
    codes = [supplier_client.post("/api/v1/leads/", lead_payload(email=f"r{i}@example.com",
                                                                  phone=f"+1415555012{i}"), format="json").status_code
             for i in range(3)]
    assert codes == [201, 201, 429]
    # Another process sees the same count: read it with a plain Redis client.
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = client.keys(f"*{throttles.COUNTER_PREFIX}:*:1900000000")
    assert len(keys) == 1 and int(client.get(keys[0])) == 3



def test_rate_counter_reuses_one_redis_connection_across_requests():
    server = redis.Redis.from_url(settings.REDIS_URL)
    before = server.info("stats")["total_connections_received"]
    for i in range(8):
        # Each request under ASGI runs in a fresh context, where Django hands out a fresh cache object: a new
        # thread gets one the same way.
        worker = threading.Thread(target=throttles._counter_incr, args=(f"{throttles.COUNTER_PREFIX}:test:{i}",))
        worker.start()
        worker.join()
    assert server.info("stats")["total_connections_received"] - before <= 2
