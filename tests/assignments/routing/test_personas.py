"""Personas in the pure engine: "lead is in persona X" conditions, nested personas, scoring, explanations."""

import random

import pytest

from assignments.routing import (
    Condition,
    Decision,
    PersonaSpec,
    ScoringRule,
    condition_errors,
    condition_matches,
    decide,
    describe_condition,
    describe_rule,
    match_rule,
    personas_in,
    score_lead,
)

from .test_facts import NOW, make_lead, make_rep, make_rule

HOMEOWNERS = PersonaSpec(slug="homeowners", name="Homeowners", conditions=(
    Condition("fields.homeowner", "eq", "yes"),))
CALIFORNIA = PersonaSpec(slug="california", name="Californians", conditions=(Condition("region", "eq", "CA"),))
# A persona made of another persona and a condition of its own.
CA_HOMEOWNERS = PersonaSpec(slug="ca-homeowners", name="Homeowners in CA", conditions=(
    Condition("persona", "eq", "homeowners", personas=(HOMEOWNERS,)), Condition("region", "eq", "CA")))
EMPTY = PersonaSpec(slug="everyone", name="Everyone")

CA_OWNER = make_lead(region="CA", fields={"homeowner": "Yes"})
CA_RENTER = make_lead(region="CA", fields={"homeowner": "no"})
NY_OWNER = make_lead(region="NY", fields={"homeowner": "yes"})


def persona(op: str, *specs: PersonaSpec, value: str | None = None) -> Condition:
    return Condition("persona", op, value if value is not None else ",".join(s.slug for s in specs), personas=specs)


@pytest.mark.parametrize(("condition", "lead", "expected"), [
    (persona("eq", HOMEOWNERS), CA_OWNER, True),
    (persona("eq", HOMEOWNERS), CA_RENTER, False),
    (persona("neq", HOMEOWNERS), CA_RENTER, True),
    (persona("neq", HOMEOWNERS), NY_OWNER, False),
    (persona("in", HOMEOWNERS, CALIFORNIA), CA_RENTER, True),
    (persona("in", HOMEOWNERS, CALIFORNIA), make_lead(region="NY"), False),
    (persona("not_in", HOMEOWNERS, CALIFORNIA), make_lead(region="NY"), True),
    (persona("not_in", HOMEOWNERS, CALIFORNIA), NY_OWNER, False),
    (persona("eq", CA_HOMEOWNERS), CA_OWNER, True),
    (persona("eq", CA_HOMEOWNERS), NY_OWNER, False),
    (persona("eq", CA_HOMEOWNERS), CA_RENTER, False),
    (persona("eq", EMPTY), NY_OWNER, True),
    # A slug that resolved to no persona (deleted, or a loop cut) matches nobody, and "not in it" everybody.
    (persona("eq", value="gone"), CA_OWNER, False),
    (persona("neq", value="gone"), CA_OWNER, True),
    (persona("exists", HOMEOWNERS), CA_OWNER, False),
])
def test_persona_conditions(condition, lead, expected):
    assert condition_matches(condition=condition, lead=lead) is expected


@pytest.mark.parametrize(("op", "value", "errors"), [
    ("eq", "homeowners", ()),
    ("in", "homeowners, california", ()),
    ("not_in", "homeowners", ()),
    ("eq", "", ("Name a persona (its slug).",)),
    ("eq", " , ", ("Name a persona (its slug).",)),
    ("eq", "a,b", ("Name one persona, or use 'is one of'.",)),
    ("gt", "a", ("A persona condition uses is, is not, is one of or is not one of.",)),
    ("exists", "", ("A persona condition uses is, is not, is one of or is not one of.",)),
])
def test_persona_condition_errors(op, value, errors):
    assert condition_errors(Condition("persona", op, value)) == errors


def test_descriptions_name_the_persona():
    assert describe_condition(persona("eq", CA_HOMEOWNERS)) == "lead is in persona 'Homeowners in CA'"
    assert describe_condition(persona("not_in", HOMEOWNERS, CALIFORNIA)) == (
        "lead is not in one of the personas 'Homeowners', 'Californians'")
    assert describe_condition(Condition("persona", "eq", "gone")) == "lead is in persona 'gone'"
    rule = make_rule(conditions=(persona("eq", HOMEOWNERS),))
    assert "when lead is in persona 'Homeowners'" in describe_rule(rule)


def test_scoring_rules_may_name_a_persona():
    rules = [ScoringRule(id=1, name="owners", conditions=(persona("eq", HOMEOWNERS),), points=20),
             ScoringRule(id=2, name="ca", conditions=(persona("eq", CALIFORNIA),), points=5)]
    assert [score_lead(lead=lead, scoring_rules=rules) for lead in (CA_OWNER, CA_RENTER, NY_OWNER)] == [25, 5, 20]


def test_rule_naming_a_persona_matches_and_the_decision_names_it():
    rules = [make_rule(id=1, name="Owners", order=1, conditions=(persona("in", HOMEOWNERS, CALIFORNIA),)),
             make_rule(id=2, name="Rest", order=2)]
    assert match_rule(lead=NY_OWNER, rules=rules).id == 1
    assert match_rule(lead=make_lead(region="NY"), rules=rules).id == 2
    decision = decide(lead=CA_OWNER, reps=[make_rep(1)], rules=rules, now=NOW, rng=random.Random(1))
    assert decision.personas == ("Homeowners", "Californians")
    assert decision.summary().startswith("Rule 'Owners' matched (persona 'Homeowners', 'Californians'); 1 of 1")
    assert Decision.from_json(decision.to_json()) == decision
    other = decide(lead=make_lead(region="NY"), reps=[make_rep(1)], rules=rules, now=NOW, rng=1)
    assert other.personas == () and other.summary().startswith("Rule 'Rest' matched; 1 of 1")


def test_only_personas_the_lead_is_in_are_named():
    conditions = (persona("in", HOMEOWNERS, CALIFORNIA), persona("neq", value="renters"))
    assert personas_in(conditions=conditions, lead=NY_OWNER) == ("Homeowners",)


def test_a_decision_stored_before_personas_reads_back():
    data = decide(lead=CA_OWNER, reps=[make_rep(1)], rules=[make_rule()], now=NOW, rng=1).to_json()
    del data["personas"]
    assert Decision.from_json(data).personas == ()
