"""Retention: what LeadCRM stops keeping, and when (settings RETAIN_*; 0 keeps forever).

A daily task runs it all. Rows go in batches of RETENTION_BATCH, each batch its own short transaction, so the
floor (routing, intake, accepts) never waits long behind it. Closed leads are anonymised through the same
erasure a manager starts (timings and counts stay); the others are deleted: routing-lab snapshots and the rep
profiles no snapshot refers to any more, outbox rows, and intake log rows.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils.timezone import now as tz_now

from assignments.models import OutboxEvent
from assignments.models_lab import RepProfile, RoutingSnapshot
from assignments.services.erasure import lead_erase
from campaigns.lifecycle import CLOSED
from campaigns.models import IntakeAttempt, Lead

RETENTION_BATCH = 500
PROFILE_SCAN_CHUNK = 2000


def retention_run(*, now: dt.datetime | None = None, batch: int = RETENTION_BATCH) -> dict[str, int]:
    """Apply every retention setting once; returns how many rows each part anonymised or deleted."""
    now = now or tz_now()
    days = settings.RETAIN_DAYS
    counts = {
        "leads_anonymised": closed_leads_anonymise(now=now, days=days["closed_leads"], batch=batch),
        "snapshots": rows_prune(model=RoutingSnapshot, field="decided_at", now=now, days=days["snapshots"],
                                batch=batch),
        "outbox": rows_prune(model=OutboxEvent, field="created_at", now=now, days=days["outbox"], batch=batch),
        "intake_attempts": rows_prune(model=IntakeAttempt, field="received_at", now=now,
                                      days=days["intake_attempts"], batch=batch),
    }
    counts["rep_profiles"] = rep_profiles_prune(batch=batch) if counts["snapshots"] else 0
    return counts


def rows_prune(*, model: type[models.Model], field: str, now: dt.datetime, days: int, batch: int) -> int:
    """Delete the model's rows whose `field` is older than `days` (0: none), `batch` rows per transaction."""
    if days <= 0:
        return 0
    cutoff = now - dt.timedelta(days=days)
    deleted = 0
    while True:
        ids = list(model._default_manager.filter(**{f"{field}__lt": cutoff}).order_by("pk")
                   .values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += model._default_manager.filter(pk__in=ids).delete()[1].get(model._meta.label, 0)


def closed_leads_anonymise(*, now: dt.datetime, days: int, batch: int) -> int:
    """Erase the people of leads closed (won, lost, sold) more than `days` ago (0: never), at most `batch`
    leads a run (the next day's run goes on)."""
    if days <= 0:
        return 0
    cutoff = now - dt.timedelta(days=days)
    due = list(Lead.objects.filter(status__in=CLOSED, erased_at__isnull=True)
               .annotate(closed_at=Coalesce("outcome_at", "received_at")).filter(closed_at__lt=cutoff)
               .order_by("closed_at", "pk").values_list("pk", flat=True)[:batch])
    for lead_id in due:
        lead_erase(lead_id=lead_id, by=None, now=now)
    return len(due)


def rep_profiles_prune(*, batch: int) -> int:
    """Delete recorded rep profiles that no routing snapshot refers to any more (snapshots were pruned)."""
    referenced: set[int] = set()
    last = 0
    while True:
        chunk = list(RoutingSnapshot.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "reps")
                     [:PROFILE_SCAN_CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        referenced.update(row[1] for _, reps in chunk for row in reps or [] if len(row) > 1)
    orphans = [pk for pk in RepProfile.objects.values_list("pk", flat=True) if pk not in referenced]
    deleted = 0
    for start in range(0, len(orphans), batch):
        with transaction.atomic():
            deleted += RepProfile.objects.filter(pk__in=orphans[start:start + batch]).delete()[0]
    return deleted
