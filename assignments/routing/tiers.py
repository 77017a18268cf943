"""Tiered candidates: which rungs of a rule's ladder are open after a lead has waited, and who is in them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .facts import RepFacts, RuleSpec, Tier


class TierState(NamedTuple):
    """How far a tiered rule's ladder has opened for one lead."""

    opened: int  # how many tiers are open (at least 1)
    next_after: int | None  # seconds of waiting at which the next tier opens; None when all are open
    pool: bool  # the pool tier is among the open ones


def tier_opening_times(tiers: Sequence[Tier]) -> list[int]:
    """Seconds of waiting at which each tier opens: 0 for tier 1, then the running sum of the waits before it."""
    times, at = [], 0
    for tier in tiers:
        times.append(at)
        at += tier.wait_seconds
    return times


def tier_state(*, rule: RuleSpec, waited_seconds: float) -> TierState:
    """Which of the rule's tiers are open after the lead waited this long; precondition: the rule has tiers."""
    times = tier_opening_times(rule.tiers)
    opened = max(1, sum(1 for at in times if waited_seconds >= at))
    return TierState(opened=opened, next_after=times[opened] if opened < len(times) else None,
                     pool=any(t.pool for t in rule.tiers[:opened]))


def pool_tier_after(rule: RuleSpec) -> int | None:
    """Seconds of waiting after which a tiered rule's pool tier opens; None when it has none."""
    for tier, at in zip(rule.tiers, tier_opening_times(rule.tiers), strict=True):
        if tier.pool:
            return at
    return None


def in_tier(rep: RepFacts, tier: Tier) -> bool:
    """True when the rep belongs to this tier (the pool tier holds no one: reps claim from it)."""
    if tier.pool:
        return False
    return tier.everyone or rep.id in tier.rep_ids or not tier.team_ids.isdisjoint(rep.team_ids)


def tier_candidates(*, reps: Sequence[RepFacts], tiers: Sequence[Tier]) -> list[tuple[RepFacts, int]]:
    """Each rep in any of these tiers, with the first (1-based) it belongs to; in the order of `reps`."""
    found = []
    for rep in reps:
        for position, tier in enumerate(tiers, start=1):
            if in_tier(rep, tier):
                found.append((rep, position))
                break
    return found


def ladder_members(*, reps: Sequence[RepFacts], tiers: Sequence[Tier]) -> list[RepFacts]:
    """Everyone the whole ladder holds, e.g. who may claim its leads from the pool: the reps of every tier, or
    every rep when the ladder is only the pool."""
    if all(t.pool for t in tiers):
        return list(reps)
    return [rep for rep, _ in tier_candidates(reps=reps, tiers=tiers)]


def tier_errors(tiers: Sequence[Tier]) -> list[str]:
    """What makes a ladder unusable, in words a manager can act on; empty when it is sound."""
    if not tiers:
        return ["A tier list needs at least one tier (without tiers, the rule offers to its teams)."]
    errors = []
    for n, tier in enumerate(tiers, start=1):
        if tier.wait_seconds < 0:
            errors.append(f"Tier {n}: the wait cannot be negative.")
        if tier.pool and n < len(tiers):
            errors.append(f"Tier {n}: the open pool can only be the last tier.")
        if tier.everyone and n < len(tiers) and not all(t.pool for t in tiers[n:]):
            errors.append(f"Tier {n}: after 'everyone' only the open pool may follow.")
        if not (tier.pool or tier.everyone or tier.team_ids or tier.rep_ids):
            errors.append(f"Tier {n} holds no one: choose a team or some reps.")
    return errors
