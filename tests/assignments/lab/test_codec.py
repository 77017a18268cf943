"""The lab's JSON codec keeps what a rule needs to be replayed, personas included, and a recorded snapshot of the
reps and the lead replays the same decision."""

import datetime as dt

from assignments.lab.codec import (
    RepDecoder,
    lead_from_json,
    lead_to_json,
    rep_profile,
    rep_rows,
    rule_from_json,
    rule_to_json,
)
from assignments.routing import Condition, LeadFacts, Relaxation, RepFacts, Territory, Tier, WorkingWindow, decide
from tests.assignments.routing.test_facts import ALL_WEEK, make_rule
from tests.assignments.routing.test_personas import CA_HOMEOWNERS, persona

AT = dt.datetime(2030, 3, 11, 15, 0, tzinfo=dt.UTC)  # a Monday: 16:00 in Berlin, 11:00 in New York


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


def test_snapshot_codec_round_trip_replays_the_same_decision():
    """Reps with real hours in their own zones are recorded as on/off shift and decide identically when replayed."""
    berlin_day = tuple(WorkingWindow(weekday=d, start=dt.time(9), end=dt.time(17)) for d in range(5))
    evenings = tuple(WorkingWindow(weekday=d, start=dt.time(18), end=dt.time(2)) for d in range(7))
    reps = [
        RepFacts(id=1, active=True, status="available", timezone="Europe/Berlin", working_hours=berlin_day,
                 days_off=frozenset(), load=1, capacity=3, languages=frozenset({"de"}), skills={"solar": 3},
                 territories=(Territory("DE", "BE", "10"),), team_ids=frozenset({1}),
                 last_offered_at=AT - dt.timedelta(microseconds=123_456_789), weight=2, performance=0.3),
        RepFacts(id=2, active=True, status="available", timezone="America/New_York", working_hours=evenings,
                 days_off=frozenset(), load=0, capacity=3, languages=frozenset({"de"}), skills={},
                 territories=(Territory("DE"),), team_ids=frozenset({1}), last_offered_at=None),
        RepFacts(id=3, active=True, status="away", timezone="UTC", working_hours=ALL_WEEK, days_off=frozenset(),
                 load=0, capacity=3, languages=frozenset({"de"}), skills={}, territories=(),
                 team_ids=frozenset({1}), last_offered_at=None, median_response_seconds=42.5),
    ]
    facts = LeadFacts(id=9, campaign="solar", supplier="s", country="DE", region="BE", postal_code="10115",
                      language="de", skill="solar", fields={"roof": ["flat", "tile"]}, score=7,
                      waiting_since=AT - dt.timedelta(seconds=130), excluded_rep_ids=frozenset({5}))
    rules = [make_rule(1, name="DE", order=1, conditions=(Condition("fields.roof", "in", "flat"),),
                       team_ids=frozenset({1}), strategy="round_robin", require_skill=True, require_territory=True,
                       relaxations=(Relaxation(120, "skill"),))]
    profiles = {rep_profile(r)[1]: index for index, r in enumerate(reps, start=1)}
    rows = rep_rows(reps=reps, profile_ids=profiles, now=AT)
    assert [row[5] for row in rows] == [1, 0, 1]  # 16:00 in Berlin: on shift; 11:00 in New York: off shift
    decoder = RepDecoder({index: rep_profile(r)[0] for r, index in zip(reps, profiles.values(), strict=False)})
    replayed_reps = decoder.reps(rows)
    assert lead_from_json(lead_to_json(facts)) == facts
    assert [rule_from_json(rule_to_json(r)) for r in rules] == rules
    original = decide(lead=facts, reps=reps, rules=rules, now=AT, rng=1)
    replayed = decide(lead=lead_from_json(lead_to_json(facts)), reps=replayed_reps, rules=rules, now=AT, rng=1)
    assert replayed.to_json() == original.to_json()
    assert decoder.reps(rows)[0] is replayed_reps[0]  # an unchanged state is decoded once
