"""Recycling (issue 23): a lead that went nowhere with its rep goes back to routing, to a rep who has not had it.

A campaign says when (Campaign.recycle_*): after N contact attempts in a row without reaching the person, after N
hours without progress (no contact, note, stage change or callback set), or when it is lost for one of the
chosen reasons; at most `recycle_max_cycles` times. The owner's assignment is taken back (so routing excludes the
rep), their open callbacks on it are closed, the lead goes back to `new` and is routed; a recycled lead that no
rep fits goes to the open pool. The floor's queue pass runs this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Assignment, Callback, ContactAttempt, LeadStageChange, Rep
from assignments.models_delays import LeadRecycle
from assignments.services.locks import lead_lock
from assignments.services.queue import lead_route_enqueue
from assignments.services.routing import rep_release
from campaigns.lifecycle import lead_transition
from campaigns.models import Campaign, Lead

Status = Lead.Status
WORKED_OPEN = (Status.CONTACTED, Status.QUALIFIED, Status.NURTURE)
REACHED = (ContactAttempt.Outcome.CONNECTED, ContactAttempt.Outcome.WON)
RECYCLE_SCAN = 200
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Why:
    why: str
    detail: str


def leads_recycle(*, now: dt.datetime | None = None, limit: int = RECYCLE_SCAN) -> int:
    """Send back to routing the leads their campaign's recycling settings say went nowhere; returns how many."""
    now = now or tz_now()
    campaigns = list(Campaign.objects.filter(Q(recycle_after_attempts__isnull=False)
                                             | Q(recycle_after_idle_hours__isnull=False)
                                             | ~Q(recycle_lost_reasons=[])))
    recycled = 0
    for campaign in campaigns:
        for lead_id, why in _due(campaign=campaign, now=now, limit=limit):
            recycled += lead_recycle(lead_id=lead_id, why=why.why, detail=why.detail, now=now)
    return recycled


def _due(*, campaign: Campaign, now: dt.datetime, limit: int) -> list[tuple[int, _Why]]:
    """(lead id, why) for the campaign's leads due to recycle, oldest first."""
    base = Lead.objects.filter(campaign=campaign, recycled__lt=campaign.recycle_max_cycles, erased_at__isnull=True,
                               owner__isnull=False)
    due: dict[int, _Why] = {}
    lost_reasons = [str(code) for code in campaign.recycle_lost_reasons or []]
    if lost_reasons:
        lost = (base.filter(status=Status.LOST)
                .annotate(last_move=Max("stage_changes__pk", filter=Q(stage_changes__to_status=Status.LOST)))
                .values_list("pk", "last_move")[:limit])
        reasons = dict(LeadStageChange.objects.filter(pk__in=[move for _, move in lost if move])
                       .values_list("pk", "reason__code"))
        for lead_id, move in lost:
            if reasons.get(move) in lost_reasons:
                due[lead_id] = _Why(LeadRecycle.Why.LOST, f"lost ({reasons[move]})")
    open_leads = base.filter(status__in=WORKED_OPEN)
    if campaign.recycle_after_attempts:
        # Misses on the owner's assignment since the person was last reached (or ever), counted in the query.
        last_reached = (ContactAttempt.objects.filter(lead=OuterRef("pk"), outcome__in=REACHED).order_by("-at")
                        .values("at")[:1])
        misses = (ContactAttempt.objects.filter(lead=OuterRef("pk"), assignment__status=Assignment.Status.ACCEPTED,
                                                at__gt=OuterRef("since"))
                  .exclude(outcome__in=REACHED).order_by().values("lead").annotate(n=Count("pk")).values("n")[:1])
        tries = (open_leads.annotate(since=Coalesce(Subquery(last_reached), Value(EPOCH)))
                 .annotate(misses=Coalesce(Subquery(misses), Value(0)))
                 .filter(misses__gte=campaign.recycle_after_attempts).values_list("pk", "misses")[:limit])
        for lead_id, count in tries:
            due.setdefault(lead_id, _Why(LeadRecycle.Why.ATTEMPTS, f"{count} attempts without reaching"))
    if campaign.recycle_after_idle_hours:
        quiet_since = now - dt.timedelta(hours=campaign.recycle_after_idle_hours)
        idle = (open_leads.filter(accepted_at__lt=quiet_since)
                .exclude(contacts__at__gte=quiet_since).exclude(notes__at__gte=quiet_since)
                .exclude(stage_changes__at__gte=quiet_since).exclude(callbacks__created_at__gte=quiet_since)
                .exclude(callbacks__done_at__isnull=True, callbacks__due_at__gte=now)
                .values_list("pk", flat=True)[:limit])
        for lead_id in idle:
            due.setdefault(lead_id, _Why(LeadRecycle.Why.IDLE,
                                         f"no progress for {campaign.recycle_after_idle_hours} h"))
    return sorted(due.items())[:limit]


def lead_recycle(*, lead_id: int, why: str, detail: str, now: dt.datetime) -> int:
    """Take the lead from its owner and route it again (to a rep who has not had it); 1 when it went back."""
    with transaction.atomic():
        lead_lock(lead_id=lead_id)
        lead = Lead.objects.select_related("campaign").filter(pk=lead_id).first()
        if lead is None or lead.owner_id is None or lead.recycled >= lead.campaign.recycle_max_cycles:
            return 0
        held = (Assignment.objects.select_for_update(of=("self",)).with_payload()
                .filter(lead=lead, rep__user_id=lead.owner_id,
                        status__in=(Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED))
                .order_by("-offered_at").first())
        if not lead_transition(lead_id=lead.pk, to=Status.NEW, sources=[lead.status], owner=None, outcome="",
                               outcome_at=None, recycled=F("recycled") + 1, waiting_reason=f"Recycled: {detail}"):
            return 0
        rep = Rep.objects.filter(user_id=lead.owner_id).first()
        LeadRecycle.objects.create(lead=lead, cycle=lead.recycled + 1, why=why, detail=detail[:200],
                                   from_status=lead.status, from_rep=rep, at=now)
        Callback.objects.filter(lead=lead, done_at__isnull=True).update(done_at=now)
        if held is not None:
            was_open = held.status == Assignment.Status.ACCEPTED
            Assignment.objects.filter(pk=held.pk).update(status=Assignment.Status.TAKEN_BACK, closed_at=now)
            if was_open and lead.first_contact_at is None:
                rep_release(rep_id=held.rep_id)
            held.refresh_from_db()
            events.assignment_event_send(assignment=held, type=events.REVOKED)
        lead_route_enqueue(lead_id=lead.pk)
        return 1
