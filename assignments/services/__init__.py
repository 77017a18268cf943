"""Every write of the sales floor; import from here, not from the submodules."""

from assignments.services.contacts import contact_log, lead_outcome_set
from assignments.services.floor import floor_queue_pass, floor_second_pass
from assignments.services.offers import (
    OfferError,
    assignment_accept,
    assignment_decline,
    assignment_seen,
    lead_offers_revoke,
    lead_reroute,
    offer_expire,
    offers_expire,
)
from assignments.services.outbox import outbox_prune
from assignments.services.reps import rep_stats_recompute, rep_status_set
from assignments.services.routing import (
    RouteResult,
    held_leads_release,
    lead_route,
    leads_reconcile,
    rep_claim,
    rep_release,
    waiting_leads_route,
)

__all__ = [
    "OfferError", "RouteResult", "assignment_accept", "assignment_decline", "assignment_seen", "contact_log",
    "floor_queue_pass", "held_leads_release", "lead_offers_revoke", "lead_outcome_set", "lead_reroute", "lead_route",
    "leads_reconcile", "offer_expire", "offers_expire", "outbox_prune",
    "rep_claim", "rep_release", "rep_stats_recompute", "rep_status_set", "waiting_leads_route",
]

from assignments.services.presence import (  # noqa: E402
    rep_presence_connect,
    rep_presence_disconnect,
    rep_presence_touch,
    reps_presence_sweep,
)

__all__ += ["rep_presence_connect", "rep_presence_disconnect", "rep_presence_touch", "reps_presence_sweep"]

from assignments.services.work import (  # noqa: E402
    callback_done,
    callback_schedule,
    callbacks_due_send,
    lead_for_worker,
    lead_note_add,
    lead_stage_set,
)

__all__ += ["callback_done", "callback_schedule", "callbacks_due_send", "floor_second_pass", "lead_for_worker",
            "lead_note_add", "lead_stage_set"]

from assignments.services.ownership import (  # noqa: E402
    TakeBackPlan,
    TakeBackResult,
    lead_assign,
    rep_for_assignment,
    rep_leads_take_back,
    rep_take_back_plan,
)

__all__ += ["TakeBackPlan", "TakeBackResult", "lead_assign", "rep_for_assignment", "rep_leads_take_back",
            "rep_take_back_plan"]

from assignments.services.notify import (  # noqa: E402
    alert_deliveries_overdue_enqueue,
    alert_delivery_attempt,
    callback_alerts_send,
    floor_alert_notify,
    offer_alerts_send,
    offers_unseen_escalate,
    reminder_alerts_send,
)

__all__ += ["alert_deliveries_overdue_enqueue", "alert_delivery_attempt", "callback_alerts_send",
            "floor_alert_notify", "offer_alerts_send", "offers_unseen_escalate", "reminder_alerts_send"]

from assignments.services.routing_drain import route_requests_drain  # noqa: E402

__all__ += ["route_requests_drain"]

from assignments.services.erasure import lead_erase  # noqa: E402
from assignments.services.retention import retention_run  # noqa: E402

__all__ += ["lead_erase", "retention_run"]
