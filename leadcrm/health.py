"""Operator probes: /healthz (the process answers) and /readyz (database, broker, channel layer, task cluster)."""

from __future__ import annotations

import datetime as dt

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.timezone import now
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from assignments.tasks import floor_tick_task
from leadcrm.after_commit import task_path
from leadcrm.middleware import connection_pools_reset

# The floor tick is scheduled every minute; a cluster that has not run it for this long is not working.
CLUSTER_STALE_AFTER = dt.timedelta(minutes=3)
TICK_FUNC = task_path(floor_tick_task)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the web process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every dependency answers, else 503 naming what failed (no secrets in the output)."""
    database = _database()
    if not database["ok"]:
        connection_pools_reset()  # so the first probe after the outage connects afresh
    # With the database down, what lives in it is not probed again (each probe would wait out the pool timeout).
    skipped = {"ok": False, "detail": "not checked: the database is unavailable"}
    broker_in_database = "orm" in settings.Q_CLUSTER
    checks = {"database": database, "broker": _broker() if database["ok"] or not broker_in_database else skipped,
              "channel_layer": _channel_layer(), "task_cluster": _task_cluster() if database["ok"] else skipped}
    ready = all(check["ok"] for check in checks.values())
    response = JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                            status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = "5"
    return response


def _check(fn) -> dict:
    try:
        detail = fn()
    except Exception as error:  # a probe reports failures, it never raises them
        return {"ok": False, "detail": f"{type(error).__name__}: {str(error)[:200]}"}
    return {"ok": True, "detail": detail}


def _database() -> dict:
    def ping() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return connection.vendor
    return _check(ping)


def _broker() -> dict:
    def ping() -> str:
        from django_q.brokers import get_broker

        broker = get_broker()
        if not broker.ping():
            raise ConnectionError("broker did not answer")
        return f"{type(broker).__name__}, {broker.queue_size()} queued"
    return _check(ping)


def _channel_layer() -> dict:
    def ping() -> str:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)("readyz", {"type": "readyz.ping"})
        return type(layer).__name__
    return _check(ping)


def _task_cluster() -> dict:
    def heartbeat() -> str:
        from django_q.models import Schedule

        tick = Schedule.objects.filter(func=TICK_FUNC).first()
        if tick is None:
            raise LookupError("the floor tick schedule is missing (run migrate)")
        if tick.next_run and now() - tick.next_run > CLUSTER_STALE_AFTER:
            raise TimeoutError(f"no task cluster has run the floor tick since {tick.next_run:%Y-%m-%d %H:%M:%S} UTC")
        return f"next floor tick {tick.next_run:%H:%M:%S} UTC"
    return _check(heartbeat)
