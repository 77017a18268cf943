"""Delayed delivery (issue 23): hold a lead before routing as its campaign's delay rules say, release it on time.

Routing asks `delay_hold_begin` first; a lead a rule holds becomes `held` with `delayed` set and a LeadHold that
says why and until when. The floor clock releases holds that fell due every second (`delayed_leads_release`);
release conditions are checked when the supplier adds answers (`lead_holds_recheck`, inside the PATCH's
transaction) and on every queue pass. A manager may release at once. Each release is one conditional UPDATE of
the hold, under the lead's lock, so a lead the clock and a PATCH release together is routed once. Each rule holds
a lead once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import now as tz_now

from assignments.config_cache import config_cached
from assignments.models_delays import DelayCondition, DelayRule, LeadHold
from assignments.routing import Condition, LeadFacts, conditions_match
from assignments.selectors import condition_from_model, lead_facts
from assignments.services.locks import lead_lock
from assignments.services.queue import lead_route_enqueue
from campaigns.lifecycle import lead_transition
from campaigns.models import Lead
from leadcrm.errors import ServiceError

RELEASE_BATCH = 200
ROUTABLE = (Lead.Status.NEW, Lead.Status.WAITING)


def field_release_at(*, raw: object, days_before: int, at_time: dt.time, timezone: str) -> dt.datetime | None:
    """When a lead held for a date in its answers is released: that date, `days_before` calendar days earlier,
    at `at_time` on the lead's clock (`timezone`); for a date with a time, at that time of day on the lead's clock.
    None when `raw` is neither an ISO date nor an ISO date-time."""
    if not isinstance(raw, str):
        return None
    zone = ZoneInfo(timezone)
    text = raw.strip()
    try:
        moment = parse_datetime(text) if "T" in text or " " in text else None
        day = parse_date(text) if moment is None else None
    except ValueError:
        return None
    if moment is not None:
        local = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)
        day, at_time = local.date(), local.time().replace(tzinfo=None)
    if day is None:
        return None
    # Calendar days on the lead's clock, then the wall time: a daylight-saving change in between moves nothing.
    return dt.datetime.combine(day - dt.timedelta(days=days_before), at_time, tzinfo=zone).astimezone(dt.UTC)


def date_field_problem(*, value: object) -> str | None:
    """Why an answer cannot be a delay rule's date, or None."""
    if field_release_at(raw=value, days_before=0, at_time=dt.time(0), timezone="UTC") is None:
        return "must be an ISO date (2027-03-28) or date and time (2027-03-28T09:00:00+01:00)."
    return None


@dataclass(frozen=True)
class _Plan:
    until: dt.datetime | None
    reason: str


def _conditions(rule: DelayRule, purpose: str) -> list[Condition]:
    # condition_from_model: a condition may name a persona (README: Personas).
    return [condition_from_model(c) for c in rule.conditions.all() if c.purpose == purpose]


def _plan(*, rule: DelayRule, lead: Lead, facts: LeadFacts, now: dt.datetime) -> _Plan | None:
    """The hold this rule puts on the lead now, or None when it does not hold it (any more)."""
    if not conditions_match(conditions=_conditions(rule, DelayCondition.Purpose.APPLIES), lead=facts):
        return None
    cap = lead.received_at + dt.timedelta(days=rule.max_hold_days) if rule.max_hold_days else None
    if cap is not None and cap <= now:
        return None
    if rule.kind == DelayRule.Kind.FIXED:
        fixed = lead.received_at + dt.timedelta(seconds=rule.hold_seconds or 0)
        return _Plan(fixed, f"{rule.name}: held until {fixed:%Y-%m-%d %H:%M} UTC") if fixed > now else None
    if rule.kind == DelayRule.Kind.FIELD_DATE:
        zone = lead.timezone or lead.campaign.timezone
        until = field_release_at(raw=(lead.fields or {}).get(rule.date_field), days_before=rule.days_before,
                                 at_time=rule.release_time, timezone=zone)
        if until is None:
            return _Plan(cap, f"{rule.name}: waiting for a valid fields.{rule.date_field} (missing or not a date)")
        until = min(until, cap) if cap else until
        return _Plan(until, f"{rule.name}: held until {until:%Y-%m-%d %H:%M} UTC") if until > now else None
    if conditions_match(conditions=_conditions(rule, DelayCondition.Purpose.RELEASES), lead=facts):
        return None
    return _Plan(cap, f"{rule.name}: held until its answers meet the release conditions")


def _rules_by_campaign() -> dict[int, list[DelayRule]]:
    by_campaign: dict[int, list[DelayRule]] = {}
    for rule in DelayRule.objects.filter(active=True).prefetch_related("conditions").order_by("order", "pk"):
        by_campaign.setdefault(rule.campaign_id, []).append(rule)
    return by_campaign


def _rules(campaign_id: int) -> list[DelayRule]:
    """The campaign's active delay rules in order; read through the routing configuration memo, since routing
    asks for every lead and managers change them rarely."""
    return config_cached(key="delay_rules", load=_rules_by_campaign).get(campaign_id, [])


def delay_hold_begin(*, lead: Lead, now: dt.datetime) -> LeadHold | None:
    """Hold a new or waiting lead (locked by the caller, campaign loaded) if one of its campaign's delay rules that
    has not held it yet says so: the lead becomes held, flagged `delayed`, with the hold's reason."""
    rules = _rules(lead.campaign_id)
    if not rules:
        return None
    done = set(LeadHold.objects.filter(lead=lead).values_list("rule_id", flat=True))
    facts = lead_facts(lead=lead, now=now)
    for rule in rules:
        if rule.pk in done:
            continue
        plan = _plan(rule=rule, lead=lead, facts=facts, now=now)
        if plan is None:
            continue
        if not lead_transition(lead_id=lead.pk, to=Lead.Status.HELD, sources=ROUTABLE, delayed=True,
                               waiting_reason=plan.reason[:200]):
            return None
        return LeadHold.objects.create(lead=lead, rule=rule, rule_name=rule.name, reason=plan.reason[:200],
                                       until=plan.until, created_at=now)
    return None


def hold_release(*, hold: LeadHold, now: dt.datetime, by: AbstractBaseUser | AnonymousUser | None = None) -> bool:
    """Release the hold (precondition: the lead is locked) and send the lead back to routing; False when it was
    released already."""
    by_id = by.pk if by is not None and by.is_authenticated else None
    if not LeadHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(released_at=now, released_by_id=by_id):
        return False
    if lead_transition(lead_id=hold.lead_id, to=Lead.Status.NEW, sources=[Lead.Status.HELD], delayed=False,
                       waiting_reason=""):
        lead_route_enqueue(lead_id=hold.lead_id)
    else:
        Lead.objects.filter(pk=hold.lead_id).update(delayed=False)
    return True


def lead_holds_recheck(*, lead_id: int, now: dt.datetime | None = None) -> int:
    """Re-read the lead's open holds against its answers (a PATCH added some; precondition: the lead is locked):
    release those that are due now, move a date hold to the new date. Returns holds released."""
    now = now or tz_now()
    released = 0
    holds = LeadHold.objects.filter(lead_id=lead_id, released_at__isnull=True).select_related(
        "lead__campaign", "lead__supplier", "rule")
    for hold in holds:
        released += _recheck(hold=hold, now=now)
    return released


def _recheck(*, hold: LeadHold, now: dt.datetime) -> int:
    if hold.rule is None:
        return hold_release(hold=hold, now=now)  # its rule was deleted: nothing holds the lead any more
    hold.rule = DelayRule.objects.prefetch_related("conditions").get(pk=hold.rule.pk)
    plan = _plan(rule=hold.rule, lead=hold.lead, facts=lead_facts(lead=hold.lead, now=now), now=now)
    if plan is None:
        return hold_release(hold=hold, now=now)
    if (plan.until, plan.reason) != (hold.until, hold.reason):
        LeadHold.objects.filter(pk=hold.pk).update(until=plan.until, reason=plan.reason[:200])
        Lead.objects.filter(pk=hold.lead_id, status=Lead.Status.HELD).update(waiting_reason=plan.reason[:200])
    return 0


def delayed_leads_release(*, now: dt.datetime | None = None, with_conditions: bool = False,
                          limit: int = RELEASE_BATCH) -> int:
    """The floor clock: release holds whose time came (every second); `with_conditions` also re-reads the holds
    that wait for answers (every queue pass). Returns holds released."""
    now = now or tz_now()
    due = Q(until__lte=now) | (Q(until__isnull=True) if with_conditions else Q(pk__in=[]))
    released = 0
    for hold_id, lead_id in list(LeadHold.objects.filter(due, released_at__isnull=True).order_by("until", "pk")
                                 .values_list("pk", "lead_id")[:limit]):
        with transaction.atomic():
            lead_lock(lead_id=lead_id)
            hold = (LeadHold.objects.select_related("lead__campaign", "lead__supplier", "rule")
                    .filter(pk=hold_id, released_at__isnull=True).first())
            if hold is not None:
                released += hold_release(hold=hold, now=now) if hold.until and hold.until <= now else _recheck(
                    hold=hold, now=now)
    return released


def lead_release_now(*, lead_id: int, by: AbstractBaseUser | AnonymousUser, now: dt.datetime | None = None) -> int:
    """A manager releases every open hold of the lead at once; ServiceError not_found (404) or not_held (409)."""
    now = now or tz_now()
    with transaction.atomic():
        lead_lock(lead_id=lead_id)
        if not Lead.objects.filter(pk=lead_id).exists():
            raise ServiceError("not_found", "No such lead.")
        holds = list(LeadHold.objects.filter(lead_id=lead_id, released_at__isnull=True))
        if not holds:
            raise ServiceError("not_held", "No delay rule holds this lead.")
        return sum(hold_release(hold=hold, now=now, by=by) for hold in holds)


def answers_problems(*, campaign_id: int, answers: dict[str, object]) -> dict[str, list[str]]:
    """Errors for answers a delay rule of the campaign reads as a date but that are not dates (a PATCH's 400)."""
    dated: Iterable[str] = DelayRule.objects.filter(campaign_id=campaign_id, active=True,
                                                    kind=DelayRule.Kind.FIELD_DATE).values_list("date_field",
                                                                                                flat=True)
    problems = {}
    for key in set(dated):
        if key in answers and answers[key] is not None and (problem := date_field_problem(value=answers[key])):
            problems[f"fields.{key}"] = [f"A delay rule reads this as a date: it {problem}"]
    return problems
