"""Inputs, outputs and choice constants of the routing engine (pure stdlib)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, NamedTuple


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    LEAST_BUSY = "least_busy"
    TOP_PERFORMER = "top_performer"
    PERFORMANCE_WEIGHTED = "performance_weighted"
    BROADCAST = "broadcast"


class Op(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    NOT_IN = "not_in"
    PREFIX = "prefix"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"


class FilterReason(StrEnum):
    """Why a candidate rep was dropped; listed in the order the filters run."""

    INACTIVE = "inactive"
    NOT_AVAILABLE = "not_available"
    OFF_HOURS = "off_hours"
    AT_CAPACITY = "at_capacity"
    EXCLUDED = "excluded"
    LANGUAGE = "language"
    SKILL = "skill"
    TERRITORY = "territory"


class RelaxDrop(StrEnum):
    LANGUAGE = "language"
    SKILL = "skill"
    TERRITORY_REGION = "territory_region"
    TERRITORY = "territory"


class Action(StrEnum):
    OFFER = "offer"
    WAIT = "wait"


REP_AVAILABLE = "available"  # the only RepFacts.status that may receive leads


class WaitReason(StrEnum):
    NO_RULE = "no_rule"
    NO_ELIGIBLE_REP = "no_eligible_rep"


def _choices(labels: Mapping[StrEnum, str]) -> tuple[tuple[str, str], ...]:
    """(value, label) pairs in the mapping's order, ready to be used as Django `choices`."""
    return tuple((member.value, label) for member, label in labels.items())


STRATEGIES = _choices({
    Strategy.ROUND_ROBIN: "Round robin (longest since last offer)",
    Strategy.WEIGHTED: "Weighted split (random by rep weight)",
    Strategy.LEAST_BUSY: "Least busy (lowest load vs. capacity)",
    Strategy.TOP_PERFORMER: "Top performer (best conversion, then fastest)",
    Strategy.PERFORMANCE_WEIGHTED: "Performance weighted (with exploration)",
    Strategy.BROADCAST: "Broadcast (offer to several, first accept wins)",
})
OPERATORS = _choices({
    Op.EQ: "is",
    Op.NEQ: "is not",
    Op.IN: "is one of (comma-separated)",
    Op.NOT_IN: "is not one of (comma-separated)",
    Op.PREFIX: "starts with (comma-separated)",
    Op.GT: "is greater than",
    Op.GTE: "is at least",
    Op.LT: "is less than",
    Op.LTE: "is at most",
    Op.EXISTS: "is set",
    Op.NOT_EXISTS: "is not set",
})
FIELDS_PREFIX = "fields."
# "The lead is in persona X": a condition on this field names personas (slugs) instead of a lead field; its
# value is resolved into PersonaSpecs when the rules are built (Condition.personas), so the engine stays pure.
PERSONA_FIELD = "persona"
PERSONA_OPS = frozenset({Op.EQ.value, Op.NEQ.value, Op.IN.value, Op.NOT_IN.value})
CONDITION_FIELDS = (
    ("campaign", "Campaign"),
    ("supplier", "Supplier"),
    ("score", "Lead score"),
    ("country", "Country"),
    ("region", "Region"),
    ("postal_code", "Postal code"),
    ("language", "Language"),
    ("skill", "Skill"),
)
RELAX_DROPS = _choices({
    RelaxDrop.LANGUAGE: "Stop requiring the language",
    RelaxDrop.SKILL: "Stop requiring the skill",
    RelaxDrop.TERRITORY_REGION: "Territory: only the country must match",
    RelaxDrop.TERRITORY: "Stop requiring the territory",
})
FILTER_REASONS = _choices({
    FilterReason.INACTIVE: "inactive",
    FilterReason.NOT_AVAILABLE: "not available",
    FilterReason.OFF_HOURS: "off hours",
    FilterReason.AT_CAPACITY: "at capacity",
    FilterReason.EXCLUDED: "excluded for this lead",
    FilterReason.LANGUAGE: "language mismatch",
    FilterReason.SKILL: "skill too low",
    FilterReason.TERRITORY: "outside territory",
})
STRATEGY_SHORT_NAMES = {
    Strategy.ROUND_ROBIN.value: "round robin",
    Strategy.WEIGHTED.value: "weighted split",
    Strategy.LEAST_BUSY.value: "least busy",
    Strategy.TOP_PERFORMER.value: "top performer",
    Strategy.PERFORMANCE_WEIGHTED.value: "performance weighted",
    Strategy.BROADCAST.value: "broadcast",
}
ACTIONS = _choices({Action.OFFER: "Offer", Action.WAIT: "Wait"})
WAIT_REASONS = _choices({
    WaitReason.NO_RULE: "no rule matched",
    WaitReason.NO_ELIGIBLE_REP: "no eligible rep",
})

@dataclass(frozen=True, slots=True)
class Condition:
    """One test on a lead: `field op value` (see OPERATORS / CONDITION_FIELDS).

    A persona condition (field PERSONA_FIELD, value = slug(s)) carries the personas it names in `personas`,
    resolved from the configuration; a slug that resolved to nothing is simply absent (it matches no lead).
    """

    field: str
    op: str
    value: str = ""
    personas: tuple[PersonaSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonaSpec:
    """A named, reusable segment: a lead is in it when all its conditions hold (none: every lead)."""

    slug: str
    name: str
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkingWindow:
    """Local wall-clock shift; end <= start runs past midnight; 00:00-00:00 is all day."""

    weekday: int  # 0 = Monday .. 6 = Sunday
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Territory:
    """Empty region / postal_prefix mean "any"."""

    country: str
    region: str = ""
    postal_prefix: str = ""


@dataclass(frozen=True, slots=True)
class Relaxation:
    """Once the lead has waited `after_seconds`, stop applying the `drop` requirement."""

    after_seconds: int
    drop: str


@dataclass(frozen=True, slots=True)
class Tier:
    """One rung of a rule's ladder of candidates.

    Tier 1 is open from the start; each later tier joins once the lead has waited, in all, the `wait_seconds` of
    every tier before it (a tier's own wait is ignored on the last). A tier is a set of teams, a set of reps,
    everyone, or the open pool (when it opens, a lead no open tier can take goes to the pool).
    """

    name: str
    team_ids: frozenset[int] = frozenset()
    rep_ids: frozenset[int] = frozenset()
    everyone: bool = False
    pool: bool = False
    wait_seconds: int = 0


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What the engine may know about a lead; datetimes are tz-aware."""

    id: int
    campaign: str
    supplier: str
    country: str
    region: str
    postal_code: str
    language: str
    skill: str
    fields: Mapping[str, object]
    score: int
    waiting_since: datetime
    excluded_rep_ids: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class RepFacts:
    """A rep's routing-relevant state; datetimes are tz-aware, timezone is an IANA name."""

    id: int
    active: bool
    status: str
    timezone: str
    working_hours: tuple[WorkingWindow, ...]
    days_off: frozenset[date]
    load: int
    capacity: int
    languages: frozenset[str]
    skills: Mapping[str, int]
    territories: tuple[Territory, ...]
    team_ids: frozenset[int]
    last_offered_at: datetime | None
    weight: int = 1
    performance: float = 0.0
    median_response_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A routing rule; the lowest `order` whose conditions all match wins."""

    id: int
    name: str
    order: int
    active: bool
    conditions: tuple[Condition, ...]
    team_ids: frozenset[int]
    strategy: str
    require_language: bool = True
    require_skill: bool = False
    min_skill_level: int = 1
    require_territory: bool = False
    relaxations: tuple[Relaxation, ...] = ()
    broadcast_count: int = 3
    exploration_share: float = 0.1
    tiers: tuple[Tier, ...] = ()  # when set, the candidates come from the open tiers, not from team_ids


@dataclass(frozen=True, slots=True)
class ScoringRule:
    """Adds `points` to the lead score when all conditions match."""

    id: int
    name: str
    conditions: tuple[Condition, ...]
    points: int


class CandidateVerdict(NamedTuple):
    """One candidate rep: kept or dropped (reason = FilterReason), plus its strategy score.

    A NamedTuple rather than a frozen dataclass: one is built per candidate rep, and with
    10,000 reps the dataclass constructor alone would cost ~10 ms per decision.
    """

    rep_id: int
    kept: bool
    reason: str = ""
    score: float | None = None
    tier: int = 0  # with a tiered rule, the first open tier (1-based) the rep belongs to

    def to_json(self) -> dict[str, Any]:
        """JSON-safe dict; a non-finite score becomes None; "tier" only for a tiered rule's candidate."""
        score = self.score if self.score is not None and math.isfinite(self.score) else None
        data: dict[str, Any] = {"rep_id": self.rep_id, "kept": self.kept, "reason": self.reason, "score": score}
        if self.tier:
            data["tier"] = self.tier
        return data


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer plus everything needed to explain it later."""

    action: str
    rep_ids: tuple[int, ...]
    fallback_rep_ids: tuple[int, ...]
    rule_id: int | None
    rule_name: str
    reason: str
    candidates: tuple[CandidateVerdict, ...]
    relaxed: tuple[str, ...]
    explored: bool
    score: int
    decided_at: datetime
    strategy: str = ""
    personas: tuple[str, ...] = ()  # names of the personas the matched rule asked for and the lead is in
    tiers: tuple[str, ...] = ()  # a tiered rule's open tiers, by name, in order
    next_tier: str = ""  # a tiered rule's next tier to open, by name ("" when all are open)
    next_tier_after: int | None = None  # seconds of waiting (since the lead came in) when the next tier opens
    pool: bool = False  # a tiered rule's pool tier is open: a lead no open tier can take goes to the pool

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable dict with stable keys; datetimes as ISO-8601 strings."""
        return {
            "action": self.action,
            "rep_ids": list(self.rep_ids),
            "fallback_rep_ids": list(self.fallback_rep_ids),
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "strategy": self.strategy,
            "reason": self.reason,
            "relaxed": list(self.relaxed),
            "explored": self.explored,
            "score": self.score,
            "decided_at": self.decided_at.isoformat(),
            "candidates": [c.to_json() for c in self.candidates],
            "personas": list(self.personas),
            **({"tiers": list(self.tiers), "next_tier": self.next_tier, "next_tier_after": self.next_tier_after,
                "pool": self.pool} if self.tiers else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        """Inverse of to_json()."""
        return cls(
            action=data["action"],
            rep_ids=tuple(data["rep_ids"]),
            fallback_rep_ids=tuple(data["fallback_rep_ids"]),
            rule_id=data["rule_id"],
            rule_name=data["rule_name"],
            reason=data["reason"],
            candidates=tuple(CandidateVerdict(**c) for c in data["candidates"]),
            relaxed=tuple(data["relaxed"]),
            explored=data["explored"],
            score=data["score"],
            decided_at=datetime.fromisoformat(data["decided_at"]),
            strategy=data.get("strategy", ""),
            personas=tuple(data.get("personas", ())),
            tiers=tuple(data.get("tiers", ())),
            next_tier=data.get("next_tier", ""),
            next_tier_after=data.get("next_tier_after"),
            pool=data.get("pool", False),
        )

    def summary(self) -> str:
        """One line of plain English explaining the decision."""
        if self.rule_id is None:
            return "No active rule matched; lead waits."
        kept = sum(1 for c in self.candidates if c.kept)
        text = f"Rule '{self.rule_name}' matched"
        if self.personas:
            text += f" (persona {', '.join(repr(name) for name in self.personas)})"
        text += f"; {kept} of {len(self.candidates)} reps eligible"
        dropped = _count_reasons(self.candidates)
        if dropped:
            text += f" ({dropped})"
        if self.relaxed:
            text += f"; relaxed {', '.join(self.relaxed)}"
        if self.tiers:
            text += f"; {_tiers_text(self)}"
        how = STRATEGY_SHORT_NAMES.get(self.strategy, self.strategy or "strategy")
        if self.action != Action.OFFER:
            if self.pool:
                return f"{text}; no open tier can take it, so it goes to the open pool."
            return f"{text}; lead waits ({_WAIT_LABELS.get(self.reason, self.reason)})."
        if self.explored:
            how += " (exploring)"
        tier_of = {c.rep_id: c.tier for c in self.candidates if c.tier} if self.tiers else {}
        named = [f"{rep_id} (tier {tier_of[rep_id]})" if rep_id in tier_of else str(rep_id) for rep_id in self.rep_ids]
        if len(self.rep_ids) == 1:
            text += f"; {how} chose rep {named[0]}"
        else:
            text += f"; {how} offered to reps {', '.join(named)}"
        if self.fallback_rep_ids:
            n = len(self.fallback_rep_ids)
            text += f" ({n} fallback{'' if n == 1 else 's'})"
        return text + "."


_REASON_LABELS = dict(FILTER_REASONS)
_WAIT_LABELS = dict(WAIT_REASONS)


def _tiers_text(decision: Decision) -> str:
    opened = ", ".join(f"{n} '{name}'" for n, name in enumerate(decision.tiers, start=1))
    text = f"tier{'s' if len(decision.tiers) > 1 else ''} open: {opened}"
    if decision.next_tier:
        text += (f" (tier {len(decision.tiers) + 1} '{decision.next_tier}' opens after "
                 f"{decision.next_tier_after} s of waiting)")
    return text


def _count_reasons(candidates: tuple[CandidateVerdict, ...]) -> str:
    counts: dict[str, int] = {}
    for c in candidates:
        if not c.kept:
            counts[c.reason] = counts.get(c.reason, 0) + 1
    order = [r.value for r in FilterReason]
    ranked = sorted(counts, key=lambda r: order.index(r) if r in order else len(order))
    return ", ".join(f"{counts[r]} {_REASON_LABELS.get(r, r)}" for r in ranked)
