"""Condition operators, lead scoring, first-match rule selection and descriptions."""

import random

import pytest

from assignments.routing.conditions import (
    condition_errors,
    condition_matches,
    describe_condition,
    describe_rule,
    match_rule,
    score_lead,
)
from assignments.routing.engine import decide
from assignments.routing.facts import Condition, Relaxation, ScoringRule

from .test_facts import NOW, make_lead, make_rep, make_rule

LEAD = make_lead(
    campaign="Solar-Q3", supplier="Acme Leads", country="US", region="CA", postal_code="94105",
    language="es", skill="solar", score=42,
    fields={"contact_now": " Yes ", "budget": "12000", "roof": "", "notes": None, "tags": ["Hot", "VIP"],
            "age": "n/a"},
)


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("country", "eq", "us", True),
        ("country", "eq", " US ", True),
        ("country", "eq", "CA", False),
        ("campaign", "eq", "solar-q3", True),
        ("supplier", "eq", "ACME LEADS", True),
        ("region", "neq", "ny", True),
        ("region", "neq", "ca", False),
        ("country", "in", "CA, us ,MX", True),
        ("country", "in", "CA,MX", False),
        ("country", "not_in", "CA,MX", True),
        ("country", "not_in", "ca,us", False),
        ("postal_code", "prefix", "941", True),
        ("postal_code", "prefix", "100, 941", True),
        ("postal_code", "prefix", "100,200", False),
        ("postal_code", "prefix", "", False),
        ("language", "eq", "ES", True),
        ("skill", "in", "roofing,solar", True),
        ("score", "gt", "41", True),
        ("score", "gt", "42", False),
        ("score", "gte", "42", True),
        ("score", "lt", "42", False),
        ("score", "lt", "42.5", True),
        ("score", "lte", "42", True),
        ("score", "eq", "42", True),
        ("score", "gt", "lots", False),
        ("score", "exists", "", True),
        ("fields.contact_now", "eq", "yes", True),
        ("fields.contact_now", "neq", "yes", False),
        ("fields.budget", "gte", "12000", True),
        ("fields.budget", "lt", " 10000 ", False),
        ("fields.age", "gt", "18", False),
        ("fields.age", "lte", "18", False),
        ("fields.missing", "gt", "0", False),
        ("fields.notes", "lt", "0", False),
        ("fields.budget", "gt", "nan", False),
        ("fields.budget", "exists", "", True),
        ("fields.roof", "exists", "", False),
        ("fields.roof", "not_exists", "", True),
        ("fields.notes", "not_exists", "", True),
        ("fields.missing", "not_exists", "", True),
        ("fields.missing", "exists", "", False),
        ("fields.missing", "neq", "x", True),
        ("fields.missing", "eq", "", False),
        ("fields.tags", "eq", "vip", True),
        ("fields.tags", "in", "cold,hot", True),
        ("fields.tags", "not_in", "hot", False),
        ("fields.tags", "prefix", "vi", True),
        ("nonsense", "exists", "", False),
        ("country", "bogus_op", "US", False),
    ],
)
def test_condition_ops(field, op, value, expected):
    assert condition_matches(condition=Condition(field, op, value), lead=LEAD) is expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [(True, False), (3, True), (3.5, True), ("3", True), ("", False), ("three", False), (None, False)],
)
def test_numeric_compare_never_raises_on_garbage(answer, expected):
    lead = make_lead(fields={"x": answer})
    assert condition_matches(condition=Condition("fields.x", "gte", "1"), lead=lead) is expected


SCORING = [
    ScoringRule(1, "Hot", (Condition("fields.contact_now", "eq", "yes"),), 50),
    ScoringRule(2, "Big budget", (Condition("fields.budget", "gte", "10000"), Condition("country", "eq", "US")), 20),
    ScoringRule(3, "Germany", (Condition("country", "eq", "DE"),), 30),
    ScoringRule(4, "Everyone", (), 1),
]


def test_score_lead_sums_rules_whose_conditions_all_match():
    assert score_lead(lead=LEAD, scoring_rules=SCORING) == 71
    assert score_lead(lead=make_lead(country="DE"), scoring_rules=SCORING) == 31
    assert score_lead(lead=LEAD, scoring_rules=[]) == 0


def test_decide_rescores_when_scoring_rules_are_given():
    rules = [make_rule(1, conditions=(Condition("score", "gte", "70"),)), make_rule(2, order=99)]
    hot = decide(lead=LEAD, reps=[make_rep()], rules=rules, now=NOW, rng=random.Random(0), scoring_rules=SCORING)
    assert (hot.rule_id, hot.score) == (1, 71)
    as_given = decide(lead=LEAD, reps=[make_rep()], rules=rules, now=NOW, rng=random.Random(0))
    assert (as_given.rule_id, as_given.score) == (2, 42)


US = Condition("country", "eq", "US")
ES = Condition("language", "eq", "es")
DE = Condition("country", "eq", "DE")


@pytest.mark.parametrize(
    ("rules", "expected_rule_id"),
    [
        ([make_rule(1, conditions=(US,)), make_rule(2, conditions=(US, ES))], 1),
        ([make_rule(1, order=20, conditions=(US,)), make_rule(2, order=10, conditions=(US, ES))], 2),
        ([make_rule(1, conditions=(US, DE)), make_rule(2, conditions=(US, ES))], 2),
        ([make_rule(1, conditions=(DE,)), make_rule(2, conditions=())], 2),
        ([make_rule(1, conditions=()), make_rule(2, conditions=(US,))], 1),
        ([make_rule(1, active=False, conditions=(US,)), make_rule(2, conditions=(US,))], 2),
        ([make_rule(2, order=5), make_rule(1, order=5)], 1),
        ([make_rule(1, conditions=(DE,))], None),
        ([make_rule(1, active=False)], None),
        ([], None),
    ],
)
def test_first_matching_active_rule_wins(rules, expected_rule_id):
    rule = match_rule(lead=LEAD, rules=rules)
    assert (rule.id if rule else None) == expected_rule_id


@pytest.mark.parametrize("rules", [[], [make_rule(1, conditions=(DE,))], [make_rule(1, active=False)]])
def test_no_matching_rule_waits_with_no_rule(rules):
    decision = decide(lead=LEAD, reps=[make_rep()], rules=rules, now=NOW, rng=random.Random(0))
    assert (decision.action, decision.reason, decision.rule_id, decision.rep_ids) == ("wait", "no_rule", None, ())
    assert decision.candidates == ()


@pytest.mark.parametrize(
    ("condition", "text"),
    [
        (Condition("country", "in", "US, CA"), "country is one of US, CA"),
        (Condition("country", "not_in", "US,CA"), "country is not one of US, CA"),
        (Condition("language", "eq", "es"), "language is es"),
        (Condition("region", "neq", "NY"), "region is not NY"),
        (Condition("postal_code", "prefix", "941"), "postal code starts with 941"),
        (Condition("postal_code", "prefix", "941,100"), "postal code starts with one of 941, 100"),
        (Condition("score", "gte", "50"), "lead score is at least 50"),
        (Condition("score", "gt", "50"), "lead score is greater than 50"),
        (Condition("score", "lt", "5"), "lead score is less than 5"),
        (Condition("score", "lte", "5"), "lead score is at most 5"),
        (Condition("fields.contact_now", "eq", "yes"), 'answer "contact_now" is yes'),
        (Condition("fields.roof", "exists"), 'answer "roof" is set'),
        (Condition("supplier", "not_exists"), "supplier is not set"),
    ],
)
def test_describe_condition(condition, text):
    assert describe_condition(condition) == text


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (
            make_rule(1, name="Spanish solar", conditions=(ES, Condition("country", "in", "US,CA")),
                      team_ids=frozenset({3}), strategy="round_robin", require_skill=True, min_skill_level=2,
                      relaxations=(Relaxation(3600, "skill"), Relaxation(300, "language"))),
            "Rule 'Spanish solar': when language is es and country is one of US, CA, route to Sales ES by "
            "round robin, requiring language, skill level 2+; relaxing language after 5 min, skill after 1 h.",
        ),
        (
            make_rule(2, name="Catch-all", active=False, strategy="broadcast", broadcast_count=4,
                      require_language=False),
            "Rule 'Catch-all' (inactive): when any lead, route to all teams by broadcast to 4 reps.",
        ),
        (
            make_rule(3, name="Learn", team_ids=frozenset({9, 3}), strategy="performance_weighted",
                      exploration_share=0.15, require_language=False, require_territory=True),
            "Rule 'Learn': when any lead, route to Sales ES, team 9 by performance weighted with 15% "
            "exploration, requiring territory.",
        ),
    ],
)
def test_describe_rule(rule, text):
    assert describe_rule(rule, team_names={3: "Sales ES"}) == text


@pytest.mark.parametrize(
    ("condition", "errors"),
    [
        (Condition("country", "eq", "US"), ()),
        (Condition("fields.x", "exists"), ()),
        (Condition("fields.", "exists"), ("Unknown field 'fields.'; use one of the listed fields or fields.<name>.",)),
        (Condition("colour", "eq", "red"), ("Unknown field 'colour'; use one of the listed fields or fields.<name>.",)),
        (Condition("score", "gte", "ten"), ("'ten' is not a number.",)),
        (Condition("score", "between", "1"), ("Unknown operator 'between'.",)),
        (Condition("country", "in", " "), ("A value is required.",)),
    ],
)
def test_condition_errors(condition, errors):
    assert condition_errors(condition) == errors
