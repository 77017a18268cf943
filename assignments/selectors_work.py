"""Reads for working a lead: the rep's leads, a lead's timeline, callbacks, reason lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, When

from assignments.models import Assignment, Callback, ContactAttempt, LeadNote, LeadStageChange, ReasonCode, Rep
from assignments.models_delays import LeadRecycle
from assignments.routing import Decision
from campaigns.lifecycle import WORKED
from campaigns.models import Lead

# "My leads" shows these: the owner's leads still being worked, then the closed ones.
MY_LEAD_STAGES = (Lead.Status.ASSIGNED, *sorted(WORKED), Lead.Status.WON, Lead.Status.LOST)


def callbacks_to_notify() -> QuerySet[Callback]:
    """Callbacks not done whose owner has not been told yet, on leads a rep owns (a lead nobody owns waits),
    soonest first: what the floor clock sends as `callback.due` once due_at comes."""
    return (Callback.objects.filter(done_at__isnull=True, notified_at__isnull=True, lead__owner__rep__isnull=False)
            .order_by("due_at"))


def callbacks_due_for_rep(*, rep_id: int, now: dt.datetime) -> list[Callback]:
    """Callbacks due now or overdue, not done, on leads this rep owns (for a reconnecting browser)."""
    return list(Callback.objects.select_related("lead__campaign")
                .filter(lead__owner__rep=rep_id, done_at__isnull=True, due_at__lte=now).order_by("due_at"))


def callbacks_for_user(*, user_id: int, status: str, now: dt.datetime) -> QuerySet[Callback]:
    """The callbacks on leads this user owns: `due` (due or overdue, not done), `upcoming`, `done`, or all ("")."""
    callbacks = Callback.objects.select_related("lead__campaign").filter(lead__owner_id=user_id)
    if status == "due":
        return callbacks.filter(done_at__isnull=True, due_at__lte=now).order_by("due_at")
    if status == "upcoming":
        return callbacks.filter(done_at__isnull=True, due_at__gt=now).order_by("due_at")
    if status == "done":
        return callbacks.filter(done_at__isnull=False).order_by("-done_at")
    return callbacks.order_by("due_at")


def leads_for_work() -> QuerySet[Lead]:
    """Leads with what working them needs: campaign, next open callback, number of contacts (WorkedLead shape)."""
    open_callbacks = Callback.objects.filter(lead=OuterRef("pk"), done_at__isnull=True).order_by("due_at")
    return (Lead.objects.select_related("campaign")
            .annotate(next_callback_at=Subquery(open_callbacks.values("due_at")[:1]),
                      contact_count=Count("contacts", distinct=True)))


def my_leads(*, user_id: int, q: str = "", stage: str = "", campaign: str = "") -> QuerySet[Lead]:
    """The leads this user owns, to work: open first, then by next callback, then oldest. `q` finds a name,
    phone or email; `stage` and `campaign` (slug) filter."""
    leads = leads_for_work().filter(owner_id=user_id)
    if q.strip():
        term = q.strip()
        digits = "".join(ch for ch in term if ch.isdigit())
        match = Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)
        if len(digits) >= 3:
            match |= Q(phone__contains=digits)
        leads = leads.filter(match)
    if stage:
        leads = leads.filter(status=stage)
    if campaign:
        leads = leads.filter(campaign__slug=campaign)
    closed_last = Case(When(status__in=[Lead.Status.WON, Lead.Status.LOST], then=1), default=0)
    return leads.order_by(closed_last, F("next_callback_at").asc(nulls_last=True), "received_at")


def next_action(lead: Lead, *, now: dt.datetime) -> str:
    """What the owner should do next, in words (uses my_leads' annotations)."""
    if lead.status in (Lead.Status.WON, Lead.Status.LOST):
        return "closed"
    due = getattr(lead, "next_callback_at", None)
    if due is not None:
        return "call back now" if due <= now else f"call back {due:%Y-%m-%d %H:%M} UTC"
    if lead.first_contact_at is None:
        return "first call"
    return "follow up"


def routed_because(*, lead: Lead, rep: Rep | None) -> str:
    """Why the lead went to this rep, in words, from the stored explanation of the offer that made it theirs."""
    offers = Assignment.objects.filter(lead=lead).order_by("-offered_at")
    if rep is not None:
        offers = offers.filter(rep=rep)
    offer = offers.only("explanation").first()
    return explanation_summary(offer.explanation) if offer is not None else ""


def explanation_summary(explanation: object) -> str:
    """A stored routing explanation in words: its summary, else the Decision's own summary; "" if neither."""
    if not isinstance(explanation, Mapping) or not explanation:
        return ""
    summary = explanation.get("summary")
    if isinstance(summary, str) and summary.strip():
        return summary
    try:
        return Decision.from_json(explanation).summary()
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""


def _username(user: Any) -> str | None:
    return user.username if user is not None else None


def lead_timeline(*, lead: Lead) -> list[dict[str, Any]]:
    """Everything that happened to the lead, oldest first, read from what is stored (7 queries; 8 once erased).

    Types: received, offered, accepted, declined, expired, assigned, contact, note, callback, stage, recycled,
    erased; `by` names the person.
    """
    events: list[dict[str, Any]] = [{"type": "received", "at": lead.received_at, "by": None,
                                     "campaign": lead.campaign.slug}]
    offers = Assignment.objects.filter(lead=lead).select_related("rep__user", "assigned_by")
    for offer in offers.order_by("offered_at", "pk"):
        rep = offer.rep.user.username
        if offer.assigned_by is not None:
            events.append({"type": "assigned", "at": offer.offered_at, "by": offer.assigned_by.username, "rep": rep})
            continue
        events.append({"type": "offered", "at": offer.offered_at, "by": None, "rep": rep,
                       "broadcast": offer.broadcast})
        # A revoked offer with a response was accepted, then taken back (a manager gave the lead to another rep).
        taken = (Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED, Assignment.Status.REVOKED,
                 Assignment.Status.TAKEN_BACK)
        if offer.status in taken and offer.responded_at:
            events.append({"type": "accepted", "at": offer.responded_at, "by": rep})
            if offer.status == Assignment.Status.TAKEN_BACK:
                events.append({"type": "taken_back", "at": offer.closed_at or offer.responded_at, "by": None,
                               "rep": rep})
        elif offer.status == Assignment.Status.DECLINED and offer.responded_at:
            events.append({"type": "declined", "at": offer.responded_at, "by": rep, "reason": offer.decline_reason})
        elif offer.status == Assignment.Status.EXPIRED:
            events.append({"type": "expired", "at": offer.expires_at, "by": None, "rep": rep})
    for contact in ContactAttempt.objects.filter(lead=lead).select_related("rep__user").order_by("at", "pk"):
        events.append({"type": "contact", "at": contact.at, "by": contact.rep.user.username,
                       "channel": contact.channel, "outcome": contact.outcome, "notes": contact.notes})
    for note in LeadNote.objects.filter(lead=lead).select_related("author").order_by("at", "pk"):
        events.append({"type": "note", "at": note.at, "by": note.author.username, "id": note.pk, "text": note.text})
    for callback in Callback.objects.filter(lead=lead).select_related("created_by").order_by("created_at", "pk"):
        events.append({"type": "callback", "at": callback.created_at, "by": _username(callback.created_by),
                       "id": callback.pk, "due_at": callback.due_at, "note": callback.note,
                       "done_at": callback.done_at})
    for change in LeadStageChange.objects.filter(lead=lead).select_related("by", "reason").order_by("at", "pk"):
        events.append({"type": "stage", "at": change.at, "by": _username(change.by), "from": change.from_status,
                       "to": change.to_status, "reason": change.reason.code if change.reason else "",
                       "reason_label": change.reason.label if change.reason else ""})
    for cycle in LeadRecycle.objects.filter(lead=lead).select_related("from_rep__user").order_by("cycle"):
        events.append({"type": "recycled", "at": cycle.at, "by": None, "cycle": cycle.cycle, "why": cycle.detail,
                       "rep": cycle.from_rep.user.username if cycle.from_rep else None})
    if lead.erased_at is not None:
        erased_by = None if lead.erased_by_id is None else (
            get_user_model().objects.filter(pk=lead.erased_by_id).values_list("username", flat=True).first())
        events.append({"type": "erased", "at": lead.erased_at, "by": erased_by})
    events.sort(key=lambda event: event["at"])
    return events


def reasons_active(*, kind: str | None = None) -> QuerySet[ReasonCode]:
    """The reasons reps may pick (of one kind, or all), in the managers' order."""
    reasons = ReasonCode.objects.filter(active=True)
    return reasons.filter(kind=kind) if kind else reasons
