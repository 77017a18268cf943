"""Ranking strategies: order eligible reps, choose who gets the offer."""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

from .facts import RepFacts, RuleSpec, Strategy

PERFORMANCE_FLOOR = 0.01  # so a rep with no conversions yet still has a chance


@dataclass(frozen=True, slots=True)
class Ranking:
    """Chosen rep ids (offer now), the ranked rest (fallbacks) and each rep's strategy score."""

    chosen: tuple[int, ...]
    fallbacks: tuple[int, ...]
    scores: Mapping[int, float | None] = field(default_factory=dict)
    explored: bool = False


_NEVER = datetime.min.replace(tzinfo=UTC)


def round_robin_key(rep: RepFacts) -> tuple[datetime, int]:
    """Sort key: never offered first, then longest since last offer, then lowest id."""
    return (rep.last_offered_at or _NEVER, rep.id)


def _waited(reps: Sequence[RepFacts], now: datetime) -> dict[int, float | None]:
    return {r.id: None if r.last_offered_at is None else (now - r.last_offered_at).total_seconds() for r in reps}


def _performance(rep: RepFacts) -> float:
    p = rep.performance
    return p if math.isfinite(p) else 0.0


def _split(ordered: list[RepFacts], count: int = 1) -> tuple[tuple[int, ...], tuple[int, ...]]:
    ids = tuple(r.id for r in ordered)
    return ids[:count], ids[count:]


def _pick(weights: Sequence[float], rng: random.Random) -> int:
    cumulative = list(accumulate(weights))
    index = bisect_right(cumulative, rng.random() * cumulative[-1])
    return min(index, len(weights) - 1)  # float rounding can land exactly on the total


def _chosen_then(pool: list[RepFacts], index: int, rest_key: Callable[[RepFacts], tuple[object, ...]]) -> Ranking:
    first = pool[index]
    rest = sorted((r for i, r in enumerate(pool) if i != index), key=rest_key)
    return Ranking(chosen=(first.id,), fallbacks=tuple(r.id for r in rest))


def round_robin(*, reps: Sequence[RepFacts], rule: RuleSpec, rng: random.Random, now: datetime) -> Ranking:
    """Longest since last offer first; ties by id."""
    chosen, rest = _split(sorted(reps, key=round_robin_key))
    return Ranking(chosen, rest, _waited(reps, now))


def broadcast(*, reps: Sequence[RepFacts], rule: RuleSpec, rng: random.Random, now: datetime) -> Ranking:
    """Top `rule.broadcast_count` reps in round-robin order, all offered at once."""
    chosen, rest = _split(sorted(reps, key=round_robin_key), max(1, rule.broadcast_count))
    return Ranking(chosen, rest, _waited(reps, now))


def least_busy(*, reps: Sequence[RepFacts], rule: RuleSpec, rng: random.Random, now: datetime) -> Ranking:
    """Lowest load/capacity, then lowest load, then round robin."""
    ratio = {r.id: (r.load / r.capacity if r.capacity > 0 else math.inf) for r in reps}
    chosen, rest = _split(sorted(reps, key=lambda r: (ratio[r.id], r.load, round_robin_key(r))))
    return Ranking(chosen, rest, ratio)


def _top_key(rep: RepFacts) -> tuple[float, float, tuple[datetime, int]]:
    speed = rep.median_response_seconds
    return (-_performance(rep), math.inf if speed is None else speed, round_robin_key(rep))


def top_performer(*, reps: Sequence[RepFacts], rule: RuleSpec, rng: random.Random, now: datetime) -> Ranking:
    """Highest performance, then fastest median response (None = slowest), then round robin."""
    chosen, rest = _split(sorted(reps, key=_top_key))
    return Ranking(chosen, rest, {r.id: _performance(r) for r in reps})


def weighted(*, reps: Sequence[RepFacts], rule: RuleSpec, rng: random.Random, now: datetime) -> Ranking:
    """Random pick proportional to weight; weight 0 is never picked unless every weight is 0."""
    pool = [r for r in reps if r.weight > 0]
    weights = [float(r.weight) for r in pool]
    if not pool:
        pool, weights = list(reps), [1.0] * len(reps)
    total = sum(weights)
    ranking = _chosen_then(pool, _pick(weights, rng), lambda r: (-r.weight, round_robin_key(r)))
    shares = {r.id: 0.0 for r in reps}
    shares.update({r.id: w / total for r, w in zip(pool, weights, strict=True)})
    return Ranking(ranking.chosen, ranking.fallbacks, shares)


def performance_weighted(
    *, reps: Sequence[RepFacts], rule: RuleSpec, rng: random.Random, now: datetime
) -> Ranking:
    """Explore uniformly with probability `rule.exploration_share`, else pick proportional to performance."""
    share = rule.exploration_share
    share = min(max(share, 0.0), 1.0) if math.isfinite(share) else 0.0
    pool = list(reps)
    weights = [max(_performance(r), PERFORMANCE_FLOOR) for r in pool]
    explored = rng.random() < share
    index = rng.randrange(len(pool)) if explored else _pick(weights, rng)
    ranking = _chosen_then(pool, index, _top_key)
    total = sum(weights)
    # Score = the rep's overall chance of being picked, exploration included.
    chances = {r.id: share / len(pool) + (1 - share) * w / total for r, w in zip(pool, weights, strict=True)}
    return Ranking(ranking.chosen, ranking.fallbacks, chances, explored)


STRATEGY_FUNCS = {
    Strategy.ROUND_ROBIN.value: round_robin,
    Strategy.WEIGHTED.value: weighted,
    Strategy.LEAST_BUSY.value: least_busy,
    Strategy.TOP_PERFORMER.value: top_performer,
    Strategy.PERFORMANCE_WEIGHTED.value: performance_weighted,
    Strategy.BROADCAST.value: broadcast,
}


def rank(*, reps: Sequence[RepFacts], rule: RuleSpec, rng: random.Random, now: datetime) -> Ranking:
    """Apply `rule.strategy` to non-empty eligible reps; ValueError on an unknown strategy."""
    try:
        strategy = STRATEGY_FUNCS[rule.strategy]
    except KeyError:
        raise ValueError(f"unknown routing strategy {rule.strategy!r}") from None
    return strategy(reps=reps, rule=rule, rng=rng, now=now)
