"""A manager assigns leads while routing offers them and reps accept them, on PostgreSQL with real threads:
exactly one owner per lead, no capacity unit leaks, and no rep is told twice about the same assignment."""

import contextlib
import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from assignments import events, services
from assignments.models import Assignment, OutboxEvent, Rep
from assignments.services.offers import OfferError
from campaigns.models import Lead
from leadcrm.errors import ServiceError
from tests.factories import (
    CampaignFactory,
    LeadFactory,
    ManagerFactory,
    RepFactory,
    RoutingRuleFactory,
    SupplierFactory,
)

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]

LEADS, REPS = 60, 4


def test_assign_route_and_accept_racing_leave_one_owner_and_exact_loads():
    assert connection.vendor == "postgresql"
    RoutingRuleFactory(name="Everyone", strategy="broadcast", broadcast_count=REPS)
    reps = [RepFactory(capacity=LEADS) for _ in range(REPS)]
    target = RepFactory(capacity=1, status=Rep.Status.AWAY)  # routing never offers to them; assignments pass capacity
    manager = ManagerFactory()
    campaign, supplier = CampaignFactory(), SupplierFactory()
    lead_ids = [LeadFactory(campaign=campaign, supplier=supplier).pk for _ in range(LEADS)]
    errors: list[BaseException] = []
    start = threading.Barrier(2 + REPS)

    def guarded(work):
        def run():
            try:
                start.wait()
                work()
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()
        return run

    def route():
        for lead_id in lead_ids:
            services.lead_route(lead_id=lead_id)

    def assign():
        for lead_id in lead_ids:
            with contextlib.suppress(ServiceError):
                services.lead_assign(lead_id=lead_id, rep=target, by=manager)

    def accept(rep):
        def run():
            for _ in range(3):
                for offer in Assignment.objects.filter(rep=rep, status="offered").values_list("pk", flat=True):
                    with contextlib.suppress(OfferError):
                        services.assignment_accept(assignment_id=offer, rep=rep)
        return run

    threads = [threading.Thread(target=guarded(work)) for work in (route, assign, *[accept(r) for r in reps])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []

    owners = Counter(Assignment.objects.filter(status="accepted").values_list("lead_id", flat=True))
    assert max(owners.values()) == 1
    for lead in Lead.objects.filter(pk__in=lead_ids):
        accepted = Assignment.objects.filter(lead=lead, status="accepted").select_related("rep").first()
        assert (lead.owner_id is None) == (accepted is None)
        if accepted is not None:
            assert lead.owner_id == accepted.rep.user_id and lead.status == "assigned"
    offers = dict(Assignment.objects.filter(status="offered").values_list("rep").annotate(n=Count("id")))
    uncontacted = dict(Assignment.objects.filter(status="accepted").values_list("rep").annotate(n=Count("id")))
    for rep in Rep.objects.all():
        assert rep.load == offers.get(rep.pk, 0) + uncontacted.get(rep.pk, 0), rep
    told = Counter((row.group, row.type, row.payload["assignment"]["id"])
                   for row in OutboxEvent.objects.filter(type__in=[events.ASSIGNED, events.REVOKED]))
    assert told and max(told.values()) == 1
