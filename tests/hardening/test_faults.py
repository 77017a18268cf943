"""Faults caused for real on the embedded default: the task cluster killed mid-routing, the web process killed
with reps connected (tests/scale/test_faults_scale.py: Redis stopped, the database cut).

After each: every accepted lead is offered or waiting with a reason, no lead has two live offers, and
clients got 201 or 503 with Retry-After, never a 500.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time

import httpx
import pytest

from tests.faultkit import demo_key, floor_state, post_leads
from tests.liveserver import children_of, running_leadcrm
from tests.wsfloor import floor_prepare, lead_body

FAST_CLOCK = {"FLOOR_QUEUE_SECONDS": "1", "RECONCILE_AFTER_SECONDS": "2"}


def qcluster_pids(run_pid: int) -> list[int]:
    """The qcluster child of `run` and every process under it (its workers, monitor, pusher)."""
    found = []
    for pid in children_of(run_pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"qcluster" in cmdline.read():
                    found.append(pid)
        except FileNotFoundError:
            continue
    tree, todo = [], list(found)
    while todo:  # the whole tree: the cluster's sentinel, and under it the workers, monitor and pusher
        pid = todo.pop()
        tree.append(pid)
        todo += children_of(pid)
    return tree


def test_task_cluster_killed_mid_routing_loses_no_lead(tmp_path):
    with running_leadcrm(tmp_path, **FAST_CLOCK) as server:
        key = demo_key(server)
        answers = post_leads(server.url, key, 15)
        victims = qcluster_pids(server.process.pid)
        assert victims, "the task cluster should be running"
        for pid in victims:  # SIGKILL: no chance to finish or hand back its tasks
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        answers += post_leads(server.url, key, 15, start=15)  # arrives while no cluster runs
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = floor_state(sqlite3.connect(tmp_path / "leadcrm.sqlite3"))
            if not state["statuses"].get("new"):
                break
            time.sleep(1)
        assert qcluster_pids(server.process.pid), "run restarts a crashed task cluster"
    assert [r.status_code for r in answers] == [201] * 30
    assert set(state["statuses"]) <= {"offered", "waiting"}, state
    assert sum(state["statuses"].values()) == 30
    assert state["double_offers"] == 0 and state["silent_waits"] == 0 and state["load_drift"] == 0


def uvicorn_pid(run_pid: int) -> int:
    for pid in children_of(run_pid):
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"uvicorn" in cmdline.read():
                return pid
    raise AssertionError("no web server under run")


def messages_until_sync_done(socket) -> list[dict]:
    received = []
    while not received or received[-1]["type"] != "sync.done":
        received.append(json.loads(socket.recv(timeout=10)))
    return received


def offered_lead_ids(messages: list[dict]) -> list[int]:
    return [m["assignment"]["lead"]["id"] for m in messages if m["type"] == "assignment.offered"]


def test_web_process_restarted_while_a_rep_is_connected_resyncs_the_open_offers(tmp_path):
    from websockets.exceptions import ConnectionClosed, InvalidHandshake
    from websockets.sync.client import connect

    with running_leadcrm(tmp_path, "--no-seed", **FAST_CLOCK) as server:
        floor = floor_prepare(server.env, reps=1, capacity=10)
        ws_url = server.url.replace("http", "ws") + f"/ws/notifications/?token={next(iter(floor.tokens.values()))}"
        post = lambda n: httpx.post(f"{server.url}/api/v1/leads/", json=lead_body(n), timeout=10,  # noqa: E731
                                    headers={"Authorization": f"Api-Key {floor.key}"})
        with connect(ws_url, origin=server.url, open_timeout=10) as socket:
            messages_until_sync_done(socket)
            first = post(1).json()["id"]
            while json.loads(socket.recv(timeout=10))["type"] != "assignment.offered":
                pass
            old_web = uvicorn_pid(server.process.pid)
            os.kill(old_web, signal.SIGKILL)  # the web process dies with the rep connected
            with pytest.raises(ConnectionClosed):
                while True:
                    socket.recv(timeout=10)
        deadline = time.monotonic() + 60
        while True:  # what rep.js does: reconnect with backoff until the restarted server answers
            try:
                socket = connect(ws_url, origin=server.url, open_timeout=5)
                break
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed):  # not listening yet, or starting up
                assert time.monotonic() < deadline, "the web process did not come back"
                time.sleep(0.5)
        with socket:
            assert uvicorn_pid(server.process.pid) != old_web
            assert offered_lead_ids(messages_until_sync_done(socket)) == [first]  # the open offer, once
            second = post(2).json()["id"]
            message = json.loads(socket.recv(timeout=10))
            while message["type"] != "assignment.offered":
                message = json.loads(socket.recv(timeout=10))
            assert message["assignment"]["lead"]["id"] == second  # and live push works again
