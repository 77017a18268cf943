"""Routing work queued for the background, always after the transaction commits."""

from __future__ import annotations

from assignments import tasks
from leadcrm.after_commit import enqueue_on_commit

ROUTE_CHUNK = 50  # leads per routing task from a bulk post: few queue rows, still spread over the workers


def lead_route_enqueue(*, lead_id: int) -> None:
    """Route this lead in a worker once the current transaction commits."""
    enqueue_on_commit(tasks.route_lead_task, lead_id, key=f"route-lead-{lead_id}")


def leads_route_enqueue(*, lead_ids: list[int]) -> None:
    """Route these leads once the current transaction commits: one task for one lead, else ROUTE_CHUNK per task.

    A lead whose task is lost stays new and is re-queued by the reconcile sweep.
    """
    if len(lead_ids) == 1:
        lead_route_enqueue(lead_id=lead_ids[0])
        return
    for start in range(0, len(lead_ids), ROUTE_CHUNK):
        chunk = lead_ids[start:start + ROUTE_CHUNK]
        enqueue_on_commit(tasks.route_leads_task, chunk, key=f"route-leads-{chunk[0]}-{len(chunk)}")


def waiting_leads_route_enqueue() -> None:
    """Offer waiting leads in a worker once the current transaction commits (capacity or a rep came free)."""
    enqueue_on_commit(tasks.route_waiting_task)
