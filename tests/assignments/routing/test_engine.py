"""End-to-end decide(): the classic five-step flow and a 10,000-rep sanity run."""

import random
from datetime import datetime, timedelta

import pytest

from assignments.routing import Condition, Territory, decide

from .test_facts import NOW, make_lead, make_rep, make_rule

HOT, GENERAL = 1, 2
# Classic flow: available -> immediate contact needed -> language -> best performer.
CLASSIC_RULES = [
    make_rule(1, name="Contact now", order=10, conditions=(Condition("fields.contact_now", "eq", "yes"),),
              team_ids=frozenset({HOT}), strategy="top_performer"),
    make_rule(2, name="Everyone else", order=20, team_ids=frozenset({GENERAL}), strategy="top_performer"),
]
ES, EN = frozenset({"es"}), frozenset({"en"})
CLASSIC_REPS = [
    make_rep(1, team_ids=frozenset({HOT}), languages=ES, performance=0.95, status="busy"),
    make_rep(2, team_ids=frozenset({HOT}), languages=ES, performance=0.50),
    make_rep(3, team_ids=frozenset({HOT}), languages=EN, performance=0.97),
    make_rep(4, team_ids=frozenset({HOT}), languages=ES, performance=0.70),
    make_rep(5, team_ids=frozenset({GENERAL}), languages=ES, performance=0.99),
    make_rep(6, team_ids=frozenset({GENERAL}), languages=EN, performance=0.60),
    make_rep(7, team_ids=frozenset({HOT, GENERAL}), languages=EN | ES, performance=0.80, working_hours=()),
]


@pytest.mark.parametrize(
    ("fields", "language", "rule_id", "rep_id", "fallbacks"),
    [
        ({"contact_now": "Yes"}, "es", 1, 4, (2,)),
        ({"contact_now": "yes"}, "en", 1, 3, ()),
        ({"contact_now": "no"}, "es", 2, 5, ()),
        ({}, "en", 2, 6, ()),
        ({}, "", 2, 5, (6,)),
    ],
)
def test_classic_five_step_flow(fields, language, rule_id, rep_id, fallbacks):
    lead = make_lead(fields=fields, language=language)
    decision = decide(lead=lead, reps=CLASSIC_REPS, rules=CLASSIC_RULES, now=NOW, rng=random.Random(0))
    assert (decision.action, decision.rule_id, decision.rep_ids, decision.fallback_rep_ids) == (
        "offer", rule_id, (rep_id,), fallbacks)
    assert f"chose rep {rep_id}" in decision.summary()


def test_classic_flow_explains_drops():
    lead = make_lead(fields={"contact_now": "yes"}, language="es")
    decision = decide(lead=lead, reps=CLASSIC_REPS, rules=CLASSIC_RULES, now=NOW, rng=random.Random(0))
    assert decision.summary() == (
        "Rule 'Contact now' matched; 2 of 5 reps eligible (1 not available, 1 off hours, 1 language mismatch); "
        "top performer chose rep 4 (1 fallback)."
    )
    assert {c.rep_id: c.score for c in decision.candidates if c.kept} == {2: 0.5, 4: 0.7}


def test_decide_requires_aware_now():
    with pytest.raises(ValueError):
        decide(lead=make_lead(), reps=[], rules=[], now=datetime(2024, 1, 1), rng=random.Random(0))


def test_decide_accepts_a_seed_and_is_deterministic():
    reps = [make_rep(i, weight=i) for i in range(1, 30)]
    rules = [make_rule(strategy="weighted")]
    runs = [decide(lead=make_lead(), reps=reps, rules=rules, now=NOW, rng=seed) for seed in (5, 5)]
    assert runs[0] == runs[1]


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney"]


@pytest.mark.parametrize("strategy", ["round_robin", "least_busy", "top_performer", "weighted", "broadcast"])
def test_ten_thousand_reps(strategy):
    reps = [
        make_rep(
            i, timezone=ZONES[i % len(ZONES)], languages=frozenset({"en", "es"} if i % 3 else {"de"}),
            load=i % 4, capacity=4, team_ids=frozenset({i % 5}), territories=(Territory("US", "CA"),),
            last_offered_at=NOW - timedelta(seconds=i % 5000), performance=(i % 100) / 100,
            weight=0 if i != 7777 else 1,
        )
        for i in range(10_000)
    ]
    reps[7777] = make_rep(7777, load=0, capacity=4, team_ids=frozenset({2}), languages=frozenset({"es"}),
                          performance=1.0, last_offered_at=None)
    rule = make_rule(team_ids=frozenset({1, 2, 3}), strategy=strategy, require_territory=True)
    decision = decide(lead=make_lead(language="es"), reps=reps, rules=[rule], now=NOW, rng=random.Random(1))
    assert decision.rep_ids[0] == 7777
    assert len(decision.candidates) == 6000
    kept = sum(c.kept for c in decision.candidates)
    assert kept == 4000
    ranked = len(decision.rep_ids) + len(decision.fallback_rep_ids)
    assert ranked == (1 if strategy == "weighted" else kept)  # weight-0 reps are never offered
