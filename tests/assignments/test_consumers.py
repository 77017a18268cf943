"""`/ws/notifications/` through the real ASGI application: auth, own group only, shapes, resync, floor, presence."""

import asyncio
import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from django.utils.timezone import now
from rest_framework.authtoken.models import Token

from assignments import events, services
from assignments.models import Assignment, OutboxEvent, Rep
from leadcrm.asgi import application
from tests.assignments.ws_testing import WebsocketCommunicator
from tests.factories import LeadFactory, ManagerFactory, RepFactory, RoutingRuleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 3  # seconds; the relay polls every 50 ms


@pytest.fixture(autouse=True)
async def isolated_layer():
    """A fresh in-memory layer and relay per test: each test runs in its own event loop."""
    from channels.layers import channel_layers

    from assignments.relay import relay_stop

    channel_layers.backends.clear()
    yield
    await relay_stop()
    channel_layers.backends.clear()


async def relay_caught_up() -> None:
    """Wait until the relay has pushed every outbox row written so far (a sleep is not enough on a loaded machine)."""
    from assignments import relay

    newest = await database_sync_to_async(lambda: OutboxEvent.objects.order_by("-id").values_list("id", flat=True)
                                          .first())()
    for _ in range(int(WAIT / 0.02)):
        if relay._relay is not None and (relay._relay.last_id or 0) >= newest:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the relay did not catch up")


def ws(*, token: str | None = None, session: str | None = None, query: str = "") -> WebsocketCommunicator:
    path = "/ws/notifications/"
    params = [p for p in (f"token={token}" if token else "", query) if p]
    if params:
        path += "?" + "&".join(params)
    headers = [(b"origin", b"http://testserver")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


@database_sync_to_async
def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


@database_sync_to_async
def session_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@database_sync_to_async
def make_rep(**kwargs) -> Rep:
    return Rep.objects.select_related("user").get(pk=RepFactory(**kwargs).pk)


@database_sync_to_async
def make_manager():
    return ManagerFactory()


@database_sync_to_async
def make_rule(**kwargs):
    return RoutingRuleFactory(name="Everyone", **kwargs)


@database_sync_to_async
def route_new_lead(**kwargs) -> Assignment:
    result = services.lead_route(lead_id=LeadFactory(**kwargs).pk)
    assert result.action == "offered", result
    return Assignment.objects.get(pk=result.assignment_ids[0])


async def rep_with_offer(**lead_fields) -> tuple[Rep, Assignment]:
    """A rep under the catch-all rule, and the offer a new lead made them."""
    await make_rule()
    rep = await make_rep()
    return rep, await route_new_lead(**lead_fields)


@database_sync_to_async
def reload_rep(rep: Rep) -> Rep:
    return Rep.objects.get(pk=rep.pk)


async def connected(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    ok, _ = await communicator.connect(timeout=WAIT)
    assert ok
    return communicator


async def until(communicator: WebsocketCommunicator, type_: str) -> dict:
    """Messages up to and including the first of this type (the earlier ones are checked by callers if needed)."""
    while True:
        message = await communicator.receive_json_from(timeout=WAIT)
        if message["type"] == type_:
            return message


def assert_contract_shape(message: dict, *, type_: str, assignment: Assignment) -> None:
    assert message["type"] == type_
    payload = message["assignment"]
    assert {"id", "status", "lead", "offered_at", "expires_at"} <= set(payload)
    assert payload["id"] == assignment.pk and payload["lead"]["id"] == assignment.lead_id
    assert dt.datetime.fromisoformat(payload["expires_at"]) > dt.datetime.fromisoformat(payload["offered_at"])


# --- Authentication -------------------------------------------------------------------------------------------


async def test_anonymous_connection_is_refused():
    ok, _ = await ws().connect(timeout=WAIT)
    assert ok is False


async def test_wrong_token_is_refused_even_with_a_valid_session():
    rep = await make_rep()
    ok, _ = await ws(token="not-a-token", session=await session_for(rep.user)).connect(timeout=WAIT)
    assert ok is False


async def test_user_who_is_neither_rep_nor_manager_is_refused():
    user = await database_sync_to_async(UserFactory)()
    ok, _ = await ws(token=await token_for(user)).connect(timeout=WAIT)
    assert ok is False


def bare_ws(*, headers: list[tuple[bytes, bytes]], query: str = "") -> WebsocketCommunicator:
    """A handshake with exactly these headers (no Origin unless given), as a script or an app would send."""
    return WebsocketCommunicator(application, "/ws/notifications/" + (f"?{query}" if query else ""), headers=headers)


async def test_token_in_the_query_needs_no_origin():
    rep = await make_rep()
    client = await connected(bare_ws(headers=[], query=f"token={await token_for(rep.user)}"))
    assert (await client.receive_json_from(timeout=WAIT))["rep"]["id"] == rep.pk
    await client.disconnect()


async def test_token_in_the_authorization_header_needs_no_origin():
    rep = await make_rep()
    header = f"Token {await token_for(rep.user)}".encode()
    client = await connected(bare_ws(headers=[(b"authorization", header)]))
    assert (await client.receive_json_from(timeout=WAIT))["rep"]["id"] == rep.pk
    await client.disconnect()


async def test_token_from_a_foreign_origin_is_accepted_as_no_cookie_is_involved():
    rep = await make_rep()
    headers = [(b"origin", b"https://evil.example"), (b"authorization", f"Token {await token_for(rep.user)}".encode())]
    client = await connected(bare_ws(headers=headers))
    await client.disconnect()


async def test_wrong_token_in_the_header_is_refused_even_with_a_valid_session():
    rep = await make_rep()
    headers = [(b"origin", b"http://testserver"), (b"authorization", b"Token not-a-token"),
               (b"cookie", f"sessionid={await session_for(rep.user)}".encode())]
    ok, _ = await bare_ws(headers=headers).connect(timeout=WAIT)
    assert ok is False


async def test_session_cookie_without_origin_is_refused():
    rep = await make_rep()
    ok, _ = await bare_ws(headers=[(b"cookie", f"sessionid={await session_for(rep.user)}".encode())]).connect(
        timeout=WAIT)
    assert ok is False


async def test_session_cookie_from_a_foreign_origin_is_refused():
    """Cross-site websocket hijacking: another site's page opening a socket with the rep's cookie."""
    rep = await make_rep()
    headers = [(b"origin", b"https://evil.example"), (b"cookie", f"sessionid={await session_for(rep.user)}".encode())]
    ok, _ = await bare_ws(headers=headers).connect(timeout=WAIT)
    assert ok is False


async def test_another_authorization_scheme_falls_back_to_the_session_and_its_origin_check():
    rep = await make_rep()
    cookie = f"sessionid={await session_for(rep.user)}".encode()
    headers = [(b"authorization", b"Bearer something"), (b"cookie", cookie)]
    ok, _ = await bare_ws(headers=headers).connect(timeout=WAIT)
    assert ok is False


async def test_token_auth_rep_gets_an_empty_resync_with_their_status():
    rep = await make_rep()
    client = await connected(ws(token=await token_for(rep.user)))
    done = await client.receive_json_from(timeout=WAIT)
    assert done["type"] == "sync.done"
    assert done["rep"]["id"] == rep.pk and done["rep"]["status"] == "available"
    assert dt.datetime.fromisoformat(done["now"])
    await client.disconnect()


async def test_session_auth_rep_is_accepted():
    rep = await make_rep()
    client = await connected(ws(session=await session_for(rep.user)))
    assert (await client.receive_json_from(timeout=WAIT))["type"] == "sync.done"
    await client.disconnect()


# --- Own group only, shapes, resync ----------------------------------------------------------------------------


async def test_offer_reaches_only_its_rep_with_the_contract_shape():
    await make_rule()
    rep_a = await make_rep(status=Rep.Status.AWAY)
    rep_b = await make_rep()
    a = await connected(ws(token=await token_for(rep_a.user)))
    b = await connected(ws(token=await token_for(rep_b.user)))
    await until(a, "sync.done")
    await until(b, "sync.done")

    offer = await route_new_lead(first_name="Ada", last_name="Lovelace")
    message = await b.receive_json_from(timeout=WAIT)
    assert_contract_shape(message, type_="assignment.offered", assignment=offer)
    assert message["assignment"]["status"] == "offered"
    assert message["assignment"]["lead"]["name"] == "Ada Lovelace"
    assert message["assignment"]["rep"]["id"] == rep_b.pk
    assert "phone" not in message["assignment"]["lead"] and "email" not in message["assignment"]["lead"]
    assert await a.receive_nothing(timeout=0.5)

    await database_sync_to_async(services.assignment_accept)(assignment_id=offer.pk, rep=rep_b)
    updated = await b.receive_json_from(timeout=WAIT)
    assert_contract_shape(updated, type_="assignment.updated", assignment=offer)
    assert updated["assignment"]["status"] == "accepted"
    assert await a.receive_nothing(timeout=0.3)
    await a.disconnect()
    await b.disconnect()


async def test_expired_offer_is_revoked_for_the_rep():
    await make_rule()
    rep = await make_rep()
    client = await connected(ws(token=await token_for(rep.user)))
    await until(client, "sync.done")
    offer = await route_new_lead()
    assert (await client.receive_json_from(timeout=WAIT))["type"] == "assignment.offered"
    later = offer.expires_at + dt.timedelta(seconds=1)
    assert await database_sync_to_async(services.offer_expire)(assignment_id=offer.pk, now=later)
    revoked = await until(client, "assignment.revoked")
    assert_contract_shape(revoked, type_="assignment.revoked", assignment=offer)
    assert revoked["assignment"]["status"] == "expired"
    await client.disconnect()


async def test_reconnect_resyncs_offers_made_while_disconnected():
    await make_rule()
    rep = await make_rep()
    token = await token_for(rep.user)
    first = await connected(ws(token=token))
    await until(first, "sync.done")
    accepted = await route_new_lead(last_name="Accepted")
    await until(first, "assignment.offered")
    await database_sync_to_async(services.assignment_accept)(assignment_id=accepted.pk, rep=rep)
    await first.disconnect()

    missed = await route_new_lead(last_name="Missed")
    await relay_caught_up()  # it pushed the offer to a group nobody is in: only the resync can deliver it

    second = await connected(ws(token=token))
    messages = [await second.receive_json_from(timeout=WAIT) for _ in range(3)]
    assert [m["type"] for m in messages] == ["assignment.updated", "assignment.offered", "sync.done"]
    assert_contract_shape(messages[0], type_="assignment.updated", assignment=accepted)
    assert messages[0]["assignment"]["status"] == "accepted"
    assert_contract_shape(messages[1], type_="assignment.offered", assignment=missed)
    assert await second.receive_nothing(timeout=0.3)
    await second.disconnect()


async def test_second_tab_gets_the_same_open_offers():
    rep, offer = await rep_with_offer()
    token = await token_for(rep.user)
    tabs = [await connected(ws(token=token)) for _ in range(2)]
    for tab in tabs:
        message = await tab.receive_json_from(timeout=WAIT)
        assert_contract_shape(message, type_="assignment.offered", assignment=offer)
        assert (await tab.receive_json_from(timeout=WAIT))["type"] == "sync.done"
    assert (await reload_rep(rep)).connections == 2
    for tab in tabs:
        await tab.disconnect()
    assert (await reload_rep(rep)).connections == 0


# --- Managers ----------------------------------------------------------------------------------------------


async def test_manager_gets_a_floor_snapshot_then_every_floor_event():
    rep, waiting_offer = await rep_with_offer(last_name="Before")
    manager = await make_manager()
    board = await connected(ws(session=await session_for(manager)))
    snapshot = await board.receive_json_from(timeout=WAIT)
    assert snapshot["type"] == "floor.snapshot"
    assert [a["id"] for a in snapshot["assignments"]] == [waiting_offer.pk]
    assert snapshot["waiting"] == {"count": 0, "leads": []}
    assert [(r["id"], r["status"], r["load"], r["capacity"]) for r in snapshot["reps"]] == [(rep.pk, "available", 1, 5)]

    offer = await route_new_lead(last_name="After")
    assert_contract_shape(await board.receive_json_from(timeout=WAIT), type_="assignment.offered", assignment=offer)
    await database_sync_to_async(services.rep_status_set)(rep=rep, status=Rep.Status.AWAY)
    updated = await until(board, "rep.updated")
    assert updated["rep"]["id"] == rep.pk and updated["rep"]["status"] == "away"
    await board.disconnect()


async def test_manager_sees_waiting_leads_and_may_ask_for_a_fresh_snapshot(monkeypatch):
    from assignments import consumers

    monkeypatch.setattr(consumers, "SNAPSHOT_EVERY_SECONDS", 0.3)
    await make_rule()
    manager = await make_manager()
    board = await connected(ws(token=await token_for(manager)))
    await until(board, "floor.snapshot")
    lead = await database_sync_to_async(LeadFactory)(last_name="Nobody")
    assert (await database_sync_to_async(services.lead_route)(lead_id=lead.pk)).action == "waiting"
    waiting = await board.receive_json_from(timeout=WAIT)
    assert waiting["type"] == "floor.updated" and waiting["lead"]["id"] == lead.pk
    await asyncio.sleep(0.3)
    await board.send_json_to({"type": "snapshot"})
    snapshot = await board.receive_json_from(timeout=WAIT)
    assert snapshot["waiting"]["count"] == 1 and snapshot["waiting"]["leads"][0]["id"] == lead.pk
    await board.send_json_to({"type": "snapshot"})  # again at once: ignored
    assert await board.receive_nothing(timeout=0.3)
    await board.disconnect()


async def test_rep_who_is_also_a_manager_chooses_the_floor_with_role():
    rep = await make_rep()
    user = rep.user

    @database_sync_to_async
    def promote():
        from django.conf import settings
        from django.contrib.auth.models import Group

        from leadcrm.roles import managers_group_sync

        managers_group_sync()
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name=settings.MANAGERS_GROUP))

    await promote()
    token = await token_for(user)
    as_rep = await connected(ws(token=token))
    assert (await as_rep.receive_json_from(timeout=WAIT))["type"] == "sync.done"
    as_manager = await connected(ws(token=token, query="role=floor"))
    assert (await as_manager.receive_json_from(timeout=WAIT))["type"] == "floor.snapshot"
    await as_rep.disconnect()
    await as_manager.disconnect()


# --- Client messages and delivery details ---------------------------------------------------------------------


async def test_ping_pong_and_unknown_or_malformed_messages_are_ignored():
    rep = await make_rep()
    client = await connected(ws(token=await token_for(rep.user)))
    await until(client, "sync.done")
    await client.send_to(text_data="not json")
    await client.send_to(text_data='["a", "list"]')
    await client.send_json_to({"type": "assignment.accept", "id": 1})
    await client.send_to(bytes_data=b"\x00\x01")
    assert await client.receive_nothing(timeout=0.3)
    await client.send_json_to({"type": "ping"})
    assert await client.receive_json_from(timeout=WAIT) == {"type": "pong"}
    await client.disconnect()


async def test_frame_over_4_kb_closes_the_socket():
    rep = await make_rep()
    client = await connected(ws(token=await token_for(rep.user)))
    await until(client, "sync.done")
    await client.send_json_to({"type": "ping", "pad": "x" * 4096})
    closed = await client.receive_output(timeout=WAIT)
    assert closed == {"type": "websocket.close", "code": 1009, "reason": None} or closed["code"] == 1009
    await client.wait(timeout=WAIT)


async def test_outbox_message_is_forwarded_once_per_outbox_id():
    rep = await make_rep()
    client = await connected(ws(token=await token_for(rep.user)))
    await until(client, "sync.done")
    layer = get_channel_layer()
    message = {"type": "assignment.updated", "assignment": {"id": 1}}
    for _ in range(2):
        await layer.group_send(events.rep_group(rep.pk), events.layer_message(outbox_id=987654, message=message))
    assert await client.receive_json_from(timeout=WAIT) == message
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


async def test_consumer_writes_no_business_data():
    rep, offer = await rep_with_offer()
    client = await connected(ws(token=await token_for(rep.user)))
    await until(client, "sync.done")
    await client.send_json_to({"type": "accept", "assignment": offer.pk})
    await client.send_json_to({"type": "ping"})
    await client.receive_json_from(timeout=WAIT)
    await client.disconnect()

    @database_sync_to_async
    def unchanged():
        fresh = Assignment.objects.get(pk=offer.pk)
        return fresh.status == "offered" and fresh.seen_at is None and fresh.responded_at is None

    assert await unchanged()


# --- Presence ---------------------------------------------------------------------------------------------


async def test_presence_counts_tabs_and_brings_an_auto_away_rep_back():
    rep = await make_rep(status=Rep.Status.AWAY)
    await database_sync_to_async(Rep.objects.filter(pk=rep.pk).update)(auto_away=True)
    manager = await make_manager()
    board = await connected(ws(token=await token_for(manager)))
    await until(board, "floor.snapshot")

    before = now()
    client = await connected(ws(token=await token_for(rep.user)))
    done = await until(client, "sync.done")
    assert done["rep"]["status"] == "available" and done["rep"]["auto_away"] is False
    fresh = await reload_rep(rep)
    assert fresh.status == "available" and fresh.connections == 1 and fresh.last_seen_at >= before
    update = await until(board, "rep.updated")
    assert update["rep"]["id"] == rep.pk

    await client.disconnect()
    fresh = await reload_rep(rep)
    assert fresh.connections == 0 and fresh.status == "available"
    await board.disconnect()
