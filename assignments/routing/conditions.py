"""Evaluate and describe rule conditions, score leads, pick the matching rule."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from .facts import (
    CONDITION_FIELDS,
    FIELDS_PREFIX,
    OPERATORS,
    PERSONA_FIELD,
    PERSONA_OPS,
    STRATEGY_SHORT_NAMES,
    Condition,
    LeadFacts,
    Op,
    PersonaSpec,
    RuleSpec,
    ScoringRule,
    Strategy,
)

_PLAIN_FIELDS = frozenset(name for name, _ in CONDITION_FIELDS)
# Keyed by str (Op is a StrEnum): Condition.op is whatever the rule author stored.
_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    Op.GT: float.__gt__,
    Op.GTE: float.__ge__,
    Op.LT: float.__lt__,
    Op.LTE: float.__le__,
}
_OPS = frozenset(Op)


def _norm(value: object) -> str:
    return str(value).strip().casefold()


def _split(value: str) -> set[str]:
    return {part for part in (_norm(p) for p in value.split(",")) if part}


def _number(value: object) -> float | None:
    # bool is an int subclass, but "True > 3" is never what a rule author means.
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def lead_value(*, lead: LeadFacts, field: str) -> object:
    """The lead's value for a condition field; None when unknown or missing."""
    if field.startswith(FIELDS_PREFIX):
        return lead.fields.get(field[len(FIELDS_PREFIX):])
    if field in _PLAIN_FIELDS:
        return getattr(lead, field)
    return None


def _values(raw: object) -> set[str]:
    # Multi-select answers arrive as lists; a condition matches if any element does.
    if isinstance(raw, (list, tuple, set, frozenset)):
        return {v for v in (_norm(x) for x in raw if x is not None) if v}
    if raw is None:
        return set()
    value = _norm(raw)
    return {value} if value else set()


def persona_matches(*, persona: PersonaSpec, lead: LeadFacts) -> bool:
    """True when the lead is in the persona: all its conditions hold."""
    return conditions_match(conditions=persona.conditions, lead=lead)


def _persona_condition_matches(condition: Condition, lead: LeadFacts) -> bool:
    hit = any(persona_matches(persona=p, lead=lead) for p in condition.personas)
    if condition.op in (Op.EQ, Op.IN):
        return hit
    if condition.op in (Op.NEQ, Op.NOT_IN):
        return not hit
    return False


def condition_matches(*, condition: Condition, lead: LeadFacts) -> bool:
    """True when the lead satisfies the condition; never raises on bad data."""
    if condition.field == PERSONA_FIELD:
        return _persona_condition_matches(condition, lead)
    raw = lead_value(lead=lead, field=condition.field)
    op = condition.op
    if op in _NUMERIC_OPS:
        left, right = _number(raw), _number(condition.value)
        return left is not None and right is not None and _NUMERIC_OPS[op](left, right)
    actual = _values(raw)
    if op == Op.EXISTS:
        return bool(actual)
    if op == Op.NOT_EXISTS:
        return not actual
    if op in (Op.EQ, Op.NEQ):
        hit = _norm(condition.value) in actual
        return hit if op == Op.EQ else not hit
    if op in (Op.IN, Op.NOT_IN):
        hit = bool(actual & _split(condition.value))
        return hit if op == Op.IN else not hit
    if op == Op.PREFIX:
        prefixes = tuple(_split(condition.value))
        return bool(prefixes) and any(v.startswith(prefixes) for v in actual)
    return False  # unknown operator: fail closed rather than match everything


def conditions_match(*, conditions: Iterable[Condition], lead: LeadFacts) -> bool:
    """True when every condition matches (so an empty list always matches)."""
    return all(condition_matches(condition=c, lead=lead) for c in conditions)


def score_lead(*, lead: LeadFacts, scoring_rules: Sequence[ScoringRule]) -> int:
    """Sum of `points` of every scoring rule whose conditions all match."""
    return sum(r.points for r in scoring_rules if conditions_match(conditions=r.conditions, lead=lead))


def match_rule(*, lead: LeadFacts, rules: Sequence[RuleSpec]) -> RuleSpec | None:
    """First active rule by (order, id) whose conditions all match, else None."""
    for rule in sorted(rules, key=lambda r: (r.order, r.id)):
        if rule.active and conditions_match(conditions=rule.conditions, lead=lead):
            return rule
    return None


def personas_in(*, conditions: Iterable[Condition], lead: LeadFacts) -> tuple[str, ...]:
    """Names of the personas that these conditions ask the lead to be in (eq / in) and that it is in."""
    names: list[str] = []
    for condition in conditions:
        if condition.field == PERSONA_FIELD and condition.op in (Op.EQ, Op.IN):
            names += [p.name for p in condition.personas if persona_matches(persona=p, lead=lead)]
    return tuple(dict.fromkeys(names))


def persona_slugs(value: str) -> tuple[str, ...]:
    """The persona slugs a persona condition's value names (comma-separated), in order, without blanks."""
    return tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))


def condition_errors(condition: Condition) -> tuple[str, ...]:
    """Human-readable problems with a condition (for admin validation); empty when valid.

    A persona condition is checked for its form only: whether its slugs name personas is the caller's check."""
    errors = []
    field = condition.field
    if field == PERSONA_FIELD:
        if condition.op not in PERSONA_OPS:
            errors.append("A persona condition uses is, is not, is one of or is not one of.")
        elif not persona_slugs(condition.value):
            errors.append("Name a persona (its slug).")
        elif condition.op in (Op.EQ, Op.NEQ) and len(persona_slugs(condition.value)) > 1:
            errors.append("Name one persona, or use 'is one of'.")
        return tuple(errors)
    if field not in _PLAIN_FIELDS and not (field.startswith(FIELDS_PREFIX) and len(field) > len(FIELDS_PREFIX)):
        errors.append(f"Unknown field '{field}'; use one of the listed fields or fields.<name>.")
    if condition.op not in _OPS:
        errors.append(f"Unknown operator '{condition.op}'.")
    elif condition.op in _NUMERIC_OPS and _number(condition.value) is None:
        errors.append(f"'{condition.value}' is not a number.")
    elif condition.op not in (Op.EXISTS, Op.NOT_EXISTS) and not condition.value.strip():
        errors.append("A value is required.")
    return tuple(errors)


_FIELD_LABELS = {name: label.lower() for name, label in CONDITION_FIELDS}
# The operators' labels, less the form's hint on how to type a list.
_OP_WORDS = {op: label.removesuffix(" (comma-separated)") for op, label in OPERATORS}
_RELAX_WORDS = {
    "language": "language",
    "skill": "skill",
    "territory_region": "territory region",
    "territory": "territory",
}


def _field_words(field: str) -> str:
    if field == PERSONA_FIELD:
        return "persona"
    if field.startswith(FIELDS_PREFIX):
        return f'answer "{field[len(FIELDS_PREFIX):]}"'
    return _FIELD_LABELS.get(field, field)


def describe_condition(condition: Condition) -> str:
    """Plain English, e.g. 'country is one of US, CA'."""
    if condition.field == PERSONA_FIELD:
        names = {p.slug: p.name for p in condition.personas}
        named = ", ".join(f"'{names.get(slug, slug)}'" for slug in persona_slugs(condition.value))
        negated = condition.op in (Op.NEQ, Op.NOT_IN)
        several = condition.op in (Op.IN, Op.NOT_IN) and "," in condition.value
        return f"lead is {'not ' if negated else ''}in {'one of the personas' if several else 'persona'} {named}"
    words = _OP_WORDS.get(condition.op, condition.op)
    subject = f"{_field_words(condition.field)} {words}"
    if condition.op in (Op.EXISTS, Op.NOT_EXISTS):
        return subject
    if condition.op in (Op.IN, Op.NOT_IN, Op.PREFIX):
        parts = [p.strip() for p in condition.value.split(",") if p.strip()]
        if condition.op == Op.PREFIX and len(parts) > 1:
            subject += " one of"
        return f"{subject} {', '.join(parts)}"
    return f"{subject} {condition.value.strip()}"


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def describe_rule(rule: RuleSpec, *, team_names: Mapping[int, str] | None = None) -> str:
    """One sentence summarising when the rule fires and how it routes."""
    when = " and ".join(describe_condition(c) for c in rule.conditions) or "any lead"
    names = team_names or {}
    teams = sorted(names.get(t, f"team {t}") for t in rule.team_ids)
    who = ", ".join(teams) if teams else "all teams"
    if rule.tiers:
        who = f"tier 1 '{rule.tiers[0].name}'" + "".join(
            f", after {_duration(before.wait_seconds)} more tier {n} '{tier.name}'"
            for n, (before, tier) in enumerate(itertools.pairwise(rule.tiers), start=2))
    how = STRATEGY_SHORT_NAMES.get(rule.strategy, rule.strategy)
    if rule.strategy == Strategy.BROADCAST:
        how += f" to {rule.broadcast_count} reps"
    elif rule.strategy == Strategy.PERFORMANCE_WEIGHTED:
        how += f" with {round(rule.exploration_share * 100)}% exploration"
    needs = []
    if rule.require_language:
        needs.append("language")
    if rule.require_skill:
        needs.append(f"skill level {rule.min_skill_level}+")
    if rule.require_territory:
        needs.append("territory")
    text = f"Rule '{rule.name}'{'' if rule.active else ' (inactive)'}: when {when}, route to {who} by {how}"
    if needs:
        text += f", requiring {', '.join(needs)}"
    if rule.relaxations:
        relax = ", ".join(
            f"{_RELAX_WORDS.get(r.drop, r.drop)} after {_duration(r.after_seconds)}"
            for r in sorted(rule.relaxations, key=lambda r: r.after_seconds)
        )
        text += f"; relaxing {relax}"
    return text + "."
