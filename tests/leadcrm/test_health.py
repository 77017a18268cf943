"""Operator probes answer truthfully: ready only when database, broker, channel layer and tasks work."""

import datetime as dt

import pytest
from channels.layers import channel_layers
from django.utils.timezone import now
from django_q.models import Schedule

from leadcrm.health import TICK_FUNC

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_for_anyone(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ready_with_a_recent_floor_tick(client):
    Schedule.objects.filter(func=TICK_FUNC).update(next_run=now())
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker", "channel_layer", "task_cluster"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_reports_a_stalled_task_cluster(client):
    Schedule.objects.filter(func=TICK_FUNC).update(next_run=now() - dt.timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "no task cluster has run the floor tick" in response.json()["checks"]["task_cluster"]["detail"]


def test_readyz_reports_an_unreachable_channel_layer(client, settings):
    Schedule.objects.filter(func=TICK_FUNC).update(next_run=now())
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    channel_layers.backends = {}
    try:
        response = client.get("/readyz")
    finally:
        channel_layers.backends = {}
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["channel_layer"]["ok"] and checks["database"]["ok"]


def test_readyz_with_the_database_down_does_not_probe_what_lives_in_it(client, monkeypatch):
    from leadcrm import health

    def unreachable() -> dict:
        return {"ok": False, "detail": "OperationalError: connection refused"}

    probed = []
    monkeypatch.setattr(health, "_database", unreachable)
    monkeypatch.setattr(health, "_task_cluster", lambda: probed.append("task_cluster"))
    monkeypatch.setattr(health, "_broker", lambda: probed.append("broker"))
    response = client.get("/readyz")
    assert response.status_code == 503 and probed == []  # the embedded broker is the database (ORM)
    checks = response.json()["checks"]
    assert checks["broker"] == checks["task_cluster"] == {"ok": False,
                                                          "detail": "not checked: the database is unavailable"}
    assert checks["channel_layer"]["ok"]
