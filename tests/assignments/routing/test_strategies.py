"""Ranking strategies: order, tie-breaks, fairness and random splits."""

import dataclasses
import random
from collections import Counter
from datetime import timedelta

import pytest

from assignments.routing import decide, rank

from .test_facts import NOW, make_lead, make_rep, make_rule


def ago(minutes):
    return None if minutes is None else NOW - timedelta(minutes=minutes)


def ranked(strategy, reps, seed=0, **rule_kw):
    result = rank(reps=reps, rule=make_rule(strategy=strategy, **rule_kw), rng=random.Random(seed), now=NOW)
    return result.chosen, result.fallbacks


@pytest.mark.parametrize(
    ("last_offers", "expected"),
    [
        ({1: 5, 2: 10, 3: 1}, (2, 1, 3)),
        ({1: 5, 2: None, 3: 10}, (2, 3, 1)),
        ({3: None, 1: None, 2: 0}, (1, 3, 2)),
        ({2: 7, 1: 7, 3: 7}, (1, 2, 3)),
    ],
)
def test_round_robin_order(last_offers, expected):
    reps = [make_rep(rep_id, last_offered_at=ago(m)) for rep_id, m in last_offers.items()]
    chosen, fallbacks = ranked("round_robin", reps)
    assert chosen + fallbacks == expected and len(chosen) == 1


def simulate(strategy, reps, leads, seed=7, **rule_kw):
    """Route `leads` leads, persisting last_offered_at like the caller does; returns picks per rep."""
    rng, rule, now = random.Random(seed), make_rule(strategy=strategy, **rule_kw), NOW
    reps, counts, explored = list(reps), Counter(), 0
    for _ in range(leads):
        now += timedelta(seconds=30)
        decision = decide(lead=make_lead(waiting_since=now), reps=reps, rules=[rule], now=now, rng=rng)
        chosen = decision.rep_ids[0]
        counts[chosen] += 1
        explored += decision.explored
        reps = [dataclasses.replace(r, last_offered_at=now) if r.id == chosen else r for r in reps]
    return counts, explored


def test_round_robin_is_exactly_fair_over_300_leads():
    counts, _ = simulate("round_robin", [make_rep(i, last_offered_at=ago(i)) for i in range(1, 6)], 300)
    assert counts == dict.fromkeys(range(1, 6), 60)


@pytest.mark.parametrize("seed", [1, 2, 2024])
def test_weighted_honours_60_20_20_split(seed):
    reps = [make_rep(1, weight=60), make_rep(2, weight=20), make_rep(3, weight=20)]
    counts, _ = simulate("weighted", reps, 1000, seed=seed)
    for rep_id, share in {1: 0.6, 2: 0.2, 3: 0.2}.items():
        assert abs(counts[rep_id] / 1000 - share) <= 0.03


def test_weighted_never_picks_zero_weight_unless_all_zero():
    reps = [make_rep(1, weight=0), make_rep(2, weight=1), make_rep(3, weight=3)]
    counts, _ = simulate("weighted", reps, 200)
    assert counts[1] == 0 and counts[2] > 0 and counts[3] > counts[2]
    assert 1 not in ranked("weighted", reps)[1]
    all_zero = [make_rep(i, weight=0) for i in range(1, 4)]
    counts, _ = simulate("weighted", all_zero, 300)
    assert set(counts) == {1, 2, 3} and min(counts.values()) > 60


def test_weighted_fallbacks_by_weight_then_round_robin():
    reps = [make_rep(1, weight=1), make_rep(2, weight=5, last_offered_at=ago(1)), make_rep(3, weight=5),
            make_rep(4, weight=2)]
    chosen, fallbacks = ranked("weighted", reps, seed=3)
    assert sorted(chosen + fallbacks) == [1, 2, 3, 4]
    expected_rest = [i for i in (3, 2, 4, 1) if i not in chosen]
    assert list(fallbacks) == expected_rest


@pytest.mark.parametrize(
    ("reps", "expected"),
    [
        ([make_rep(1, load=2, capacity=4), make_rep(2, load=1, capacity=4), make_rep(3, load=3, capacity=10)],
         (2, 3, 1)),
        ([make_rep(1, load=2, capacity=4), make_rep(2, load=1, capacity=2)], (2, 1)),
        ([make_rep(1, load=1, capacity=2, last_offered_at=ago(1)),
          make_rep(2, load=1, capacity=2, last_offered_at=ago(9))],
         (2, 1)),
        ([make_rep(2, load=0, capacity=3), make_rep(1, load=0, capacity=5)], (1, 2)),
    ],
)
def test_least_busy(reps, expected):
    chosen, fallbacks = ranked("least_busy", reps)
    assert chosen + fallbacks == expected


@pytest.mark.parametrize(
    ("reps", "expected"),
    [
        ([make_rep(1, performance=0.2), make_rep(2, performance=0.9), make_rep(3, performance=0.5)], (2, 3, 1)),
        ([make_rep(1, performance=0.5, median_response_seconds=90),
          make_rep(2, performance=0.5, median_response_seconds=30),
          make_rep(3, performance=0.5)], (2, 1, 3)),
        ([make_rep(1, performance=0.5, median_response_seconds=30, last_offered_at=ago(1)),
          make_rep(2, performance=0.5, median_response_seconds=30, last_offered_at=ago(5)),
          make_rep(3, performance=0.5, median_response_seconds=30, last_offered_at=None)], (3, 2, 1)),
        ([make_rep(4, performance=0.5), make_rep(3, performance=0.5)], (3, 4)),
    ],
)
def test_top_performer_with_tie_breaks(reps, expected):
    chosen, fallbacks = ranked("top_performer", reps)
    assert chosen + fallbacks == expected


def test_performance_weighted_explores_and_feeds_everyone():
    reps = [make_rep(1, performance=0.6), make_rep(2, performance=0.3), make_rep(3, performance=0.1),
            make_rep(4, performance=0.0)]
    leads = 2000
    counts, explored = simulate("performance_weighted", reps, leads, seed=11, exploration_share=0.2)
    assert abs(explored / leads - 0.2) <= 0.03
    assert all(counts[r.id] > 0 for r in reps)
    assert counts[1] > counts[2] > counts[3] > counts[4]
    # Expected share of rep 1: 0.2/4 + 0.8 * 0.6/1.01 ~ 0.525
    assert abs(counts[1] / leads - 0.525) <= 0.04


@pytest.mark.parametrize(("share", "explored_expected"), [(0.0, False), (1.0, True)])
def test_performance_weighted_exploration_extremes(share, explored_expected):
    reps = [make_rep(1, performance=0.9), make_rep(2, performance=0.1)]
    result = rank(reps=reps, rule=make_rule(strategy="performance_weighted", exploration_share=share),
                  rng=random.Random(5), now=NOW)
    assert result.explored is explored_expected
    assert sorted(result.chosen + result.fallbacks) == [1, 2]


@pytest.mark.parametrize(
    ("count", "chosen", "fallbacks"),
    [(3, (5, 1, 2), (3, 4)), (1, (5,), (1, 2, 3, 4)), (9, (5, 1, 2, 3, 4), ()), (0, (5,), (1, 2, 3, 4))],
)
def test_broadcast_offers_top_n_in_round_robin_order(count, chosen, fallbacks):
    reps = [make_rep(i, last_offered_at=ago(10 - i)) for i in range(1, 5)] + [make_rep(5)]
    assert ranked("broadcast", reps, broadcast_count=count) == (chosen, fallbacks)


def test_broadcast_decision_lists_all_offered_reps():
    reps = [make_rep(i, last_offered_at=ago(10 - i)) for i in range(1, 6)]
    decision = decide(lead=make_lead(), reps=reps, rules=[make_rule(strategy="broadcast", broadcast_count=2)],
                      now=NOW, rng=random.Random(0))
    assert (decision.rep_ids, decision.fallback_rep_ids) == ((1, 2), (3, 4, 5))
    assert decision.summary().endswith("broadcast offered to reps 1, 2 (3 fallbacks).")


def test_unknown_strategy_is_rejected():
    with pytest.raises(ValueError, match="unknown routing strategy"):
        ranked("coin_flip", [make_rep()])


def test_same_seed_same_decision():
    reps = [make_rep(i, weight=i) for i in range(1, 20)]
    picks = [ranked("weighted", reps, seed=99) for _ in range(3)]
    assert picks[0] == picks[1] == picks[2]
