"""Replay core without a database: a hand-built history gives exactly the expected assignment table."""

import dataclasses
import datetime as dt

import pytest

from assignments.lab.replay import Recorded, Tally, gini, replay_decide, replay_tally
from assignments.routing import Condition, LeadFacts, RepFacts, RuleSpec, Territory, Tier, WorkingWindow

T = dt.datetime(2030, 3, 11, 15, 0, tzinfo=dt.UTC)  # a Monday
ALWAYS = tuple(WorkingWindow(weekday=d, start=dt.time(0), end=dt.time(0)) for d in range(7))


def rep(id, *, languages, country, teams, load=0, status="available", last=None, region="", weight=1):
    return RepFacts(id=id, active=True, status=status, timezone="UTC", working_hours=ALWAYS, days_off=frozenset(),
                    load=load, capacity=5, languages=frozenset(languages), skills={},
                    territories=(Territory(country=country, region=region),), team_ids=frozenset(teams),
                    last_offered_at=last, weight=weight)


def lead(id, *, language, country):
    return LeadFacts(id=id, campaign="c", supplier="s", country=country, region="", postal_code="",
                     language=language, skill="", fields={}, score=0, waiting_since=T)


REPS = (
    rep(1, languages={"en"}, country="US", teams={1}, load=0, last=T - dt.timedelta(seconds=300)),
    rep(2, languages={"es", "en"}, country="US", teams={1}, load=2, last=T - dt.timedelta(seconds=600)),
    rep(3, languages={"en", "fr"}, country="CA", teams={2}, load=1),
    rep(4, languages={"en"}, country="US", teams={1}, status="away"),
)
DRAFT = (
    RuleSpec(id=10, name="Spanish", order=1, active=True, conditions=(Condition("language", "eq", "es"),),
             team_ids=frozenset({1}), strategy="round_robin"),
    RuleSpec(id=20, name="US", order=2, active=True, conditions=(Condition("country", "eq", "US"),),
             team_ids=frozenset({1}), strategy="least_busy"),
    RuleSpec(id=30, name="Rest", order=3, active=True, conditions=(), team_ids=frozenset(), strategy="round_robin",
             require_language=False, require_territory=True),
)


def recorded(lead_facts, action, rep_ids, reason=""):
    return Recorded(lead=lead_facts, reps=REPS, decided_at=T, action=action, reason=reason, rule_name="Everyone",
                    rep_ids=tuple(rep_ids))


# Actual history: a round-robin rule sent almost everything to rep 1; one lead waited.
HISTORY = [
    recorded(lead(101, language="en", country="US"), "offer", [1]),
    recorded(lead(102, language="es", country="US"), "offer", [1]),
    recorded(lead(103, language="fr", country="CA"), "offer", [1]),
    recorded(lead(104, language="fr", country="US"), "offer", [1]),
    recorded(lead(105, language="de", country="MX"), "wait", [], reason="no_eligible_rep"),
]


def test_hand_built_history_replays_to_the_expected_assignment_table():
    table = {r.lead.id: (replay_decide(recorded=r, rules=DRAFT, seed=0).rule_name,
                         replay_decide(recorded=r, rules=DRAFT, seed=0).rep_ids) for r in HISTORY}
    assert table == {
        101: ("US", (1,)),        # least busy of reps 1 (0/5) and 2 (2/5); rep 4 is away
        102: ("Spanish", (2,)),   # only rep 2 speaks Spanish
        103: ("Rest", (3,)),      # only rep 3 covers CA
        104: ("US", ()),          # nobody in team 1 speaks French
        105: ("Rest", ()),        # nobody covers MX
    }


def test_tally_compares_draft_and_actual_exactly():
    result = replay_tally(recorded=HISTORY, rules=DRAFT, seed=0).result()
    assert result["leads"] == 5
    assert result["changed"] == 3
    assert [d["lead_id"] for d in result["diffs"]] == [102, 103, 104]
    assert result["per_rep"] == [{"rep_id": 1, "actual": 4, "draft": 1}, {"rep_id": 2, "actual": 0, "draft": 1},
                                 {"rep_id": 3, "actual": 0, "draft": 1}]
    actual, draft = result["actual"], result["draft"]
    assert (actual["offered"], actual["no_rep"], actual["no_rule"]) == (4, 1, 0)
    assert (draft["offered"], draft["no_rep"], draft["no_rule"]) == (3, 2, 0)
    assert actual["no_rep_share"] == pytest.approx(0.2) and draft["no_rep_share"] == pytest.approx(0.4)
    assert actual["offers_per_lead"] == pytest.approx(0.8) and draft["offers_per_lead"] == pytest.approx(0.6)
    assert actual["gini"] == pytest.approx(2 / 3, abs=1e-6) and draft["gini"] == 0
    assert actual["top_rep_share"] == 1.0 and draft["top_rep_share"] == pytest.approx(1 / 3)
    assert actual["language_match_rate"] == pytest.approx(0.25) and draft["language_match_rate"] == 1.0
    assert actual["territory_match_rate"] == pytest.approx(0.75) and draft["territory_match_rate"] == 1.0


def test_each_difference_says_who_and_why():
    diffs = {d["lead_id"]: d for d in replay_tally(recorded=HISTORY, rules=DRAFT, seed=0).result()["diffs"]}
    assert diffs[102]["draft"] == {"action": "offer", "rule": "Spanish", "rep_ids": [2],
                                   "summary": diffs[102]["draft"]["summary"]}
    assert diffs[102]["why"] == "Rep 1 is filtered out (language mismatch)."
    assert diffs[103]["why"] == "Rep 1 is filtered out (outside territory)."
    assert diffs[104]["draft"]["action"] == "wait" and diffs[104]["why"] == "Rep 1 is filtered out (language mismatch)."
    assert "lead waits (no eligible rep)" in diffs[104]["draft"]["summary"]


def test_a_tiered_draft_replays_each_lead_with_the_tiers_open_at_its_moment():
    tiered = (RuleSpec(id=40, name="Tiered", order=1, active=True, conditions=(), team_ids=frozenset(),
                       strategy="round_robin", tiers=(Tier(name="Desk", team_ids=frozenset({2}), wait_seconds=60),
                                                      Tier(name="Closers", team_ids=frozenset({1})))),)
    fresh = recorded(lead(101, language="en", country="US"), "offer", [1])
    late = dataclasses.replace(fresh, lead=dataclasses.replace(lead(102, language="en", country="US"),
                                                               waiting_since=T - dt.timedelta(seconds=60)))
    first = replay_decide(recorded=fresh, rules=tiered, seed=0)
    assert (first.rep_ids, first.tiers) == ((3,), ("Desk",))
    assert replay_decide(recorded=late, rules=tiered, seed=0).tiers == ("Desk", "Closers")
    diffs = replay_tally(recorded=[fresh, late], rules=tiered, seed=0).result()["diffs"]
    assert [d["why"] for d in diffs] == ["Rep 1 is in no open tier of draft rule 'Tiered' (open: 'Desk').",
                                         "Rep 1 is eligible but round robin ranks another rep first."]


def test_tally_resumes_from_its_state_with_the_same_result():
    whole = replay_tally(recorded=HISTORY, rules=DRAFT, seed=0).result()
    first = replay_tally(recorded=HISTORY[:2], rules=DRAFT, seed=0)
    resumed = replay_tally(recorded=HISTORY[2:], rules=DRAFT, seed=0, tally=Tally(first.state()))
    assert resumed.result() == whole


def test_random_strategies_are_deterministic_per_lead_and_seed():
    weighted = [RuleSpec(id=1, name="Split", order=1, active=True, conditions=(), team_ids=frozenset({1}),
                         strategy="weighted", require_language=False)]
    history = [recorded(lead(n, language="en", country="US"), "offer", [1]) for n in range(1, 200)]
    once = replay_tally(recorded=history, rules=weighted, seed=7).result()
    again = replay_tally(recorded=list(reversed(history)), rules=weighted, seed=7).result()
    assert once["per_rep"] == again["per_rep"]
    other = replay_tally(recorded=history, rules=weighted, seed=8).result()
    assert other["per_rep"] != once["per_rep"]


def test_gini():
    assert gini([]) == 0 and gini([0, 0]) == 0 and gini([5, 5, 5]) == 0
    assert gini([0, 0, 4]) == pytest.approx(2 / 3)
    assert gini([1, 3]) == pytest.approx(0.25)

