"""Variant bucketing (no database): stable per lead and honouring the split."""

import pytest

from assignments.lab.experiments import rule_with_overrides, variant_bucket, variant_pick
from assignments.routing.facts import RuleSpec


def test_variant_is_stable_per_lead():
    shares = [(1, 50), (2, 50)]
    first = [variant_pick(lead_id=n, experiment_id=3, shares=shares) for n in range(1000)]
    again = [variant_pick(lead_id=n, experiment_id=3, shares=shares) for n in reversed(range(1000))][::-1]
    assert first == again
    assert 0 <= variant_bucket(lead_id=1, experiment_id=1) < 1


@pytest.mark.parametrize("shares", [[(1, 50), (2, 50)], [(1, 70), (2, 30)], [(1, 10), (2, 30), (3, 60)]])
def test_split_is_honoured_within_tolerance_over_10000_leads(shares):
    counts = {variant_id: 0 for variant_id, _ in shares}
    for lead_id in range(1, 10_001):
        counts[variant_pick(lead_id=lead_id, experiment_id=42, shares=shares)] += 1
    for variant_id, share in shares:
        assert abs(counts[variant_id] / 10_000 - share / 100) < 0.015, counts


def test_experiments_bucket_independently():
    shares = [(1, 50), (2, 50)]
    one = [variant_pick(lead_id=n, experiment_id=1, shares=shares) for n in range(2000)]
    two = [variant_pick(lead_id=n, experiment_id=2, shares=shares) for n in range(2000)]
    agree = sum(a == b for a, b in zip(one, two, strict=True)) / 2000
    assert 0.45 < agree < 0.55


def test_overrides_keep_conditions_and_refuse_other_fields():
    rule = RuleSpec(id=1, name="R", order=1, active=True, conditions=(), team_ids=frozenset({1}),
                    strategy="round_robin")
    changed = rule_with_overrides(rule, {"strategy": "least_busy", "team_ids": frozenset({2})})
    assert (changed.strategy, changed.team_ids, changed.conditions, changed.order) == (
        "least_busy", frozenset({2}), (), 1)
    with pytest.raises(ValueError, match="cannot change order"):
        rule_with_overrides(rule, {"order": 5})
    with pytest.raises(ValueError):
        variant_pick(lead_id=1, experiment_id=1, shares=[])
