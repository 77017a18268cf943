"""What happens to an offer: accepted, declined, expired, revoked; each in one transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.messages import AssignmentMessageType
from assignments.models import Assignment, Rep
from assignments.services.locks import lead_lock
from assignments.services.queue import lead_route_enqueue
from assignments.services.routing import rep_release
from campaigns.lifecycle import lead_transition
from campaigns.models import Lead
from campaigns.services import lead_status_webhook_enqueue
from leadcrm.db import retry_on_deadlock
from leadcrm.errors import ServiceError


class OfferError(ServiceError):
    """The offer or the rep's lead cannot take this action."""


# What a rep is told when their assignment is not in the status an action needs: (code, message).
_WRONG_STATUS: dict[str, tuple[str, str]] = {
    Assignment.Status.OFFERED: ("not_offered", "This offer is already {status}."),
    Assignment.Status.ACCEPTED: ("not_accepted", "Accept the lead first (this assignment is {status})."),
}


def assignment_locked(*, assignment_id: int, rep: Rep, status: str) -> Assignment:
    """The rep's own assignment, locked (after its lead) and joined for its payload; OfferError unless it is in
    `status`. Call inside a transaction."""
    lead_id = Assignment.objects.filter(pk=assignment_id, rep=rep).values_list("lead_id", flat=True).first()
    if lead_id is not None:
        lead_lock(lead_id=lead_id)
    assignment = (Assignment.objects.select_for_update(of=("self",)).with_payload()
                  .filter(pk=assignment_id, rep=rep).first())
    if assignment is None:
        raise OfferError("not_found", "No such assignment for you.")
    if assignment.status != status:
        code, message = _WRONG_STATUS[status]
        raise OfferError(code, message.format(status=assignment.status))
    return assignment


@retry_on_deadlock
def assignment_accept(*, assignment_id: int, rep: Rep, now: dt.datetime | None = None) -> Assignment:
    """Make the rep the lead's owner; other open offers of the lead (broadcast) are revoked."""
    now = now or tz_now()
    with transaction.atomic():
        assignment = assignment_locked(assignment_id=assignment_id, rep=rep, status=Assignment.Status.OFFERED)
        if assignment.expires_at <= now:
            offer_close(assignment=assignment, status=Assignment.Status.EXPIRED, now=now)
            raise_after = OfferError("expired", "This offer expired before it was accepted.")
        else:
            raise_after = None
            if not lead_transition(lead_id=assignment.lead_id, to=Lead.Status.ASSIGNED, owner=rep.user,
                                   accepted_at=now):
                raise OfferError("taken", "Another rep accepted this lead first.")
            Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.ACCEPTED, responded_at=now)
            assignment.refresh_from_db()
            assignment.lead.refresh_from_db()
            lead_status_webhook_enqueue(lead=assignment.lead, event="assigned")
            events.assignment_event_send(assignment=assignment, type=events.UPDATED)
            lead_offers_revoke(lead_id=assignment.lead_id, now=now)
    if raise_after:
        raise raise_after
    return assignment


def assignment_decline(*, assignment_id: int, rep: Rep, reason: str = "", now: dt.datetime | None = None) -> Assignment:
    """Hand the offer back; the lead is routed again without this rep."""
    now = now or tz_now()
    with transaction.atomic():
        assignment = assignment_locked(assignment_id=assignment_id, rep=rep, status=Assignment.Status.OFFERED)
        Assignment.objects.filter(pk=assignment.pk).update(decline_reason=reason[:200])
        return offer_close(assignment=assignment, status=Assignment.Status.DECLINED, now=now)


def offer_expire(*, assignment_id: int, now: dt.datetime | None = None) -> bool:
    """Expire one offer whose time is up; False when it was already answered or is not due."""
    now = now or tz_now()
    with transaction.atomic():
        lead_id = Assignment.objects.filter(pk=assignment_id).values_list("lead_id", flat=True).first()
        if lead_id is None:
            return False
        lead_lock(lead_id=lead_id)
        assignment = (Assignment.objects.select_for_update(of=("self",)).with_payload()
                      .filter(pk=assignment_id, status=Assignment.Status.OFFERED, expires_at__lte=now).first())
        if assignment is None:
            return False
        offer_close(assignment=assignment, status=Assignment.Status.EXPIRED, now=now)
        return True


def offers_expire(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Expire every due offer (oldest first); each in its own transaction. Returns how many expired."""
    now = now or tz_now()
    due = list(Assignment.objects.filter(status=Assignment.Status.OFFERED, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:limit])
    return sum(offer_expire(assignment_id=pk, now=now) for pk in due)


def offer_close(*, assignment: Assignment, status: str, now: dt.datetime, reroute: bool = True) -> Assignment:
    """End an open offer (locked by the caller, after its lead): free the rep's capacity, tell the rep, and
    re-route the lead if nobody else holds it."""
    declined = status == Assignment.Status.DECLINED
    updated = Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.OFFERED).update(
        status=status, responded_at=now if declined else None, closed_at=None if declined else now)
    if not updated:
        return assignment
    assignment.refresh_from_db()
    rep_release(rep_id=assignment.rep_id)
    kind: AssignmentMessageType = events.UPDATED if status == Assignment.Status.DECLINED else events.REVOKED
    events.assignment_event_send(assignment=assignment, type=kind)
    still_open = Assignment.objects.filter(lead_id=assignment.lead_id, status__in=Assignment.OPEN_STATUSES).exists()
    if (reroute and not still_open
            and lead_transition(lead_id=assignment.lead_id, to=Lead.Status.NEW, sources=[Lead.Status.OFFERED])):
        lead_route_enqueue(lead_id=assignment.lead_id)
    return assignment


def lead_offers_revoke(*, lead_id: int, now: dt.datetime | None = None) -> int:
    """Revoke the lead's open offers (each rep is told, and gets the capacity back) without re-routing it;
    inside the caller's transaction. Returns how many were revoked."""
    now = now or tz_now()
    # In rep order: releases update the reps' rows, and a fixed order makes deadlocks rarer.
    offers = (Assignment.objects.select_for_update(of=("self",)).with_payload()
              .filter(lead_id=lead_id, status=Assignment.Status.OFFERED).order_by("rep_id"))
    revoked = 0
    for offer in offers:
        offer_close(assignment=offer, status=Assignment.Status.REVOKED, now=now, reroute=False)
        revoked += offer.status == Assignment.Status.REVOKED
    return revoked


def assignment_seen(*, assignment_id: int, rep: Rep, now: dt.datetime | None = None) -> bool:
    """Stamp the first time the rep's browser showed this assignment, and the lead's first_seen_at (the earliest
    seen_at of its offers) with it; False when it is not theirs."""
    now = now or tz_now()
    with transaction.atomic():
        mine = Assignment.objects.filter(pk=assignment_id, rep=rep)
        lead_id = mine.values_list("lead_id", flat=True).first()
        if lead_id is None:
            return False
        if mine.filter(seen_at__isnull=True).update(seen_at=now):
            # "Or later" keeps it the minimum even when an earlier stamp commits second; reports read only this.
            Lead.objects.filter(Q(first_seen_at__isnull=True) | Q(first_seen_at__gt=now), pk=lead_id).update(
                first_seen_at=now)
        return True


@retry_on_deadlock
def lead_reroute(*, lead_id: int, now: dt.datetime | None = None) -> str:
    """Take back open offers of a lead and route it again now; refused (returns why) once a rep owns it."""
    now = now or tz_now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            return "no such lead"
        if lead.status not in (Lead.Status.NEW, Lead.Status.WAITING, Lead.Status.OFFERED):
            return f"not re-routed: the lead is {lead.get_status_display().lower()}"
        lead_offers_revoke(lead_id=lead_id, now=now)
        lead_transition(lead_id=lead_id, to=Lead.Status.NEW, sources=[Lead.Status.WAITING, Lead.Status.OFFERED])
        lead_route_enqueue(lead_id=lead_id)
        return "re-routing"
