"""The websocket contract of `/ws/notifications/`: one TypedDict per message the server sends, and their parts.

assignments/events.py builds every payload and is annotated with these types; tests/assignments/test_messages.py
checks, at run time, each message the services and the consumer really produce against them (no missing key,
no extra key, the right types). A message or key added to the protocol is added here first.

Times are ISO 8601 strings with a UTC offset (`IsoDateTime`). Keys are always present unless marked
`NotRequired`; a value that may be absent is `... | None` (JSON null), never a missing key.
"""

from typing import Annotated, Literal, NotRequired, TypedDict

# Metadata on `IsoDateTime`: the runtime check parses such strings with datetime.fromisoformat and wants an offset.
ISO_DATETIME = "ISO 8601 date-time with a UTC offset"
IsoDateTime = Annotated[str, ISO_DATETIME]

# The models' status choices (assignments.models.Assignment.Status, campaigns.models.Lead.Status,
# assignments.models.Rep.Status); tests/assignments/test_messages.py keeps them equal.
AssignmentStatus = Literal["offered", "accepted", "declined", "expired", "revoked", "taken_back", "completed"]
LeadStatus = Literal["new", "held", "waiting", "offered", "assigned", "contacted", "qualified", "nurture",
                     "unqualified", "won", "lost", "sold", "selling", "pool"]
RepStatus = Literal["available", "away", "offline"]


# --- Parts ------------------------------------------------------------------------------------------------------


class RepRef(TypedDict):
    """The rep an assignment is offered to."""

    id: int
    username: str


class LeadRef(TypedDict):
    """A lead named by its id only."""

    id: int


class CallingHours(TypedDict):
    """When the lead may be called, on the lead's clock (events.lead_calling_payload). Built when the message is;
    the pages keep it live from `timezone`, `starts` and `ends` (README: Calling hours)."""

    timezone: str  # IANA zone of the lead's local time: the lead's, or the campaign's when the lead's is unknown
    zone_known: bool  # False: `timezone` is the campaign's
    utc_offset_minutes: int  # the zone's UTC offset then
    starts: str | None  # "08:00" on the lead's clock; None: no calling window
    ends: str | None  # "21:00"
    open: bool  # calling allowed then
    opens_at: IsoDateTime | None  # closed: when the window next opens
    closes_at: IsoDateTime | None  # open inside a window: when it closes


class LeadCard(TypedDict):
    """A lead as an offer shows it: no contact details (phone, email) before the rep owns it."""

    id: int
    status: LeadStatus
    name: str
    campaign: str  # the campaign's slug
    campaign_name: str
    language: str
    country: str
    region: str
    postal_code: str
    skill: str
    received_at: IsoDateTime
    calling: CallingHours


class OwnedLeadCard(LeadCard):
    """A lead its rep owns: the card plus its contact details."""

    phone: str
    email: str


class AssignmentFields(TypedDict):
    """What every assignment payload carries but its lead; the payloads below differ only in how much of the lead
    they show."""

    id: int
    status: AssignmentStatus
    offered_at: IsoDateTime
    expires_at: IsoDateTime
    responded_at: IsoDateTime | None
    rep: RepRef


class AssignmentPayload(AssignmentFields):
    """One offer of a lead to a rep (events.assignment_payload)."""

    lead: LeadCard


class OwnedAssignmentPayload(AssignmentFields):
    """An assignment whose lead the rep owns (a manager's hand assignment): the lead has its contact details."""

    lead: OwnedLeadCard


class RepPayload(TypedDict):
    """A rep as the live pages show them: status, load, capacity, today's new leads against the daily cap (None:
    no cap) and presence (events.rep_payload)."""

    id: int
    username: str
    name: str
    status: RepStatus
    status_changed_at: IsoDateTime
    active: bool
    load: int
    capacity: int
    connections: int
    last_seen_at: IsoDateTime | None
    auto_away: bool
    leads_today: int
    daily_cap: int | None


class WaitingLead(TypedDict):
    """A lead waiting for a rep, for the managers' board (events.waiting_lead_payload)."""

    id: int
    status: LeadStatus
    name: str
    campaign: str
    campaign_name: str
    language: str
    country: str
    skill: str
    received_at: IsoDateTime
    reason: str  # why it waits (Lead.waiting_reason)


class WaitingQueue(TypedDict):
    """The waiting queue in a floor snapshot: how many wait, and the first of them."""

    count: int
    leads: list[WaitingLead]


class PoolLead(TypedDict):
    """A lead in the open pool, as the pool listing of CONTRACT 6.4 shows it: no name or contact details."""

    id: int
    campaign: str
    country: str
    language: str
    skill: str
    received_at: IsoDateTime


class CallbackLead(TypedDict):
    """The lead of a callback that fell due: its id, and any of its owned card's keys (its owner receives it)."""

    id: int
    status: NotRequired[LeadStatus]
    name: NotRequired[str]
    campaign: NotRequired[str]
    campaign_name: NotRequired[str]
    language: NotRequired[str]
    country: NotRequired[str]
    region: NotRequired[str]
    postal_code: NotRequired[str]
    skill: NotRequired[str]
    received_at: NotRequired[IsoDateTime]
    calling: NotRequired[CallingHours]
    phone: NotRequired[str]
    email: NotRequired[str]


class CallbackPayload(TypedDict):
    """A callback the lead's owner scheduled."""

    id: int
    due_at: IsoDateTime
    note: str
    lead: CallbackLead


# --- Messages the server sends on /ws/notifications/ -----------------------------------------------------------


class AssignmentOfferedMessage(TypedDict):
    """To the rep and the floor: a new offer (also a rep's resync of an open offer)."""

    type: Literal["assignment.offered"]
    assignment: AssignmentPayload


class AssignmentUpdatedMessage(TypedDict):
    """To the rep and the floor: accepted, declined, contacted, closed (also a rep's resync of an accepted lead)."""

    type: Literal["assignment.updated"]
    assignment: AssignmentPayload


class AssignmentRevokedMessage(TypedDict):
    """To the rep and the floor: the offer expired, or another rep took the lead."""

    type: Literal["assignment.revoked"]
    assignment: AssignmentPayload


class AssignmentAssignedMessage(TypedDict):
    """To the new owner's sockets: a manager assigned the lead by hand (CONTRACT 6.3); the floor gets
    `assignment.updated` without the contact details."""

    type: Literal["assignment.assigned"]
    assignment: OwnedAssignmentPayload


class AssignmentReminderMessage(TypedDict):
    """To the owner's sockets: half the rule's first-contact time has gone and the lead is not contacted yet."""

    type: Literal["assignment.reminder"]
    assignment: AssignmentPayload
    contact_by: IsoDateTime  # then the lead is taken back or the managers are alerted


class FloorAlert(TypedDict):
    """Something on the floor a manager should act on."""

    kind: Literal["accepted_and_sat", "waiting_too_long", "offers_expired"]
    message: str
    at: IsoDateTime
    lead: LeadRef | None
    rep: RepRef | None


class FloorAlertMessage(TypedDict):
    """To the floor (managers' /live/): an alert."""

    type: Literal["floor.alert"]
    alert: FloorAlert


class FloorUpdatedMessage(TypedDict):
    """To the floor: a lead started (or goes on) waiting for a rep."""

    type: Literal["floor.updated"]
    lead: WaitingLead


class RepUpdatedMessage(TypedDict):
    """To the floor: a rep's status or presence changed."""

    type: Literal["rep.updated"]
    rep: RepPayload


class SyncDoneMessage(TypedDict):
    """To a (re)connecting rep, after their open assignments: their status and the server clock."""

    type: Literal["sync.done"]
    rep: RepPayload
    now: IsoDateTime


class FloorSnapshotMessage(TypedDict):
    """To a (re)connecting manager, or one who asked for a `snapshot`: the whole floor."""

    type: Literal["floor.snapshot"]
    now: IsoDateTime
    assignments: list[AssignmentPayload]
    waiting: WaitingQueue
    reps: list[RepPayload]


class PongMessage(TypedDict):
    """The answer to a client's `{"type": "ping"}`."""

    type: Literal["pong"]


class CallbackDueMessage(TypedDict):
    """To the owner's sockets: a callback fell due (CONTRACT 6.2); again on reconnect while due and not done."""

    type: Literal["callback.due"]
    callback: CallbackPayload


class PoolAddedMessage(TypedDict):
    """To reps who may claim it, and the floor: a lead entered the open pool (CONTRACT 6.4)."""

    type: Literal["pool.added"]
    lead: PoolLead


class PoolRemovedMessage(TypedDict):
    """To reps who could claim it, and the floor: a lead left the pool (claimed, assigned or closed) (CONTRACT 6.4)."""

    type: Literal["pool.removed"]
    lead: LeadRef


AssignmentMessage = AssignmentOfferedMessage | AssignmentUpdatedMessage | AssignmentRevokedMessage
AssignmentMessageType = Literal["assignment.offered", "assignment.updated", "assignment.revoked"]

ServerMessage = (
    AssignmentOfferedMessage | AssignmentUpdatedMessage | AssignmentRevokedMessage | AssignmentAssignedMessage
    | FloorUpdatedMessage | RepUpdatedMessage | SyncDoneMessage | FloorSnapshotMessage | PongMessage
    | CallbackDueMessage | PoolAddedMessage | PoolRemovedMessage | AssignmentReminderMessage | FloorAlertMessage
)

# Each message's `type` value -> its TypedDict.
MESSAGE_TYPES: dict[str, type] = {
    "assignment.offered": AssignmentOfferedMessage,
    "assignment.updated": AssignmentUpdatedMessage,
    "assignment.revoked": AssignmentRevokedMessage,
    "assignment.assigned": AssignmentAssignedMessage,
    "floor.updated": FloorUpdatedMessage,
    "rep.updated": RepUpdatedMessage,
    "sync.done": SyncDoneMessage,
    "floor.snapshot": FloorSnapshotMessage,
    "pong": PongMessage,
    "callback.due": CallbackDueMessage,
    "pool.added": PoolAddedMessage,
    "pool.removed": PoolRemovedMessage,
    "assignment.reminder": AssignmentReminderMessage,
    "floor.alert": FloorAlertMessage,
}


# --- Inside the server: the channel-layer message the consumer forwards (not sent to browsers as such) ----------


class OutboxLayerMessage(TypedDict):
    """An outbox row on the channel layer: `message` goes to the socket, `outbox_id` de-duplicates it."""

    type: Literal["outbox.message"]
    outbox_id: int
    message: ServerMessage
