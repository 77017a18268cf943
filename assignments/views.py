"""The live pages: `/rep/` (a rep's queue) and `/live/` (the managers' floor board)."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Assignment, ContactAttempt, Rep
from assignments.selectors import open_assignments_for_rep
from assignments.selectors_live import floor_assignments, leads_waiting, rep_for_user, reps_on_floor
from leadcrm.roles import forbidden_page, is_manager, manager_required


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
                    "assignments": [events.assignment_payload(a) for a in assignments]},
        "statuses": [("available", "Available"), ("away", "Away")],
        "outcomes": [(value, label) for value, label in ContactAttempt.Outcome.choices
                     if value not in ("won", "lost")],
    }
    return render(request, "assignments/rep.html", context)


@manager_required(message="The live board is for sales managers.")
def live_page(request: HttpRequest) -> HttpResponse:
    """The managers' live board of the whole floor."""
    waiting_count, waiting = leads_waiting()
    assignments = floor_assignments()
    reps = reps_on_floor()
    context = {
        "assignments": assignments,
        "offered_count": sum(a.status == Assignment.Status.OFFERED for a in assignments),
        "accepted_count": sum(a.status == Assignment.Status.ACCEPTED for a in assignments),
        "available_count": sum(rep.status == Rep.Status.AVAILABLE for rep in reps),
        "waiting": waiting,
        "waiting_count": waiting_count,
        "reps": reps,
    }
    return render(request, "assignments/live.html", context)
