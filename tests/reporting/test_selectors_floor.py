"""Suppliers, campaigns, reps, fairness and SLA: exact numbers for the hand-built floor."""

import datetime as dt
from dataclasses import replace

import pytest
from django.utils.timezone import now

from reporting.queries.scope import ReportParams
from reporting.selectors import (
    campaign_rows,
    rep_fairness_rows,
    rep_rows,
    report_headlines,
    sla_rows,
    supplier_rows,
)
from tests.factories import CampaignFactory, LeadFactory, RoutingRuleFactory, RuleConditionFactory
from tests.reporting.dataset import at

pytestmark = pytest.mark.django_db
MARCH = ReportParams(since=at("2026-03-01 00:00:00"), until=at("2026-04-01 00:00:00"))
EMPTY = ReportParams(since=at("2025-01-01 00:00:00"), until=at("2025-02-01 00:00:00"))

ACME = {"key": "Acme", "label": "Acme", "attempts": 13, "accepted": 7, "duplicates": 2, "rejected": 3, "invalid": 1,
        "rejected_by_reason": {"invalid_contact": 1, "suppressed": 2}, "leads": 7, "contacted": 6, "won": 2,
        "contact_rate_pct": 85.71, "conversion_rate_pct": 28.57, "cost": 70.0, "cost_per_lead": 10.0,
        "cost_per_sale": 35.0, "revenue": 75.0, "margin": 5.0, "margin_pct": 6.67, "sold": 1, "returned": 0,
        "return_rate_pct": 0.0, "returned_amount": 0.0, "recycled": 0, "recycled_won": 0, "recycled_open": 0}
BETA = {"key": "Beta", "label": "Beta", "attempts": 4, "accepted": 3, "duplicates": 0, "rejected": 1, "invalid": 0,
        "rejected_by_reason": {"campaign_closed": 1}, "leads": 3, "contacted": 3, "won": 1,
        "contact_rate_pct": 100.0, "conversion_rate_pct": 33.33, "cost": 60.0, "cost_per_lead": 20.0,
        "cost_per_sale": 60.0, "revenue": 50.0, "margin": -10.0, "margin_pct": -20.0, "sold": 0, "returned": 0,
        "return_rate_pct": None, "returned_amount": 0.0, "recycled": 0, "recycled_won": 0, "recycled_open": 0}


def test_suppliers(floor):
    assert supplier_rows(params=MARCH) == [ACME, BETA]


def test_campaigns_are_keyed_by_slug(floor):
    rows = campaign_rows(params=MARCH)
    assert rows == [{**BETA, "key": "roof", "label": "Roof"}, {**ACME, "key": "solar", "label": "Solar"}]


def test_supplier_filter_and_team_filter(floor):
    assert [r["key"] for r in supplier_rows(params=replace(MARCH, supplier=floor.beta))] == ["Beta"]
    # Attempts have no team: the team narrows only the lead columns.
    south = {r["key"]: (r["attempts"], r["leads"]) for r in supplier_rows(params=replace(MARCH, team=floor.south))}
    assert south == {"Acme": (13, 0), "Beta": (4, 3)}


def test_no_sale_means_no_cost_per_sale(floor):
    row = supplier_rows(params=replace(MARCH, since=at("2026-03-02 10:30:00"), until=at("2026-03-02 11:30:00")))
    assert [(r["leads"], r["won"], r["cost_per_sale"], r["conversion_rate_pct"]) for r in row] == [(1, 0, None, 0.0)]


def test_reps(floor):
    assert rep_rows(params=MARCH) == [
        {"key": "alice", "label": "Alice Archer", "offered": 6, "accepted": 3, "declined": 2, "expired": 1,
         "revoked": 0, "open": 0, "acceptance_rate_pct": 50.0, "median_response_seconds": 30.0, "won": 2, "load": 2,
         "capacity": 4, "load_pct": 50.0, "claimed": 0, "median_pool_wait_seconds": None},
        {"key": "bob", "label": "Bob Baker", "offered": 4, "accepted": 3, "declined": 0, "expired": 1, "revoked": 0,
         "open": 0, "acceptance_rate_pct": 75.0, "median_response_seconds": 40.0, "won": 0, "load": 0,
         "capacity": 5, "load_pct": 0.0, "claimed": 0, "median_pool_wait_seconds": None},
        {"key": "carol", "label": "Carol Cole", "offered": 3, "accepted": 3, "declined": 0, "expired": 0,
         "revoked": 0, "open": 0, "acceptance_rate_pct": 100.0, "median_response_seconds": 20.0, "won": 1,
         "load": 0, "capacity": 5, "load_pct": 0.0, "claimed": 0, "median_pool_wait_seconds": None},
    ]
    assert [r["key"] for r in rep_rows(params=replace(MARCH, team=floor.south))] == ["carol"]


def test_fairness_against_each_strategy(floor):
    rows = [(r["rule"], r["key"], r["offers"], r["share_pct"], r["intended_pct"], r["difference_pct"])
            for r in rep_fairness_rows(params=MARCH)]
    assert rows == [
        # round robin over North (alice, bob): equal shares of 9 offers
        ("Solar RR", "alice", 5, 55.56, 50.0, 5.56),
        ("Solar RR", "bob", 4, 44.44, 50.0, -5.56),
        # weighted over North + South: weights 3, 1, 1; bob got nothing and still shows
        ("Roof weighted", "alice", 1, 25.0, 60.0, -35.0),
        ("Roof weighted", "bob", 0, 0.0, 20.0, -20.0),
        ("Roof weighted", "carol", 3, 75.0, 20.0, 55.0),
    ]
    south = [(r["rule"], r["key"], r["share_pct"]) for r in rep_fairness_rows(params=replace(MARCH, team=floor.south))]
    assert south == [("Roof weighted", "carol", 75.0)]


def test_fairness_has_no_intended_share_for_performance_strategies(floor):
    floor.solar_rule.strategy = "top_performer"
    floor.solar_rule.save()
    rows = [(r["key"], r["intended_pct"], r["difference_pct"]) for r in rep_fairness_rows(params=MARCH)
            if r["rule"] == "Solar RR"]
    assert rows == [("alice", None, None), ("bob", None, None)]


def test_sla_by_rule(floor):
    assert sla_rows(params=replace(MARCH, group_by="rule")) == [
        {"key": str(floor.solar_rule.pk), "label": "Solar RR", "max_wait_seconds": 60, "offer_timeout_seconds": 120,
         "offers": 9, "expired_offers": 2, "expired_pct": 22.22, "leads_offered": 7, "late_first_offers": 1,
         "waiting_now": 0, "waiting_late": 0, "late_leads": 1, "late_pct": 14.29, "median_wait_seconds": 8.0,
         "p90_wait_seconds": 47.2, "accepted_and_sat": 0},
        {"key": str(floor.roof_rule.pk), "label": "Roof weighted", "max_wait_seconds": 300,
         "offer_timeout_seconds": 120, "offers": 4, "expired_offers": 0, "expired_pct": 0.0, "leads_offered": 3,
         "late_first_offers": 1, "waiting_now": 0, "waiting_late": 0, "late_leads": 1, "late_pct": 33.33,
         "median_wait_seconds": 5.0, "p90_wait_seconds": 321.0, "accepted_and_sat": 0},
    ]


def test_sla_by_team(floor):
    rows = [(r["key"], r["offers"], r["expired_offers"], r["leads_offered"], r["late_leads"], r["late_pct"])
            for r in sla_rows(params=replace(MARCH, group_by="team"))]
    # Expired offers count for the rep's team; late leads for every team of their rule (roof: North + South).
    assert rows == [("North", 10, 2, 10, 2, 20.0), ("South", 3, 0, 3, 1, 33.33)]


def test_sla_counts_leads_still_waiting_past_their_rule(floor):
    recent = now() - dt.timedelta(minutes=10)
    LeadFactory(campaign=floor.solar, supplier=floor.acme, received_at=recent, status="waiting")  # 600 s > 60
    LeadFactory(campaign=floor.roof, supplier=floor.beta, received_at=now() - dt.timedelta(seconds=30),
                status="new")  # 30 s < 300
    other = CampaignFactory(slug="other")
    LeadFactory(campaign=other, supplier=floor.acme, received_at=recent, status="waiting")  # no rule: default 300
    LeadFactory(campaign=floor.solar, supplier=floor.acme, received_at=recent, status="held")  # held on purpose
    since = ReportParams(since=now() - dt.timedelta(hours=1), group_by="rule")
    rows = [(r["label"], r["waiting_now"], r["waiting_late"], r["late_leads"], r["late_pct"])
            for r in sla_rows(params=since)]
    assert rows == [("Solar RR", 1, 1, 1, 100.0), ("Roof weighted", 1, 0, 0, 0.0), ("(no rule)", 1, 1, 1, 100.0)]
    teams = [(r["key"], r["waiting_now"], r["waiting_late"]) for r in sla_rows(params=replace(since, group_by="team"))]
    assert teams == [("(no team)", 1, 1), ("North", 2, 1), ("South", 1, 0)]


def test_sla_rule_matching_is_bounded(floor, monkeypatch):
    from reporting.queries import sla

    monkeypatch.setattr(sla, "UNOFFERED_LIMIT", 2)
    for minutes in (10, 9, 8):
        LeadFactory(campaign=floor.solar, supplier=floor.acme, received_at=now() - dt.timedelta(minutes=minutes),
                    status="waiting")
    rows = [(r["label"], r["waiting_now"], r["waiting_late"])
            for r in sla_rows(params=ReportParams(since=now() - dt.timedelta(hours=1)))]
    assert rows == [("Solar RR", 2, 2), ("(not matched)", 1, 0)]


def test_rule_conditions_pick_the_rule_for_waiting_leads(floor):
    catch_all = RoutingRuleFactory(name="Catch all", order=50)
    RuleConditionFactory(rule=catch_all, field="country", op="eq", value="US")
    other = CampaignFactory(slug="other")
    LeadFactory(campaign=other, supplier=floor.acme, received_at=now() - dt.timedelta(seconds=400), status="waiting")
    rows = [(r["label"], r["waiting_now"], r["waiting_late"])
            for r in sla_rows(params=ReportParams(since=now() - dt.timedelta(hours=1)))]
    assert rows == [("Catch all", 1, 1)]


@pytest.mark.parametrize("selector", [supplier_rows, campaign_rows, rep_rows, rep_fairness_rows])
def test_empty_range_gives_no_rows(floor, selector):
    assert selector(params=EMPTY) == []


@pytest.mark.parametrize("group_by", ["rule", "team"])
def test_sla_empty_range(floor, group_by):
    assert sla_rows(params=replace(EMPTY, group_by=group_by)) == []


def test_headlines(floor):
    headlines = report_headlines(params=MARCH)
    assert {k: v for k, v in headlines.items() if k != "speed"} == {
        "leads": 10, "won": 3, "won_rate_pct": 30.0, "attempts": 17, "expired_offers": 2, "late_leads": 2,
        "cost": 130.0, "revenue": 125.0, "margin": -5.0}
    assert headlines["speed"]["median_seconds"] == 600.0


def test_headlines_of_nothing(db):
    headlines = report_headlines(params=EMPTY)
    assert headlines["speed"] is None and headlines["leads"] == 0 and headlines["won_rate_pct"] is None
