"""Background work scheduled from services, always after the transaction commits."""

from django.db import transaction

from leadcrm.task_queue import task_enqueue


def _enqueue(func: str, *args) -> None:
    task_enqueue(func, *args)


def lead_route_enqueue(*, lead_id: int) -> None:
    """Route this lead in a worker once the current transaction commits."""
    transaction.on_commit(lambda: _enqueue("assignments.tasks.route_lead_task", lead_id))


def waiting_leads_route_enqueue() -> None:
    """Offer waiting leads in a worker once the current transaction commits (capacity or a rep came free)."""
    transaction.on_commit(lambda: _enqueue("assignments.tasks.route_waiting_task"))
