"""Delayed delivery in a real browser: a held lead shows on /live/ with its reason and a countdown, and the
manager's "Release now" routes it, live."""

import json

import httpx
import pytest

pytestmark = pytest.mark.e2e

DELAYED_CAMPAIGN = """
import json
from assignments.models import DelayRule
from campaigns.models import Campaign, Supplier
campaign, _ = Campaign.objects.get_or_create(slug="cool-off", defaults={"name": "Cool-off"})
Supplier.objects.get(name="Acme Leads").campaigns.add(campaign)
DelayRule.objects.get_or_create(campaign=campaign, name="One hour cool-off", kind="fixed", hold_seconds=3600)
print(json.dumps({"slug": campaign.slug}))
"""


def test_a_held_lead_shows_why_and_when_and_release_now_routes_it(signed_in, floor):
    slug = json.loads(floor.manage("shell", "-c", DELAYED_CAMPAIGN).strip().splitlines()[-1])["slug"]
    board = signed_in("manager", "/live/")
    n = next(floor.phones)
    supplier = next(s for s in floor.demo["suppliers"] if s["name"] == "Acme Leads")
    body = {"campaign": slug, "first_name": "Dee", "last_name": f"Layed{n}", "country": "US", "language": "en",
            "skill": "solar", "email": f"delayed{n}@example.com", "phone": f"+1415558{n:04d}"}
    response = httpx.post(f"{floor.url}/api/v1/leads/", json=body, timeout=10,
                          headers={"Authorization": f"Api-Key {supplier['api_key']}"})
    assert response.status_code == 201, response.text
    lead_id = response.json()["id"]
    for _ in range(50):  # routing holds it in the background
        if floor.api(f"leads/{lead_id}/")["status"] == "held":
            break
        board.wait_for_timeout(100)
    board.reload()
    board.wait_for_selector("#conn.conn-live")
    row = board.locator(f'#held tr[data-lead-id="{lead_id}"]')
    assert "One hour cool-off: held until" in row.locator('[data-field="reason"]').text_content()
    board.wait_for_function(f"""document.querySelector('#held tr[data-lead-id="{lead_id}"] [data-field="countdown"]')
                                .textContent.includes('min')""")
    row.locator("button.release-now").click()
    board.wait_for_selector(f'#held tr[data-lead-id="{lead_id}"]', state="detached")
    board.wait_for_selector(f'#feed tr[data-lead-id="{lead_id}"]')  # offered to a rep, live on the board
