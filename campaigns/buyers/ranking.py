"""Pure ordering of buyers: ping tree order, auction ranking and the weighted pick."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Bid:
    buyer_id: int
    amount: Decimal
    priority: int = 100


def ping_tree_order(*, buyers: Sequence[T], by_price: bool, price_of, priority_of, name_of) -> list[T]:
    """Lowest priority first (ties by name); by_price: highest price first, then priority."""
    if by_price:
        return sorted(buyers, key=lambda b: (-price_of(b), priority_of(b), name_of(b)))
    return sorted(buyers, key=lambda b: (priority_of(b), name_of(b)))


def auction_rank(*, bids: Sequence[Bid], floor: Decimal) -> list[Bid]:
    """Bids at or above the floor (and above zero), highest first; ties go to the lower priority, then lower id."""
    eligible = [b for b in bids if b.amount > 0 and b.amount >= floor]
    return sorted(eligible, key=lambda b: (-b.amount, b.priority, b.buyer_id))


def weighted_pick(*, items: Sequence[tuple[T, int]], rng: random.Random) -> T | None:
    """One item chosen with probability weight / total weight; None when no item has a positive weight."""
    pool = [(item, weight) for item, weight in items if weight > 0]
    total = sum(weight for _, weight in pool)
    if not total:
        return None
    point = rng.random() * total
    for item, weight in pool:
        point -= weight
        if point < 0:
            return item
    return pool[-1][0]
