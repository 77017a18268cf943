"""The open pool (CONTRACT 6.4): leads a rule sends there wait for any rep its filters allow to claim them.

A rule chooses when (RoutingRule.pool): at once (free pick), when its offers ran out, or after the lead waited
the pool delay. The first claim wins with one conditional UPDATE of the lead's status (pool -> assigned); the
claimer's capacity is taken with a second conditional UPDATE in the same transaction, so a full rep's claim
changes nothing. Reps who may claim a lead hear `pool.added` / `pool.removed`, and so does the floor.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.config_cache import config_cached
from assignments.models import Assignment, Rep, RoutingRule
from assignments.routing import match_rule, pool_candidates, pool_tier_after
from assignments.selectors import (
    lead_facts,
    rep_facts_for_routing,
    rule_floor_settings,
    rule_floor_settings_cached,
    rule_specs_active,
)
from assignments.services.locks import lead_lock
from campaigns.lifecycle import lead_transition
from campaigns.models import Lead
from leadcrm.errors import ServiceError

POOLABLE = (Lead.Status.NEW, Lead.Status.WAITING)
POOL_REASON = "In the open pool: any rep the rule allows may claim it"


def pool_rep_ids(*, lead: Lead, now: dt.datetime) -> list[int]:
    """The reps who may claim this lead now (its matching rule's teams and filters); [] when no rule matches."""
    facts = lead_facts(lead=lead, now=now, past_offers=())  # the pool ignores who passed on it
    rule = match_rule(lead=facts, rules=rule_specs_active())
    if rule is None:
        return []
    return [rep.id for rep in pool_candidates(lead=facts, reps=rep_facts_for_routing(), rule=rule, now=now)]


def _pool_delays() -> dict[int, int]:
    """Seconds of waiting after which each rule's leads go to the pool: its pool delay ('After waiting') or when
    its pool tier opens, whichever comes first. Read through the routing memo; the rules' tiers only when some
    rule has a pool tier (the floor asks every few seconds, and most floors have none)."""
    rules = config_cached(key="rule_floor_settings", load=rule_floor_settings)
    delays = {pk: rule.pool_after_seconds or 0 for pk, rule in rules.items()
              if rule.pool == RoutingRule.Pool.AFTER_WAIT}
    tiered = {pk for pk, rule in rules.items() if rule.has_pool_tier}
    for rule in config_cached(key="rule_specs", load=rule_specs_active) if tiered else ():
        tier_after = pool_tier_after(rule)
        if rule.id in tiered and tier_after is not None:
            delays[rule.id] = min(tier_after, delays.get(rule.id, tier_after))
    return delays


def pool_now(*, rule_id: int, offers_made: int) -> bool:
    """Whether a lead this rule matched goes to the pool now rather than to an offer or the wait queue.

    Read through the routing configuration memo: routing asks for every decision, and most rules never pool."""
    rule = rule_floor_settings_cached(rule_id=rule_id)
    if rule is None:
        return False
    return rule.pool == RoutingRule.Pool.AT_ONCE or (
        rule.pool == RoutingRule.Pool.AFTER_OFFERS and offers_made >= rule.max_offers)


def lead_to_pool(*, lead: Lead, now: dt.datetime) -> bool:
    """Put a new or waiting lead (locked by the caller, campaign loaded) in the pool and tell who may claim it."""
    if not lead_transition(lead_id=lead.pk, to=Lead.Status.POOL, sources=POOLABLE, pooled_at=now,
                           waiting_reason=POOL_REASON):
        return False
    lead.status, lead.pooled_at, lead.waiting_reason = Lead.Status.POOL, now, POOL_REASON
    events.pool_added_send(lead=lead, rep_ids=pool_rep_ids(lead=lead, now=now))
    return True


def pool_leave_notify(*, lead: Lead, now: dt.datetime) -> None:
    """Tell who could claim the lead, and the floor, that it is leaving the pool (a manager's hand, an erasure)."""
    events.pool_removed_send(lead_id=lead.pk, rep_ids=pool_rep_ids(lead=lead, now=now))


def waiting_leads_pool(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Move waiting leads whose rule sends them to the pool after a delay (its pool delay, or its pool tier), once
    they waited it; returns how many."""
    now = now or tz_now()
    delays = _pool_delays()
    if not delays:
        return 0
    rules = config_cached(key="rule_specs", load=rule_specs_active)
    moved = 0
    waiting = (Lead.objects.filter(status=Lead.Status.WAITING).select_related("campaign", "supplier")
               .order_by("received_at")[:limit])
    for lead in waiting:
        rule = match_rule(lead=lead_facts(lead=lead, now=now, past_offers=()), rules=rules)
        if rule is None or rule.id not in delays or now - lead.received_at < dt.timedelta(seconds=delays[rule.id]):
            continue
        with transaction.atomic():
            lead_lock(lead_id=lead.pk)
            lead.refresh_from_db(fields=["status"])
            moved += lead_to_pool(lead=lead, now=now)
    return moved


def pool_claim(*, lead_id: int, rep: Rep, now: dt.datetime | None = None) -> Assignment:
    """The rep claims a pool lead: it becomes theirs (an accepted assignment, marked claimed) at once.

    ServiceError: not_found (404), already_claimed (409: the lead left the pool, someone was first),
    not_eligible (403: the rule's filters do not let this rep take it), at_capacity (409: full or at the daily cap).
    """
    now = now or tz_now()
    with transaction.atomic():
        lead_lock(lead_id=lead_id)
        lead = Lead.objects.select_related("campaign", "supplier").filter(pk=lead_id).first()
        if lead is None:
            raise ServiceError("not_found", "No such lead.")
        if lead.status != Lead.Status.POOL:
            raise ServiceError("already_claimed", "This lead is no longer in the pool: another rep claimed it, or "
                                                  "it was assigned.")
        eligible = pool_rep_ids(lead=lead, now=now)
        if rep.pk not in eligible:
            raise ServiceError("not_eligible", "This lead does not fit you: its rule's language, skill, territory "
                                               "or working-hours filters leave you out.")
        facts = rep_facts_for_routing(rep_ids=[rep.pk])
        if not facts or facts[0].load >= facts[0].capacity:
            raise ServiceError("at_capacity", "You are at capacity (or your daily cap): log a first contact on a "
                                              "lead you hold to free a unit.")
        if not lead_transition(lead_id=lead.pk, to=Lead.Status.ASSIGNED, sources=[Lead.Status.POOL],
                               owner_id=rep.user_id, accepted_at=now, assigned_at=Coalesce(F("assigned_at"), now),
                               waiting_reason=""):
            raise ServiceError("already_claimed", "Another rep claimed this lead first.")
        if not Rep.objects.filter(pk=rep.pk, active=True, load__lt=F("capacity")).update(load=F("load") + 1):
            raise ServiceError("at_capacity", "You are at capacity: log a first contact to free a unit.")
        rule = match_rule(lead=lead_facts(lead=lead, now=now, past_offers=()), rules=rule_specs_active())
        waited = int((now - (lead.pooled_at or now)).total_seconds())
        assignment = Assignment.objects.create(
            lead=lead, rep=rep, rule_id=rule.id if rule else None, status=Assignment.Status.ACCEPTED, offered_at=now,
            responded_at=now, expires_at=now + dt.timedelta(seconds=Assignment.ACCEPTED_AT_ONCE_SECONDS), claimed=True,
            explanation={"summary": f"Claimed from the open pool after {waited} s there."})
        assignment = Assignment.objects.with_payload().get(pk=assignment.pk)
        events.pool_removed_send(lead_id=lead.pk, rep_ids=eligible)
        events.assignment_event_send(assignment=assignment, type=events.UPDATED)
        return assignment
