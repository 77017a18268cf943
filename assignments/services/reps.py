"""Writes about reps themselves: status and performance stats."""

from __future__ import annotations

import datetime as dt
import statistics

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Rep
from assignments.services.queue import waiting_leads_route_enqueue
from campaigns.models import Lead

# Pseudo-leads of prior evidence: a new rep starts at the floor's rate, not at 0 % or 100 %.
PRIOR_LEADS = 10
STATS_WINDOW_DAYS = 30


@transaction.atomic
def rep_status_set(*, rep: Rep, status: str, by_presence: bool = False) -> Rep:
    """Set the rep's status (a Rep.Status value), by the rep or a manager; becoming available offers waiting leads
    right away. A status a person sets is theirs: presence no longer treats it as its own "away" (auto_away), so a
    rep a manager set away stays away when they open /rep/. `by_presence`: presence itself sets it."""
    if status not in Rep.Status.values:
        raise ValidationError({"status": [f"{status!r} is not one of {', '.join(Rep.Status.values)}."]})
    changed = Rep.objects.filter(pk=rep.pk).exclude(status=status).update(status=status, status_changed_at=tz_now())
    if not by_presence:
        Rep.objects.filter(pk=rep.pk, auto_away=True).update(auto_away=False)
    rep.refresh_from_db(fields=["status", "status_changed_at", "active", "load", "capacity", "connections",
                                "last_seen_at", "auto_away"])
    if changed:
        events.rep_presence_event_send(rep=rep)
        if status == Rep.Status.AVAILABLE:
            waiting_leads_route_enqueue()
    return rep


def rep_stats_recompute(*, now: dt.datetime | None = None) -> int:
    """Recompute every rep's smoothed conversion rate and median speed-to-lead over the trailing window."""
    now = now or tz_now()
    since = now - dt.timedelta(days=STATS_WINDOW_DAYS)
    rows = list(Rep.objects.annotate(
        closed=Count("user__owned_leads", filter=Q(user__owned_leads__accepted_at__gte=since,
                                                   user__owned_leads__outcome__in=["won", "lost"])),
        won=Count("user__owned_leads", filter=Q(user__owned_leads__accepted_at__gte=since,
                                                user__owned_leads__outcome="won")),
    ).values_list("pk", "user_id", "closed", "won"))
    total_closed = sum(r[2] for r in rows)
    floor_rate = (sum(r[3] for r in rows) / total_closed) if total_closed else 0.0
    for rep_id, user_id, closed_count, won in rows:
        speeds = [
            (contact - received).total_seconds()
            for received, contact in Lead.objects.filter(
                owner_id=user_id, accepted_at__gte=since, first_contact_at__isnull=False
            ).values_list("received_at", "first_contact_at")
            if contact is not None  # always, by the filter; the column is nullable
        ]
        Rep.objects.filter(pk=rep_id).update(
            conversion_rate=(won + PRIOR_LEADS * floor_rate) / (closed_count + PRIOR_LEADS),
            median_response_seconds=statistics.median(speeds) if speeds else None,
            stats_updated_at=now,
        )
    return len(rows)
