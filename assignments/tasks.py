"""django-q2 entry points: each loads ids and calls one service; all idempotent."""

from assignments import services


def route_lead_task(lead_id: int) -> str:
    """Route one lead (a no-op when it is already offered or owned); tasks queued by earlier versions still run."""
    return services.lead_route(lead_id=lead_id).action


def route_drain_task() -> dict[str, int]:
    """Route every requested lead (services.routing_drain); the drain's wake keeps one of these queued at a time."""
    return services.route_requests_drain()


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
    """Delete websocket outbox rows older than RETAIN_OUTBOX_DAYS."""
    return services.outbox_prune()


def retention_task() -> dict[str, int]:
    """Apply the retention settings: anonymise old closed leads, prune snapshots, profiles, outbox, intake log."""
    return services.retention_run()


def offer_alert_task(assignment_id: int, unseen: bool = False) -> int:
    """Email (and once unseen, team chat) about an offer its rep has not seen; returns deliveries attempted."""
    return len(services.offer_alerts_send(assignment_id=assignment_id, unseen=unseen))


def reminder_alert_task(assignment_id: int) -> int:
    """Email a rep the first-contact reminder of a lead they accepted and have not called; deliveries attempted."""
    return len(services.reminder_alerts_send(assignment_id=assignment_id))


def callback_alert_task(callback_id: int) -> int:
    """Email the owner of a due callback when no tab of theirs is open; returns deliveries attempted."""
    return len(services.callback_alerts_send(callback_id=callback_id))


def floor_alert_notify_task(alert_id: int) -> int:
    """Send a manager alert by email and to the teams' chat; returns deliveries attempted."""
    return len(services.floor_alert_notify(alert_id=alert_id))


def alert_deliver_task(delivery_id: int) -> str:
    """Make the next attempt of one alert delivery (a no-op when it is not due or already settled)."""
    delivery = services.alert_delivery_attempt(delivery_id=delivery_id)
    return "skipped" if delivery is None else f"{delivery.status} after {delivery.attempts} attempt(s)"
