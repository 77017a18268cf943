"""Recycling on the real clock: `manage.py run` (web + task cluster + floor clock), nothing injected. A campaign
recycles after one missed call, twice at most: each rep who missed the lead loses it to a rep who never had it,
and after the second cycle the lead stays where it is."""

from __future__ import annotations

import time

import httpx

from tests.hardening.test_faults import FAST_CLOCK
from tests.liveserver import running_leadcrm
from tests.wsfloor import floor_prepare, lead_body

WITHIN = 30  # seconds for the floor clock (a pass a second here) and the task cluster to act


def offered_to(server, tokens: dict[int, str], lead_id: int) -> tuple[int, int] | None:
    """(rep id, assignment id) of the open offer of the lead, or None."""
    for rep_id, token in tokens.items():
        page = httpx.get(f"{server.url}/api/v1/assignments/", params={"status": "offered"}, timeout=10,
                         headers={"Authorization": f"Token {token}"}).json()
        for offer in page.get("results", page if isinstance(page, list) else []):
            if offer["lead"]["id"] == lead_id:
                return rep_id, offer["id"]
    return None


def wait_for_offer(server, tokens, lead_id) -> tuple[int, int]:
    deadline = time.monotonic() + WITHIN
    while time.monotonic() < deadline:
        found = offered_to(server, tokens, lead_id)
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"lead {lead_id} was not offered within {WITHIN} s")


def test_a_missed_lead_goes_to_a_rep_who_never_had_it_until_the_cycle_cap(tmp_path):
    with running_leadcrm(tmp_path, "--no-seed", **FAST_CLOCK) as server:
        floor = floor_prepare(server.env, reps=4, capacity=5)
        server.manage("shell", "-c", "from campaigns.models import Campaign; Campaign.objects.update("
                                     "recycle_after_attempts=1, recycle_max_cycles=2)")
        lead_id = httpx.post(f"{server.url}/api/v1/leads/", json=lead_body(1), timeout=10,
                             headers={"Authorization": f"Api-Key {floor.key}"}).json()["id"]
        had: list[int] = []
        for _ in range(3):
            rep_id, assignment_id = wait_for_offer(server, floor.tokens, lead_id)
            assert rep_id not in had, f"the lead came back to rep {rep_id}, who had it"
            had.append(rep_id)
            auth = {"Authorization": f"Token {floor.tokens[rep_id]}"}
            assert httpx.post(f"{server.url}/api/v1/assignments/{assignment_id}/accept/", headers=auth,
                              timeout=10).status_code == 200
            missed = httpx.post(f"{server.url}/api/v1/assignments/{assignment_id}/contacts/", headers=auth,
                                json={"channel": "call", "outcome": "no_answer"}, timeout=10)
            assert missed.status_code in (200, 201), missed.text
        time.sleep(3)  # a few floor passes: the cap (2 cycles) keeps the lead with the third rep
        lead = httpx.get(f"{server.url}/api/v1/leads/{lead_id}/", timeout=10,
                         headers={"Authorization": f"Api-Key {floor.key}"}).json()
        timeline = httpx.get(f"{server.url}/api/v1/leads/{lead_id}/timeline/", timeout=10,
                             headers={"Authorization": f"Token {floor.tokens[had[-1]]}"}).json()["events"]
    assert len(set(had)) == 3
    assert lead["status"] == "contacted"
    assert [event["cycle"] for event in timeline if event["type"] == "recycled"] == [1, 2]
