"""Pool claims on PostgreSQL with real threads: every lead gets exactly one owner, the losers hear
already_claimed, and no rep ends over capacity or with a unit it does not hold."""

from collections import Counter

import pytest
from django.db import connection

from assignments.models import Assignment, Rep, RoutingRule
from assignments.services import lead_route
from assignments.services.pool import pool_claim
from campaigns.models import Lead
from leadcrm.errors import ServiceError
from tests.concurrency import run_all
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]

LEADS, REPS, CAPACITY = 30, 6, 4


def test_reps_racing_for_the_pool_leave_one_owner_per_lead_and_no_rep_over_capacity():
    assert connection.vendor == "postgresql"
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    reps = [RepFactory(capacity=CAPACITY) for _ in range(REPS)]
    lead_ids = [LeadFactory().pk for _ in range(LEADS)]
    for lead_id in lead_ids:
        assert lead_route(lead_id=lead_id).action == "pooled"

    def greedy(rep: Rep):
        def claim_all() -> Counter:
            outcomes: Counter = Counter()
            for lead_id in lead_ids:
                try:
                    pool_claim(lead_id=lead_id, rep=rep)
                    outcomes["claimed"] += 1
                except ServiceError as refused:
                    outcomes[refused.code] += 1
            return outcomes
        return claim_all

    results = run_all([greedy(rep) for rep in reps])

    owners = Counter(Assignment.objects.filter(status="accepted", claimed=True).values_list("lead_id", flat=True))
    assert set(owners) <= set(lead_ids) and max(owners.values()) == 1
    assert len(owners) == min(LEADS, REPS * CAPACITY)  # every lead a rep had room for went to exactly one rep
    assert sum(r["claimed"] for r in results) == len(owners)
    assert sum(r["claimed"] + r["already_claimed"] + r["at_capacity"] for r in results) == LEADS * REPS
    for rep in Rep.objects.filter(pk__in=[r.pk for r in reps]):
        held = Assignment.objects.filter(rep=rep, status="accepted").count()
        assert rep.load == held <= CAPACITY
    for lead in Lead.objects.filter(pk__in=owners):
        assert lead.status == Lead.Status.ASSIGNED
        assert lead.owner_id == Assignment.objects.get(lead=lead, status="accepted").rep.user_id
    assert Lead.objects.filter(pk__in=lead_ids, status=Lead.Status.POOL).count() == LEADS - len(owners)
