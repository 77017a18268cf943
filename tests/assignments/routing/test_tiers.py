"""Tiers: the ladder opens rung by rung as a lead waits, the explanation names the rung, and bad ladders are named."""

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from assignments.routing import (
    Decision,
    Tier,
    decide,
    describe_rule,
    eligible,
    pool_candidates,
    pool_tier_after,
    tier_errors,
    tier_state,
)

from .test_facts import NOW, make_lead, make_rep, make_rule

CLOSERS, DESK = 1, 2
LADDER = (
    Tier(name="Closers", team_ids=frozenset({CLOSERS}), wait_seconds=60),
    Tier(name="Ann, Bob", rep_ids=frozenset({21, 22}), wait_seconds=120),
    Tier(name="the open pool", pool=True),
)
RULE = make_rule(7, name="Solar", tiers=LADDER)
FLOOR = [
    make_rep(11, team_ids=frozenset({CLOSERS})),
    make_rep(21, team_ids=frozenset({DESK})),
    make_rep(22, team_ids=frozenset({DESK})),
    make_rep(31, team_ids=frozenset({DESK})),  # in no tier
]


def waited(seconds: int):
    return make_lead(waiting_since=NOW - dt.timedelta(seconds=seconds))


def route(*, seconds: int, reps=FLOOR) -> Decision:
    return decide(lead=waited(seconds), reps=reps, rules=[RULE], now=NOW, rng=random.Random(0))


def test_tier_state_opens_each_rung_after_the_waits_before_it():
    assert [tier_state(rule=RULE, waited_seconds=s) for s in (0, 59.9, 60, 179, 180, 10_000)] == [
        (1, 60, False), (1, 60, False), (2, 180, False), (2, 180, False), (3, None, True), (3, None, True)]
    assert pool_tier_after(RULE) == 180
    assert pool_tier_after(make_rule(1, tiers=LADDER[:2])) is None


def test_only_tier_one_is_offered_at_first_and_the_explanation_names_it():
    decision = route(seconds=0)
    assert decision.rep_ids == (11,)
    assert {c.rep_id: c.tier for c in decision.candidates} == {11: 1}
    assert (decision.tiers, decision.next_tier, decision.next_tier_after, decision.pool) == (
        ("Closers",), "Ann, Bob", 60, False)
    assert decision.summary() == (
        "Rule 'Solar' matched; 1 of 1 reps eligible; tier open: 1 'Closers' (tier 2 'Ann, Bob' opens after 60 s "
        "of waiting); round robin chose rep 11 (tier 1).")


def test_a_full_tier_one_makes_the_lead_wait_until_tier_two_opens():
    full = [make_rep(11, team_ids=frozenset({CLOSERS}), load=5), *FLOOR[1:]]
    assert route(seconds=59, reps=full).action == "wait"
    later = route(seconds=60, reps=full)
    assert later.action == "offer" and later.rep_ids[0] in {21, 22}
    assert {c.rep_id: c.tier for c in later.candidates} == {11: 1, 21: 2, 22: 2}
    assert f"chose rep {later.rep_ids[0]} (tier 2)" in later.summary()


def test_a_rep_in_two_tiers_counts_in_the_first():
    both = [make_rep(21, team_ids=frozenset({CLOSERS}))]
    assert {c.rep_id: c.tier for c in route(seconds=100, reps=both).candidates} == {21: 1}


def test_the_pool_tier_sends_a_lead_no_open_tier_can_take_to_the_pool():
    nobody_free = [make_rep(rep.id, team_ids=rep.team_ids, load=5) for rep in FLOOR]
    decision = route(seconds=180, reps=nobody_free)
    assert (decision.action, decision.pool, decision.tiers) == ("wait", True, ("Closers", "Ann, Bob", "the open pool"))
    assert decision.summary().endswith("no open tier can take it, so it goes to the open pool.")
    assert Decision.from_json(decision.to_json()) == decision
    assert route(seconds=180).action == "offer"  # while an open tier has room, the lead is offered


def test_everyone_as_the_last_tier_adds_every_rep():
    rule = make_rule(7, tiers=(Tier(name="Closers", team_ids=frozenset({CLOSERS}), wait_seconds=30),
                               Tier(name="everyone", everyone=True)))
    decision = decide(lead=waited(30), reps=FLOOR, rules=[rule], now=NOW, rng=random.Random(0))
    assert {c.rep_id for c in decision.candidates} == {11, 21, 22, 31}


def test_who_may_claim_from_the_pool_is_the_whole_ladder():
    assert {r.id for r in pool_candidates(lead=waited(0), reps=FLOOR, rule=RULE, now=NOW)} == {11, 21, 22}
    only_pool = make_rule(7, tiers=(Tier(name="the open pool", pool=True),))
    assert len(pool_candidates(lead=waited(0), reps=FLOOR, rule=only_pool, now=NOW)) == 4


def test_the_rule_in_words_reads_as_a_ladder():
    assert "route to tier 1 'Closers', after 1 min more tier 2 'Ann, Bob', after 2 min more tier 3 'the open " \
           "pool' by round robin" in describe_rule(RULE)


def test_decisions_without_tiers_keep_their_json_shape():
    decision = decide(lead=waited(0), reps=FLOOR, rules=[make_rule(1)], now=NOW, rng=random.Random(0))
    data = decision.to_json()
    assert "tiers" not in data and all("tier" not in c for c in data["candidates"])


def test_tier_errors_name_each_problem():
    assert tier_errors(()) == ["A tier list needs at least one tier (without tiers, the rule offers to its teams)."]
    assert tier_errors(LADDER) == []
    assert tier_errors((Tier(name="x", team_ids=frozenset({1}), wait_seconds=-5), Tier(name="p", pool=True),
                        Tier(name="e", everyone=True), Tier(name="t", team_ids=frozenset({2})),
                        Tier(name="nobody"))) == [
        "Tier 1: the wait cannot be negative.",
        "Tier 2: the open pool can only be the last tier.",
        "Tier 3: after 'everyone' only the open pool may follow.",
        "Tier 5 holds no one: choose a team or some reps.",
    ]


# --- properties ---------------------------------------------------------------------------------------------------

@st.composite
def ladders(draw):
    count = draw(st.integers(1, 4))
    tiers = [Tier(name=f"t{n}", team_ids=frozenset(draw(st.lists(st.integers(1, 4), max_size=2))),
                  rep_ids=frozenset(draw(st.lists(st.integers(1, 10), max_size=3))),
                  wait_seconds=draw(st.integers(0, 300))) for n in range(count)]
    last = draw(st.sampled_from(["", "everyone", "pool"]))
    if last:
        tiers.append(Tier(name=last, everyone=last == "everyone", pool=last == "pool"))
    return tuple(tiers)


@st.composite
def floors(draw):
    return [make_rep(rep_id, team_ids=frozenset(draw(st.lists(st.integers(1, 4), max_size=2))),
                     load=draw(st.integers(0, 2)), capacity=2,
                     status=draw(st.sampled_from(["available", "available", "away"])),
                     languages=frozenset(draw(st.lists(st.sampled_from(["en", "es"]), max_size=2))))
            for rep_id in range(1, draw(st.integers(0, 10)) + 1)]


@settings(max_examples=300, deadline=None)
@given(tiers=ladders(), reps=floors(), seconds=st.integers(0, 1500), seed=st.integers(0, 99),
       strategy=st.sampled_from(["round_robin", "least_busy", "broadcast", "weighted"]))
def test_tiers_open_in_order_and_no_lead_waits_beside_a_free_rep_of_an_open_tier(tiers, reps, seconds, seed,
                                                                                  strategy):
    rule = make_rule(1, tiers=tiers, strategy=strategy)
    lead = waited(seconds)
    decision = decide(lead=lead, reps=reps, rules=[rule], now=NOW, rng=random.Random(seed))
    opens_at, at = [], 0
    for tier in tiers:
        opens_at.append(at)
        at += tier.wait_seconds

    def first_tier(rep) -> int | None:
        return next((n for n, tier in enumerate(tiers) if not tier.pool and (
            tier.everyone or rep.id in tier.rep_ids or rep.team_ids & tier.team_ids)), None)

    by_id = {rep.id: rep for rep in reps}
    for rep_id in decision.rep_ids + decision.fallback_rep_ids:
        tier = first_tier(by_id[rep_id])
        # A rep is never offered the lead before the wait of every tier below theirs has passed.
        assert tier is not None and seconds >= opens_at[tier]
    open_and_free = [rep for rep in eligible(lead=lead, reps=reps, rule=rule, now=NOW)
                     if (t := first_tier(rep)) is not None and seconds >= opens_at[t]]
    # A lead never waits while an eligible rep of an open tier has room.
    assert (decision.action == "offer") == bool(open_and_free)
