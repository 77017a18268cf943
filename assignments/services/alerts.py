"""Manager alerts: raised once per thing alerted on, stored for the admin, pushed live to /live/ (floor.alert).

Kinds: a lead waiting longer than its rule's max_wait_seconds; an accepted lead not contacted within the rule's
first-contact SLA (raised by first_contact_sweep); a rep whose last three offers all expired.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Assignment, FloorAlert, Rep
from assignments.selectors import wait_limits
from assignments.services.notify import floor_alert_notify_enqueue
from campaigns.models import Lead

EXPIRED_IN_A_ROW = 3
WAITING_SCAN_LIMIT = 500


def floor_alert_raise(*, kind: events.FloorAlertKind, key: str, message: str, lead_id: int | None = None,
                      rep: Rep | None = None, now: dt.datetime | None = None) -> bool:
    """Store and push an alert unless one with this key exists already; True when raised now."""
    now = now or tz_now()
    try:
        with transaction.atomic():
            alert = FloorAlert.objects.create(kind=kind, key=key[:100], message=message[:300], lead_id=lead_id,
                                              rep=rep, at=now)
            events.floor_alert_send(kind=kind, message=message, at=now, lead_id=lead_id, rep=rep)
            floor_alert_notify_enqueue(alert_id=alert.pk)
    except IntegrityError:  # raised before (or by a concurrent pass)
        return False
    return True


def waiting_leads_alert(*, now: dt.datetime | None = None) -> int:
    """Alert on each waiting lead older than its matched rule's max wait (once per lead); returns how many."""
    now = now or tz_now()
    limits = wait_limits()
    raised = 0
    alerted = FloorAlert.objects.filter(kind=FloorAlert.Kind.WAITING_TOO_LONG, lead__isnull=False).values("lead_id")
    waiting = (Lead.objects.filter(status=Lead.Status.WAITING).exclude(pk__in=alerted)
               .select_related("campaign", "supplier").order_by("received_at")[:WAITING_SCAN_LIMIT])
    for lead in waiting:
        _, max_wait = limits.for_lead(lead=lead, now=now)
        waited = (now - lead.received_at).total_seconds()
        if waited > max_wait:
            raised += floor_alert_raise(
                kind="waiting_too_long", key=f"waiting_too_long:lead:{lead.pk}", lead_id=lead.pk, now=now,
                message=f"Lead #{lead.pk} ({lead.campaign.slug}) has waited {int(waited)} s, more than its "
                        f"rule's {max_wait} s.")
    return raised


def expiry_streaks_alert(*, now: dt.datetime | None = None, within: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Alert on each rep whose last three offers all expired (once per streak); returns how many."""
    now = now or tz_now()
    recent = (Assignment.objects.filter(status=Assignment.Status.EXPIRED, expires_at__gte=now - within)
              .values_list("rep_id", flat=True).distinct())
    raised = 0
    for rep in Rep.objects.filter(pk__in=list(recent)).select_related("user"):
        last = list(Assignment.objects.filter(rep=rep).exclude(status=Assignment.Status.OFFERED)
                    .order_by("-offered_at", "-pk").values_list("pk", "status")[:EXPIRED_IN_A_ROW])
        if len(last) == EXPIRED_IN_A_ROW and all(status == Assignment.Status.EXPIRED for _, status in last):
            raised += floor_alert_raise(
                kind="offers_expired", key=f"offers_expired:rep:{rep.pk}:{last[0][0]}", rep=rep,
                now=now, message=f"{rep.user.get_username()} let {EXPIRED_IN_A_ROW} offers in a row expire.")
    return raised
