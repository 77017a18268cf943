"""Row locks shared by every write of the floor, and the order they are taken in."""

from __future__ import annotations

from campaigns.models import Lead


def lead_lock(*, lead_id: int) -> None:
    """Lock the lead's row for this transaction. Lock order, everywhere: the lead, then its assignments, so a
    manager's assignment, routing, an accept and an expiry of the same lead queue up instead of deadlocking."""
    list(Lead.objects.select_for_update(of=("self",)).filter(pk=lead_id).values_list("pk", flat=True))
