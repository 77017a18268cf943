"""Calling hours in a real browser: outside the lead's window the lead page's call button is disabled and says when
calling opens, with the lead's local time shown."""

import json
import re

import pytest

pytestmark = pytest.mark.e2e

# A held lead of an inactive campaign (so nothing routes or releases it) whose calling window, one hour long,
# opens about two hours from now on the lead's clock (Honolulu).
LEAD_OUTSIDE_ITS_WINDOW = """
import datetime as dt, json
from zoneinfo import ZoneInfo
from campaigns.models import Campaign, Lead, Supplier
starts = (dt.datetime.now(ZoneInfo("Pacific/Honolulu")).hour + 2) % 24
campaign = Campaign.objects.create(slug="night-calls", name="Night calls", active=False,
                                   calling_starts=dt.time(starts), calling_ends=dt.time(starts, 59),
                                   outside_calling_hours="offer")
lead = Lead.objects.create(campaign=campaign, supplier=Supplier.objects.first(), first_name="Kai", last_name="Akana",
                           phone="+18085550199", country="US", timezone="Pacific/Honolulu", status="held")
print(json.dumps({"lead_id": lead.pk, "starts": f"{starts:02d}:00"}))
"""


def test_the_call_button_is_disabled_outside_the_leads_window_and_says_when_calling_opens(plain_page, floor):
    made = json.loads(floor.manage("shell", "-c", LEAD_OUTSIDE_ITS_WINDOW).strip().splitlines()[-1])
    page = plain_page("manager", f"/rep/leads/{made['lead_id']}/")
    call = page.locator("#call-link")
    assert call.get_attribute("aria-disabled") == "true" and call.get_attribute("href") is None
    assert re.fullmatch(rf"Calling opens at {made['starts']} their time, in 1 h( \d+ min)?|"
                        rf"Calling opens at {made['starts']} their time, in 2 h",
                        call.locator(".call-opens").text_content())
    assert not call.locator(".call-label").is_visible()
    assert re.fullmatch(r"\d\d:\d\d in Pacific/Honolulu", page.locator("#lead-clock").text_content())
    call.click(force=True)
    assert page.url.endswith(f"/rep/leads/{made['lead_id']}/")  # nothing dialled

    page.clock.install()
    until_open = page.evaluate("Date.parse(JSON.parse(document.getElementById('lead-state').textContent)"
                               ".calling.opens_at) - Date.now()")
    page.clock.fast_forward(until_open + 60_000)  # the window opens on the page's clock, without a reload
    page.wait_for_function("document.getElementById('call-link').getAttribute('href') === 'tel:+18085550199'")
    assert call.get_attribute("aria-disabled") is None and call.locator(".call-label").is_visible()
