"""Batch routing under real concurrency on PostgreSQL: 4 drains started at once over 500 requested leads, 20 reps
of capacity 10, and a fifth thread requesting 100 of them again meanwhile. At most DRAIN_SLOTS drains route at
once, no lead is offered twice, no rep is overfilled, no request is left."""

import random
import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from assignments import services
from assignments.models import Assignment, Rep, RouteRequest
from assignments.services import queue, routing_drain
from campaigns.models import Lead
from tests.concurrency import run_all
from tests.scale.floors import least_busy_floor

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]

DRAINS, LEADS, REPS, CAPACITY = 4, 500, 20, 10


def test_drains_side_by_side_never_offer_a_lead_twice_nor_overfill_a_rep(monkeypatch):
    assert connection.vendor == "postgresql"
    monkeypatch.setattr(queue, "enqueue_on_commit", lambda *args, **kwargs: None)  # the threads are the drains
    reps, lead_ids = least_busy_floor(reps=REPS, capacity=CAPACITY, leads=LEADS)
    queue.leads_route_enqueue(lead_ids=lead_ids)
    again = random.Random(3).sample(lead_ids, 100)
    routing_now, most_at_once, count_lock = [0], [0], threading.Lock()
    route = routing_drain.lead_route_inside

    def counted_route(**kwargs):
        with count_lock:
            routing_now[0] += 1
            most_at_once[0] = max(most_at_once[0], routing_now[0])
        try:
            return route(**kwargs)
        finally:
            with count_lock:
                routing_now[0] -= 1

    monkeypatch.setattr(routing_drain, "lead_route_inside", counted_route)

    def request_again() -> int:  # a retried intake or the reconcile sweep, racing the drains
        for lead_id in again:
            queue.lead_route_enqueue(lead_id=lead_id)
        return len(again)

    def drain() -> dict[str, int]:
        return services.route_requests_drain(batch=25, slice_seconds=300)  # no hand-over: nothing queues tasks

    results = run_all([drain] * DRAINS + [request_again])
    services.route_requests_drain(slice_seconds=300)  # what a request re-written behind the drains left

    assert not RouteRequest.objects.exists()
    assert most_at_once == [routing_drain.DRAIN_SLOTS]  # the other drains found the slots taken and left
    actions = Counter()
    for counted in results[:DRAINS]:
        actions.update(counted)
    assert actions["offered"] == REPS * CAPACITY and actions["failed"] == 0
    offers = Counter(Assignment.objects.values_list("lead_id", flat=True))
    assert max(offers.values()) == 1  # no lead offered twice
    per_rep = dict(Assignment.objects.values_list("rep").annotate(n=Count("id")))
    for rep in Rep.objects.filter(pk__in=[r.pk for r in reps]):
        assert rep.load == per_rep.get(rep.pk, 0) == CAPACITY
    assert Counter(Lead.objects.values_list("status", flat=True)) == {
        "offered": REPS * CAPACITY, "waiting": LEADS - REPS * CAPACITY}
