"""Lead scoring outside routing: leads that go to buyers first are scored the way routing scores them."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.utils.timezone import now as tz_now

from assignments.config_cache import config_cached
from assignments.routing import score_lead
from assignments.selectors import lead_facts, scoring_rules_active
from assignments.services.personas import lead_personas_record
from campaigns.models import Lead


def lead_score(*, lead_id: int, now: dt.datetime | None = None) -> int | None:
    """Score the lead with the active scoring rules, store the score and record the personas it is in (as routing's
    first decision does); returns the score (None: no such lead).

    Inside the caller's transaction when there is one: one UPDATE when the score changed, and the persona rows
    (lead_personas_record); the rules and personas come through the routing memo."""
    lead = Lead.objects.select_related("campaign", "supplier").filter(pk=lead_id).first()
    if lead is None:
        return None
    facts = lead_facts(lead=lead, now=now or tz_now(), past_offers=())
    score = score_lead(lead=facts, scoring_rules=config_cached(key="scoring_rules", load=scoring_rules_active))
    if score != lead.score:
        Lead.objects.filter(pk=lead_id).update(score=score)
    lead_personas_record(lead_id=lead_id, facts=dataclasses.replace(facts, score=score), now=now)
    return score
