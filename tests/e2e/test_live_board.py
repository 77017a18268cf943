"""A manager's /live/ in a real browser: assignments as they happen, waiting leads with their age, reps."""

import re

import pytest

pytestmark = pytest.mark.e2e


def test_board_shows_offers_and_waiting_leads_as_they_happen(signed_in, floor):
    page = signed_in("manager", "/live/")
    assert page.locator('#reps tr[data-rep-id]').count() >= 6

    offered = floor.post_lead(language="it", first_name="Marco", last_name="Rossi")
    row = page.locator(f'#feed tr[data-lead-id="{offered}"]')
    row.wait_for(timeout=5_000)
    assert re.fullmatch(r"\d+", row.get_attribute("data-assignment-id"))
    assert row.locator('[data-field="status"]').text_content() == "offered"
    assert row.locator('[data-field="rep"]').text_content() == "giulia"
    assert row.locator('[data-field="name"]').text_content() == "Marco Rossi"

    before = int(page.locator("#waiting-count").text_content())
    waiting = floor.post_lead(language="fr", first_name="Jeanne", last_name="Martin")  # nobody speaks French
    lead_row = page.locator(f'#waiting tr[data-lead-id="{waiting}"]')
    lead_row.wait_for(timeout=5_000)
    page.locator("#waiting-count", has_text=str(before + 1)).wait_for()
    # The board asks for a fresh snapshot to learn the new waiting lead's name and age.
    lead_row.locator('[data-field="name"]', has_text="Jeanne Martin").wait_for(timeout=5_000)
    lead_row.locator('[data-field="age"]', has_text=re.compile(r"^\d+ s$")).wait_for(timeout=5_000)

    giulia = page.locator("#reps tr", has_text="giulia")
    assert re.match(r"\d+ / 100", giulia.locator('[data-field="load"]').text_content())
