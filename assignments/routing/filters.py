"""Hard filters (who may receive a lead right now) and their timed relaxation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from .facts import REP_AVAILABLE, FilterReason, LeadFacts, RelaxDrop, RepFacts, RuleSpec
from .tiers import ladder_members

_ZONES: dict[str, ZoneInfo | None] = {}
LocalClock = tuple[int, int, time, date]  # (weekday, previous weekday, wall-clock time, date)


def zone(name: str) -> ZoneInfo | None:
    """Cached ZoneInfo for an IANA name; None when the name is unknown."""
    try:
        return _ZONES[name]
    except KeyError:
        pass
    try:
        found: ZoneInfo | None = ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        found = None
    _ZONES[name] = found
    return found


def local_clock(*, now: datetime, timezone: str) -> LocalClock | None:
    """Weekday, previous weekday, wall-clock time and date of `now` in `timezone`; None if unknown zone."""
    tz = zone(timezone)
    if tz is None:
        return None
    local = now.astimezone(tz)
    weekday = local.weekday()
    return weekday, (weekday - 1) % 7, local.time(), local.date()


def on_shift(*, rep: RepFacts, clock: LocalClock | None) -> bool:
    """True when the rep's local clock is inside a working window and not a day off."""
    return _on_shift(rep, clock)


def _on_shift(rep: RepFacts, clock: LocalClock | None) -> bool:
    # Positional and inlined: this runs once per rep per decision (10k reps).
    if clock is None:
        return False  # unknown time zone: never guess the rep's hours
    weekday, yesterday, at, today = clock
    if rep.days_off and today in rep.days_off:
        return False
    for w in rep.working_hours:
        day = w.weekday
        if day == weekday:
            # start < end: plain window; otherwise (overnight, or 00:00-00:00 = all day) it runs from start.
            if (w.start <= at < w.end) if w.start < w.end else at >= w.start:
                return True
        elif day == yesterday and w.end <= w.start and at < w.end:
            return True  # tail of yesterday's overnight window (start inclusive, end exclusive)
    return False


def is_on_shift(*, rep: RepFacts, now: datetime) -> bool:
    """True when the rep is within working hours at tz-aware `now` (rep's own zone, DST-safe)."""
    return on_shift(rep=rep, clock=local_clock(now=now, timezone=rep.timezone))


def active_relaxations(*, rule: RuleSpec, lead: LeadFacts, now: datetime) -> tuple[str, ...]:
    """Drops whose wait threshold has passed and which loosen a filter the rule actually uses."""
    waited = (now - lead.waiting_since).total_seconds()
    used: dict[str, bool] = {  # keyed by str: Relaxation.drop is a plain str
        RelaxDrop.LANGUAGE: rule.require_language,
        RelaxDrop.SKILL: rule.require_skill,
        RelaxDrop.TERRITORY_REGION: rule.require_territory,
        RelaxDrop.TERRITORY: rule.require_territory,
    }
    applied: list[str] = []
    for relax in sorted(rule.relaxations, key=lambda r: r.after_seconds):
        if waited >= relax.after_seconds and used.get(relax.drop) and relax.drop not in applied:
            applied.append(str(relax.drop))
    return tuple(applied)


def team_candidates(*, reps: Sequence[RepFacts], rule: RuleSpec) -> list[RepFacts]:
    """Reps in any of the rule's teams (all reps when the rule names no team); for a tiered rule, everyone its
    ladder holds, whichever tiers are open."""
    if rule.tiers:
        return ladder_members(reps=reps, tiers=rule.tiers)
    if not rule.team_ids:
        return list(reps)
    teams = rule.team_ids
    return [r for r in reps if not teams.isdisjoint(r.team_ids)]


def _norm(value: str) -> str:
    return value.strip().casefold()


def _speaks(rep: RepFacts, language: str) -> bool:
    return any(_norm(x) == language for x in rep.languages)


def _skill_level(rep: RepFacts, skill: str) -> int:
    level = rep.skills.get(skill)
    if level is None:
        level = next((v for k, v in rep.skills.items() if _norm(k) == skill), 0)
    return level


def make_screen(
    *, lead: LeadFacts, rule: RuleSpec, now: datetime, relaxed: Sequence[str] = ()
) -> Callable[[RepFacts], str]:
    """Build rep -> drop reason ('' = kept), running the filters in FilterReason order."""
    language = _norm(lead.language) if rule.require_language and RelaxDrop.LANGUAGE not in relaxed else ""
    skill = _norm(lead.skill) if rule.require_skill and RelaxDrop.SKILL not in relaxed else ""
    min_level = rule.min_skill_level
    # A lead without a country cannot be placed, so (like language/skill) the filter is skipped.
    territory = rule.require_territory and RelaxDrop.TERRITORY not in relaxed and bool(_norm(lead.country))
    country_only = RelaxDrop.TERRITORY_REGION in relaxed
    raw_country, raw_region, raw_postal = lead.country, lead.region, lead.postal_code
    country, region, postal = _norm(lead.country), _norm(lead.region), _norm(lead.postal_code)
    excluded = lead.excluded_rep_ids
    available = REP_AVAILABLE
    clocks: dict[str, LocalClock | None] = {}  # one astimezone() per distinct zone, not per rep

    def covers(rep: RepFacts) -> bool:
        # Exact comparisons first: normalising every territory of every rep is the slow path.
        for t in rep.territories:
            if t.country != raw_country and _norm(t.country) != country:
                continue
            if country_only:
                return True
            if t.region and t.region != raw_region and _norm(t.region) != region:
                continue
            prefix = t.postal_prefix
            if not prefix or raw_postal.startswith(prefix) or postal.startswith(_norm(prefix)):
                return True
        return False

    def screen(rep: RepFacts) -> str:
        if not rep.active:
            return FilterReason.INACTIVE
        if rep.status != available:
            return FilterReason.NOT_AVAILABLE
        tz = rep.timezone
        clock = clocks[tz] if tz in clocks else clocks.setdefault(tz, local_clock(now=now, timezone=tz))
        if not _on_shift(rep, clock):
            return FilterReason.OFF_HOURS
        if rep.load >= rep.capacity:
            return FilterReason.AT_CAPACITY
        if rep.id in excluded:
            return FilterReason.EXCLUDED
        if language and language not in rep.languages and not _speaks(rep, language):
            return FilterReason.LANGUAGE
        if skill and rep.skills.get(skill, 0) < min_level and _skill_level(rep, skill) < min_level:
            return FilterReason.SKILL
        if territory and not covers(rep):
            return FilterReason.TERRITORY
        return ""

    return screen


def eligible(
    *, lead: LeadFacts, reps: Sequence[RepFacts], rule: RuleSpec, now: datetime
) -> list[RepFacts]:
    """Reps of the rule's teams that pass every hard filter now (relaxations applied)."""
    relaxed = active_relaxations(rule=rule, lead=lead, now=now)
    screen = make_screen(lead=lead, rule=rule, now=now, relaxed=relaxed)
    return [r for r in team_candidates(reps=reps, rule=rule) if not screen(r)]


def pool_candidates(
    *, lead: LeadFacts, reps: Sequence[RepFacts], rule: RuleSpec, now: datetime
) -> list[RepFacts]:
    """Reps of the rule's teams who may claim the lead from the open pool: on shift, and passing the rule's
    language, skill and territory filters (relaxations applied). Being away, full, or having passed on the lead
    before does not hide a pool lead; claiming checks capacity."""
    relaxed = active_relaxations(rule=rule, lead=lead, now=now)
    screen = make_screen(lead=dataclasses.replace(lead, excluded_rep_ids=frozenset()), rule=rule, now=now,
                         relaxed=relaxed)
    return [rep for rep in team_candidates(reps=reps, rule=rule)
            if not screen(dataclasses.replace(rep, status=REP_AVAILABLE, load=0))]
