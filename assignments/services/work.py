"""A lead's owner at work after the offer: notes, callbacks, stage moves and reopening.

The owner (the rep whose user owns the lead) and managers may act; anyone else is told the lead does not exist.
Every stage move goes through the lifecycle (campaigns.lifecycle) and leaves a LeadStageChange for the timeline.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Assignment, Rep
from assignments.models_work import (
    CALLBACK_NOTE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Callback,
    LeadNote,
    LeadStageChange,
    ReasonCode,
)
from assignments.selectors_work import callbacks_to_notify
from assignments.services.notify import callback_alert_enqueue
from assignments.services.routing import rep_release
from campaigns.lifecycle import lead_transition, stage_allowed
from campaigns.models import Campaign, Lead
from campaigns.services import lead_status_webhook_enqueue
from leadcrm.errors import ServiceError
from leadcrm.roles import is_manager

User = AbstractBaseUser | AnonymousUser


def _user_id(user: User) -> int:
    if not user.is_authenticated or user.pk is None:
        raise ServiceError("not_found", "No such lead for you.")
    return int(user.pk)
Status = Lead.Status

CALLBACK_MAX_AHEAD = dt.timedelta(days=365)
# The stages a person moves a lead to after the first contact; `contacted` from lost or unqualified reopens it.
STAGES = (Status.CONTACTED, Status.QUALIFIED, Status.NURTURE, Status.UNQUALIFIED, Status.WON, Status.LOST)
REASON_NEEDED: dict[str, str] = {Status.LOST: ReasonCode.Kind.LOST, Status.UNQUALIFIED: ReasonCode.Kind.UNQUALIFIED}
CLOSED_BY_STAGE = (Status.WON, Status.LOST)
REOPENABLE = (Status.LOST, Status.UNQUALIFIED)


def lead_for_worker(*, lead_id: int, user: User, lock: bool = False) -> Lead:
    """The lead if `user` owns it or is a manager; ServiceError not_found otherwise (no hint that it exists)."""
    leads = Lead.objects.select_related("campaign", "supplier")
    if lock:
        leads = leads.select_for_update(of=("self",))
    lead = leads.filter(pk=lead_id).first()
    if lead is None or not (lead.owner_id is not None and lead.owner_id == user.pk or is_manager(user)):
        raise ServiceError("not_found", "No such lead for you.")
    return lead


def _text(value: str, *, field: str, max_length: int, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise ServiceError("invalid", f"{field} must not be empty.", field=field)
    if len(text) > max_length:
        raise ServiceError("invalid", f"{field} is at most {max_length:,} characters (got {len(text):,}).",
                           field=field)
    return text


def lead_note_add(*, lead_id: int, user: User, text: str, now: dt.datetime | None = None) -> LeadNote:
    """Add a note (1 to 5,000 characters) to a lead its author owns or manages."""
    text = _text(text, field="text", max_length=NOTE_MAX_LENGTH, required=True)
    with transaction.atomic():
        lead = lead_for_worker(lead_id=lead_id, user=user)
        return LeadNote.objects.create(lead=lead, author_id=_user_id(user), text=text, at=now or tz_now())


def callback_schedule(*, lead_id: int, user: User, due_at: dt.datetime, note: str = "",
                      now: dt.datetime | None = None) -> Callback:
    """Promise a call back at `due_at` (aware, in the future, at most a year ahead)."""
    now = now or tz_now()
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ServiceError("invalid", "due_at needs a UTC offset, e.g. 2026-12-03T15:00:00+01:00.", field="due_at")
    if due_at <= now:
        raise ServiceError("invalid", "due_at is in the past.", field="due_at")
    if due_at > now + CALLBACK_MAX_AHEAD:
        raise ServiceError("invalid", "due_at is more than a year ahead.", field="due_at")
    note = _text(note, field="note", max_length=CALLBACK_NOTE_MAX_LENGTH, required=False)
    with transaction.atomic():
        lead = lead_for_worker(lead_id=lead_id, user=user)
        return Callback.objects.create(lead=lead, created_by_id=_user_id(user), due_at=due_at, note=note,
                                       created_at=now)


def callback_done(*, callback_id: int, user: User, now: dt.datetime | None = None) -> Callback:
    """Close a callback on a lead the user owns or manages; closing it twice keeps the first time."""
    with transaction.atomic():
        callback = Callback.objects.select_for_update().filter(pk=callback_id).first()
        if callback is None:
            raise ServiceError("not_found", "No such callback for you.")
        lead_for_worker(lead_id=callback.lead_id, user=user)
        if callback.done_at is None:
            callback.done_at = now or tz_now()
            callback.save(update_fields=["done_at"])
        return callback


def callbacks_due_send(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Tell each due callback's lead owner, once (`callback.due`); a lead nobody owns waits. Returns how many."""
    now = now or tz_now()
    sent = 0
    due = callbacks_to_notify().filter(due_at__lte=now).values_list("pk", flat=True)[:limit]
    for callback_id in list(due):
        with transaction.atomic():
            callback = (Callback.objects.select_for_update(of=("self",)).select_related("lead__campaign")
                        .filter(pk=callback_id, notified_at__isnull=True, done_at__isnull=True).first())
            if callback is None or callback.lead.owner_id is None:
                continue
            rep_id = Rep.objects.filter(user_id=callback.lead.owner_id).values_list("pk", flat=True).first()
            if rep_id is None:
                continue
            Callback.objects.filter(pk=callback.pk).update(notified_at=now)
            events.callback_due_send(callback=callback, rep_id=rep_id)
            callback_alert_enqueue(callback_id=callback.pk)
            sent += 1
    return sent


def lead_stage_set(*, lead_id: int, user: User, stage: str, reason: str = "",
                   now: dt.datetime | None = None) -> Lead:
    """Move a lead its user owns or manages to `stage`; lost and unqualified need a reason code of their kind.

    `contacted` reopens a lost or unqualified lead; a reopened lost lead is the owner's again (assignment
    accepted). ServiceError: stage_not_allowed (409) for a move the lifecycle forbids, invalid (400) otherwise.
    """
    now = now or tz_now()
    if stage not in STAGES:
        raise ServiceError("invalid", f"stage must be one of {', '.join(STAGES)}.", field="stage")
    with transaction.atomic():
        lead = lead_for_worker(lead_id=lead_id, user=user, lock=True)
        if lead.erased_at is not None:
            raise ServiceError("lead_erased", "The person's data was erased: the lead cannot be reopened or moved.")
        reason_code = _reason(stage=stage, reason=reason)
        reopening_only = stage == Status.CONTACTED and lead.status not in REOPENABLE  # contacts make "contacted"
        if not stage_allowed(current=lead.status, to=stage) or lead.status == stage or reopening_only:
            raise ServiceError("stage_not_allowed", f"A {lead.status} lead cannot move to {stage}.")
        stage_move(lead=lead, to=stage, by=user, reason=reason_code, now=now)
        lead.refresh_from_db()
        return lead


def _reason(*, stage: str, reason: str) -> ReasonCode | None:
    kind = REASON_NEEDED.get(stage)
    if kind is None:
        if reason:
            raise ServiceError("invalid", f"A move to {stage} takes no reason.", field="reason")
        return None
    if not reason:
        raise ServiceError("invalid", f"A move to {stage} needs a reason: one of {_codes(kind)}.", field="reason")
    found = ReasonCode.objects.filter(kind=kind, code=reason, active=True).first()
    if found is None:
        raise ServiceError("invalid", f"Unknown {kind} reason {reason!r}: use one of {_codes(kind)}.",
                           field="reason")
    return found


def _codes(kind: str) -> str:
    return ", ".join(ReasonCode.objects.filter(kind=kind, active=True).values_list("code", flat=True)) or "(none set)"


def stage_move(*, lead: Lead, to: str, by: User | None, now: dt.datetime, reason: ReasonCode | None = None,
               outcome: str = "") -> bool:
    """Move a lead after its first offer was accepted, record it for the timeline and tell the owner's pages.

    Won and lost close the owner's assignment and free the rep's unit if the lead was never contacted; reopening
    a lost lead gives the assignment back; won sets the lead's revenue to its campaign's price per lead. Inside the
    caller's transaction; False when the lead had moved on.
    """
    changes: dict[str, object] = {}
    if to in CLOSED_BY_STAGE:
        changes = {"outcome": outcome or to, "outcome_at": now}
    if to == Status.WON:
        # A lead earns its campaign's price when a rep wins it (a buyer's sale earns the buyer's price instead).
        changes["revenue"] = Subquery(Campaign.objects.filter(pk=OuterRef("campaign_id")).values("price_per_lead"))
    elif lead.status in CLOSED_BY_STAGE:
        changes = {"outcome": "", "outcome_at": None}
    if not lead_transition(lead_id=lead.pk, to=to, sources=[lead.status], **changes):
        return False
    LeadStageChange.objects.create(lead=lead, from_status=lead.status, to_status=to, reason=reason,
                                   by_id=by.pk if by is not None and by.is_authenticated else None, at=now)
    assignment = None
    if lead.owner_id is not None:
        assignment = (Assignment.objects.with_payload().filter(lead=lead, rep__user_id=lead.owner_id)
                      .order_by("-offered_at").first())
    if assignment is not None:
        if to in CLOSED_BY_STAGE and Assignment.objects.filter(
                pk=assignment.pk, status=Assignment.Status.ACCEPTED).update(status=Assignment.Status.COMPLETED):
            if lead.first_contact_at is None:
                rep_release(rep_id=assignment.rep_id)
        elif lead.status == Status.LOST and to not in CLOSED_BY_STAGE:
            Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.COMPLETED).update(
                status=Assignment.Status.ACCEPTED)
        assignment.refresh_from_db()
        assignment.lead.refresh_from_db()
        events.assignment_event_send(assignment=assignment, type=events.UPDATED)
    if to == Status.WON:
        lead_status_webhook_enqueue(lead=Lead.objects.select_related("supplier", "campaign").get(pk=lead.pk),
                                    event="converted")
    return True
