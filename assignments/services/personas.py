"""Persona memberships for the reports: which personas a lead was in when it was first scored.

Routing's first decision and the hand-over to buyers score a lead; both record its personas here, so a report can
group leads by the persona they came in as, whatever the persona's conditions say later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.timezone import now as tz_now

from assignments.config_cache import config_cached
from assignments.models import Persona
from assignments.models_personas import LeadPersona
from assignments.routing import LeadFacts, PersonaSpec, persona_matches
from assignments.selectors import lead_facts, persona_specs
from campaigns.models import Lead

RECOUNT_CHUNK = 1000


def _matching(*, personas: Mapping[str, PersonaSpec], facts: LeadFacts) -> list[str]:
    return sorted(slug for slug, spec in personas.items() if persona_matches(persona=spec, lead=facts))


def lead_personas_record(*, lead_id: int, facts: LeadFacts, now: dt.datetime | None = None) -> list[str]:
    """Record that the lead is in every persona whose conditions hold for `facts` (its facts as scored, score
    included); returns their slugs, sorted.

    Adds rows only: a membership already recorded stays, none is removed. Runs inside the caller's transaction; the
    personas come through the routing memo, so a lead in no persona costs no query (otherwise two: ids, insert)."""
    slugs = _matching(personas=config_cached(key="persona_specs", load=persona_specs), facts=facts)
    if not slugs:
        return []
    at = now or tz_now()
    # By slug, not through the memo: a persona deleted since the memo was filled is skipped, not a broken reference.
    ids = Persona.objects.filter(slug__in=slugs).values_list("pk", flat=True)
    LeadPersona.objects.bulk_create([LeadPersona(lead_id=lead_id, persona_id=pk, at=at) for pk in ids],
                                    ignore_conflicts=True)
    return slugs


@dataclass(frozen=True)
class RecountResult:
    leads: int  # leads read (erased leads are skipped and not counted)
    memberships: int  # rows those leads have now


def lead_personas_recount(*, since: dt.datetime, now: dt.datetime | None = None,
                          chunk: int = RECOUNT_CHUNK) -> RecountResult:
    """Re-file the leads received since `since` under today's personas: each lead's rows are replaced by those of the
    personas its stored facts (fields, score) are in now.

    A deliberate rewrite of history, for a manager who changed a persona and wants recent leads counted by its new
    conditions. Erased leads keep their rows (their answers are gone). One transaction per `chunk` leads."""
    now = now or tz_now()
    personas = persona_specs()
    ids_by_slug = dict(Persona.objects.values_list("slug", "pk"))
    leads = (Lead.objects.filter(received_at__gte=since, erased_at__isnull=True).select_related("campaign", "supplier")
             .order_by("pk"))
    read = written = 0
    last_pk = 0
    while True:
        batch = list(leads.filter(pk__gt=last_pk)[:chunk])
        if not batch:
            return RecountResult(leads=read, memberships=written)
        rows = [LeadPersona(lead_id=lead.pk, persona_id=ids_by_slug[slug], at=now)
                for lead in batch
                for slug in _matching(personas=personas, facts=lead_facts(lead=lead, now=now, past_offers=()))
                if slug in ids_by_slug]
        with transaction.atomic():
            LeadPersona.objects.filter(lead_id__in=[lead.pk for lead in batch]).delete()
            LeadPersona.objects.bulk_create(rows, ignore_conflicts=True)  # a lead routed meanwhile
        read, written, last_pk = read + len(batch), written + len(rows), batch[-1].pk
