"""django-q2 entry points of the lead market: load ids, call one service."""

import datetime as dt
import logging
from collections import Counter

from django.utils.timezone import now

from campaigns.selectors import webhook_deliveries_due
from campaigns.services import webhook_deliveries_due_enqueue, webhook_delivery_attempt

log = logging.getLogger(__name__)


def webhook_deliver_task(delivery_id: int) -> str:
    """Make the next attempt of one webhook delivery (a no-op when it is not due or already settled)."""
    delivery = webhook_delivery_attempt(delivery_id=delivery_id)
    return "skipped" if delivery is None else f"{delivery.state} after {delivery.attempts} attempt(s)"


def webhook_deliver_due_task() -> int:
    """Queue pending deliveries overdue by 2+ minutes: the safety net for tasks a broker lost (schedule it)."""
    overdue = webhook_deliveries_due(at=now() - dt.timedelta(minutes=2))
    return webhook_deliveries_due_enqueue(deliveries=list(overdue))


def route_leads_task(lead_ids: list[int]) -> dict:
    """Route each lead of a bulk post on its own; one that fails stays new for the routing app's reconcile sweep."""
    from assignments.services import lead_route

    actions: Counter = Counter()
    for lead_id in lead_ids:
        try:
            actions[lead_route(lead_id=lead_id).action] += 1
        except Exception:
            log.exception("routing lead %s failed; the reconcile sweep will retry it", lead_id)
            actions["failed"] += 1
    return dict(actions)
