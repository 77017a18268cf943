"""Reads for the live pages and the outbox relay: the floor right now, and outbox rows to push."""

from __future__ import annotations

from assignments.models import Assignment, OutboxEvent, Rep
from assignments.selectors import reps_with_leads_today
from campaigns.models import Lead

FLOOR_RECENT_ASSIGNMENTS = 100
FLOOR_WAITING_LEADS = 200


def floor_assignments(*, recent: int = FLOOR_RECENT_ASSIGNMENTS) -> list[Assignment]:
    """Every open assignment plus the most recent others, newest first."""
    base = Assignment.objects.with_payload()
    rows = {a.pk: a for a in base.order_by("-offered_at")[:recent]}
    rows.update((a.pk, a) for a in base.filter(status__in=Assignment.OPEN_STATUSES))
    return sorted(rows.values(), key=lambda a: (a.offered_at, a.pk), reverse=True)


def leads_waiting(*, limit: int = FLOOR_WAITING_LEADS) -> tuple[int, list[Lead]]:
    """How many leads wait for a rep, and the oldest of them (by received_at)."""
    waiting = Lead.objects.filter(status=Lead.Status.WAITING)
    return waiting.count(), list(waiting.select_related("campaign").order_by("received_at")[:limit])


def reps_on_floor() -> list[Rep]:
    """Active reps with their user and today's new leads, by username."""
    return list(reps_with_leads_today(Rep.objects.filter(active=True).select_related("user"))
                .order_by("user__username"))


def rep_for_user(*, user_id: int) -> Rep | None:
    """The rep of this user, with the user loaded, or None."""
    return Rep.objects.select_related("user").filter(user_id=user_id).first()


def rep_with_user(*, rep_id: int) -> Rep:
    """The rep with its user loaded."""
    return Rep.objects.select_related("user").get(pk=rep_id)


def outbox_max_id() -> int:
    """The newest outbox row id (0 when empty): where a starting relay begins."""
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def outbox_rows(*, after_id: int, also_ids: list[int] | tuple[int, ...] = (), limit: int = 500) -> list[tuple]:
    """Outbox rows (id, group, payload) with id > after_id or among also_ids (late commits), oldest first."""
    rows = list(OutboxEvent.objects.filter(id__gt=after_id).order_by("id")
                .values_list("id", "group", "payload")[:limit])
    if also_ids:
        rows += OutboxEvent.objects.filter(id__in=list(also_ids), id__lte=after_id).values_list(
            "id", "group", "payload")
        rows.sort(key=lambda row: row[0])
    return rows
