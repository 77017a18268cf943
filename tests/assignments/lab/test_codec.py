"""The lab's JSON codec keeps what a rule needs to be replayed, personas included."""

from assignments.lab.codec import rule_from_json, rule_to_json
from assignments.routing import Condition, Tier
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


def test_a_rules_tiers_survive_the_round_trip_and_older_runs_read_without_them():
    rule = make_rule(tiers=(Tier(name="Closers", team_ids=frozenset({3}), wait_seconds=60),
                            Tier(name="Ann", rep_ids=frozenset({9}), wait_seconds=30),
                            Tier(name="everyone", everyone=True), Tier(name="the open pool", pool=True)))
    assert rule_from_json(rule_to_json(rule)) == rule
    older = rule_to_json(make_rule())
    del older["tiers"]
    assert rule_from_json(older).tiers == ()
