"""django-q2 entry points of the lead market: load ids, call one service."""

import datetime as dt

from django.utils.timezone import now

from campaigns.selectors import webhook_deliveries_due
from campaigns.services import webhooks


def webhook_deliver_task(delivery_id: int) -> str:
    """Make the next attempt of one webhook delivery (a no-op when it is not due or already settled)."""
    delivery = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
    return "skipped" if delivery is None else f"{delivery.state} after {delivery.attempts} attempt(s)"


def webhook_deliver_due_task() -> int:
    """Queue pending deliveries overdue by 2+ minutes: the safety net for tasks a broker lost (schedule it)."""
    overdue = webhook_deliveries_due(at=now() - dt.timedelta(minutes=2))
    return webhooks.webhook_deliveries_due_enqueue(deliveries=list(overdue))
