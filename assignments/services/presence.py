"""Presence of reps: open /rep/ tabs and last sign of life; teams may make an absent rep away, and back."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Case, F, Min, Q, When
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.models import Rep
from assignments.selectors_live import rep_with_user
from assignments.services.reps import rep_status_set

# A tab pings every 25 s; silence this long means its socket died with its web process.
PRESENCE_STALE_SECONDS = 120


def _stale_before(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=PRESENCE_STALE_SECONDS)


def rep_presence_connect(*, rep_id: int, now: dt.datetime | None = None) -> Rep | None:
    """Count a newly opened tab; a rep whom presence set away becomes available again. None: no such rep."""
    now = now or tz_now()
    stale = _stale_before(now)
    with transaction.atomic():
        # Counts left by a web process that died are reset: no live tab was heard from since `stale`.
        fresh = Q(last_seen_at__gte=stale)
        updated = Rep.objects.filter(pk=rep_id).update(
            connections=Case(When(fresh, then=F("connections") + 1), default=1), last_seen_at=now)
        if not updated:
            return None
        rep = rep_with_user(rep_id=rep_id)
        if rep.auto_away:
            Rep.objects.filter(pk=rep_id).update(auto_away=False)
            rep.auto_away = False
            if rep.status == Rep.Status.AWAY:
                rep_status_set(rep=rep, status=Rep.Status.AVAILABLE, by_presence=True)
        events.rep_presence_event_send(rep=rep)
        return rep


def rep_presence_disconnect(*, rep_id: int, now: dt.datetime | None = None) -> Rep | None:
    """Count a closed tab (never below zero) and remember when the rep was last seen."""
    now = now or tz_now()
    with transaction.atomic():
        Rep.objects.filter(pk=rep_id, connections__gt=0).update(connections=F("connections") - 1)
        if not Rep.objects.filter(pk=rep_id).update(last_seen_at=now):
            return None
        rep = rep_with_user(rep_id=rep_id)
        events.rep_presence_event_send(rep=rep)
        return rep


def rep_presence_touch(*, rep_id: int, now: dt.datetime | None = None) -> None:
    """Record a sign of life from one of the rep's open tabs."""
    Rep.objects.filter(pk=rep_id).update(last_seen_at=now or tz_now())


def reps_presence_sweep(*, now: dt.datetime | None = None) -> int:
    """Set away each available rep whose teams set away_after_seconds and who had no live tab that long.

    The rep is marked auto_away, so opening /rep/ again makes them available. Returns how many were set away.
    """
    now = now or tz_now()
    stale = _stale_before(now)
    absent = ~Q(connections__gt=0, last_seen_at__gte=stale)
    candidates = (Rep.objects.filter(active=True, status=Rep.Status.AVAILABLE, teams__away_after_seconds__isnull=False)
                  .filter(absent).annotate(away_after=Min("teams__away_after_seconds")).select_related("user"))
    swept = 0
    for rep in candidates:
        # Absent since the later of the last sign of life and the last status change (a manager's "available").
        since = max(rep.status_changed_at, rep.last_seen_at or rep.status_changed_at)
        if now - since < dt.timedelta(seconds=rep.away_after):
            continue
        with transaction.atomic():
            if not (Rep.objects.filter(pk=rep.pk, status=Rep.Status.AVAILABLE).filter(absent)
                    .update(auto_away=True)):
                continue
            rep_status_set(rep=rep, status=Rep.Status.AWAY, by_presence=True)
            rep.auto_away = True
            events.rep_presence_event_send(rep=rep)
        swept += 1
    return swept
