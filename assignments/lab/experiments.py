"""A/B variants (pure): stable bucketing of a lead into a variant, and a rule with a variant's settings."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from assignments.routing.facts import RuleSpec

# RuleSpec fields a variant may change.
OVERRIDABLE = frozenset({"strategy", "require_language", "require_skill", "min_skill_level", "require_territory",
                         "broadcast_count", "exploration_share", "team_ids"})


def variant_bucket(*, lead_id: int, experiment_id: int) -> float:
    """A number in [0, 1) fixed by the lead and the experiment (the same lead always lands in the same place)."""
    digest = hashlib.sha256(f"{experiment_id}:{lead_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def variant_pick(*, lead_id: int, experiment_id: int, shares: Sequence[tuple[int, int]]) -> int:
    """The variant id for this lead; `shares` = (variant id, weight) in a stable order, weights > 0."""
    if not shares:
        raise ValueError("an experiment needs at least one variant")
    total = sum(weight for _, weight in shares)
    point = variant_bucket(lead_id=lead_id, experiment_id=experiment_id) * total
    running = 0
    for variant_id, weight in shares:
        running += weight
        if point < running:
            return variant_id
    return shares[-1][0]


def rule_with_overrides(rule: RuleSpec, overrides: Mapping[str, Any]) -> RuleSpec:
    """The rule with a variant's settings applied; conditions and order stay, so the same leads match.

    `overrides` maps RuleSpec field names (only OVERRIDABLE ones) to values of that field's type.
    """
    unknown = set(overrides) - OVERRIDABLE
    if unknown:
        raise ValueError(f"a variant cannot change {', '.join(sorted(unknown))}")
    return dataclasses.replace(rule, **overrides)


def rules_with_variant(rules: Sequence[RuleSpec], *, rule_id: int, overrides: Mapping[str, Any]) -> list[RuleSpec]:
    """The rule list with one rule replaced by its variant."""
    return [rule_with_overrides(r, overrides) if r.id == rule_id else r for r in rules]
