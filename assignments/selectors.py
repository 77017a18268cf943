"""Reads of the sales floor shaped for their callers."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.timezone import now as tz_now

from assignments import routing
from assignments.config_cache import config_cached
from assignments.models import (
    Assignment,
    ConditionBase,
    DayOff,
    DraftRule,
    Persona,
    PersonaCondition,
    Rep,
    RepLanguage,
    RepSkill,
    RepTerritory,
    RoutingRule,
    RuleTier,
    ScoringRule,
    TierBase,
    WorkingHours,
)
from campaigns.models import Lead
from leadcrm.roles import is_manager, is_rep


def persona_specs() -> dict[str, routing.PersonaSpec]:
    """Every persona as the engine's PersonaSpec by slug, personas named in its conditions resolved too (2 queries).

    A persona that names itself, directly or through others, is cut where the loop closes (that condition then
    names no persona); the admin refuses such loops."""
    rows: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
        slug: (name, []) for slug, name in Persona.objects.values_list("slug", "name")}
    for slug, field, op, value in (PersonaCondition.objects.order_by("id")
                                   .values_list("persona__slug", "field", "op", "value")):
        rows[slug][1].append((field, op, value))
    done: dict[str, routing.PersonaSpec] = {}

    def resolve(slug: str, stack: tuple[str, ...]) -> routing.PersonaSpec | None:
        if slug in done:
            return done[slug]
        if slug not in rows or slug in stack:
            return None
        name, conditions = rows[slug]
        spec = routing.PersonaSpec(slug=slug, name=name, conditions=tuple(
            routing.Condition(field=f, op=o, value=v, personas=tuple(
                p for p in (resolve(ref, (*stack, slug)) for ref in routing.persona_slugs(v)) if p is not None))
            if f == routing.PERSONA_FIELD else routing.Condition(field=f, op=o, value=v)
            for f, o, v in conditions))
        done[slug] = spec
        return spec

    for slug in rows:
        resolve(slug, ())
    return done


def condition_from_model(c: ConditionBase, *,
                         personas: dict[str, routing.PersonaSpec] | None = None) -> routing.Condition:
    """The engine's frozen Condition for a condition row; a persona condition carries the personas it names
    (from `personas`, else from the routing memo)."""
    if c.field != routing.PERSONA_FIELD:
        return routing.Condition(field=c.field, op=c.op, value=c.value)
    # Admin lists describe one condition at a time: the memo keeps them from reading the personas once per row.
    known = config_cached(key="persona_specs", load=persona_specs) if personas is None else personas
    return routing.Condition(field=c.field, op=c.op, value=c.value,
                             personas=tuple(known[slug] for slug in routing.persona_slugs(c.value) if slug in known))


def _personas_for(conditions: Iterable[ConditionBase]) -> dict[str, routing.PersonaSpec]:
    if not any(c.field == routing.PERSONA_FIELD for c in conditions):
        return {}
    return config_cached(key="persona_specs", load=persona_specs)


RuleRow = TypeVar("RuleRow", RoutingRule, DraftRule)
TIER_NAMED_REPS = 3  # a tier of reps is named after this many of them, then "and N more"


def rules_for_spec(rules: QuerySet[RuleRow]) -> QuerySet[RuleRow]:
    """Live or draft rules with everything rule_spec_from_model reads prefetched: the one place that knows it."""
    tier_model = rules.model._meta.get_field("tiers").related_model
    return rules.prefetch_related(
        "conditions", "relaxations", "teams",
        Prefetch("tiers", queryset=tier_model._default_manager.select_related("team").order_by("position")),
        Prefetch("tiers__reps", queryset=Rep.objects.select_related("user").order_by("id")))


def tier_from_model(tier: TierBase) -> routing.Tier:
    """The engine's Tier for a tier row (team and reps prefetched), named as managers read it."""
    kind = TierBase.Kind(tier.kind)
    reps = list(tier.reps.all()) if kind == TierBase.Kind.REPS else []
    if kind == TierBase.Kind.TEAM:
        name = tier.team.name if tier.team is not None else "no team"
    elif kind == TierBase.Kind.REPS:
        shown = ", ".join(str(rep) for rep in reps[:TIER_NAMED_REPS]) or "no reps"
        name = shown + (f" and {len(reps) - TIER_NAMED_REPS} more" if len(reps) > TIER_NAMED_REPS else "")
    else:
        name = "everyone" if kind == TierBase.Kind.EVERYONE else "the open pool"
    team_ids = frozenset([tier.team_id]) if kind == TierBase.Kind.TEAM and tier.team_id else frozenset()
    return routing.Tier(name=name, team_ids=team_ids, rep_ids=frozenset(rep.pk for rep in reps),
                        everyone=kind == TierBase.Kind.EVERYONE, pool=kind == TierBase.Kind.POOL,
                        wait_seconds=tier.wait_seconds or 0)


def rule_spec_from_model(rule: RoutingRule | DraftRule, *,
                         personas: dict[str, routing.PersonaSpec] | None = None) -> routing.RuleSpec:
    """The engine's RuleSpec for a live or draft rule row from rules_for_spec() (no queries, but two to read the
    personas, through the routing memo, when a condition names one and `personas` is not given)."""
    conditions = list(rule.conditions.all())
    known = _personas_for(conditions) if personas is None else personas
    return routing.RuleSpec(
        id=rule.pk,
        name=rule.name,
        order=rule.order,
        active=rule.active,
        conditions=tuple(condition_from_model(c, personas=known) for c in conditions),
        team_ids=frozenset(team.pk for team in rule.teams.all()),
        strategy=rule.strategy,
        require_language=rule.require_language,
        require_skill=rule.require_skill,
        min_skill_level=rule.min_skill_level,
        require_territory=rule.require_territory,
        relaxations=tuple(routing.Relaxation(after_seconds=r.after_seconds, drop=r.drop)
                          for r in rule.relaxations.all()),
        broadcast_count=rule.broadcast_count,
        exploration_share=rule.exploration_share,
        tiers=tuple(tier_from_model(tier) for tier in rule.tiers.all()),
    )


@dataclass(frozen=True, slots=True)
class RuleFloorSettings:
    """What the floor reads of a live rule beside its RuleSpec: when its leads go to the pool, and its offers."""

    pool: str
    pool_after_seconds: int | None
    has_pool_tier: bool
    max_offers: int
    offer_timeout_seconds: int


def rule_floor_settings() -> dict[int, RuleFloorSettings]:
    """Every live rule's RuleFloorSettings by id (one query); read it through the routing memo
    (rule_floor_settings_cached)."""
    pool_tier = RuleTier.objects.filter(rule=OuterRef("pk"), kind=RuleTier.Kind.POOL)
    rows = RoutingRule.objects.annotate(has_pool_tier=Exists(pool_tier)).values_list(
        "pk", "pool", "pool_after_seconds", "has_pool_tier", "max_offers", "offer_timeout_seconds")
    return {pk: RuleFloorSettings(pool=pool, pool_after_seconds=after, has_pool_tier=tiered, max_offers=max_offers,
                                  offer_timeout_seconds=timeout)
            for pk, pool, after, tiered, max_offers, timeout in rows}


def rule_floor_settings_cached(*, rule_id: int) -> RuleFloorSettings | None:
    """One rule's RuleFloorSettings through the routing memo, read again when the memo predates the rule; None
    when there is no such rule."""
    known = config_cached(key="rule_floor_settings", load=rule_floor_settings,
                          stale=lambda rules: rule_id not in rules)
    return known.get(rule_id)


def rule_specs_active() -> list[routing.RuleSpec]:
    """Every active routing rule as the engine's RuleSpec, in order (5 queries whatever the count, 1 more when a
    rule has tiers, 2 more when a rule names a persona and the memo has no personas)."""
    rules = list(rules_for_spec(RoutingRule.objects.filter(active=True)))
    personas = _personas_for(c for rule in rules for c in rule.conditions.all())
    return [rule_spec_from_model(rule, personas=personas) for rule in rules]


def scoring_rules_active() -> list[routing.ScoringRule]:
    """Every active scoring rule as the engine's ScoringRule (2 queries, 2 more when one names a persona)."""
    rules = list(ScoringRule.objects.filter(active=True).prefetch_related("conditions"))
    personas = _personas_for(c for r in rules for c in r.conditions.all())
    return [routing.ScoringRule(id=r.pk, name=r.name, points=r.points,
                                conditions=tuple(condition_from_model(c, personas=personas)
                                                 for c in r.conditions.all()))
            for r in rules]


def lead_facts(*, lead: Lead, now: dt.datetime,
               past_offers: Sequence[tuple[int, str]] | None = None) -> routing.LeadFacts:
    """The engine's view of a lead, without reps who declined it, let it expire or had it taken back ((rep id,
    status) per offer)."""
    offers: Iterable[tuple[int, str]] = (
        past_offers if past_offers is not None else lead.assignments.values_list("rep_id", "status"))
    gone = (Assignment.Status.DECLINED, Assignment.Status.EXPIRED, Assignment.Status.TAKEN_BACK)
    excluded = frozenset(rep_id for rep_id, status in offers if status in gone)
    return routing.LeadFacts(
        id=lead.pk, campaign=lead.campaign.slug, supplier=lead.supplier.name, country=lead.country,
        region=lead.region, postal_code=lead.postal_code, language=lead.language, skill=lead.skill,
        fields=lead.fields if isinstance(lead.fields, dict) else {}, score=lead.score,
        waiting_since=lead.received_at, excluded_rep_ids=excluded,
    )


def rep_facts_for_routing(*, rep_ids: list[int] | None = None, profiles_cached: bool = False) -> list[routing.RepFacts]:
    """Active reps (all, or these) as the engine's RepFacts; their profiles memoised per process if asked."""
    reps = Rep.objects.filter(active=True)
    if rep_ids is not None:
        reps = reps.filter(pk__in=rep_ids)
    rows = list(reps.values_list("pk", "status", "timezone", "load", "capacity", "last_offered_at", "weight",
                                 "conversion_rate", "median_response_seconds", "daily_cap"))
    ids = [row[0] for row in rows]
    full_today = reps_at_daily_cap(reps=[(pk, tz, cap) for pk, _, tz, *_, cap in rows if cap is not None])
    if profiles_cached:
        # A rep the memo has not seen (new or reactivated) makes it read again at once.
        profiles = config_cached(key="rep_profiles", load=lambda: rep_profiles(rep_ids=None),
                                 stale=lambda known: any(pk not in known for pk in ids))
    else:
        profiles = rep_profiles(rep_ids=ids)
    return [
        routing.RepFacts(
            # A rep who reached their daily cap is as full as one at capacity: the engine filters both.
            id=pk, active=True, status=status, timezone=timezone,
            load=max(load, capacity) if pk in full_today else load, capacity=capacity,
            last_offered_at=last_offered_at, weight=weight, performance=conversion_rate,
            median_response_seconds=median_response_seconds, **profiles[pk],
        )
        for (pk, status, timezone, load, capacity, last_offered_at, weight, conversion_rate, median_response_seconds,
             _) in rows
    ]


TAKEN = (Assignment.Status.OFFERED, Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED)


def leads_today_count(*, timezones: Iterable[str], now: dt.datetime | None = None) -> Count:
    """An annotation for Rep querysets: the rep's new leads today in their own time zone (offers made since their
    midnight that are open or became theirs). `timezones`: those of the reps counted."""
    now = now or tz_now()
    since_midnight = Q()
    for zone in set(timezones):
        midnight = now.astimezone(zoneinfo.ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
        since_midnight |= Q(timezone=zone, assignments__offered_at__gte=midnight)
    return Count("assignments", filter=Q(assignments__status__in=TAKEN) & since_midnight)


def reps_with_leads_today(reps: QuerySet[Rep], *, now: dt.datetime | None = None) -> QuerySet[Rep]:
    """These reps with `leads_today` annotated, in the queryset's one query (one more reads their time zones)."""
    zones = reps.order_by().values_list("timezone", flat=True).distinct()
    return reps.annotate(leads_today=leads_today_count(timezones=list(zones), now=now))


def leads_taken_today(*, rep_id: int, timezone: str, now: dt.datetime | None = None) -> int:
    """New leads this rep got today in their time zone (see leads_today_count)."""
    rep = Rep.objects.filter(pk=rep_id).annotate(leads_today=leads_today_count(timezones=[timezone], now=now))
    return int(rep.values_list("leads_today", flat=True).first() or 0)


def reps_at_daily_cap(*, reps: list[tuple[int, str, int]], now: dt.datetime | None = None) -> set[int]:
    """Of these (rep id, time zone, daily cap), the reps whose leads taken today reached their cap: one query."""
    if not reps:
        return set()
    caps = {pk: cap for pk, _, cap in reps}
    counted = Rep.objects.filter(pk__in=caps).annotate(
        leads_today=leads_today_count(timezones=[zone for _, zone, _ in reps], now=now))
    return {pk for pk, today in counted.values_list("pk", "leads_today") if today >= caps[pk]}


def rep_profiles(*, rep_ids: list[int] | None) -> dict[int, dict]:
    """What rarely changes about each rep (these, or every active one) as RepFacts keyword arguments: 7 queries."""
    if rep_ids is None:
        rep_ids = list(Rep.objects.filter(active=True).values_list("pk", flat=True))
    by_rep = {
        "languages": _grouped(RepLanguage.objects.filter(rep_id__in=rep_ids).values_list("rep_id", "code")),
        "skills": _grouped(RepSkill.objects.filter(rep_id__in=rep_ids)
                           .values_list("rep_id", "skill__slug", "level")),
        "territories": _grouped(RepTerritory.objects.filter(rep_id__in=rep_ids)
                                .values_list("rep_id", "country", "region", "postal_prefix")),
        "hours": _grouped(WorkingHours.objects.filter(rep_id__in=rep_ids)
                          .values_list("rep_id", "weekday", "starts", "ends")),
        "days_off": _grouped(DayOff.objects.filter(rep_id__in=rep_ids,
                                                   date__gte=dt.date.today() - dt.timedelta(days=1))
                             .values_list("rep_id", "date")),
        "teams": _grouped(Rep.teams.through.objects.filter(rep_id__in=rep_ids).values_list("rep_id", "team_id")),
    }
    return {
        pk: {
            "working_hours": tuple(routing.WorkingWindow(weekday=day, start=starts, end=ends)
                                   for day, starts, ends in by_rep["hours"].get(pk, ())),
            "days_off": frozenset(day for (day,) in by_rep["days_off"].get(pk, ())),
            "languages": frozenset(code.lower() for (code,) in by_rep["languages"].get(pk, ())),
            "skills": dict(by_rep["skills"].get(pk, ())),
            "territories": tuple(routing.Territory(country=c, region=r, postal_prefix=p)
                                 for c, r, p in by_rep["territories"].get(pk, ())),
            "team_ids": frozenset(team for (team,) in by_rep["teams"].get(pk, ())),
        }
        for pk in rep_ids
    }


def _grouped(rows) -> dict[int, list[tuple]]:
    """Rows (rep_id, *values) grouped by rep id."""
    grouped: dict[int, list[tuple]] = {}
    for rep_id, *values in rows:
        grouped.setdefault(rep_id, []).append(tuple(values))
    return grouped


def assignments_visible_to(*, user) -> QuerySet[Assignment]:
    """A rep's own assignments; every assignment for a manager; nothing for anyone else."""
    qs = Assignment.objects.with_payload().order_by("-offered_at")
    if is_manager(user):
        return qs
    if is_rep(user):
        return qs.filter(rep=user.rep)
    return qs.none()


def open_assignments_for_rep(*, rep_id: int) -> list[Assignment]:
    """The rep's offers and accepted leads still open, oldest first (for a reconnecting browser)."""
    return list(Assignment.objects.with_payload()
                .filter(rep_id=rep_id, status__in=Assignment.OPEN_STATUSES).order_by("offered_at"))


def lead_route_simulate(*, lead: Lead, now: dt.datetime, seed: int | None = None) -> routing.Decision:
    """What the engine would decide for this lead right now, with today's reps and rules; writes nothing."""
    facts = lead_facts(lead=lead, now=now)
    rng = random.Random(seed if seed is not None else lead.pk)
    return routing.decide(lead=facts, reps=rep_facts_for_routing(), rules=rule_specs_active(), now=now, rng=rng,
                          scoring_rules=scoring_rules_active())


@dataclass(frozen=True)
class WaitLimits:
    """How long a lead not yet offered may wait: the max_wait_seconds of the rule it matches now (the routing
    engine's own match, no query per lead), else the default. Load once per pass with wait_limits()."""

    specs: list[routing.RuleSpec]
    max_waits: dict[int, int]
    default: int

    def for_lead(self, *, lead: Lead, now: dt.datetime) -> tuple[int | None, int]:
        """(the matched rule's id or None, its max wait in seconds)."""
        rule = routing.match_rule(lead=lead_facts(lead=lead, now=now, past_offers=()), rules=self.specs)
        if rule is None:
            return None, self.default
        return rule.id, self.max_waits.get(rule.id, self.default)


def wait_limits() -> WaitLimits:
    """The active rules' wait limits (two queries)."""
    return WaitLimits(specs=rule_specs_active(),
                      max_waits=dict(RoutingRule.objects.values_list("pk", "max_wait_seconds")),
                      default=int(RoutingRule._meta.get_field("max_wait_seconds").get_default()))
