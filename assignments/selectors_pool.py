"""Reads of the open pool: the leads a rep may claim, oldest first."""

from __future__ import annotations

import datetime as dt

from django.utils.timezone import now as tz_now

from assignments.models import Rep
from assignments.routing import match_rule, pool_candidates
from assignments.selectors import lead_facts, rep_facts_for_routing, rule_specs_active
from campaigns.models import Lead

POOL_LISTED = 200


def pool_leads(*, limit: int = POOL_LISTED) -> list[Lead]:
    """Every lead in the pool, oldest first (for managers), with campaign and supplier loaded."""
    return list(Lead.objects.filter(status=Lead.Status.POOL).select_related("campaign", "supplier")
                .order_by("pooled_at", "pk")[:limit])


def pool_leads_for_rep(*, rep: Rep, now: dt.datetime | None = None, limit: int = POOL_LISTED) -> list[Lead]:
    """The pool leads this rep may claim (the matching rule's teams and filters), oldest in the pool first."""
    now = now or tz_now()
    mine = rep_facts_for_routing(rep_ids=[rep.pk])
    if not mine:
        return []
    rules = rule_specs_active()
    visible = []
    for lead in pool_leads(limit=limit):
        facts = lead_facts(lead=lead, now=now, past_offers=())  # the pool ignores who passed on it
        rule = match_rule(lead=facts, rules=rules)
        if rule is not None and pool_candidates(lead=facts, reps=mine, rule=rule, now=now):
            visible.append(lead)
    return visible
