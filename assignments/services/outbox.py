"""Housekeeping of the websocket outbox."""

import datetime as dt

from django.utils.timezone import now as tz_now

from assignments.models import OutboxEvent

OUTBOX_KEEP_HOURS = 24


def outbox_prune(*, now: dt.datetime | None = None, keep_hours: int = OUTBOX_KEEP_HOURS) -> int:
    """Delete outbox rows older than keep_hours (open offers are resynced from assignments, not the outbox)."""
    cutoff = (now or tz_now()) - dt.timedelta(hours=keep_hours)
    deleted, _ = OutboxEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
