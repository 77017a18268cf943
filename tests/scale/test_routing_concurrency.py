"""Routing under real concurrency on PostgreSQL: 4 workers, 500 leads (each queued twice), 20 reps of capacity 10."""

import random
import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count, Q

from assignments import services
from assignments.models import Assignment, Rep
from campaigns.models import Lead
from tests.scale.floors import least_busy_floor

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]

WORKERS, LEADS, REPS, CAPACITY = 4, 500, 20, 10


def run_workers(queues: list[list[int]]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(queues))

    def work(lead_ids: list[int]) -> None:
        try:
            start.wait()
            for lead_id in lead_ids:
                services.lead_route(lead_id=lead_id)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(queue,)) for queue in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_many_workers_never_overfill_a_rep_nor_double_offer_a_lead():
    assert connection.vendor == "postgresql"
    reps, lead_ids = least_busy_floor(reps=REPS, capacity=CAPACITY, leads=LEADS)
    # Every lead is queued twice, on different workers, like a retried task racing the original.
    queue = lead_ids + lead_ids
    random.Random(7).shuffle(queue)
    errors = run_workers([queue[i::WORKERS] for i in range(WORKERS)])
    assert errors == []

    offers = Counter(Assignment.objects.filter(status="offered").values_list("lead_id", flat=True))
    assert offers and max(offers.values()) == 1  # no lead with two live offers
    per_rep = dict(Assignment.objects.filter(status="offered").values_list("rep").annotate(n=Count("id")))
    for rep in Rep.objects.filter(pk__in=[r.pk for r in reps]):
        assert rep.load <= rep.capacity
        assert rep.load == per_rep.get(rep.pk, 0)  # the load counter matches the offers it counts
    assert sum(offers.values()) == REPS * CAPACITY
    statuses = Counter(Lead.objects.values_list("status", flat=True))
    assert statuses == {"offered": REPS * CAPACITY, "waiting": LEADS - REPS * CAPACITY}
    assert not Lead.objects.filter(status="waiting").filter(Q(waiting_reason="")).exists()
