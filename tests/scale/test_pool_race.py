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
from tests.clients import client_for
from tests.concurrency import run_all
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory

CLAIMERS = 8


def pooled_leads(count: int) -> list[int]:
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    lead_ids = [LeadFactory().pk for _ in range(count)]
    for lead_id in lead_ids:
        assert lead_route(lead_id=lead_id).action == "pooled"
    return lead_ids


def claimer(rep: Rep, lead_ids: list[int]):
    """A job for run_all: the rep claims every lead in turn; returns how each claim ended (claimed or the error
    code). After each claim the connection goes back to the pool, as after a web request (8 connections)."""
    def claim_all() -> Counter:
        outcomes: Counter = Counter()
        for lead_id in lead_ids:
            try:
                pool_claim(lead_id=lead_id, rep=rep)
                outcomes["claimed"] += 1
            except ServiceError as refused:
                outcomes[refused.code] += 1
            finally:
                connection.close()
        return outcomes
    return claim_all


def loads_are_exact(reps: list[Rep]) -> None:
    for rep in Rep.objects.filter(pk__in=[r.pk for r in reps]):
        assert rep.load == Assignment.objects.filter(rep=rep, status="accepted").count() <= rep.capacity

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]

LEADS, REPS, CAPACITY = 30, 6, 4


def test_eight_reps_claim_one_pool_lead_through_the_api_and_exactly_one_wins():
    assert connection.vendor == "postgresql"
    [lead_id] = pooled_leads(1)
    reps = [RepFactory() for _ in range(CLAIMERS)]

    def claim(rep: Rep):
        def post() -> tuple[int, str]:
            response = client_for(rep.user).post(f"/api/v1/pool/{lead_id}/claim/", format="json")
            return response.status_code, response.json().get("code", "")
        return post

    answers = Counter(run_all([claim(rep) for rep in reps]))
    assert answers == {(200, ""): 1, (409, "already_claimed"): CLAIMERS - 1}
    winner = Assignment.objects.get(lead_id=lead_id, status="accepted", claimed=True)
    assert Lead.objects.get(pk=lead_id).owner_id == winner.rep.user_id
    loads_are_exact(reps)
    assert sorted(Rep.objects.filter(pk__in=[r.pk for r in reps]).values_list("load", flat=True)) == [0] * 7 + [1]


def test_eight_claimers_looping_over_two_hundred_pool_leads_leave_one_owner_each():
    assert connection.vendor == "postgresql"
    lead_ids = pooled_leads(200)
    reps = [RepFactory(capacity=40) for _ in range(CLAIMERS)]  # room for every lead: no claim is refused for room

    results = run_all([claimer(rep, lead_ids) for rep in reps])
    owners = Counter(Assignment.objects.filter(status="accepted", claimed=True).values_list("lead_id", flat=True))
    assert sorted(owners) == sorted(lead_ids) and set(owners.values()) == {1}
    assert sum(r["claimed"] for r in results) == 200
    assert sum(r["already_claimed"] for r in results) == 200 * (CLAIMERS - 1)
    assert sum(r["at_capacity"] for r in results) == 0
    loads_are_exact(reps)
    assert sum(Rep.objects.filter(pk__in=[r.pk for r in reps]).values_list("load", flat=True)) == 200


def test_reps_racing_for_the_pool_leave_one_owner_per_lead_and_no_rep_over_capacity():
    assert connection.vendor == "postgresql"
    lead_ids = pooled_leads(LEADS)
    reps = [RepFactory(capacity=CAPACITY) for _ in range(REPS)]

    results = run_all([claimer(rep, lead_ids) for rep in reps])

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
