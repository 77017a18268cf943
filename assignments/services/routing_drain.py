"""The routing drain: one background task routes every requested lead, oldest request first, reading the reps'
facts once per batch instead of once per lead, and with no task queued per lead."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils.timezone import now as tz_now

from assignments.models import RouteRequest
from assignments.services.queue import route_drain_passed, route_drain_wake
from assignments.services.routing import FloorRead, RouteResult, lead_route_inside
from leadcrm.db import retry_on_deadlock

log = logging.getLogger(__name__)

DRAIN_BATCH = 50  # decisions per read of the reps' facts
DRAIN_SLICE_SECONDS = 5.0  # then a fresh drain takes over, so other tasks get a worker between slices
# Drains routing at once on PostgreSQL: their waits on the database overlap, and each still reads the reps'
# facts once per batch. With one, routing fell behind at 50 leads/s on 2 cores (bench.latency --scale-out).
DRAIN_SLOTS = 2
DRAIN_LOCK_KEY = 0x726F757465  # the first of the PostgreSQL advisory locks a routing drain holds ("route")


def route_requests_drain(*, batch: int = DRAIN_BATCH, slice_seconds: float = DRAIN_SLICE_SECONDS) -> dict[str, int]:
    """Route every pending request, oldest first, each lead in its own transaction; returns the actions counted.

    At most DRAIN_SLOTS drains route at once (on PostgreSQL each holds one of as many session advisory locks, and
    requests are claimed with SKIP LOCKED), so one read of the reps serves a batch. A drain that takes a slot
    clears the drain flag, so the next request queues one more drain for another slot. A drain that finds every
    slot taken returns at once and leaves the flag as it is, so wakes queue nothing more while the slots are full.
    A drain routing, after each pass, clears the flag, lets go of its slot and only then looks for requests
    again: a request committed before the clear is found by that look, and one after it queues a drain of its own.

    A drain that dies loses nothing: an unrouted request stays until a drain routes it, and the lock goes with the
    connection. A lead whose routing raises is logged and its request dropped; it stays new, so the reconcile
    sweep requests it again.
    """
    floor = FloorRead(decisions=batch)
    actions: Counter[str] = Counter()
    ends = time.monotonic() + slice_seconds
    while True:
        with _drain_slot() as slot:
            if not slot:
                break
            route_drain_passed()
            slice_over = _route_pending(floor=floor, actions=actions, ends=ends)
            route_drain_passed()
        if slice_over:
            route_drain_wake()  # once the lock is let go of: a fresh drain takes the rest
            break
        if not RouteRequest.objects.exists():
            break
    return dict(actions)


def _route_pending(*, floor: FloorRead, actions: Counter[str], ends: float) -> bool:
    """Route requests until none is left (False) or the slice is over (True)."""
    while time.monotonic() <= ends:
        result = _route_next(floor=floor)
        if result is None:
            return False
        actions[result.action] += 1
    return True


@contextmanager
def _drain_slot() -> Iterator[bool]:
    """Whether this drain may route: on PostgreSQL while it holds one of the DRAIN_SLOTS advisory locks;
    elsewhere always (SQLite writes one transaction at a time anyway)."""
    if connection.vendor != "postgresql":
        yield True
        return
    held = None
    with connection.cursor() as cursor:
        for key in range(DRAIN_LOCK_KEY, DRAIN_LOCK_KEY + DRAIN_SLOTS):
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if cursor.fetchone()[0]:
                held = key
                break
    try:
        yield held is not None
    finally:
        if held is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [held])


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
