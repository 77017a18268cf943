"""The live pages: `/rep/` (a rep's workspace: queue, my leads, due callbacks), `/rep/leads/<id>/` (one lead to
work) and `/live/` (the managers' floor board)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import now as tz_now

from assignments import events, services
from assignments.models import Assignment, ContactAttempt, FloorAlert, Rep
from assignments.selectors import open_assignments_for_rep
from assignments.selectors_live import (
    delayed_holds,
    floor_alerts_open,
    floor_assignments,
    rep_for_user,
    reps_assignable,
    reps_on_floor,
    waiting_filter_choices,
    waiting_filter_from,
    waiting_window,
)
from assignments.selectors_pool import pool_leads
from assignments.selectors_work import MY_LEAD_STAGES, lead_timeline, routed_because
from assignments.services.work import STAGES
from campaigns.calling_hours import CallingState, lead_calling_state
from campaigns.lifecycle import stage_allowed
from campaigns.models import Campaign, Lead
from leadcrm.errors import ServiceError
from leadcrm.roles import forbidden_page, is_manager, manager_required

# What a rep reads for each stage of a lead they own (the badge's text; its class is badge-<value>).
STAGE_LABELS: dict[str, str] = {
    Lead.Status.ASSIGNED: "Not contacted yet",
    Lead.Status.CONTACTED: "Contacted",
    Lead.Status.QUALIFIED: "Qualified",
    Lead.Status.NURTURE: "Nurture",
    Lead.Status.UNQUALIFIED: "Unqualified",
    Lead.Status.WON: "Won",
    Lead.Status.LOST: "Lost",
}
# The button of each move; `contacted` is only ever offered as the reopening of a lost or unqualified lead.
MOVE_LABELS: dict[str, str] = {
    Lead.Status.CONTACTED: "Reopen",
    Lead.Status.QUALIFIED: "Qualified",
    Lead.Status.NURTURE: "Nurture (not now)",
    Lead.Status.UNQUALIFIED: "Unqualified…",
    Lead.Status.WON: "Won",
    Lead.Status.LOST: "Lost…",
}


def stage_moves() -> dict[str, list[str]]:
    """Each status -> the stages its owner may move it to from the lead page (the lifecycle's moves among STAGES).

    An assigned lead becomes contacted by logging a contact, not by a button."""
    moves: dict[str, list[str]] = {}
    for status in Lead.Status.values:
        allowed = [stage for stage in STAGES if stage_allowed(current=status, to=stage) and stage != status
                   and not (status == Lead.Status.ASSIGNED and stage == Lead.Status.CONTACTED)]
        if allowed:
            moves[status] = [str(stage) for stage in allowed]
    return moves


def _answer(value: Any) -> str:
    """A supplier's answer as text: strings as given, yes/no for booleans, JSON for lists and objects."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@login_required
def rep_page(request: HttpRequest) -> HttpResponse:
    """The signed-in rep's live queue; managers go to the board, anyone else gets a 403 page."""
    user = request.user
    if not user.is_authenticated:  # never: login_required sent anonymous visitors to sign in
        return redirect_to_login(request.get_full_path())
    rep = rep_for_user(user_id=user.pk)
    if rep is None:
        if is_manager(request.user):
            return redirect("live")
        return forbidden_page(request, message="This page is for reps: your account has no rep profile.")
    assignments = open_assignments_for_rep(rep_id=rep.pk)
    context = {
        "rep": rep,
        "assignments": assignments,
        "initial": {"rep": events.rep_payload(rep), "now": tz_now().isoformat(),
                    "assignments": [events.assignment_payload(a) for a in assignments],
                    "stage_labels": STAGE_LABELS},
        "statuses": [("available", "Available"), ("away", "Away")],
        "outcomes": [(value, label) for value, label in ContactAttempt.Outcome.choices
                     if value not in ("won", "lost")],
        "stages": [(str(stage), STAGE_LABELS.get(stage, stage)) for stage in MY_LEAD_STAGES],
        "campaigns": (Campaign.objects.filter(leads__owner_id=user.pk).distinct().order_by("name")
                      .values_list("slug", "name")),
        "tab": "queue",
    }
    return render(request, "assignments/rep.html", context)


def calling_local_text(state: CallingState) -> str:
    """The lead's clock as the pages show it: "14:05 in America/Chicago" (rep_common.js callingNow says the same)."""
    text = f"{state.local:%H:%M} in {state.zone}"
    return text if state.zone_known else f"{text} (the campaign's zone: the lead's is not known)"


def calling_opens_wait_text(state: CallingState, *, at: dt.datetime) -> str:
    """ "Calling opens at 08:00 their time, in 3 h 20 min" while calling is closed, else ""."""
    if state.is_open or state.window is None or state.opens_at is None:
        return ""
    minutes = -(-int((state.opens_at - at).total_seconds()) // 60)
    hours, rest = divmod(minutes, 60)
    wait = ("less than a minute" if minutes <= 1 else
            f"{hours} h" + (f" {rest} min" if rest else "") if hours else f"{rest} min")
    return f"Calling opens at {state.window.starts:%H:%M} their time, in {wait}"


def _in_words_for(text: str, *, rep: Rep | None, viewer_is_owner: bool) -> str:
    """The routing summary as the owner reads it: "chose rep 12" becomes "chose you"."""
    if rep is None or not viewer_is_owner:
        return text
    return re.sub(rf"\bchose rep {rep.pk}\b", "chose you", text)


@login_required
def rep_lead_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    """One lead to work: every field, why it was routed, the timeline, notes, contacts, callbacks and stage moves.

    Its owner and managers only; anyone else gets 404 (no hint that the lead exists)."""
    user = request.user
    if not user.is_authenticated:  # never: login_required sent anonymous visitors to sign in
        return redirect_to_login(request.get_full_path())
    try:
        lead = services.lead_for_worker(lead_id=lead_id, user=user)
    except ServiceError as error:
        raise Http404("No such lead for you.") from error
    viewer_rep = rep_for_user(user_id=user.pk)
    owner_rep = rep_for_user(user_id=lead.owner_id) if lead.owner_id is not None else None
    viewer_is_owner = lead.owner_id is not None and lead.owner_id == user.pk
    # The owner's lead is their accepted assignment (completed once won or lost, accepted again when reopened).
    assignment = None
    if owner_rep is not None:
        assignment = (Assignment.objects.filter(lead=lead, rep=owner_rep,
                                                status__in=(Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED))
                      .order_by("-offered_at").first())
    fields = lead.fields if isinstance(lead.fields, dict) else {}
    answers = [(str(key), _answer(value)) for key, value in sorted(fields.items())]
    routed = _in_words_for(routed_because(lead=lead, rep=owner_rep), rep=owner_rep, viewer_is_owner=viewer_is_owner)
    at = tz_now()
    calling = lead_calling_state(lead=lead, at=at)
    context = {
        "lead": lead,
        "calling_local": calling_local_text(calling),
        "calling_opens": calling_opens_wait_text(calling, at=at),
        "answers": answers,
        "routed": routed,
        "owner_name": owner_rep.user.get_username() if owner_rep is not None else "",
        "viewer_is_owner": viewer_is_owner,
        "stage_label": STAGE_LABELS.get(lead.status, lead.get_status_display()),
        "outcomes": [(value, label) for value, label in ContactAttempt.Outcome.choices
                     if value not in ("won", "lost")],
        "channels": ContactAttempt.Channel.choices,
        "tab": "lead",
        "is_rep": viewer_rep is not None,
        "assign_reps": reps_assignable() if is_manager(user) else None,
        "initial": {
            "now": at.isoformat(),
            "lead": {"id": lead.pk, "status": lead.status, "name": lead.full_name},
            "calling": events.lead_calling_payload(lead=lead, at=at),
            # Contacts are logged on the owner's assignment, by the owner (the contacts API is the rep's own).
            "assignment_id": assignment.pk if assignment is not None else None,
            "can_log_contact": viewer_is_owner and viewer_rep is not None and assignment is not None,
            "is_rep": viewer_rep is not None,
            "moves": stage_moves(),
            "stage_labels": STAGE_LABELS,
            "move_labels": MOVE_LABELS,
            "outcome_labels": dict(ContactAttempt.Outcome.choices),
            "channel_labels": dict(ContactAttempt.Channel.choices),
            "timeline": lead_timeline(lead=lead),
        },
    }
    return render(request, "assignments/rep_lead.html", context)


LIVE_POOL_SHOWN = 50  # the oldest pool leads on the board; the count says how many there are


@manager_required(message="The live board is for sales managers.")
def live_page(request: HttpRequest) -> HttpResponse:
    """The managers' live board: alerts, one page of the waiting leads (filtered and sorted by the GET parameters,
    see selectors_live.waiting_filter_from), the reps and the assignments as they happen.

    `?fragment=waiting` renders the waiting list alone, for the board to refresh it live under the same filters."""
    window = waiting_window(filter=waiting_filter_from(params=request.GET))
    if request.GET.get("fragment") == "waiting":
        return render(request, "assignments/_live_waiting.html", {"window": window})
    assignments = floor_assignments()
    reps = reps_on_floor()
    context = {
        "assignments": assignments,
        "offered_count": sum(a.status == Assignment.Status.OFFERED for a in assignments),
        "accepted_count": sum(a.status == Assignment.Status.ACCEPTED for a in assignments),
        "available_count": sum(rep.status == Rep.Status.AVAILABLE for rep in reps),
        "window": window,
        "waiting_count": window.total,
        **waiting_filter_choices(),
        "reps": reps,
        "rep_statuses": Rep.Status.choices,
        "alerts": floor_alerts_open(),
        "alert_kinds_json": json.dumps(dict(FloorAlert.Kind.choices)),
        "pool": pool_leads(limit=LIVE_POOL_SHOWN),
        "holds": delayed_holds(limit=LIVE_POOL_SHOWN),
        "pool_count": Lead.objects.filter(status=Lead.Status.POOL).count(),
    }
    return render(request, "assignments/live.html", context)
