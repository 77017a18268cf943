"""Routing work queued for the background: routing requests written with the change, drains queued after commit."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.timezone import now as tz_now

from assignments import tasks
from assignments.models import RouteDrain, RouteRequest
from leadcrm.after_commit import after_commit, enqueue_on_commit

# A drain queued this long ago with no drain routing since is presumed lost (its worker died): a wake queues another.
DRAIN_LOST_SECONDS = 60


def lead_route_enqueue(*, lead_id: int) -> None:
    """Route this lead in the background once the current transaction commits (see leads_route_enqueue)."""
    leads_route_enqueue(lead_ids=[lead_id])


def leads_route_enqueue(*, lead_ids: list[int]) -> None:
    """Route these leads in the background once the current transaction commits.

    Writes a routing request per lead in the current transaction, so the requests commit or roll back with the
    change that made the leads routable, and wakes the drain after the commit. A lead already requested keeps
    its first request (and its place in the queue). The leads must exist.
    """
    requested_at = tz_now()
    RouteRequest.objects.bulk_create([RouteRequest(lead_id=pk, requested_at=requested_at) for pk in lead_ids],
                                     ignore_conflicts=True)
    after_commit(route_drain_wake)


def route_drain_wake() -> bool:
    """Queue a drain unless one was queued since a drain last took a slot or finished a pass (or that was more
    than DRAIN_LOST_SECONDS ago); returns whether this call queued one.

    The drain routing clears the flag after each pass and then looks for requests once more, so a request
    committed before this call is read by that look or by the drain this call queues (services.routing_drain).
    Read first: while a drain is queued a wake writes nothing.
    """
    now = tz_now()
    lost = now - dt.timedelta(seconds=DRAIN_LOST_SECONDS)
    queued = list(RouteDrain.objects.filter(pk=1).values_list("queued_at", flat=True))
    if queued and queued[0] is not None and queued[0] > lost:
        return False
    with transaction.atomic():
        if not queued:
            RouteDrain.objects.bulk_create([RouteDrain(pk=1)], ignore_conflicts=True)
        claimed = RouteDrain.objects.filter(Q(queued_at__isnull=True) | Q(queued_at__lte=lost), pk=1).update(
            queued_at=now)
        if claimed:
            enqueue_on_commit(tasks.route_drain_task, key="route-drain")
    return bool(claimed)


def route_drain_passed() -> None:
    """The drain routing finished a pass over the requests: from now on a wake queues the next drain."""
    RouteDrain.objects.filter(pk=1).update(queued_at=None)


def waiting_leads_route_enqueue() -> None:
    """Offer waiting leads in a worker once the current transaction commits (capacity or a rep came free)."""
    enqueue_on_commit(tasks.route_waiting_task)
