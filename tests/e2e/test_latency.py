"""Supplier POST -> the rep's websocket message on the real embedded server (intake, task cluster, relay)."""

import json
import statistics
import time

import httpx
import pytest

pytestmark = pytest.mark.e2e

LEADS = 20


def test_post_to_websocket_latency_embedded(floor):
    from websockets.sync.client import connect

    ws_url = floor.url.replace("http", "ws") + f"/ws/notifications/?token={floor.tokens['giulia_token']}"
    latencies = []
    with connect(ws_url, origin=floor.url, open_timeout=10) as socket, httpx.Client(timeout=10) as http:
        while json.loads(socket.recv(timeout=10))["type"] != "sync.done":
            pass
        for n in range(LEADS):
            body = {"campaign": "solar-us", "first_name": "Bench", "last_name": f"Lead{n}", "country": "US",
                    "email": f"bench{n}-{time.time_ns()}@example.com", "phone": f"+1202555{next(floor.phones):04d}",
                    "language": "it"}
            started = time.monotonic()
            posted = http.post(f"{floor.url}/api/v1/leads/", json=body,
                               headers={"Authorization": f"Api-Key {floor.supplier_key}"})
            assert posted.status_code == 201, posted.text
            while True:
                message = json.loads(socket.recv(timeout=5))
                if (message["type"] == "assignment.offered"
                        and message["assignment"]["lead"]["id"] == posted.json()["id"]):
                    break
            latencies.append((time.monotonic() - started) * 1000)
            time.sleep(0.1)
    ms = sorted(latencies)
    print(f"\nembedded POST -> websocket, {LEADS} leads one at a time: p50 {statistics.median(ms):.0f} ms, "
          f"p95 {ms[int(0.95 * (LEADS - 1))]:.0f} ms, max {ms[-1]:.0f} ms")
    assert statistics.median(ms) < 1000
