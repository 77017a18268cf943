"""The floor's periodic pass, shared by the floor clock (every few seconds) and the per-minute backstop task."""

from __future__ import annotations

from assignments.services.alerts import expiry_streaks_alert, waiting_leads_alert
from assignments.services.delays import delayed_leads_release
from assignments.services.first_contact import first_contact_sweep
from assignments.services.notify import alert_deliveries_overdue_enqueue, offers_unseen_escalate
from assignments.services.offers import offers_expire
from assignments.services.pool import waiting_leads_pool
from assignments.services.presence import reps_presence_sweep
from assignments.services.recycling import leads_recycle
from assignments.services.routing import held_leads_release, leads_reconcile, waiting_leads_route
from assignments.services.work import callbacks_due_send
from campaigns.buyers.services import leads_to_buyers_release


def floor_second_pass() -> dict[str, int]:
    """What must happen on the second: expire offers past their SLA, tell owners of callbacks that fell due,
    remind or take back accepted leads nobody called (the rules' first-contact SLA), move offers nobody saw on
    to email and chat, release the delayed leads whose time came."""
    return {"expired": offers_expire(), "callbacks_due": callbacks_due_send(), **first_contact_sweep(),
            "escalated": offers_unseen_escalate(), "delays_released": delayed_leads_release()}


def floor_queue_pass() -> dict[str, int]:
    """Hand leads to buyers, release held leads, re-route lost work, recycle leads that went nowhere, offer waiting
    leads (then pool those whose rule says so after a wait), sweep presence, alert managers on leads waiting too
    long and reps letting offers expire.

    Buyers go first: held leads of buyer campaigns must reach buyers, not the reps' queue. Returns counts.
    """
    return {
        "to_buyers": leads_to_buyers_release(),
        "released": held_leads_release(),
        "delays_rechecked": delayed_leads_release(with_conditions=True),
        "reconciled": leads_reconcile(),
        "recycled": leads_recycle(),
        "offered": waiting_leads_route(),
        "pooled": waiting_leads_pool(),
        "set_away": reps_presence_sweep(),
        "waiting_alerts": waiting_leads_alert(),
        "expiry_alerts": expiry_streaks_alert(),
        "alerts_requeued": alert_deliveries_overdue_enqueue(),
    }
