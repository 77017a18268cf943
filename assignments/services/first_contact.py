"""The first-contact SLA of a rule: a rep who accepted a lead must make the first contact within N seconds.

Half-way the rep is reminded (`assignment.reminder`, and by email as their alert preference allows); at the
limit the lead is "accepted and sat": it is taken back and re-routed without that rep, or the managers are alerted
(`floor.alert`), as the rule chooses. Each happens once per assignment; the floor clock runs this every second.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Assignment
from assignments.selectors_live import first_contact_awaited
from assignments.services.alerts import floor_alert_raise
from assignments.services.notify import reminder_alert_enqueue
from assignments.services.ownership import owned_take_back

REROUTE = "reroute"


def _limits(assignment: Assignment) -> tuple[dt.datetime, dt.datetime]:
    assert assignment.rule is not None and assignment.rule.first_contact_seconds and assignment.responded_at
    window = dt.timedelta(seconds=assignment.rule.first_contact_seconds)
    return assignment.responded_at + window / 2, assignment.responded_at + window


def first_contact_sweep(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Remind reps half-way through the first-contact SLA; take back or escalate at its end. Returns counts."""
    now = now or tz_now()
    counts = {"reminded": 0, "taken_back": 0, "escalated": 0}
    pending = first_contact_awaited().with_payload().select_related("rule")[:limit]
    for assignment in pending:
        remind_at, sat_at = _limits(assignment)
        if now >= sat_at:
            counts["taken_back" if _sat(assignment=assignment, now=now) == REROUTE else "escalated"] += 1
        elif now >= remind_at and assignment.reminded_at is None:
            counts["reminded"] += _remind(assignment=assignment, now=now, contact_by=sat_at)
    return counts


def _remind(*, assignment: Assignment, now: dt.datetime, contact_by: dt.datetime) -> int:
    with transaction.atomic():
        if not Assignment.objects.filter(pk=assignment.pk, reminded_at__isnull=True,
                                         status=Assignment.Status.ACCEPTED).update(reminded_at=now):
            return 0
        events.assignment_reminder_send(assignment=assignment, contact_by=contact_by)
        reminder_alert_enqueue(assignment_id=assignment.pk)
        return 1


def _sat(*, assignment: Assignment, now: dt.datetime) -> str:
    """Mark the breach once, then act as the rule says; returns the action taken."""
    assert assignment.rule is not None
    action = assignment.rule.no_contact_action
    with transaction.atomic():
        if not Assignment.objects.filter(pk=assignment.pk, sat_at__isnull=True,
                                         status=Assignment.Status.ACCEPTED).update(sat_at=now):
            return ""
        if action != REROUTE:
            floor_alert_raise(kind="accepted_and_sat", key=f"accepted_and_sat:assignment:{assignment.pk}",
                              lead_id=assignment.lead_id, rep=assignment.rep, now=now,
                              message=f"{assignment.rep.user.get_username()} accepted lead #{assignment.lead_id} "
                                      f"and has not contacted it.")
    if action == REROUTE:
        owned_take_back(assignment_id=assignment.pk, now=now)
    return action
