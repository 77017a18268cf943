"""Who works a lead, changed by a manager: assign by hand (CONTRACT 6.3).

Each change revokes what it replaces (open offers, the previous owner's hold), moves capacity units with the
lead, records who did it (the assignment row, the timeline and the admin's audit log), and tells every rep
concerned after the commit.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Assignment, Rep
from assignments.services.offers import lead_offers_revoke
from assignments.services.routing import rep_release
from campaigns.lifecycle import CLOSED, WORKED, lead_transition
from campaigns.models import Lead
from campaigns.services import lead_status_webhook_enqueue
from leadcrm.db import retry_on_deadlock
from leadcrm.errors import ServiceError

User = AbstractBaseUser | AnonymousUser
# A manually assigned lead needs no answer from the rep: its "offer" is accepted the moment it is made.
ASSIGNED_OFFER_SECONDS = 1


def rep_for_assignment(*, username: str) -> Rep:
    """The active rep with this username; ServiceError invalid (the API's 400) otherwise."""
    rep = Rep.objects.select_related("user").filter(user__username=username).first()
    if rep is None:
        raise ServiceError("invalid", f"No rep with the username {username!r}.", field="rep")
    if not rep.active or not rep.user.is_active:
        raise ServiceError("invalid", f"The rep {username!r} is inactive.", field="rep")
    return rep


@retry_on_deadlock
def lead_assign(*, lead_id: int, rep: Rep, by: User, now: dt.datetime | None = None) -> Lead:
    """Make `rep` the lead's owner at once, whatever its state but closed (ServiceError lead_closed, 409).

    Open offers to others are revoked; a previous owner loses the lead (and its capacity unit if it was never
    contacted); the new owner gets it even past capacity (the manager's call). No-op when `rep` owns it already.
    """
    now = now or tz_now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update(of=("self",)).select_related("campaign").filter(pk=lead_id).first()
        if lead is None:
            raise ServiceError("not_found", "No such lead.")
        if lead.status in CLOSED:
            raise ServiceError("lead_closed", f"The lead is {lead.status}: it cannot be assigned.")
        held = Assignment.objects.select_for_update(of=("self",)).with_payload().filter(lead=lead,
                                                                             status=Assignment.Status.ACCEPTED).first()
        if held is not None and held.rep_id == rep.pk:
            return lead
        lead_offers_revoke(lead_id=lead.pk, now=now)
        if held is not None:
            _owner_revoke(assignment=held, uncontacted=lead.first_contact_at is None)
        if lead.status not in WORKED and lead.status != Lead.Status.ASSIGNED:
            lead_transition(lead_id=lead.pk, to=Lead.Status.ASSIGNED, waiting_reason="")
        Lead.objects.filter(pk=lead.pk).update(owner=rep.user, accepted_at=lead.accepted_at or now,
                                               assigned_at=lead.assigned_at or now)
        if lead.first_contact_at is None:
            Rep.objects.filter(pk=rep.pk).update(load=F("load") + 1)  # may pass capacity: the manager's call
        by_name = by.get_username() if by.is_authenticated else "system"
        assignment = Assignment.objects.create(
            lead=lead, rep=rep, status=Assignment.Status.ACCEPTED, offered_at=now, responded_at=now,
            expires_at=now + dt.timedelta(seconds=ASSIGNED_OFFER_SECONDS), assigned_by_id=by.pk,
            explanation={"summary": f"Assigned by hand by {by_name}."})
        lead.refresh_from_db()
        assignment = Assignment.objects.with_payload().get(pk=assignment.pk)
        events.assignment_assigned_send(assignment=assignment)
        lead_status_webhook_enqueue(lead=Lead.objects.select_related("supplier", "campaign").get(pk=lead.pk),
                                    event="assigned")
        if by.is_authenticated and by.pk is not None:
            LogEntry.objects.log_actions(
                user_id=by.pk, queryset=Lead.objects.filter(pk=lead.pk), action_flag=CHANGE,
                change_message=f"Assigned to {rep.user.get_username()} by hand.", single_object=True)
        return lead


def _owner_revoke(*, assignment: Assignment, uncontacted: bool) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.REVOKED)
    assignment.status = Assignment.Status.REVOKED
    if uncontacted:
        rep_release(rep_id=assignment.rep_id)
    events.assignment_event_send(assignment=assignment, type=events.REVOKED)

