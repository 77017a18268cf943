"""Reads of the sales floor shaped for their callers."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from assignments.models import Assignment, ConditionBase, DayOff, Rep, RepSkill, RoutingRule, ScoringRule
from assignments.routing.facts import (
    Condition, LeadFacts, Relaxation, RepFacts, RuleSpec, Territory, WorkingWindow,
)
from assignments.routing.facts import ScoringRule as EngineScoringRule
from campaigns.models import Lead
from leadcrm.roles import is_manager, is_rep


def condition_from_model(c: ConditionBase) -> Condition:
    """The engine's frozen Condition for a RuleCondition or ScoringCondition row."""
    return Condition(field=c.field, op=c.op, value=c.value)


def rule_spec_from_model(rule: RoutingRule) -> RuleSpec:
    """The engine's RuleSpec for a rule row; prefetch conditions, relaxations and teams to avoid queries."""
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        order=rule.order,
        active=rule.active,
        conditions=tuple(condition_from_model(c) for c in rule.conditions.all()),
        team_ids=frozenset(team.pk for team in rule.teams.all()),
        strategy=rule.strategy,
        require_language=rule.require_language,
        require_skill=rule.require_skill,
        min_skill_level=rule.min_skill_level,
        require_territory=rule.require_territory,
        relaxations=tuple(Relaxation(after_seconds=r.after_seconds, drop=r.drop) for r in rule.relaxations.all()),
        broadcast_count=rule.broadcast_count,
        exploration_share=rule.exploration_share,
    )


def rule_specs_active() -> list[RuleSpec]:
    """Every active routing rule as the engine's RuleSpec, in order (4 queries whatever the count)."""
    rules = RoutingRule.objects.filter(active=True).prefetch_related("conditions", "relaxations", "teams")
    return [rule_spec_from_model(rule) for rule in rules]


def scoring_rules_active() -> list[EngineScoringRule]:
    """Every active scoring rule as the engine's ScoringRule."""
    rules = ScoringRule.objects.filter(active=True).prefetch_related("conditions")
    return [EngineScoringRule(id=r.pk, name=r.name, points=r.points,
                              conditions=tuple(condition_from_model(c) for c in r.conditions.all()))
            for r in rules]


def lead_facts(*, lead: Lead, now: dt.datetime) -> LeadFacts:
    """The engine's view of a lead; reps who declined or let it expire are excluded."""
    excluded = frozenset(lead.assignments.filter(
        status__in=[Assignment.Status.DECLINED, Assignment.Status.EXPIRED]).values_list("rep_id", flat=True))
    return LeadFacts(
        id=lead.pk, campaign=lead.campaign.slug, supplier=lead.supplier.name, country=lead.country,
        region=lead.region, postal_code=lead.postal_code, language=lead.language, skill=lead.skill,
        fields=lead.fields if isinstance(lead.fields, dict) else {}, score=lead.score,
        waiting_since=lead.received_at, excluded_rep_ids=excluded,
    )


def rep_facts_for_routing(*, rep_ids: list[int] | None = None) -> list[RepFacts]:
    """Active reps (all, or these) as the engine's RepFacts, in 7 queries whatever the count."""
    reps = Rep.objects.filter(active=True).select_related(None)
    if rep_ids is not None:
        reps = reps.filter(pk__in=rep_ids)
    today = dt.date.today()
    reps = reps.prefetch_related(
        "languages", "territories", "working_hours", "teams",
        Prefetch("skills", queryset=RepSkill.objects.select_related("skill")),
        Prefetch("days_off", queryset=DayOff.objects.filter(date__gte=today - dt.timedelta(days=1))),
    )
    return [
        RepFacts(
            id=rep.pk, active=rep.active, status=rep.status, timezone=rep.timezone,
            working_hours=tuple(WorkingWindow(weekday=w.weekday, start=w.starts, end=w.ends)
                                for w in rep.working_hours.all()),
            days_off=frozenset(d.date for d in rep.days_off.all()),
            load=rep.load, capacity=rep.capacity,
            languages=frozenset(lang.code.lower() for lang in rep.languages.all()),
            skills={s.skill.slug: s.level for s in rep.skills.all()},
            territories=tuple(Territory(country=t.country, region=t.region, postal_prefix=t.postal_prefix)
                              for t in rep.territories.all()),
            team_ids=frozenset(team.pk for team in rep.teams.all()),
            last_offered_at=rep.last_offered_at, weight=rep.weight, performance=rep.conversion_rate,
            median_response_seconds=rep.median_response_seconds,
        )
        for rep in reps
    ]


def assignments_visible_to(*, user) -> QuerySet[Assignment]:
    """A rep's own assignments; every assignment for a manager; nothing for anyone else."""
    qs = Assignment.objects.select_related("lead__campaign", "rep__user").order_by("-offered_at")
    if is_manager(user):
        return qs
    if is_rep(user):
        return qs.filter(rep=user.rep)
    return qs.none()


def open_assignments_for_rep(*, rep_id: int) -> list[Assignment]:
    """The rep's offers and accepted leads still open, oldest first (for a reconnecting browser)."""
    return list(Assignment.objects.select_related("lead__campaign", "rep__user")
                .filter(rep_id=rep_id, status__in=Assignment.OPEN_STATUSES).order_by("offered_at"))
