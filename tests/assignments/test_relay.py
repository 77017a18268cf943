"""Delivery across processes: the embedded outbox relay (in-process and through a real uvicorn), and Redis."""

import asyncio
import json
import statistics
import subprocess
import sys
import time

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import OperationalError, connection, transaction

from assignments import events
from assignments import relay as relay_module
from assignments.models import OutboxEvent
from leadcrm.db import files_stamp
from leadcrm.doorbell import Doorbell, ring
from tests.factories import OutboxEventFactory
from tests.leadcrm.test_doorbell import assert_rung_once_committed
from tests.liveserver import ROOT, embedded_env, free_port, wait_for

WAIT = 3


@pytest.fixture
async def fresh_layer():
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield get_channel_layer()
    await relay_module.relay_stop()
    channel_layers.backends.clear()


async def listen(layer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


# --- The relay in this process ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_relay_pushes_rows_written_after_it_started_in_order(fresh_layer):
    old = await database_sync_to_async(OutboxEventFactory)(group="floor")
    channel = await listen(fresh_layer, "floor")
    relay = await relay_module.relay_ensure_started()
    assert relay.last_id == old.pk  # older rows are for resync, not replay

    @database_sync_to_async
    def write():
        # The in-memory test database shares one cache between this thread and the relay's, and SQLite answers
        # a write during the relay's read with "table is locked" at once (a file database waits instead).
        for attempt in range(100):
            try:
                with transaction.atomic():
                    return [OutboxEventFactory(group=group, payload={"type": "assignment.updated", "n": n}).pk
                            for n, group in enumerate(["floor", "rep.1", "floor"])]
            except OperationalError as error:
                if "locked" not in str(error) or attempt == 99:
                    raise
                time.sleep(0.01)

    ids = await write()
    first = await asyncio.wait_for(fresh_layer.receive(channel), WAIT)
    second = await asyncio.wait_for(fresh_layer.receive(channel), WAIT)
    assert first == {"type": "outbox.message", "outbox_id": ids[0], "message": {"type": "assignment.updated", "n": 0}}
    assert second["outbox_id"] == ids[2] and second["message"]["n"] == 2
    assert relay is await relay_module.relay_ensure_started()  # one relay per event loop


@pytest.mark.django_db(transaction=True)
async def test_relay_survives_database_errors(fresh_layer, monkeypatch):
    monkeypatch.setattr(relay_module, "ERROR_BACKOFF_SECONDS", 0.05)
    channel = await listen(fresh_layer, "floor")
    real_rows, failures = relay_module.outbox_rows, []

    def flaky(**kwargs):
        if len(failures) < 3:
            failures.append(1)
            raise OperationalError("database is locked")
        return real_rows(**kwargs)

    monkeypatch.setattr(relay_module, "outbox_rows", flaky)
    relay = await relay_module.relay_ensure_started()
    row = await database_sync_to_async(OutboxEventFactory)(group="floor")
    message = await asyncio.wait_for(fresh_layer.receive(channel), WAIT)
    assert message["outbox_id"] == row.pk
    assert relay.errors == 3 and not relay.task.done()


async def test_relay_delivers_rows_that_commit_after_a_higher_id(monkeypatch):
    """PostgreSQL may commit id 5 before id 4: the relay looks for 4 for a while instead of skipping it."""
    from channels.layers import InMemoryChannelLayer

    layer = InMemoryChannelLayer()
    channel = await listen(layer, "floor")
    batches = iter([[(5, "floor", {"n": 5})], [(4, "floor", {"n": 4})], []])
    asked = []

    def rows(*, after_id, also_ids, limit):
        asked.append((after_id, tuple(also_ids)))
        return next(batches)

    monkeypatch.setattr(relay_module, "outbox_rows", rows)
    relay = relay_module.OutboxRelay(layer=layer)
    relay.last_id = 3
    for _ in range(3):
        await relay.poll_once()
    assert asked == [(3, ()), (5, (4,)), (5, ())]
    assert [(await layer.receive(channel))["outbox_id"] for _ in range(2)] == [5, 4]
    relay._executor.shutdown(wait=False)


@pytest.mark.django_db(transaction=True)
async def test_asgi_lifespan_starts_and_stops_the_relay(fresh_layer):
    from leadcrm.asgi import application

    lifespan = ApplicationCommunicator(application, {"type": "lifespan", "asgi": {"version": "3.0"}})
    await lifespan.send_input({"type": "lifespan.startup"})
    assert await lifespan.receive_output(WAIT) == {"type": "lifespan.startup.complete"}
    relay = relay_module._relay
    assert relay is not None and relay.running_on(asyncio.get_running_loop())
    await lifespan.send_input({"type": "lifespan.shutdown"})
    assert await lifespan.receive_output(WAIT) == {"type": "lifespan.shutdown.complete"}
    assert relay_module._relay is None and relay.task.done()


# --- Across processes: a worker process's offer reaches a browser socket of a real server ----------------------


def worker(env: dict, *args: str) -> object:
    out = subprocess.run([sys.executable, "-m", "tests.assignments.relay_worker", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve(env: dict):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "leadcrm.asgi:application", "--host", "127.0.0.1",
                                "--port", str(port), "--ws", "websockets", "--lifespan", "on", "--no-access-log"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/accounts/login/", 60)
    except Exception:
        process.kill()
        raise AssertionError(process.communicate()[0])
    return port, process


def offers_reach_the_socket(env: dict, *, token: str, rep_id: int, leads: int) -> list[float]:
    """Route `leads` leads in another process; return each offer's seconds from the routing call to the socket."""
    from websockets.sync.client import connect

    port, server = serve(env)
    try:
        url = f"ws://127.0.0.1:{port}/ws/notifications/?token={token}"
        with connect(url, origin=f"http://127.0.0.1:{port}", open_timeout=10) as socket:
            assert json.loads(socket.recv(timeout=10))["type"] == "sync.done"
            received: dict[int, float] = {}
            offer = subprocess.Popen([sys.executable, "-m", "tests.assignments.relay_worker", "offer", str(leads)],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while len(received) < leads and time.monotonic() < deadline:
                message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
                if message["type"] == "assignment.offered":
                    assert message["assignment"]["rep"]["id"] == rep_id
                    received[message["assignment"]["lead"]["id"]] = time.time()
            out, err = offer.communicate(timeout=60)
            assert offer.returncode == 0, err
        sent = json.loads(out.strip().splitlines()[-1])
        assert [s["action"] for s in sent] == ["offered"] * leads
        assert sorted(received) == sorted(s["lead_id"] for s in sent)
        return [received[s["lead_id"]] - s["started"] for s in sent]
    finally:
        server.terminate()
        try:
            server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def report(label: str, latencies: list[float]) -> None:
    ms = sorted(x * 1000 for x in latencies)
    print(f"\n{label}: {len(ms)} offers, routing call -> websocket: p50 {statistics.median(ms):.0f} ms, "
          f"max {ms[-1]:.0f} ms")


def test_offer_from_another_process_reaches_the_socket_through_the_embedded_relay(tmp_path):
    env = embedded_env(tmp_path)
    setup = worker(env, "setup", "--migrate")
    latencies = offers_reach_the_socket(env, token=setup["token"], rep_id=setup["rep_id"], leads=10)
    report("embedded (SQLite + relay)", latencies)
    assert max(latencies) < 2.0


@pytest.mark.scale
@pytest.mark.django_db(transaction=True)
def test_offer_from_another_process_reaches_the_socket_through_redis(tmp_path):
    from tests.scale_env import redis_url

    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        database_url = database_url.replace("@", f":{db['PASSWORD']}@", 1)
    redis = redis_url().rsplit("/", 1)[0] + "/15"
    env = embedded_env(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis)
    setup = worker(env, "setup")
    latencies = offers_reach_the_socket(env, token=setup["token"], rep_id=setup["rep_id"], leads=10)
    report("scale-out (PostgreSQL + Redis)", latencies)
    assert max(latencies) < 2.0
    assert OutboxEvent.objects.count() >= 20  # the outbox still records every message for replay


def test_on_a_sqlite_file_the_relay_queries_only_when_the_files_change_or_a_second_went_by(tmp_path, monkeypatch):
    """An idle embedded server costs one relay query a second, not twenty; a commit is seen at the next poll."""
    database = tmp_path / "leadcrm.sqlite3"
    database.write_bytes(b"x")
    clock = [100.0]
    monkeypatch.setattr(relay_module.time, "monotonic", lambda: clock[0])
    relay = relay_module.OutboxRelay()
    relay._files = [str(database), f"{database}-wal"]
    try:
        assert relay._worth_a_query() is True  # the first poll
        clock[0] += 0.05
        assert relay._worth_a_query() is False  # nothing changed
        (tmp_path / "leadcrm.sqlite3-wal").write_bytes(b"a commit")
        assert relay._worth_a_query() is True
        clock[0] += 0.05
        assert relay._worth_a_query() is False
        relay.missing = {7: clock[0] + 2}  # a late row is awaited: query every poll
        assert relay._worth_a_query() is True
        relay.missing = {}
        clock[0] += relay_module.IDLE_QUERY_SECONDS
        assert relay._worth_a_query() is True  # at least once a second
        assert files_stamp([]) is None  # PostgreSQL or in-memory: every poll queries
    finally:
        relay._executor.shutdown(wait=False)


async def test_on_a_sqlite_file_the_relay_sleeps_until_an_outbox_write_rings(settings, tmp_path, monkeypatch):
    """Between looks the idle relay waits on its doorbell, not a 50 ms timer, and a ring ends the wait at once."""
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(relay_module, "DOORBELL_IDLE_SECONDS", 60)
    relay = relay_module.OutboxRelay()
    relay._doorbell = Doorbell.listen(events.OUTBOX_DOORBELL)
    try:
        asyncio.get_running_loop().call_later(0.05, ring, events.OUTBOX_DOORBELL)
        await asyncio.wait_for(relay._sleep(), 10)  # woken by the ring, long before its 60 s look
    finally:
        relay.release()


@pytest.mark.django_db
def test_an_outbox_write_rings_the_relay_once_committed(settings, tmp_path, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    assert_rung_once_committed(
        events.OUTBOX_DOORBELL, lambda: events.floor_event_send(type="floor.updated", data={"lead": {"id": 1}}),
        django_capture_on_commit_callbacks)
