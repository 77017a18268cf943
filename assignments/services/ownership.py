"""Who works a lead, changed by a manager: assign by hand (CONTRACT 6.3).

Each change revokes what it replaces (open offers, the previous owner's hold), moves capacity units with the
lead, records who did it (the assignment row, the timeline and the admin's audit log), and tells every rep
concerned after the commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Assignment, Rep, Team
from assignments.services.locks import lead_lock
from assignments.services.offers import lead_offers_revoke, offer_close
from assignments.services.pool import pool_leave_notify
from assignments.services.queue import lead_route_enqueue
from assignments.services.routing import rep_release
from campaigns.lifecycle import CLOSED, WORKED, lead_transition
from campaigns.models import Lead
from campaigns.services import lead_status_webhook_enqueue
from leadcrm.db import retry_on_deadlock
from leadcrm.errors import ServiceError

User = AbstractBaseUser | AnonymousUser


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
        if lead.status == Lead.Status.POOL:
            pool_leave_notify(lead=lead, now=now)
        if lead.status not in WORKED and lead.status != Lead.Status.ASSIGNED:
            lead_transition(lead_id=lead.pk, to=Lead.Status.ASSIGNED, waiting_reason="")
        Lead.objects.filter(pk=lead.pk).update(owner=rep.user, accepted_at=lead.accepted_at or now,
                                               assigned_at=lead.assigned_at or now)
        if lead.first_contact_at is None:
            Rep.objects.filter(pk=rep.pk).update(load=F("load") + 1)  # may pass capacity: the manager's call
        by_name = by.get_username() if by.is_authenticated else "system"
        assignment = Assignment.objects.create(
            lead=lead, rep=rep, status=Assignment.Status.ACCEPTED, offered_at=now, responded_at=now,
            expires_at=now + dt.timedelta(seconds=Assignment.ACCEPTED_AT_ONCE_SECONDS), assigned_by_id=by.pk,
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


def _owner_revoke(*, assignment: Assignment, uncontacted: bool, status: str = Assignment.Status.REVOKED,
                  now: dt.datetime | None = None) -> None:
    now = now or tz_now()
    Assignment.objects.filter(pk=assignment.pk).update(status=status, closed_at=now)
    assignment.status, assignment.closed_at = status, now
    if uncontacted:
        rep_release(rep_id=assignment.rep_id)
    events.assignment_event_send(assignment=assignment, type=events.REVOKED)


@dataclass(frozen=True)
class TakeBackPlan:
    """What taking back a rep's leads moves: offers and uncontacted leads go back to routing without the rep;
    contacted leads go to a chosen rep or round robin over a team's active reps (or stay when none is chosen)."""

    offers: list[Assignment]
    uncontacted: list[Assignment]
    contacted: list[Assignment]


def rep_take_back_plan(*, rep: Rep) -> TakeBackPlan:
    """The rep's open offers and owned leads, split as rep_leads_take_back moves them."""
    mine = Assignment.objects.with_payload().filter(rep=rep).order_by("offered_at", "pk")
    owned = list(mine.filter(status=Assignment.Status.ACCEPTED))
    return TakeBackPlan(offers=list(mine.filter(status=Assignment.Status.OFFERED)),
                        uncontacted=[a for a in owned if a.lead.first_contact_at is None],
                        contacted=[a for a in owned if a.lead.first_contact_at is not None])


@dataclass
class TakeBackResult:
    rerouted: int = 0
    reassigned: int = 0
    kept: int = 0
    problems: list[str] = field(default_factory=list)


def rep_leads_take_back(*, rep: Rep, by: User, to_rep: Rep | None = None, to_team: Team | None = None,
                        deactivate: bool = False, now: dt.datetime | None = None) -> TakeBackResult:
    """Take back everything a rep holds: open offers and owned leads with no contact go back to routing (never to
    this rep again); contacted leads go to `to_rep`, or round robin over `to_team`'s other active reps, or stay.

    `deactivate` first makes the rep inactive, so nothing new reaches them. Each lead moves in its own transaction.
    """
    now = now or tz_now()
    if deactivate:
        Rep.objects.filter(pk=rep.pk).update(active=False)
        events.rep_presence_event_send(rep=Rep.objects.select_related("user").get(pk=rep.pk))
    plan = rep_take_back_plan(rep=rep)
    result = TakeBackResult()
    for offer in plan.offers:
        result.rerouted += _offer_take_back(assignment_id=offer.pk, now=now)
    for owned in plan.uncontacted:
        result.rerouted += owned_take_back(assignment_id=owned.pk, now=now)
    receivers = _receivers(rep=rep, to_rep=to_rep, to_team=to_team)
    for n, owned in enumerate(plan.contacted):
        if not receivers:
            result.kept += 1
            continue
        try:
            lead_assign(lead_id=owned.lead_id, rep=receivers[n % len(receivers)], by=by, now=now)
            result.reassigned += 1
        except ServiceError as error:
            result.problems.append(f"lead #{owned.lead_id}: {error}")
    return result


def _receivers(*, rep: Rep, to_rep: Rep | None, to_team: Team | None) -> list[Rep]:
    if to_rep is not None:
        return [to_rep] if to_rep.pk != rep.pk else []
    if to_team is not None:
        return list(to_team.reps.filter(active=True, user__is_active=True).exclude(pk=rep.pk)
                    .select_related("user").order_by("last_offered_at", "pk"))
    return []


def _locked_while(*, assignment_id: int, status: str) -> Assignment | None:
    """The assignment while it is in `status`, locked after its lead (the lock order of every lead change) and joined
    for its payload; None when it is not, or no longer once the lead is locked. Call inside a transaction."""
    lead_id = Assignment.objects.filter(pk=assignment_id, status=status).values_list("lead_id", flat=True).first()
    if lead_id is None:
        return None
    lead_lock(lead_id=lead_id)
    return (Assignment.objects.select_for_update(of=("self",)).with_payload()
            .filter(pk=assignment_id, status=status).first())


@retry_on_deadlock
def _offer_take_back(*, assignment_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        offer = _locked_while(assignment_id=assignment_id, status=Assignment.Status.OFFERED)
        if offer is None:
            return False
        offer_close(assignment=offer, status=Assignment.Status.TAKEN_BACK, now=now)
        return True


@retry_on_deadlock
def owned_take_back(*, assignment_id: int, now: dt.datetime) -> bool:
    """Take an accepted lead with no contact yet back from its rep and re-route it without them; False when it
    was contacted, closed or moved meanwhile."""
    with transaction.atomic():
        owned = _locked_while(assignment_id=assignment_id, status=Assignment.Status.ACCEPTED)
        if owned is None or owned.lead.first_contact_at is not None:
            return False
        _owner_revoke(assignment=owned, uncontacted=True, status=Assignment.Status.TAKEN_BACK, now=now)
        lead_transition(lead_id=owned.lead_id, to=Lead.Status.NEW, sources=[Lead.Status.ASSIGNED], owner=None,
                        accepted_at=None)
        lead_route_enqueue(lead_id=owned.lead_id)
        return True

