"""Pure evaluation of price rules: a lead's supplier cost and a buyer's price, adjusted by field conditions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from campaigns.buyers.filters import conditions_match

CENT = Decimal("0.01")
COST, PRICE = "cost", "price"


@dataclass(frozen=True)
class PriceRuleSpec:
    id: int
    name: str
    target: str  # cost or price
    operation: str  # multiply, add or set
    amount: Decimal
    conditions: Mapping[str, object] = field(default_factory=dict)
    buyer_id: int | None = None  # price rules only; None: every buyer
    order: int = 100


@dataclass(frozen=True)
class PriceQuote:
    amount: Decimal
    applied: tuple[str, ...] = ()  # names of the rules that changed it, in order


def price_apply(*, base: Decimal, rules: Iterable[PriceRuleSpec], lead: Mapping[str, object], target: str,
                buyer_id: int | None = None) -> PriceQuote:
    """Apply every matching rule of the target (and buyer) in (order, id) to the base; never below zero, in cents."""
    amount, applied = Decimal(base), []
    for rule in sorted(rules, key=lambda r: (r.order, r.id)):
        if rule.target != target or (target == PRICE and rule.buyer_id not in (None, buyer_id)):
            continue
        if not conditions_match(conditions=rule.conditions, lead=lead):
            continue
        if rule.operation == "multiply":
            amount *= rule.amount
        elif rule.operation == "add":
            amount += rule.amount
        elif rule.operation == "set":
            amount = Decimal(rule.amount)
        else:
            continue
        applied.append(rule.name)
    return PriceQuote(amount=max(Decimal("0"), amount).quantize(CENT, rounding=ROUND_HALF_UP),
                      applied=tuple(applied))
