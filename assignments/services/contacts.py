"""The rep's work on an accepted lead: contact attempts and the final outcome."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Assignment, ContactAttempt, Rep
from assignments.services.offers import OfferError, assignment_locked
from assignments.services.routing import rep_release
from assignments.services.work import stage_move
from campaigns.lifecycle import lead_transition
from campaigns.models import Lead
from campaigns.services import lead_status_webhook_enqueue

# Keyed by str: callers pass the outcome as given (a TextChoices member is a str).
FINAL_OUTCOMES: dict[str, Lead.Status] = {
    ContactAttempt.Outcome.WON: Lead.Status.WON,
    ContactAttempt.Outcome.LOST: Lead.Status.LOST,
}


def contact_log(*, assignment_id: int, rep: Rep, channel: str, outcome: str, notes: str = "",
                now: dt.datetime | None = None) -> ContactAttempt:
    """Record a call/email/SMS on the rep's lead. The lead's first contact sets first_contact_at and frees the
    rep's capacity unit; won/lost closes the lead."""
    now = now or tz_now()
    if channel not in ContactAttempt.Channel.values:
        raise OfferError("invalid_channel", f"channel must be one of {', '.join(ContactAttempt.Channel.values)}.")
    if outcome not in ContactAttempt.Outcome.values:
        raise OfferError("invalid_outcome", f"outcome must be one of {', '.join(ContactAttempt.Outcome.values)}.")
    with transaction.atomic():
        assignment = assignment_locked(assignment_id=assignment_id, rep=rep, status=Assignment.Status.ACCEPTED)
        contact = ContactAttempt.objects.create(assignment=assignment, lead_id=assignment.lead_id, rep=rep,
                                                channel=channel, outcome=outcome, notes=notes[:1000], at=now)
        first = Lead.objects.filter(pk=assignment.lead_id, first_contact_at__isnull=True).update(first_contact_at=now)
        lead_transition(lead_id=assignment.lead_id, to=Lead.Status.CONTACTED, sources=[Lead.Status.ASSIGNED])
        assignment.lead.refresh_from_db()
        if first:
            rep_release(rep_id=assignment.rep_id)
            lead_status_webhook_enqueue(lead=assignment.lead, event="contacted")
        closed = outcome in FINAL_OUTCOMES and stage_move(lead=assignment.lead, to=FINAL_OUTCOMES[outcome],
                                                          by=rep.user, outcome=outcome, now=now)
        if not closed:
            events.assignment_event_send(assignment=assignment, type=events.UPDATED)
        return contact


def lead_outcome_set(*, assignment_id: int, rep: Rep, outcome: str, now: dt.datetime | None = None) -> Assignment:
    """Close the rep's lead as won or lost without a new contact attempt."""
    now = now or tz_now()
    if outcome not in FINAL_OUTCOMES:
        raise OfferError("invalid_outcome", "outcome must be won or lost.")
    with transaction.atomic():
        assignment = assignment_locked(assignment_id=assignment_id, rep=rep, status=Assignment.Status.ACCEPTED)
        if not stage_move(lead=assignment.lead, to=FINAL_OUTCOMES[outcome], by=rep.user, outcome=outcome, now=now):
            raise OfferError("stage_not_allowed", f"A {assignment.lead.status} lead cannot be {outcome}.")
        assignment.refresh_from_db()
        return assignment
