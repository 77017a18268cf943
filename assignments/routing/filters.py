"""Hard filters (who may receive a lead right now) and their timed relaxation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from .facts import REP_AVAILABLE, FilterReason, LeadFacts, RelaxDrop, RepFacts, RuleSpec, WorkingWindow

_MIDNIGHT = time(0)
_ZONES: dict[str, ZoneInfo | None] = {}
LocalClock = tuple[int, time, date]  # (weekday, wall-clock time, date) in one zone


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
    """Weekday, wall-clock time and date of tz-aware `now` in `timezone`; None if unknown zone."""
    tz = zone(timezone)
    if tz is None:
        return None
    local = now.astimezone(tz)
    return local.weekday(), local.time(), local.date()


def in_window(*, window: WorkingWindow, weekday: int, at: time) -> bool:
    """True when local (weekday, time) falls in the window; start inclusive, end exclusive."""
    start, end, day = window.start, window.end, window.weekday
    if start == end == _MIDNIGHT:
        return day == weekday
    if start < end:
        return day == weekday and start <= at < end
    # Overnight window: the tail belongs to the next weekday.
    return (day == weekday and at >= start) or ((day + 1) % 7 == weekday and at < end)


def on_shift(*, rep: RepFacts, clock: LocalClock | None) -> bool:
    """True when the rep's local clock is inside a working window and not a day off."""
    if clock is None:
        return False  # unknown time zone: never guess the rep's hours
    weekday, at, today = clock
    if today in rep.days_off:
        return False
    return any(in_window(window=w, weekday=weekday, at=at) for w in rep.working_hours)


def is_on_shift(*, rep: RepFacts, now: datetime) -> bool:
    """True when the rep is within working hours at tz-aware `now` (rep's own zone, DST-safe)."""
    return on_shift(rep=rep, clock=local_clock(now=now, timezone=rep.timezone))


def active_relaxations(*, rule: RuleSpec, lead: LeadFacts, now: datetime) -> tuple[str, ...]:
    """Drops whose wait threshold has passed and which loosen a filter the rule actually uses."""
    waited = (now - lead.waiting_since).total_seconds()
    used = {
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
    """Reps in any of the rule's teams (all reps when the rule names no team)."""
    if not rule.team_ids:
        return list(reps)
    teams = rule.team_ids
    return [r for r in reps if not teams.isdisjoint(r.team_ids)]


def _norm(value: str) -> str:
    return value.strip().casefold()


def _speaks(rep: RepFacts, language: str) -> bool:
    return language in rep.languages or any(_norm(x) == language for x in rep.languages)


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
    country, region, postal = _norm(lead.country), _norm(lead.region), _norm(lead.postal_code)
    excluded = lead.excluded_rep_ids
    clocks: dict[str, LocalClock | None] = {}  # one astimezone() per distinct zone, not per rep

    def covers(rep: RepFacts) -> bool:
        for t in rep.territories:
            if _norm(t.country) != country:
                continue
            if country_only:
                return True
            if (not t.region or _norm(t.region) == region) and postal.startswith(_norm(t.postal_prefix)):
                return True
        return False

    def screen(rep: RepFacts) -> str:
        if not rep.active:
            return FilterReason.INACTIVE
        if rep.status != REP_AVAILABLE:
            return FilterReason.NOT_AVAILABLE
        tz = rep.timezone
        clock = clocks[tz] if tz in clocks else clocks.setdefault(tz, local_clock(now=now, timezone=tz))
        if not on_shift(rep=rep, clock=clock):
            return FilterReason.OFF_HOURS
        if rep.load >= rep.capacity:
            return FilterReason.AT_CAPACITY
        if rep.id in excluded:
            return FilterReason.EXCLUDED
        if language and not _speaks(rep, language):
            return FilterReason.LANGUAGE
        if skill and _skill_level(rep, skill) < min_level:
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
