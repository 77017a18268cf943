"""The routing drain: one background task routes every requested lead, oldest request first, reading the reps'
facts once per batch instead of once per lead, and with no task queued per lead."""

from __future__ import annotations

import logging
import time
from collections import Counter

from django.db import transaction
from django.utils.timezone import now as tz_now

from assignments.models import RouteRequest
from assignments.services.queue import route_drain_started, route_drain_wake
from assignments.services.routing import FloorRead, RouteResult, lead_route_inside
from leadcrm.db import retry_on_deadlock

log = logging.getLogger(__name__)

DRAIN_BATCH = 50  # decisions per read of the reps' facts
DRAIN_SLICE_SECONDS = 5.0  # then a fresh drain takes over, so other tasks get a worker between slices


def route_requests_drain(*, batch: int = DRAIN_BATCH, slice_seconds: float = DRAIN_SLICE_SECONDS) -> dict[str, int]:
    """Route every pending request, oldest first, each lead in its own transaction; returns the actions counted.

    Drains may run side by side (on PostgreSQL each claims requests with SKIP LOCKED), and a drain that dies
    loses nothing: an unrouted request stays until a drain routes it. A lead whose routing raises is logged and
    its request dropped; it stays new, so the reconcile sweep requests it again.
    """
    route_drain_started()
    floor = FloorRead(decisions=batch)
    actions: Counter[str] = Counter()
    ends = time.monotonic() + slice_seconds
    while True:
        if time.monotonic() > ends:
            route_drain_wake()
            break
        result = _route_next(floor=floor)
        if result is None:
            break
        actions[result.action] += 1
    return dict(actions)


def _route_next(*, floor: FloorRead) -> RouteResult | None:
    claimed: list[int] = []
    try:
        return _route_next_request(floor=floor, claimed=claimed)
    except Exception:
        if not claimed:  # the claim itself failed: the database's trouble, not a lead's
            raise
        log.exception("routing lead %s failed; it stays new for the reconcile sweep", claimed[-1])
        RouteRequest.objects.filter(lead_id=claimed[-1]).delete()
        floor.forget()
        return RouteResult(claimed[-1], "failed")


@retry_on_deadlock
def _route_next_request(*, floor: FloorRead, claimed: list[int]) -> RouteResult | None:
    with transaction.atomic():
        request = (RouteRequest.objects.select_for_update(skip_locked=True).order_by("pk")
                   .values_list("pk", "lead_id").first())
        if request is None:
            return None
        request_id, lead_id = request
        claimed.append(lead_id)
        RouteRequest.objects.filter(pk=request_id).delete()
        return lead_route_inside(lead_id=lead_id, now=tz_now(), floor=floor)
