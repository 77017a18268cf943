"""Tiers on the floor: offers follow the open tiers, the ladder widens as a lead waits, its pool tier pools it,
and the lab copies, promotes and replays ladders."""

import datetime as dt

import pytest
from django.utils.timezone import now

from assignments import services
from assignments.lab import services as lab
from assignments.lab.selectors import ruleset_specs
from assignments.models import Assignment, DraftTier, Rep, RoutingRule, RuleTier
from assignments.selectors import rule_specs_active
from assignments.services.pool import pool_rep_ids, waiting_leads_pool
from assignments.services.routing import waiting_leads_route
from campaigns.models import Lead
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ladder():
    """Tier 1 the closers team, after 60 s tier 2 rep Bea, after 120 s more the open pool. Zed is in no tier."""
    closers = TeamFactory(name="Closers")
    amy = RepFactory(teams=[closers], user__first_name="Amy", user__last_name="")
    bea = RepFactory(user__first_name="Bea", user__last_name="")
    zed = RepFactory(user__first_name="Zed", user__last_name="")
    rule = RoutingRuleFactory(name="Solar")
    RuleTier.objects.create(rule=rule, position=1, kind="team", team=closers, wait_seconds=60)
    RuleTier.objects.create(rule=rule, position=2, kind="reps", wait_seconds=120).reps.add(bea)
    RuleTier.objects.create(rule=rule, position=3, kind="pool")
    return {"rule": rule, "amy": amy, "bea": bea, "zed": zed}


def test_the_first_offer_goes_to_tier_one_and_its_explanation_names_the_tier(ladder):
    lead = LeadFactory(received_at=now())
    assert services.lead_route(lead_id=lead.pk).action == "offered"
    offer = Assignment.objects.get(lead=lead)
    assert offer.rep == ladder["amy"]
    assert offer.explanation["tiers"] == ["Closers"] and offer.explanation["next_tier"] == "Bea"
    assert "tier open: 1 'Closers' (tier 2 'Bea' opens after 60 s of waiting); round robin chose rep " \
           f"{ladder['amy'].pk} (tier 1)" in offer.explanation["summary"]


def test_a_lead_waits_for_tier_two_then_the_floor_offers_it_there(ladder):
    Rep.objects.filter(pk=ladder["amy"].pk).update(load=5)
    start = now()
    lead = LeadFactory(received_at=start)
    assert services.lead_route(lead_id=lead.pk, now=start).action == "waiting"
    assert "tier 2 'Bea' opens after 60 s" in Lead.objects.get(pk=lead.pk).waiting_reason
    assert waiting_leads_route(now=start + dt.timedelta(seconds=59)) == 0
    assert waiting_leads_route(now=start + dt.timedelta(seconds=60)) == 1
    assert Assignment.objects.get(lead=lead).rep == ladder["bea"]


def test_the_pool_tier_pools_a_lead_nobody_took_and_only_the_ladder_may_claim_it(ladder):
    for rep in (ladder["amy"], ladder["bea"]):
        Rep.objects.filter(pk=rep.pk).update(load=5)
    start = now() - dt.timedelta(seconds=179)
    lead = LeadFactory(received_at=start, status=Lead.Status.WAITING)
    assert waiting_leads_pool() == 0  # the pool tier opens after 60 + 120 s
    Lead.objects.filter(pk=lead.pk).update(received_at=start - dt.timedelta(seconds=1))
    assert waiting_leads_pool() == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.POOL
    assert sorted(pool_rep_ids(lead=lead, now=now())) == sorted([ladder["amy"].pk, ladder["bea"].pk])


def test_routing_a_lead_after_the_pool_tier_opened_pools_it_when_no_tier_has_room(ladder):
    for rep in (ladder["amy"], ladder["bea"]):
        Rep.objects.filter(pk=rep.pk).update(load=5)
    lead = LeadFactory(received_at=now() - dt.timedelta(seconds=200))
    result = services.lead_route(lead_id=lead.pk)
    assert result.action == "pooled"


def test_the_lab_copies_promotes_and_replays_a_ladder(ladder):
    draft = lab.ruleset_draft_from_live(name="With tiers")
    copied = DraftTier.objects.filter(rule__ruleset=draft).order_by("position")
    assert [(t.kind, t.wait_seconds) for t in copied] == [("team", 60), ("reps", 120), ("pool", None)]
    assert list(copied[1].reps.all()) == [ladder["bea"]]
    assert ruleset_specs(ruleset=draft)[0].tiers == rule_specs_active()[0].tiers

    copied.filter(position=3).update(kind="everyone")
    lab.ruleset_promote(ruleset=draft)
    live = RoutingRule.objects.get(pk=ladder["rule"].pk)
    assert [(t.position, t.kind) for t in live.tiers.all()] == [(1, "team"), (2, "reps"), (3, "everyone")]
    assert list(live.tiers.get(position=2).reps.all()) == [ladder["bea"]]
    lab.promotion_undo()
    assert [t.kind for t in RoutingRule.objects.get(pk=ladder["rule"].pk).tiers.all()] == ["team", "reps", "pool"]


def test_the_floors_pool_pass_reads_tiers_only_when_some_rule_has_a_pool_tier(django_assert_num_queries):
    rule = RoutingRuleFactory(name="Tiered, no pool")
    RuleTier.objects.create(rule=rule, position=1, kind="everyone")
    with django_assert_num_queries(1):  # which rules may pool: none, so nothing else is read
        assert waiting_leads_pool() == 0
