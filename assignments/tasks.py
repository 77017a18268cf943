"""django-q2 entry points: each loads ids and calls one service; all idempotent."""

from assignments import services


def route_lead_task(lead_id: int) -> str:
    """Route one lead (a no-op when it is already offered or owned)."""
    return services.lead_route(lead_id=lead_id).action


def route_waiting_task() -> int:
    """Offer waiting leads while reps have room."""
    return services.waiting_leads_route()


def expire_offers_task() -> int:
    """Expire offers past their SLA and re-route their leads."""
    return services.offers_expire()


def floor_tick_task() -> dict:
    """The minute's backstop for the floor clock: expire offers, then the same queue pass the clock runs."""
    return {"expired": services.offers_expire(), **services.floor_queue_pass()}


def rep_stats_task() -> int:
    """Recompute reps' smoothed conversion rate and median speed-to-lead."""
    return services.rep_stats_recompute()


def outbox_prune_task() -> int:
    """Delete websocket outbox rows older than a day."""
    return services.outbox_prune()
