"""The open pool in real browsers: a free-pick lead appears live in the Pool tab of every rep it fits, one claims
it and has it in their queue at once, and it leaves the other rep's pool and the managers' board without a reload."""

import httpx
import pytest

pytestmark = pytest.mark.e2e


def post_pool_lead(floor, *, language: str) -> int:
    n = next(floor.phones)
    body = {"campaign": floor.demo["pool_campaigns"][0], "first_name": "Pia", "last_name": f"Pool{n}",
            "country": "US", "language": language, "skill": "solar", "email": f"pool{n}@example.com",
            "phone": f"+1415556{n:04d}"}
    supplier = next(s for s in floor.demo["suppliers"] if body["campaign"] in s["campaigns"])
    response = httpx.post(f"{floor.url}/api/v1/leads/", json=body, timeout=10,
                          headers={"Authorization": f"Api-Key {supplier['api_key']}"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_pool_lead_is_claimed_by_one_rep_and_leaves_the_others_pool_live(signed_in, floor):
    alice = signed_in("alice", "/rep/")
    bob = signed_in("bob", "/rep/")
    for page in (alice, bob):
        page.click('.rep-tabs a[data-tab="pool"]')
    board = signed_in("manager", "/live/")
    lead_id = post_pool_lead(floor, language="en")
    row = f'#pool-list li[data-lead-id="{lead_id}"]'
    alice.wait_for_selector(row)
    bob.wait_for_selector(row)
    board.wait_for_selector(f'#pool tr[data-lead-id="{lead_id}"]')
    assert "Pool" not in (alice.locator(row).text_content() or "")  # no name before the claim

    alice.click(f'{row} button[data-action="claim"]')
    alice.wait_for_selector(f'#queue [data-lead-id="{lead_id}"]', state="attached")
    bob.wait_for_selector(row, state="detached")
    board.wait_for_selector(f'#pool tr[data-lead-id="{lead_id}"]', state="detached")
    assert alice.locator(row).count() == 0
