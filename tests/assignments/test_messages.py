"""The websocket contract (assignments/messages.py) against what the server really sends on /ws/notifications/.

A small runtime validator reads the TypedDicts (required and optional keys, Literal, `X | None`, list[...],
nested TypedDicts, ISO date-times) and refuses extra keys. The real services write the outbox rows the relay
pushes, and the real consumer answers a socket; every message they produce must validate against the TypedDict
of its `type`. A public `*_send` function or message builder added to assignments/events.py without a test
here fails test_every_sender_and_builder_in_events_is_covered.
"""

import datetime as dt
import inspect
import json
import types
import typing

import pytest
from channels.db import database_sync_to_async
from django.utils.timezone import now

from assignments import events, messages, services
from assignments.models import Assignment, Callback, OutboxEvent, Rep
from campaigns.models import Lead
from tests.assignments.ws_testing import WebsocketCommunicator
from tests.factories import LeadFactory, ManagerFactory, RepFactory, RoutingRuleFactory

WAIT = 3  # seconds


# --- The validator ---------------------------------------------------------------------------------------------


def contract_errors(value: object, hint: object, path: str = "message") -> list[str]:
    """Every way `value` (decoded JSON) breaks the type `hint`; [] when it conforms."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        errors = contract_errors(value, args[0], path)
        if not errors and messages.ISO_DATETIME in args[1:]:
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                return [f"{path}: {value!r} is not an ISO 8601 date-time"]
            if parsed.utcoffset() is None:
                return [f"{path}: {value!r} has no UTC offset"]
        return errors
    if origin in (typing.NotRequired, typing.Required):
        return contract_errors(value, args[0], path)
    if origin is typing.Literal:
        if any(type(value) is type(choice) and value == choice for choice in args):
            return []
        return [f"{path}: {value!r} is not one of {', '.join(map(repr, args))}"]
    if origin in (typing.Union, types.UnionType):
        tries = [contract_errors(value, option, path) for option in args]
        if any(not errors for errors in tries):
            return []
        return min(tries, key=len)  # the closest option's complaints
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        (item,) = args
        return [error for i, element in enumerate(value) for error in contract_errors(element, item, f"{path}[{i}]")]
    if typing.is_typeddict(hint):
        return _typeddict_errors(value, hint, path)
    if hint is type(None):
        return [] if value is None else [f"{path}: expected null, got {value!r}"]
    if hint in (str, bool):
        return [] if isinstance(value, hint) else [f"{path}: expected {hint.__name__}, got {value!r}"]
    if hint is int:  # JSON true/false are not numbers
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected int, got {value!r}"]
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number, got {value!r}"]
    raise TypeError(f"{path}: the validator does not know the type {hint!r}")


def _typeddict_errors(value: object, td: type, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object ({td.__name__}), got {type(value).__name__}"]
    hints = typing.get_type_hints(td, include_extras=True)
    errors = [f"{path}: missing key {key!r} ({td.__name__})" for key in sorted(td.__required_keys__ - value.keys())]
    errors += [f"{path}: unexpected key {key!r} ({td.__name__})" for key in sorted(value.keys() - hints.keys())]
    for key in sorted(value.keys() & hints.keys()):
        errors += contract_errors(value[key], hints[key], f"{path}.{key}")
    return errors


def message_errors(message: object) -> list[str]:
    """Check a message as the browser receives it (after JSON) against the TypedDict of its `type`."""
    decoded = json.loads(json.dumps(message))
    if not isinstance(decoded, dict) or decoded.get("type") not in messages.MESSAGE_TYPES:
        return [f"message: unknown message {decoded!r:.200}"]
    return contract_errors(decoded, messages.MESSAGE_TYPES[decoded["type"]])


def assert_conforms(message: object) -> None:
    errors = message_errors(message)
    assert not errors, "\n".join([f"{message!r:.300}", *errors])


# --- What the services write to the outbox ---------------------------------------------------------------------


def outbox_since(mark: int) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(pk__gt=mark).order_by("pk"))


def outbox_mark() -> int:
    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def assert_outbox_conforms(rows: list[OutboxEvent], *, types_: set[str]) -> None:
    """Each row's payload validates, is stored under its own type, and exactly these types were written."""
    assert {row.type for row in rows} == types_, [row.type for row in rows]
    for row in rows:
        assert row.payload["type"] == row.type
        assert_conforms(row.payload)


@pytest.fixture
def rule(db):
    return RoutingRuleFactory(name="Everyone", strategy="round_robin", offer_timeout_seconds=60, max_offers=3)


def offer_of(result: services.RouteResult) -> Assignment:
    assert result.action == "offered", result
    return Assignment.objects.select_related("rep__user").get(pk=result.assignment_ids[0])


@pytest.mark.django_db
def test_assignment_event_send_offered_updated_revoked_conform(rule):
    """Offer, accept, decline, expire, broadcast revoke, contact and close: every assignment message."""
    mark = outbox_mark()
    RepFactory(), RepFactory()
    accepted = offer_of(services.lead_route(lead_id=LeadFactory(first_name="Ada", last_name="Lovelace").pk))
    services.assignment_accept(assignment_id=accepted.pk, rep=accepted.rep)
    services.contact_log(assignment_id=accepted.pk, rep=accepted.rep, channel="call", outcome="connected")
    services.lead_outcome_set(assignment_id=accepted.pk, rep=accepted.rep, outcome="won")
    declined = offer_of(services.lead_route(lead_id=LeadFactory().pk))
    services.assignment_decline(assignment_id=declined.pk, rep=declined.rep, reason="busy")
    expired = offer_of(services.lead_route(lead_id=LeadFactory().pk))
    assert services.offer_expire(assignment_id=expired.pk, now=expired.expires_at)
    assert_outbox_conforms(outbox_since(mark), types_={events.OFFERED, events.UPDATED, events.REVOKED})


@pytest.mark.django_db
def test_broadcast_revocations_conform():
    RoutingRuleFactory(strategy="broadcast", broadcast_count=2)
    RepFactory(), RepFactory()
    mark = outbox_mark()
    result = services.lead_route(lead_id=LeadFactory(region="CA", postal_code="94016", skill="").pk)
    winner = offer_of(result)
    services.assignment_accept(assignment_id=winner.pk, rep=winner.rep)
    rows = outbox_since(mark)
    assert_outbox_conforms(rows, types_={events.OFFERED, events.UPDATED, events.REVOKED})
    assert all(row.payload["assignment"]["lead"]["region"] == "CA" for row in rows)


@pytest.mark.django_db
def test_rep_presence_event_send_conforms():
    rep = RepFactory(user__first_name="Grace", user__last_name="Hopper")
    mark = outbox_mark()
    services.rep_presence_connect(rep_id=rep.pk)
    services.rep_presence_disconnect(rep_id=rep.pk)
    rows = outbox_since(mark)
    assert len(rows) == 2
    assert_outbox_conforms(rows, types_={events.REP_UPDATED})
    assert rows[0].payload["rep"]["name"] == "Grace Hopper" and rows[0].payload["rep"]["connections"] == 1


@pytest.mark.django_db
def test_lead_waiting_event_send_conforms():
    lead = LeadFactory(status=Lead.Status.WAITING, waiting_reason="No rep speaks es", language="es")
    mark = outbox_mark()
    events.lead_waiting_event_send(lead=lead)
    [row] = outbox_since(mark)
    assert_outbox_conforms([row], types_={events.FLOOR_UPDATED})
    assert row.group == events.FLOOR_GROUP
    assert row.payload["lead"]["reason"] == "No rep speaks es" and row.payload["lead"]["status"] == "waiting"


@pytest.mark.django_db
def test_floor_event_send_of_a_parked_lead_conforms(rule):
    RepFactory(languages=["de"])
    mark = outbox_mark()
    assert services.lead_route(lead_id=LeadFactory(language="es").pk).action == "waiting"
    assert_outbox_conforms(outbox_since(mark), types_={events.FLOOR_UPDATED})


@pytest.mark.django_db
def test_floor_event_send_of_a_status_change_conforms():
    rep = RepFactory()
    mark = outbox_mark()
    services.rep_status_set(rep=rep, status=Rep.Status.AWAY)
    assert_outbox_conforms(outbox_since(mark), types_={events.REP_UPDATED})


# --- The builders the consumer and relay use ------------------------------------------------------------------


@pytest.mark.django_db
def test_builders_conform_including_nulls_and_empty_lists(rule):
    rep = RepFactory()
    assert_conforms(events.sync_done_message(rep=rep, now=now()))  # last_seen_at is null
    assert_conforms(events.floor_snapshot_message(assignments=[], waiting_leads=[], waiting_count=0, reps=[],
                                                  now=now()))
    offered = offer_of(services.lead_route(lead_id=LeadFactory().pk))
    accepted = offer_of(services.lead_route(lead_id=LeadFactory().pk))
    services.assignment_accept(assignment_id=accepted.pk, rep=rep)
    accepted.refresh_from_db()
    synced = events.assignment_sync_messages([offered, accepted])
    assert [m["type"] for m in synced] == [events.OFFERED, events.UPDATED]
    for message in synced:
        assert_conforms(message)
    revoked = events.assignment_message(assignment=offered, type=events.REVOKED)
    assert_conforms(revoked)
    lead = LeadFactory(status=Lead.Status.WAITING, waiting_reason="Campaign full")
    assert_conforms(events.floor_updated_message(lead=lead))
    snapshot = events.floor_snapshot_message(assignments=[offered, accepted], waiting_leads=[lead], waiting_count=1,
                                             reps=[rep], now=now())
    assert_conforms(snapshot)
    layer = events.layer_message(outbox_id=7, message=revoked)
    assert not contract_errors(json.loads(json.dumps(layer)), messages.OutboxLayerMessage)


# --- The consumer, through the real ASGI application ----------------------------------------------------------


@pytest.fixture
async def isolated_layer():
    from channels.layers import channel_layers

    from assignments.relay import relay_stop

    channel_layers.backends.clear()
    yield
    await relay_stop()
    channel_layers.backends.clear()


def socket_for(user, query: str = "") -> WebsocketCommunicator:
    from rest_framework.authtoken.models import Token

    from leadcrm.asgi import application

    token = Token.objects.get_or_create(user=user)[0].key
    path = f"/ws/notifications/?token={token}" + (f"&{query}" if query else "")
    return WebsocketCommunicator(application, path, headers=[(b"origin", b"http://testserver")])


async def received_until(communicator: WebsocketCommunicator, type_: str) -> list[dict]:
    frames = []
    while not frames or frames[-1]["type"] != type_:
        frames.append(await communicator.receive_json_from(timeout=WAIT))
    return frames


@pytest.mark.django_db(transaction=True)
async def test_every_frame_a_rep_and_a_manager_receive_conforms(isolated_layer):
    @database_sync_to_async
    def floor():
        RoutingRuleFactory(name="Everyone")
        rep = RepFactory()
        RepFactory(languages=["de"], status=Rep.Status.AWAY)
        offer_of(services.lead_route(lead_id=LeadFactory().pk))
        accepted = offer_of(services.lead_route(lead_id=LeadFactory().pk))
        services.assignment_accept(assignment_id=accepted.pk, rep=rep)
        assert services.lead_route(lead_id=LeadFactory(language="es").pk).action == "waiting"
        return rep, accepted, ManagerFactory()

    rep, accepted, manager = await floor()
    board = await database_sync_to_async(socket_for)(manager)
    assert (await board.connect(timeout=WAIT))[0]
    frames = await received_until(board, events.FLOOR_SNAPSHOT)
    snapshot = frames[-1]
    assert snapshot["waiting"]["count"] == 1 and len(snapshot["assignments"]) == 2 and len(snapshot["reps"]) == 2

    rep_socket = await database_sync_to_async(socket_for)(rep.user)
    assert (await rep_socket.connect(timeout=WAIT))[0]
    resync = await received_until(rep_socket, events.SYNC_DONE)
    assert [m["type"] for m in resync] == [events.OFFERED, events.UPDATED, events.SYNC_DONE]
    await rep_socket.send_json_to({"type": "ping"})
    pong = await rep_socket.receive_json_from(timeout=WAIT)
    assert pong == {"type": events.PONG}

    frames += await received_until(board, events.REP_UPDATED)  # the rep's tab counted, pushed by the relay
    # A contact, not a decline: a decline re-routes the lead, and its parking is the known drift tested above.
    await database_sync_to_async(services.contact_log)(assignment_id=accepted.pk, rep=rep, channel="call",
                                                       outcome="connected")
    live = await received_until(rep_socket, events.UPDATED)
    frames += await received_until(board, events.UPDATED)
    await board.send_json_to({"type": "ping"})
    frames += await received_until(board, events.PONG)

    for message in [*frames, *resync, pong, *live]:
        assert_conforms(message)
    await rep_socket.disconnect()
    await board.disconnect()


@pytest.mark.django_db
def test_callback_due_send_conforms_and_goes_to_the_owner_only():
    rep, other = RepFactory(), RepFactory()
    lead = LeadFactory(status=Lead.Status.CONTACTED, owner=rep.user)
    callback = Callback.objects.create(lead=lead, created_by=rep.user, due_at=now() - dt.timedelta(seconds=1),
                                       note="Call after lunch")
    mark = outbox_mark()
    assert services.callbacks_due_send() == 1
    rows = outbox_since(mark)
    assert_outbox_conforms(rows, types_={events.CALLBACK_DUE})
    assert [row.group for row in rows] == [events.rep_group(rep.pk)] != [events.rep_group(other.pk)]
    assert rows[0].payload["callback"]["id"] == callback.pk
    assert services.callbacks_due_send() == 0  # once
    assert_conforms(events.callback_message(callback=callback))


@pytest.mark.django_db
def test_assignment_assigned_send_conforms_with_contact_details_for_the_owner_only():
    rep, manager = RepFactory(), ManagerFactory()
    lead = LeadFactory(status=Lead.Status.WAITING)
    mark = outbox_mark()
    services.lead_assign(lead_id=lead.pk, rep=rep, by=manager)
    rows = outbox_since(mark)
    assert_outbox_conforms(rows, types_={events.ASSIGNED, events.UPDATED})
    assigned = next(row for row in rows if row.type == events.ASSIGNED)
    assert assigned.group == events.rep_group(rep.pk)
    assert assigned.payload["assignment"]["lead"]["phone"] == lead.phone
    floor = next(row for row in rows if row.type == events.UPDATED)
    assert floor.group == events.FLOOR_GROUP and "phone" not in floor.payload["assignment"]["lead"]


@pytest.mark.django_db
def test_first_contact_reminder_and_floor_alert_conform():
    from assignments.services.first_contact import first_contact_sweep

    RoutingRuleFactory(name="Everyone", first_contact_seconds=60, no_contact_action="escalate")
    rep = RepFactory()
    offer = offer_of(services.lead_route(lead_id=LeadFactory().pk))
    services.assignment_accept(assignment_id=offer.pk, rep=rep)
    offer.refresh_from_db()
    mark = outbox_mark()
    first_contact_sweep(now=offer.responded_at + dt.timedelta(seconds=30))
    first_contact_sweep(now=offer.responded_at + dt.timedelta(seconds=60))
    assert_outbox_conforms(outbox_since(mark), types_={events.REMINDER, events.FLOOR_ALERT})
    assert_conforms(events.floor_alert_message(kind="waiting_too_long", message="m", at=now()))


# --- Every sender and builder is covered ----------------------------------------------------------------------

# Public function of assignments/events.py -> the test(s) above that check what it produces.
@pytest.mark.django_db
def test_pool_added_and_removed_conform_and_go_to_the_reps_who_may_claim_and_the_floor():
    from assignments.models import RoutingRule
    from assignments.services.pool import pool_claim

    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    rep = RepFactory()
    lead = LeadFactory()
    mark = outbox_mark()
    services.lead_route(lead_id=lead.pk)
    pool_claim(lead_id=lead.pk, rep=rep)
    rows = [row for row in outbox_since(mark) if row.type in (events.POOL_ADDED, events.POOL_REMOVED)]
    assert_outbox_conforms(rows, types_={events.POOL_ADDED, events.POOL_REMOVED})
    assert [(row.type, row.group) for row in rows] == [
        (events.POOL_ADDED, events.rep_group(rep.pk)), (events.POOL_ADDED, events.FLOOR_GROUP),
        (events.POOL_REMOVED, events.rep_group(rep.pk)), (events.POOL_REMOVED, events.FLOOR_GROUP)]
    assert_conforms(events.pool_added_message(lead=lead))
    assert_conforms(events.pool_removed_message(lead_id=lead.pk))


SENDERS_COVERED = {
    "assignment_event_send": [test_assignment_event_send_offered_updated_revoked_conform,
                              test_broadcast_revocations_conform],
    "floor_event_send": [test_floor_event_send_of_a_parked_lead_conforms,
                         test_floor_event_send_of_a_status_change_conforms, test_rep_presence_event_send_conforms],
    "rep_presence_event_send": [test_rep_presence_event_send_conforms],
    "lead_waiting_event_send": [test_lead_waiting_event_send_conforms],
    "callback_due_send": [test_callback_due_send_conforms_and_goes_to_the_owner_only],
    "assignment_assigned_send": [test_assignment_assigned_send_conforms_with_contact_details_for_the_owner_only],
    "assignment_reminder_send": [test_first_contact_reminder_and_floor_alert_conform],
    "floor_alert_send": [test_first_contact_reminder_and_floor_alert_conform],
    "pool_added_send": [test_pool_added_and_removed_conform_and_go_to_the_reps_who_may_claim_and_the_floor],
    "pool_removed_send": [test_pool_added_and_removed_conform_and_go_to_the_reps_who_may_claim_and_the_floor],
}
BUILDERS_COVERED = {
    "assignment_message": [test_builders_conform_including_nulls_and_empty_lists],
    "assignment_sync_messages": [test_builders_conform_including_nulls_and_empty_lists,
                                 test_every_frame_a_rep_and_a_manager_receive_conforms],
    "sync_done_message": [test_builders_conform_including_nulls_and_empty_lists,
                          test_every_frame_a_rep_and_a_manager_receive_conforms],
    "floor_snapshot_message": [test_builders_conform_including_nulls_and_empty_lists,
                               test_every_frame_a_rep_and_a_manager_receive_conforms],
    "floor_updated_message": [test_builders_conform_including_nulls_and_empty_lists],
    "layer_message": [test_builders_conform_including_nulls_and_empty_lists],
    "callback_message": [test_callback_due_send_conforms_and_goes_to_the_owner_only],
    "assignment_assigned_message": [test_assignment_assigned_send_conforms_with_contact_details_for_the_owner_only],
    "assignment_reminder_message": [test_first_contact_reminder_and_floor_alert_conform],
    "floor_alert_message": [test_first_contact_reminder_and_floor_alert_conform],
    "pool_added_message": [test_pool_added_and_removed_conform_and_go_to_the_reps_who_may_claim_and_the_floor],
    "pool_removed_message": [test_pool_added_and_removed_conform_and_go_to_the_reps_who_may_claim_and_the_floor],
}


def public_functions(module: types.ModuleType, *suffixes: str) -> set[str]:
    return {name for name, function in inspect.getmembers(module, inspect.isfunction)
            if function.__module__ == module.__name__ and not name.startswith("_") and name.endswith(suffixes)}


def test_every_sender_and_builder_in_events_is_covered():
    assert public_functions(events, "_send") == set(SENDERS_COVERED), (
        "a *_send function of assignments/events.py has no test of its messages in tests/assignments/test_messages.py")
    assert public_functions(events, "_message", "_messages") == set(BUILDERS_COVERED), (
        "a message builder of assignments/events.py has no test in tests/assignments/test_messages.py")


# --- The contract module itself --------------------------------------------------------------------------------


def test_status_literals_are_the_models_choices():
    assert set(typing.get_args(messages.AssignmentStatus)) == set(Assignment.Status.values)
    assert set(typing.get_args(messages.LeadStatus)) == set(Lead.Status.values)
    assert set(typing.get_args(messages.RepStatus)) == set(Rep.Status.values)


def test_each_type_names_its_typeddict_and_every_message_is_listed():
    for type_, td in messages.MESSAGE_TYPES.items():
        assert typing.get_type_hints(td)["type"] == typing.Literal[type_], td
    declared = {td for name, td in vars(messages).items()
                if typing.is_typeddict(td) and name.endswith("Message") and td is not messages.OutboxLayerMessage}
    assert declared == set(messages.MESSAGE_TYPES.values()) == set(typing.get_args(messages.ServerMessage))
    constants = {events.OFFERED, events.UPDATED, events.REVOKED, events.ASSIGNED, events.FLOOR_UPDATED,
                 events.REP_UPDATED, events.SYNC_DONE, events.FLOOR_SNAPSHOT, events.PONG, events.CALLBACK_DUE,
                 events.POOL_ADDED, events.POOL_REMOVED, events.REMINDER, events.FLOOR_ALERT}
    assert constants == set(messages.MESSAGE_TYPES)
    assert set(typing.get_args(messages.AssignmentMessageType)) == {events.OFFERED, events.UPDATED, events.REVOKED}


def test_new_messages_of_this_round_are_declared():
    """assignment.assigned, callback.due, pool.added and pool.removed (CONTRACT.md 6.2 to 6.4), no sender yet."""
    at = "2030-01-02T03:04:05+00:00"
    card = {"id": 1, "status": "assigned", "name": "Ada Lovelace", "campaign": "solar", "campaign_name": "Solar",
            "language": "en", "country": "US", "region": "CA", "postal_code": "94016", "skill": "",
            "received_at": at, "calling": CALLING}
    assignment = {"id": 2, "status": "accepted", "offered_at": at, "expires_at": at, "responded_at": at,
                  "rep": {"id": 3, "username": "rep1"}, "lead": {**card, "phone": "+14155550100",
                                                                  "email": "ada@example.com"}}
    assert_conforms({"type": "assignment.assigned", "assignment": assignment})
    assert_conforms({"type": "callback.due", "callback": {"id": 4, "due_at": at, "note": "Call back",
                                                          "lead": {"id": 1}}})
    assert_conforms({"type": "callback.due", "callback": {"id": 4, "due_at": at, "note": "",
                                                          "lead": {**card, "phone": "+14155550100"}}})
    assert_conforms({"type": "pool.added", "lead": {"id": 1, "campaign": "solar", "country": "US", "language": "en",
                                                    "skill": "solar", "received_at": at}})
    assert_conforms({"type": "pool.removed", "lead": {"id": 1}})
    assert message_errors({"type": "assignment.assigned", "assignment": {**assignment, "lead": card}}) == [
        "message.assignment.lead: missing key 'email' (OwnedLeadCard)",
        "message.assignment.lead: missing key 'phone' (OwnedLeadCard)",
    ]
    assert message_errors({"type": "pool.added", "lead": {**card}})  # a pool lead has no name before a claim


# --- The validator refuses what breaks the contract --------------------------------------------------------------

AT = "2030-01-02T03:04:05+00:00"
CALLING = {"timezone": "America/Chicago", "zone_known": True, "utc_offset_minutes": -360, "starts": "08:00",
           "ends": "21:00", "open": False, "opens_at": AT, "closes_at": None}
VALID_OFFER = {
    "type": "assignment.offered",
    "assignment": {
        "id": 1, "status": "offered", "offered_at": AT, "expires_at": AT, "responded_at": None,
        "rep": {"id": 2, "username": "rep1"},
        "lead": {"id": 3, "status": "offered", "name": "Ada Lovelace", "campaign": "solar",
                 "campaign_name": "Solar", "language": "en", "country": "US", "region": "", "postal_code": "",
                 "skill": "", "received_at": AT, "calling": CALLING},
    },
}


def changed(path: str, value: object = KeyError) -> dict:
    """VALID_OFFER with the key at dotted `path` set to value (KeyError: removed)."""
    message = json.loads(json.dumps(VALID_OFFER))
    *parents, last = path.split(".")
    target = message
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return message


def test_the_validator_accepts_the_valid_offer():
    assert message_errors(VALID_OFFER) == []
    assert message_errors(changed("assignment.responded_at", AT)) == []


@pytest.mark.parametrize("message, error", [
    (changed("assignment.id", "1"), "message.assignment.id: expected int, got '1'"),
    (changed("assignment.id", True), "message.assignment.id: expected int, got True"),
    (changed("assignment.lead.name", None), "message.assignment.lead.name: expected str, got None"),
    (changed("assignment.status", "lost"), "message.assignment.status: 'lost' is not one of"),
    (changed("type", "assignment.gone"), "message: unknown message"),
    (changed("assignment.expires_at"), "message.assignment: missing key 'expires_at' (AssignmentPayload)"),
    (changed("assignment.rep.username"), "message.assignment.rep: missing key 'username' (RepRef)"),
    (changed("assignment.lead.phone", "+14155550100"),
     "message.assignment.lead: unexpected key 'phone' (LeadCard)"),
    (changed("extra", 1), "message: unexpected key 'extra' (AssignmentOfferedMessage)"),
    (changed("assignment.offered_at", "yesterday"), "message.assignment.offered_at: 'yesterday' is not an ISO"),
    (changed("assignment.offered_at", "2030-01-02T03:04:05"), "has no UTC offset"),
    (changed("assignment.responded_at", 5), "message.assignment.responded_at: expected str, got 5"),
    (changed("assignment", []), "message.assignment: expected an object (AssignmentPayload), got list"),
    (changed("assignment.lead.calling.starts", 8), "message.assignment.lead.calling.starts: expected str, got 8"),
    (changed("assignment.lead.calling"), "message.assignment.lead: missing key 'calling' (LeadCard)"),
])
def test_the_validator_refuses_a_wrong_type_a_missing_key_and_an_extra_key(message, error):
    errors = message_errors(message)
    assert any(error in e for e in errors), errors


def test_the_validator_checks_list_items_and_nested_typeddicts():
    snapshot = {"type": "floor.snapshot", "now": AT, "assignments": [VALID_OFFER["assignment"]],
                "waiting": {"count": 0, "leads": []}, "reps": []}
    assert message_errors(snapshot) == []
    snapshot["assignments"].append({**VALID_OFFER["assignment"], "rep": {"id": 2}})
    snapshot["waiting"] = {"count": "0", "leads": [{"id": 1}]}
    errors = message_errors(snapshot)
    assert "message.assignments[1].rep: missing key 'username' (RepRef)" in errors
    assert "message.waiting.count: expected int, got '0'" in errors
    assert "message.waiting.leads[0]: missing key 'reason' (WaitingLead)" in errors
    assert message_errors({"type": "pong", "at": AT}) == ["message: unexpected key 'at' (PongMessage)"]
