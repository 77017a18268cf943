"""One lead through the whole product on the real embedded server: supplier POST -> routing task -> offer on the
rep's websocket -> seen, accepted and called through the rep's API -> counted in the manager's speed-to-lead report.
"""

import json
import time

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_posted_lead_reaches_the_rep_and_its_first_call_reaches_the_report(floor):
    from websockets.sync.client import connect

    rep_auth = {"Authorization": f"Token {floor.tokens['giulia_token']}"}
    ws_url = floor.url.replace("http", "ws") + f"/ws/notifications/?token={floor.tokens['giulia_token']}"
    with connect(ws_url, origin=floor.url, open_timeout=10) as socket, \
            httpx.Client(base_url=f"{floor.url}/api/v1", timeout=10) as api:
        while json.loads(socket.recv(timeout=10))["type"] != "sync.done":
            pass
        lead_id = floor.post_lead(language="it", first_name="Report", last_name="Chain")  # Italian: giulia's
        while True:
            message = json.loads(socket.recv(timeout=15))
            if message["type"] == "assignment.offered" and message["assignment"]["lead"]["id"] == lead_id:
                break
        assignment_id = message["assignment"]["id"]
        for step in ("seen", "accept"):
            answer = api.post(f"/assignments/{assignment_id}/{step}/", headers=rep_auth)
            assert answer.status_code in (200, 204), (step, answer.text)
        time.sleep(1.1)  # a first contact one second or more after receipt: a speed the report can show
        answer = api.post(f"/assignments/{assignment_id}/contacts/", headers=rep_auth,
                          json={"channel": "call", "outcome": "connected"})
        assert answer.status_code == 201, answer.text

    lead = floor.api(f"leads/{lead_id}/", token=floor.tokens["manager_token"])
    assert lead["assigned_rep"] == "giulia" and lead["accepted_at"] and lead["first_contact_at"]
    report = floor.api("reports/speed-to-lead/?group_by=rep", token=floor.tokens["manager_token"])
    row = next(row for row in report["rows"] if row["key"] == "giulia")
    assert row["leads"] >= 1 and row["contacted"] >= 1
    speed = row["median_seconds"]
    assert speed is not None and speed >= 1  # the other giulia leads of this session are never contacted
    assert 0 < row["within_5_min_pct"] <= 100
