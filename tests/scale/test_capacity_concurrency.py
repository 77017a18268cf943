"""Capacity under real concurrency on PostgreSQL: reps accept, call and close while workers keep routing; the load
counter always equals open offers plus owned leads with no contact yet (CONTRACT 6.1)."""

import contextlib
import random
import threading

import pytest
from django.db import connection
from django.db.models import Count

from assignments import services
from assignments.models import Assignment, Rep
from assignments.services.offers import OfferError
from tests.scale.floors import least_busy_floor

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]

REPS, CAPACITY, LEADS, ROUTERS = 6, 3, 240, 2


def expected_loads() -> dict[int, int]:
    offers = dict(Assignment.objects.filter(status="offered").values_list("rep").annotate(n=Count("id")))
    uncontacted = dict(Assignment.objects.filter(status="accepted", lead__first_contact_at__isnull=True)
                       .values_list("rep").annotate(n=Count("id")))
    return {rep_id: offers.get(rep_id, 0) + uncontacted.get(rep_id, 0)
            for rep_id in Rep.objects.values_list("pk", flat=True)}


def test_contacts_and_new_offers_racing_keep_load_exact():
    assert connection.vendor == "postgresql"
    reps, lead_ids = least_busy_floor(reps=REPS, capacity=CAPACITY, leads=LEADS)
    errors: list[BaseException] = []
    routing_done = threading.Event()
    start = threading.Barrier(ROUTERS + REPS)

    def route(queue: list[int]) -> None:
        try:
            start.wait()
            for lead_id in queue:
                services.lead_route(lead_id=lead_id)
                services.waiting_leads_route(limit=20)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def work(rep: Rep, seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            while not routing_done.is_set():
                for offer in Assignment.objects.filter(rep=rep, status="offered"):
                    with contextlib.suppress(OfferError):
                        services.assignment_accept(assignment_id=offer.pk, rep=rep)
                for owned in Assignment.objects.filter(rep=rep, status="accepted"):
                    outcome = rng.choice(["no_answer", "connected", "won", "lost"])
                    with contextlib.suppress(OfferError):
                        services.contact_log(assignment_id=owned.pk, rep=rep, channel="call", outcome=outcome)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    queue = lead_ids[:]
    random.Random(3).shuffle(queue)
    routers = [threading.Thread(target=route, args=(queue[i::ROUTERS],)) for i in range(ROUTERS)]
    workers = [threading.Thread(target=work, args=(rep, n)) for n, rep in enumerate(reps)]
    for thread in routers + workers:
        thread.start()
    for thread in routers:
        thread.join(timeout=300)
    routing_done.set()
    for thread in workers:
        thread.join(timeout=120)
    assert errors == []

    loads = dict(Rep.objects.values_list("pk", "load"))
    assert loads == expected_loads()
    assert all(load <= CAPACITY for load in loads.values())
    assert Assignment.objects.filter(status__in=["accepted", "completed"]).count() > REPS * CAPACITY  # it flowed
