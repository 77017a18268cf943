"""Builders shared by the routing tests, plus Decision serialisation and choice constants."""

import json
import random
from datetime import UTC, datetime, time, timedelta

import pytest

from assignments.routing import (
    CONDITION_FIELDS,
    FILTER_REASONS,
    OPERATORS,
    RELAX_DROPS,
    STRATEGIES,
    Condition,
    Decision,
    FilterReason,
    LeadFacts,
    Op,
    RelaxDrop,
    RepFacts,
    RuleSpec,
    Strategy,
    Territory,
    WorkingWindow,
    decide,
)

UTC = UTC
NOW = datetime(2024, 6, 5, 14, 0, tzinfo=UTC)  # a Wednesday
ALL_WEEK = tuple(WorkingWindow(day, time(0), time(0)) for day in range(7))


def make_lead(**overrides) -> LeadFacts:
    values = dict(
        id=1, campaign="solar", supplier="Acme", country="US", region="CA", postal_code="94105",
        language="en", skill="solar", fields={}, score=0, waiting_since=NOW,
    )
    return LeadFacts(**{**values, **overrides})


def make_rep(id: int = 1, **overrides) -> RepFacts:
    values = dict(
        id=id, active=True, status="available", timezone="UTC", working_hours=ALL_WEEK,
        days_off=frozenset(), load=0, capacity=5, languages=frozenset({"en"}), skills={"solar": 3},
        territories=(Territory("US"),), team_ids=frozenset({1}), last_offered_at=None,
    )
    return RepFacts(**{**values, **overrides})


def make_rule(id: int = 1, **overrides) -> RuleSpec:
    values = dict(
        id=id, name=f"Rule {id}", order=id * 10, active=True, conditions=(), team_ids=frozenset(),
        strategy=Strategy.ROUND_ROBIN,
    )
    return RuleSpec(**{**values, **overrides})


def spanish_decision() -> Decision:
    rule = make_rule(12, name="Spanish solar", conditions=(Condition("language", "eq", "es"),))
    reps = [
        make_rep(12, languages=frozenset({"es"})),
        make_rep(13, languages=frozenset({"es"}), last_offered_at=NOW - timedelta(minutes=5)),
        make_rep(14, languages=frozenset({"es"}), working_hours=()),
        make_rep(15, languages=frozenset({"es"}), working_hours=()),
        make_rep(16, languages=frozenset({"en"})),
    ]
    return decide(lead=make_lead(language="es"), reps=reps, rules=[rule], now=NOW, rng=random.Random(1))


def test_decision_to_json_round_trips_through_json():
    decision = spanish_decision()
    data = decision.to_json()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert Decision.from_json(json.loads(json.dumps(data))) == decision
    assert list(data) == [
        "action", "rep_ids", "fallback_rep_ids", "rule_id", "rule_name", "strategy", "reason",
        "relaxed", "explored", "score", "decided_at", "candidates", "personas",
    ]
    assert data["decided_at"] == "2024-06-05T14:00:00+00:00"
    assert data["candidates"][0] == {"rep_id": 12, "kept": True, "reason": "", "score": None}


def test_summary_mentions_rule_counts_and_chosen_rep():
    text = spanish_decision().summary()
    assert text == (
        "Rule 'Spanish solar' matched; 2 of 5 reps eligible (2 off hours, 1 language mismatch); "
        "round robin chose rep 12 (1 fallback)."
    )


@pytest.mark.parametrize(
    ("decision_kwargs", "expected"),
    [
        (dict(rule_id=None, reason="no_rule"), "No active rule matched; lead waits."),
        (dict(rule_id=3, rule_name="X", reason="no_eligible_rep"),
         "Rule 'X' matched; 0 of 0 reps eligible; lead waits (no eligible rep)."),
    ],
)
def test_summary_for_waits(decision_kwargs, expected):
    base = dict(action="wait", rep_ids=(), fallback_rep_ids=(), rule_name="", candidates=(), relaxed=(),
                explored=False, score=0, decided_at=NOW)
    assert Decision(**{**base, **decision_kwargs}).summary() == expected


@pytest.mark.parametrize(
    ("choices", "enum"),
    [(STRATEGIES, Strategy), (OPERATORS, Op), (RELAX_DROPS, RelaxDrop), (FILTER_REASONS, FilterReason)],
)
def test_choice_tuples_cover_their_enum(choices, enum):
    assert [value for value, _ in choices] == [member.value for member in enum]
    assert all(isinstance(label, str) and label for _, label in choices)


def test_condition_fields_are_lead_attributes():
    lead = make_lead()
    assert all(hasattr(lead, name) for name, _ in CONDITION_FIELDS)
