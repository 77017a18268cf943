"""django-q2 entry points: each loads ids and calls one service; all idempotent."""

import logging
from collections import Counter

from assignments import services

log = logging.getLogger(__name__)


def route_lead_task(lead_id: int) -> str:
    """Route one lead (a no-op when it is already offered or owned)."""
    return services.lead_route(lead_id=lead_id).action


def route_leads_task(lead_ids: list[int]) -> dict[str, int]:
    """Route each lead of a bulk post on its own; one that fails stays new for the reconcile sweep."""
    actions: Counter[str] = Counter()
    for lead_id in lead_ids:
        try:
            actions[services.lead_route(lead_id=lead_id).action] += 1
        except Exception:
            log.exception("routing lead %s failed; the reconcile sweep will retry it", lead_id)
            actions["failed"] += 1
    return dict(actions)


def route_waiting_task() -> int:
    """Offer waiting leads while reps have room."""
    return services.waiting_leads_route()


def expire_offers_task() -> int:
    """Expire offers past their SLA and re-route their leads."""
    return services.offers_expire()


def floor_tick_task() -> dict[str, int]:
    """The minute's backstop for the floor clock: the clock's second and queue passes."""
    return {**services.floor_second_pass(), **services.floor_queue_pass()}


def rep_stats_task() -> int:
    """Recompute reps' smoothed conversion rate and median speed-to-lead."""
    return services.rep_stats_recompute()


def outbox_prune_task() -> int:
    """Delete websocket outbox rows older than a day."""
    return services.outbox_prune()
