"""The only place that builds websocket payloads and group names; writes the outbox, pushes after commit.

Embedded mode (in-memory channel layer): a django-q2 worker's group_send would vanish, so nothing is pushed
from here; the relay inside the web process reads new outbox rows and pushes them (assignments/relay.py).
Scale-out (Redis layer): rows are pushed right after commit from whichever process wrote them.
Every message sent to browsers is one of the TypedDicts in assignments/messages.py (the websocket contract).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Final, Literal, cast

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils.timezone import now as tz_now

from assignments.messages import (
    AssignmentAssignedMessage,
    AssignmentMessage,
    AssignmentMessageType,
    AssignmentPayload,
    AssignmentReminderMessage,
    AssignmentStatus,
    CallbackDueMessage,
    CallingHours,
    FloorAlertMessage,
    FloorSnapshotMessage,
    FloorUpdatedMessage,
    LeadStatus,
    OutboxLayerMessage,
    OwnedAssignmentPayload,
    PoolAddedMessage,
    PoolLead,
    PoolRemovedMessage,
    RepPayload,
    ServerMessage,
    SyncDoneMessage,
    WaitingLead,
)
from assignments.models import Assignment, Callback, OutboxEvent, Rep
from assignments.selectors import leads_taken_today
from campaigns.calling_hours import lead_calling_state
from campaigns.models import Lead
from leadcrm.after_commit import after_commit
from leadcrm.doorbell import ring

FLOOR_GROUP = "floor"
OFFERED: Final = "assignment.offered"
REVOKED: Final = "assignment.revoked"
UPDATED: Final = "assignment.updated"
FLOOR_UPDATED: Final = "floor.updated"
# Declared by the contract (CONTRACT.md 6.2-6.4, assignments/messages.py).
ASSIGNED: Final = "assignment.assigned"
CALLBACK_DUE: Final = "callback.due"
POOL_ADDED: Final = "pool.added"
POOL_REMOVED: Final = "pool.removed"
REMINDER: Final = "assignment.reminder"
FloorAlertKind = Literal["accepted_and_sat", "waiting_too_long", "offers_expired"]
FLOOR_ALERT: Final = "floor.alert"


# The doorbell (leadcrm/doorbell.py) the embedded relay sleeps on; rung once an outbox write commits.
OUTBOX_DOORBELL: Final = "outbox"


def rep_group(rep_id: int) -> str:
    """The group only this rep's sockets join."""
    return f"rep.{rep_id}"


def relay_enabled() -> bool:
    """True when pushes must go through the web process's relay (the channel layer is in-memory)."""
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]  # inferred from the settings' literals, not as str
    return isinstance(backend, str) and backend.endswith("InMemoryChannelLayer")


def assignment_payload(assignment: Assignment) -> AssignmentPayload:
    """The contract's assignment object: id, status, lead {id, ...}, offered_at, expires_at, plus card details."""
    lead = assignment.lead
    return {
        "id": assignment.pk,
        # A CharField with choices is a str to django-stubs; its values are the Literal's (test_messages checks).
        "status": cast(AssignmentStatus, assignment.status),
        "offered_at": assignment.offered_at.isoformat(),
        "expires_at": assignment.expires_at.isoformat(),
        "responded_at": assignment.responded_at.isoformat() if assignment.responded_at else None,
        "rep": {"id": assignment.rep_id, "username": assignment.rep.user.username},
        "lead": {
            "id": lead.pk, "status": cast(LeadStatus, lead.status), "name": lead.full_name,
            "campaign": lead.campaign.slug, "campaign_name": lead.campaign.name, "language": lead.language,
            "country": lead.country, "region": lead.region, "postal_code": lead.postal_code, "skill": lead.skill,
            "received_at": lead.received_at.isoformat(), "calling": lead_calling_payload(lead=lead, at=tz_now()),
        },
    }


def lead_calling_payload(*, lead: Lead, at: dt.datetime) -> CallingHours:
    """The lead's calling hours at `at`: its local zone and offset, the campaign's window, open or when it opens."""
    state = lead_calling_state(lead=lead, at=at)
    offset = state.local.utcoffset() or dt.timedelta(0)
    return {
        "timezone": state.zone, "zone_known": state.zone_known,
        "utc_offset_minutes": int(offset.total_seconds() // 60),
        "starts": f"{state.window.starts:%H:%M}" if state.window else None,
        "ends": f"{state.window.ends:%H:%M}" if state.window else None,
        "open": state.is_open,
        "opens_at": state.opens_at.isoformat() if state.opens_at else None,
        "closes_at": state.closes_at.isoformat() if state.closes_at else None,
    }


def assignment_message(*, assignment: Assignment, type: AssignmentMessageType) -> AssignmentMessage:
    """`assignment.offered`, `.updated` or `.revoked` about this assignment."""
    return cast(AssignmentMessage, {"type": type, "assignment": assignment_payload(assignment)})


def assignment_event_send(*, assignment: Assignment, type: AssignmentMessageType) -> None:
    """Queue `type` about this assignment for its rep and the floor; delivered only if the transaction commits."""
    message = assignment_message(assignment=assignment, type=type)
    _outbox_send(groups=[rep_group(assignment.rep_id), FLOOR_GROUP], message=message)


def floor_event_send(*, type: str, data: dict) -> None:
    """Queue a floor-only message (waiting queue, rep status) for managers' live boards.

    `{"type": type, **data}` must be one of the messages of assignments/messages.py; prefer the typed senders
    (lead_waiting_event_send, rep_presence_event_send), which build the whole payload.
    """
    _outbox_send(groups=[FLOOR_GROUP], message=cast(ServerMessage, {"type": type, **data}))


def _outbox_send(*, groups: list[str], message: ServerMessage) -> None:
    rows = OutboxEvent.objects.bulk_create(
        OutboxEvent(group=group, type=message["type"], payload=message) for group in groups
    )
    if not relay_enabled():
        pushes = [(row.pk, row.group) for row in rows]
        after_commit(lambda: outbox_push(rows=pushes, message=message))
    else:
        after_commit(partial(ring, OUTBOX_DOORBELL))  # wake the web process's relay (assignments/relay.py)


def outbox_push(*, rows: list[tuple[int, str]], message: ServerMessage) -> None:
    """Push one committed message to each (outbox id, group) through the channel layer."""
    layer = get_channel_layer()
    for pk, group in rows:
        async_to_sync(layer.group_send)(group, layer_message(outbox_id=pk, message=message))


def layer_message(*, outbox_id: int, message: ServerMessage) -> OutboxLayerMessage:
    """The channel-layer message the consumer forwards: the payload plus the outbox id for de-duplication."""
    return {"type": "outbox.message", "outbox_id": outbox_id, "message": message}


# --- Live pages: resync, floor snapshot, presence (the consumer and relay send these) -------------------------

REP_UPDATED: Final = "rep.updated"
SYNC_DONE: Final = "sync.done"
FLOOR_SNAPSHOT: Final = "floor.snapshot"
PONG: Final = "pong"


def assignment_sync_messages(assignments: list[Assignment]) -> list[AssignmentMessage]:
    """What a (re)connecting rep's page needs: each open assignment, offered ones as `assignment.offered`."""
    return [
        assignment_message(assignment=a, type=OFFERED if a.status == Assignment.Status.OFFERED else UPDATED)
        for a in assignments
    ]


def rep_payload(rep) -> RepPayload:
    """A rep as the live pages show them: status, load and capacity, today's new leads and daily cap, presence.

    Today's count comes annotated (selectors.reps_with_leads_today) where the caller reads many reps."""
    today = getattr(rep, "leads_today", None)
    return {
        "id": rep.pk, "username": rep.user.username, "name": rep.user.get_full_name() or rep.user.username,
        "status": rep.status, "status_changed_at": rep.status_changed_at.isoformat(), "active": rep.active,
        "load": rep.load, "capacity": rep.capacity, "connections": rep.connections,
        "last_seen_at": rep.last_seen_at.isoformat() if rep.last_seen_at else None, "auto_away": rep.auto_away,
        "leads_today": today if today is not None else leads_taken_today(rep_id=rep.pk, timezone=rep.timezone),
        "daily_cap": rep.daily_cap,
    }


def sync_done_message(*, rep, now) -> SyncDoneMessage:
    """Ends a rep's resync: the rep's own status now, and the server clock for the countdowns."""
    return {"type": SYNC_DONE, "rep": rep_payload(rep), "now": now.isoformat()}


def waiting_lead_payload(lead) -> WaitingLead:
    """A lead waiting for a rep, for the managers' board."""
    return {
        "id": lead.pk, "status": lead.status, "name": lead.full_name, "campaign": lead.campaign.slug,
        "campaign_name": lead.campaign.name, "language": lead.language, "country": lead.country,
        "skill": lead.skill, "received_at": lead.received_at.isoformat(), "reason": lead.waiting_reason,
    }


def floor_snapshot_message(*, assignments: list[Assignment], waiting_leads: list, waiting_count: int,
                           reps: list, now) -> FloorSnapshotMessage:
    """The whole floor for a manager's board that just (re)connected."""
    return {
        "type": FLOOR_SNAPSHOT, "now": now.isoformat(),
        "assignments": [assignment_payload(a) for a in assignments],
        "waiting": {"count": waiting_count, "leads": [waiting_lead_payload(lead) for lead in waiting_leads]},
        "reps": [rep_payload(rep) for rep in reps],
    }


def rep_presence_event_send(*, rep) -> None:
    """Queue the rep's presence and status for the managers' boards."""
    floor_event_send(type=REP_UPDATED, data={"rep": rep_payload(rep)})


def floor_updated_message(*, lead) -> FloorUpdatedMessage:
    """`floor.updated`: the lead as it waits now (its status and waiting_reason already set on `lead`)."""
    return {"type": FLOOR_UPDATED, "lead": waiting_lead_payload(lead)}


def lead_waiting_event_send(*, lead) -> None:
    """Queue the waiting lead for the managers' boards (`lead` with its campaign, status and waiting_reason)."""
    _outbox_send(groups=[FLOOR_GROUP], message=floor_updated_message(lead=lead))


def callback_message(*, callback: Callback) -> CallbackDueMessage:
    """`callback.due` for the lead's owner: the callback and the lead's card with its contact details."""
    lead = callback.lead
    return {
        "type": CALLBACK_DUE,
        "callback": {
            "id": callback.pk, "due_at": callback.due_at.isoformat(), "note": callback.note,
            "lead": {"id": lead.pk, "status": cast(LeadStatus, lead.status), "name": lead.full_name,
                     "campaign": lead.campaign.slug, "campaign_name": lead.campaign.name,
                     "phone": lead.phone, "email": lead.email},
        },
    }


def callback_due_send(*, callback: Callback, rep_id: int) -> None:
    """Queue `callback.due` for this rep's sockets only (the lead's owner when it fell due)."""
    _outbox_send(groups=[rep_group(rep_id)], message=callback_message(callback=callback))


def assignment_assigned_message(*, assignment: Assignment) -> AssignmentAssignedMessage:
    """`assignment.assigned` for the new owner: the assignment with the lead's contact details."""
    payload = assignment_payload(assignment)
    lead = {**payload["lead"], "phone": assignment.lead.phone, "email": assignment.lead.email}
    return {"type": ASSIGNED, "assignment": cast(OwnedAssignmentPayload, {**payload, "lead": lead})}


def assignment_assigned_send(*, assignment: Assignment) -> None:
    """Queue `assignment.assigned` for the new owner's sockets and `assignment.updated` for the floor."""
    _outbox_send(groups=[rep_group(assignment.rep_id)], message=assignment_assigned_message(assignment=assignment))
    _outbox_send(groups=[FLOOR_GROUP], message=assignment_message(assignment=assignment, type=UPDATED))


def assignment_reminder_message(*, assignment: Assignment, contact_by: dt.datetime) -> AssignmentReminderMessage:
    """`assignment.reminder`: make the first contact by `contact_by`."""
    return {"type": REMINDER, "assignment": assignment_payload(assignment), "contact_by": contact_by.isoformat()}


def assignment_reminder_send(*, assignment: Assignment, contact_by: dt.datetime) -> None:
    """Queue `assignment.reminder` for the owner's sockets only."""
    _outbox_send(groups=[rep_group(assignment.rep_id)],
                 message=assignment_reminder_message(assignment=assignment, contact_by=contact_by))


def floor_alert_message(*, kind: FloorAlertKind, message: str, at: dt.datetime, lead_id: int | None = None,
                        rep: Rep | None = None) -> FloorAlertMessage:
    """`floor.alert` for the managers' boards."""
    return {"type": FLOOR_ALERT, "alert": {
        "kind": kind, "message": message, "at": at.isoformat(),
        "lead": {"id": lead_id} if lead_id is not None else None,
        "rep": {"id": rep.pk, "username": rep.user.get_username()} if rep is not None else None}}


def floor_alert_send(*, kind: FloorAlertKind, message: str, at: dt.datetime, lead_id: int | None = None,
                     rep: Rep | None = None) -> None:
    """Queue `floor.alert` for the managers' boards."""
    _outbox_send(groups=[FLOOR_GROUP], message=floor_alert_message(kind=kind, message=message, at=at,
                                                                    lead_id=lead_id, rep=rep))


def pool_lead_payload(lead: Lead) -> PoolLead:
    """A lead in the open pool as reps browse it: no name or contact details until they claim it."""
    return {"id": lead.pk, "campaign": lead.campaign.slug, "country": lead.country, "language": lead.language,
            "skill": lead.skill, "received_at": lead.received_at.isoformat()}


def pool_added_message(*, lead: Lead) -> PoolAddedMessage:
    """A lead entered the open pool."""
    return {"type": POOL_ADDED, "lead": pool_lead_payload(lead)}


def pool_added_send(*, lead: Lead, rep_ids: list[int]) -> None:
    """Tell the reps who may claim the lead, and the floor, that it entered the pool (after commit)."""
    _outbox_send(groups=[*map(rep_group, rep_ids), FLOOR_GROUP], message=pool_added_message(lead=lead))


def pool_removed_message(*, lead_id: int) -> PoolRemovedMessage:
    """A lead left the open pool (claimed, assigned or closed)."""
    return {"type": POOL_REMOVED, "lead": {"id": lead_id}}


def pool_removed_send(*, lead_id: int, rep_ids: list[int]) -> None:
    """Tell the reps who could claim the lead, and the floor, that it left the pool (after commit)."""
    _outbox_send(groups=[*map(rep_group, rep_ids), FLOOR_GROUP], message=pool_removed_message(lead_id=lead_id))
