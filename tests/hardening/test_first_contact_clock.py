"""The first-contact SLA on the real clock: `manage.py run` (web + task cluster + floor clock), nothing injected.

A rep accepts a lead and never calls it. Half-way through the rule's short SLA the floor clock reminds them; at the
end it takes the lead back and routing offers it to the other rep. Every step is seen on the reps' real sockets.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time

import httpx

from tests.hardening.test_faults import FAST_CLOCK
from tests.liveserver import running_leadcrm
from tests.wsfloor import floor_prepare, lead_body

SLA_SECONDS = 4
SLOW_MACHINE = 6  # seconds of slack for a loaded CI machine, on top of the clock's one-second tick


def next_message(socket, type_: str, *, lead_id: int, within: float) -> tuple[dict, float]:
    """The first message of this type about this lead, and when it arrived (time.monotonic)."""
    deadline = time.monotonic() + within
    while True:
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == type_ and message["assignment"]["lead"]["id"] == lead_id:
            return message, time.monotonic()


def test_an_accepted_lead_nobody_calls_is_reminded_then_taken_back_and_offered_to_another_rep(tmp_path):
    from websockets.sync.client import connect

    with running_leadcrm(tmp_path, "--no-seed", **FAST_CLOCK) as server:
        floor = floor_prepare(server.env, reps=2, capacity=5)
        server.manage("shell", "-c", "from assignments.models import RoutingRule; RoutingRule.objects.update("
                                     f"first_contact_seconds={SLA_SECONDS}, no_contact_action='reroute')")
        ws_url = server.url.replace("http", "ws") + "/ws/notifications/"
        with contextlib.ExitStack() as open_sockets:
            sockets = {rep_id: open_sockets.enter_context(
                connect(ws_url, additional_headers={"Authorization": f"Token {token}"}, open_timeout=10))
                for rep_id, token in floor.tokens.items()}
            lead_id = httpx.post(f"{server.url}/api/v1/leads/", json=lead_body(1), timeout=10,
                                 headers={"Authorization": f"Api-Key {floor.key}"}).json()["id"]
            offered = {}
            for rep_id, socket in sockets.items():
                try:
                    offered[rep_id] = next_message(socket, "assignment.offered", lead_id=lead_id, within=3)[0]
                except TimeoutError:
                    continue
            assert len(offered) == 1, "one rep is offered the lead first"
            (sitter, offer), = offered.items()
            other = next(rep_id for rep_id in sockets if rep_id != sitter)

            accepted = httpx.post(f"{server.url}/api/v1/assignments/{offer['assignment']['id']}/accept/", timeout=10,
                                  headers={"Authorization": f"Token {floor.tokens[sitter]}"})
            assert accepted.status_code == 200, accepted.text
            accepted_at = time.monotonic()

            reminder, reminded_at = next_message(sockets[sitter], "assignment.reminder", lead_id=lead_id,
                                                 within=SLA_SECONDS / 2 + SLOW_MACHINE)
            revoked, revoked_at = next_message(sockets[sitter], "assignment.revoked", lead_id=lead_id,
                                               within=SLA_SECONDS + SLOW_MACHINE)
            reoffer, _ = next_message(sockets[other], "assignment.offered", lead_id=lead_id, within=SLOW_MACHINE)

    responded = dt.datetime.fromisoformat(accepted.json()["responded_at"])
    assert dt.datetime.fromisoformat(reminder["contact_by"]) == responded + dt.timedelta(seconds=SLA_SECONDS)
    # Not early: the clock waits for half the SLA, then the whole of it (less a tick of rounding on either side).
    assert reminded_at - accepted_at >= SLA_SECONDS / 2 - 1
    assert revoked_at - accepted_at >= SLA_SECONDS - 1 and revoked_at > reminded_at
    assert revoked["assignment"]["status"] == "taken_back"
    assert reoffer["assignment"]["rep"]["id"] == other
