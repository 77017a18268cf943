"""The lab's JSON codec keeps what a rule needs to be replayed, personas included."""

from assignments.lab.codec import rule_from_json, rule_to_json
from assignments.routing import Condition
from tests.assignments.routing.test_facts import make_rule
from tests.assignments.routing.test_personas import CA_HOMEOWNERS, persona


def test_a_rules_personas_survive_the_round_trip():
    rule = make_rule(conditions=(persona("eq", CA_HOMEOWNERS), Condition("country", "eq", "US")))
    data = rule_to_json(rule)
    assert data["conditions"][1] == ["country", "eq", "US"]
    assert rule_from_json(data) == rule


def test_rules_stored_before_personas_still_read():
    data = rule_to_json(make_rule(conditions=(Condition("country", "eq", "US"),)))
    assert rule_from_json(data).conditions == (Condition("country", "eq", "US"),)
