"""Engine facts <-> compact JSON for routing snapshots and replay runs (pure stdlib, no Django)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, overload

from assignments.routing.facts import (
    Condition,
    LeadFacts,
    PersonaSpec,
    Relaxation,
    RepFacts,
    RuleSpec,
    Territory,
    Tier,
    WorkingWindow,
)
from assignments.routing.filters import local_clock, on_shift

UTC = dt.UTC
# A recorded rep is replayed in UTC with "always" or "never" hours, so the engine re-derives the recorded flag.
ALWAYS = tuple(WorkingWindow(weekday=day, start=dt.time(0), end=dt.time(0)) for day in range(7))
NEVER: tuple[WorkingWindow, ...] = ()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_PROFILE_CACHE: dict[tuple, tuple[dict[str, Any], str]] = {}
_PROFILE_CACHE_MAX = 50_000


def micros(at: dt.datetime | None) -> int | None:
    """Integer microseconds since the epoch (exact, unlike a float timestamp); None stays None."""
    if at is None:
        return None
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@overload
def from_micros(value: int) -> dt.datetime: ...
@overload
def from_micros(value: None) -> None: ...
@overload
def from_micros(value: int | None) -> dt.datetime | None: ...
def from_micros(value: int | None) -> dt.datetime | None:
    """Inverse of micros(), tz-aware UTC."""
    return None if value is None else _EPOCH + dt.timedelta(microseconds=value)


def lead_to_json(lead: LeadFacts) -> dict[str, Any]:
    """The lead's facts as JSON-safe dict."""
    return {
        "id": lead.id, "campaign": lead.campaign, "supplier": lead.supplier, "country": lead.country,
        "region": lead.region, "postal_code": lead.postal_code, "language": lead.language, "skill": lead.skill,
        "fields": dict(lead.fields), "score": lead.score, "waiting_since": micros(lead.waiting_since),
        "excluded": sorted(lead.excluded_rep_ids),
    }


def lead_from_json(data: Mapping[str, Any]) -> LeadFacts:
    """Inverse of lead_to_json()."""
    waiting_since: int = data["waiting_since"]  # always set: lead_to_json() writes a lead's (non-None) wait start
    return LeadFacts(
        id=data["id"], campaign=data["campaign"], supplier=data["supplier"], country=data["country"],
        region=data["region"], postal_code=data["postal_code"], language=data["language"], skill=data["skill"],
        fields=data.get("fields") or {}, score=data["score"], waiting_since=from_micros(waiting_since),
        excluded_rep_ids=frozenset(data.get("excluded") or ()),
    )


def rep_profile(rep: RepFacts) -> tuple[dict[str, Any], str]:
    """The rep's slow-changing routing profile and its content digest (cached per distinct profile)."""
    key = (rep.languages, tuple(sorted(rep.skills.items())), rep.territories, rep.team_ids, rep.weight)
    found = _PROFILE_CACHE.get(key)
    if found is None:
        profile = {
            "languages": sorted(rep.languages),
            "skills": dict(sorted(rep.skills.items())),
            "territories": sorted([t.country, t.region, t.postal_prefix] for t in rep.territories),
            "teams": sorted(rep.team_ids),
            "weight": rep.weight,
        }
        text = json.dumps(profile, sort_keys=True, separators=(",", ":"))
        found = (profile, hashlib.sha1(text.encode()).hexdigest())
        if len(_PROFILE_CACHE) >= _PROFILE_CACHE_MAX:
            _PROFILE_CACHE.clear()
        _PROFILE_CACHE[key] = found
    return found


def rep_rows(*, reps: Sequence[RepFacts], profile_ids: Mapping[str, int], now: dt.datetime) -> list[list[Any]]:
    """Each rep's state at `now` as a compact row (see models_lab.REP_ROW_FIELDS); profile_ids maps digests."""
    clocks: dict[str, Any] = {}
    rows = []
    for rep in reps:
        tz = rep.timezone
        clock = clocks[tz] if tz in clocks else clocks.setdefault(tz, local_clock(now=now, timezone=tz))
        rows.append([rep.id, profile_ids[rep_profile(rep)[1]], rep.status, rep.load, rep.capacity,
                     1 if on_shift(rep=rep, clock=clock) else 0, micros(rep.last_offered_at), rep.performance,
                     rep.median_response_seconds])
    return rows


class RepDecoder:
    """Rows + recorded profiles -> RepFacts; a row seen before (same state) reuses its RepFacts."""

    def __init__(self, profiles: Mapping[int, Mapping[str, Any]]):
        self._profiles: dict[int, tuple] = {}
        self._seen: dict[tuple, RepFacts] = {}
        self.add(profiles)

    def add(self, profiles: Mapping[int, Mapping[str, Any]]) -> None:
        """Learn more recorded profiles (id -> data)."""
        for pk, data in profiles.items():
            self._profiles[pk] = (
                frozenset(data.get("languages") or ()), dict(data.get("skills") or {}),
                tuple(Territory(country=c, region=r, postal_prefix=p) for c, r, p in data.get("territories") or ()),
                frozenset(data.get("teams") or ()), int(data.get("weight", 1)),
            )

    def profile(self, profile_id: int) -> tuple:
        """(languages, skills, territories, team ids, weight) of a recorded profile."""
        return self._profiles[profile_id]

    def reps(self, rows: Sequence[Sequence[Any]]) -> tuple[RepFacts, ...]:
        out = []
        seen = self._seen
        for row in rows:
            key = tuple(row)
            rep = seen.get(key)
            if rep is None:
                rep = seen[key] = self._decode(row)
            out.append(rep)
        if len(seen) > 200_000:
            seen.clear()
        return tuple(out)

    def _decode(self, row: Sequence[Any]) -> RepFacts:
        rep_id, profile_id, status, load, capacity, shift, offered, performance, median = row
        languages, skills, territories, teams, weight = self._profiles[profile_id]
        return RepFacts(
            id=rep_id, active=True, status=status, timezone="UTC", working_hours=ALWAYS if shift else NEVER,
            days_off=frozenset(), load=load, capacity=capacity, languages=languages, skills=skills,
            territories=territories, team_ids=teams, last_offered_at=from_micros(offered), weight=weight,
            performance=performance, median_response_seconds=median,
        )


def condition_to_json(condition: Condition) -> list[Any]:
    """[field, op, value], plus the personas a persona condition names: [[slug, name, [conditions]], ...]."""
    if not condition.personas:
        return [condition.field, condition.op, condition.value]
    return [condition.field, condition.op, condition.value,
            [[p.slug, p.name, [condition_to_json(c) for c in p.conditions]] for p in condition.personas]]


def condition_from_json(data: list[Any]) -> Condition:
    """Inverse of condition_to_json()."""
    field, op, value, *rest = data
    personas = tuple(PersonaSpec(slug=slug, name=name, conditions=tuple(condition_from_json(c) for c in conds))
                     for slug, name, conds in (rest[0] if rest else ()))
    return Condition(field=field, op=op, value=value, personas=personas)


def rule_to_json(rule: RuleSpec) -> dict[str, Any]:
    """A RuleSpec as a JSON-safe dict."""
    return {
        "id": rule.id, "name": rule.name, "order": rule.order, "active": rule.active,
        "conditions": [condition_to_json(c) for c in rule.conditions], "team_ids": sorted(rule.team_ids),
        "strategy": rule.strategy, "require_language": rule.require_language, "require_skill": rule.require_skill,
        "min_skill_level": rule.min_skill_level, "require_territory": rule.require_territory,
        "relaxations": [[r.after_seconds, r.drop] for r in rule.relaxations],
        "broadcast_count": rule.broadcast_count, "exploration_share": rule.exploration_share,
        "tiers": [[t.name, sorted(t.team_ids), sorted(t.rep_ids), t.everyone, t.pool, t.wait_seconds]
                  for t in rule.tiers],
    }


def rule_from_json(data: Mapping[str, Any]) -> RuleSpec:
    """Inverse of rule_to_json()."""
    return RuleSpec(
        id=data["id"], name=data["name"], order=data["order"], active=data["active"],
        conditions=tuple(condition_from_json(c) for c in data["conditions"]),
        team_ids=frozenset(data["team_ids"]), strategy=data["strategy"],
        require_language=data["require_language"], require_skill=data["require_skill"],
        min_skill_level=data["min_skill_level"], require_territory=data["require_territory"],
        relaxations=tuple(Relaxation(after_seconds=a, drop=d) for a, d in data["relaxations"]),
        broadcast_count=data["broadcast_count"], exploration_share=data["exploration_share"],
        tiers=tuple(Tier(name=name, team_ids=frozenset(teams), rep_ids=frozenset(reps), everyone=everyone, pool=pool,
                         wait_seconds=wait)
                    for name, teams, reps, everyone, pool, wait in data.get("tiers", ())),  # runs before tiers had none
    )
