"""Housekeeping of the websocket outbox."""

import datetime as dt

from django.conf import settings
from django.utils.timezone import now as tz_now

from assignments.models import OutboxEvent


def outbox_prune(*, now: dt.datetime | None = None, keep_hours: int | None = None) -> int:
    """Delete outbox rows older than keep_hours (default: RETAIN_OUTBOX_DAYS; 0 days keeps them all). Open offers
    are resynced from assignments, not the outbox."""
    if keep_hours is None:
        keep_hours = settings.RETAIN_DAYS["outbox"] * 24
    if keep_hours <= 0:
        return 0
    cutoff = (now or tz_now()) - dt.timedelta(hours=keep_hours)
    deleted, _ = OutboxEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
