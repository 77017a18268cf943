"""Scale-out faults caused for real: Redis killed under load, the database connection cut mid-traffic."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest

from tests.faultkit import PrivateRedis, SeverableProxy, demo_key, floor_state, post_leads
from tests.liveserver import running_leadcrm
from tests.scale_env import fresh_database_url

pytestmark = pytest.mark.scale
FAST_CLOCK = {"FLOOR_QUEUE_SECONDS": "1", "RECONCILE_AFTER_SECONDS": "2"}


def settle(url: str, seconds: float = 60) -> dict:
    """Wait until no lead is still new (routing caught up), then return the floor state."""
    deadline = time.monotonic() + seconds
    while True:
        state = floor_state(psycopg.connect(url))
        if not state["statuses"].get("new") or time.monotonic() > deadline:
            return state
        time.sleep(1)


def test_redis_killed_and_restarted_under_load_loses_no_lead(tmp_path):
    database = fresh_database_url("leadcrm_fault_redis")
    redis = PrivateRedis().start()
    try:
        with running_leadcrm(tmp_path, DATABASE_URL=database, REDIS_URL=redis.url, **FAST_CLOCK) as server:
            key = demo_key(server)
            answers = post_leads(server.url, key, 10)
            redis.kill()
            answers += post_leads(server.url, key, 10, start=10)  # no Redis: no rate-limit store, no push
            redis.start()
            answers += post_leads(server.url, key, 10, start=20)
            state = settle(database)
    finally:
        redis.kill()
    assert [r.status_code for r in answers] == [201] * 30
    assert set(state["statuses"]) <= {"offered", "waiting"} and sum(state["statuses"].values()) == 30, state
    assert state["double_offers"] == state["silent_waits"] == state["load_drift"] == 0


def test_database_cut_answers_503_with_retry_after_then_recovers(tmp_path):
    direct = fresh_database_url("leadcrm_fault_db")
    proxy = SeverableProxy(target_port=5432).start()
    via_proxy = direct.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    try:
        with running_leadcrm(tmp_path, DATABASE_URL=via_proxy, **FAST_CLOCK) as server:
            key = demo_key(server)
            before = post_leads(server.url, key, 5)
            proxy.cut()
            during = post_leads(server.url, key, 5, start=5)
            health = httpx.get(f"{server.url}/readyz", timeout=10)
            proxy.restore()
            after = post_leads(server.url, key, 5, start=10)
            state = settle(direct)
    finally:
        proxy.stop()
    assert [r.status_code for r in before + after] == [201] * 10
    assert {r.status_code for r in during} == {503}
    assert all(r.headers["Retry-After"] == "5" and r.json()["code"] == "database_unavailable" for r in during)
    assert health.status_code == 503 and not health.json()["checks"]["database"]["ok"]
    assert sum(state["statuses"].values()) == 10  # the 503s wrote nothing
    assert state["double_offers"] == state["silent_waits"] == state["load_drift"] == 0
