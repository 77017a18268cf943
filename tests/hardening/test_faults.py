"""Faults caused for real: the task cluster killed mid-routing, Redis stopped under load, the database cut.

After each: every accepted lead is offered or waiting with a reason, no lead has two live offers, and
clients got 201 or 503 with Retry-After, never a 500.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time


from tests.faultkit import demo_key, floor_state, post_leads
from tests.liveserver import children_of, running_leadcrm

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
    tree = list(found)
    for pid in found:
        tree += children_of(pid)
    return tree


def test_task_cluster_killed_mid_routing_loses_no_lead(tmp_path):
    with running_leadcrm(tmp_path, **FAST_CLOCK) as server:
        key = demo_key(server)
        answers = post_leads(server.url, key, 15)
        victims = qcluster_pids(server.process.pid)
        assert victims, "the task cluster should be running"
        for pid in victims:  # SIGKILL: no chance to finish or hand back its tasks
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
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
