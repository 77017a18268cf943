"""Both capacity numbers, wherever a manager looks at reps: load / capacity, and new leads today / daily cap.

The admin's rep list and rep page, the rep payload of the websocket (`rep.updated`, `floor.snapshot`, `sync.done`)
and the live board's rep table, drawn by live.js in a real browser.
"""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils.timezone import now

from assignments import events
from assignments.models import Assignment, Rep
from campaigns.models import Lead
from tests.factories import AssignmentFactory, LeadFactory, ManagerFactory, RepFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LIVE_JS = ROOT / "assignments" / "static" / "assignments" / "live.js"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def floor():
    """capped: daily cap 3, capacity 5; today an open offer, an owned lead not called yet, one called, and an offer
    that expired (not counted); yesterday one more (not counted). free: no daily cap, nothing today."""
    capped = RepFactory(user__username="capped", capacity=5, daily_cap=3)
    free = RepFactory(user__username="free", capacity=4)
    offered = AssignmentFactory(rep=capped, lead=LeadFactory(status=Lead.Status.OFFERED))
    owned = AssignmentFactory(rep=capped, status=Assignment.Status.ACCEPTED,
                              lead=LeadFactory(status=Lead.Status.ASSIGNED))
    called = AssignmentFactory(rep=capped, status=Assignment.Status.ACCEPTED,
                               lead=LeadFactory(status=Lead.Status.CONTACTED, first_contact_at=now()))
    AssignmentFactory(rep=capped, status=Assignment.Status.EXPIRED)
    AssignmentFactory(rep=capped, status=Assignment.Status.COMPLETED, offered_at=now() - dt.timedelta(days=2))
    Rep.objects.filter(pk=capped.pk).update(load=2)  # the open offer and the lead not called yet
    return {"capped": Rep.objects.get(pk=capped.pk), "free": Rep.objects.get(pk=free.pk), "offered": offered,
            "owned": owned, "called": called}


def test_rep_payload_has_leads_today_and_the_daily_cap(floor):
    assert {k: events.rep_payload(floor["capped"])[k] for k in ("load", "capacity", "leads_today", "daily_cap")} == {
        "load": 2, "capacity": 5, "leads_today": 3, "daily_cap": 3}
    assert {k: events.rep_payload(floor["free"])[k] for k in ("load", "capacity", "leads_today", "daily_cap")} == {
        "load": 0, "capacity": 4, "leads_today": 0, "daily_cap": None}


def test_admin_rep_list_shows_load_and_capacity_and_today_and_the_daily_cap(admin_client, floor):
    body = admin_client.get("/admin/assignments/rep/").content.decode()
    assert "load / capacity" in body.lower() and "new today / daily cap" in body.lower()
    row = re.search(r'<tr[^>]*>(?:(?!</tr>).)*capped(?:(?!</tr>).)*</tr>', body, re.DOTALL).group(0)
    assert "2 / 5" in row and "3 / 3" in row
    row = re.search(r'<tr[^>]*>(?:(?!</tr>).)*>free<(?:(?!</tr>).)*</tr>', body, re.DOTALL).group(0)
    assert "0 / 4" in row and "0 (no daily cap)" in row


def test_admin_rep_page_shows_both_numbers_and_edits_the_daily_cap(admin_client, floor):
    body = admin_client.get(f"/admin/assignments/rep/{floor['capped'].pk}/change/").content.decode()
    assert "2 / 5" in body and "3 / 3" in body
    assert 'name="daily_cap"' in body and 'name="capacity"' in body
    assert "—" in admin_client.get("/admin/assignments/rep/add/").content.decode()  # nothing to count yet


def test_live_page_has_a_today_column_with_the_daily_cap(floor):
    client = Client()
    client.force_login(ManagerFactory())
    body = client.get("/live/").content.decode()
    assert "<th>" in body and ">Today<" in body
    capped, free = floor["capped"].pk, floor["free"].pk
    assert re.search(rf'data-rep-id="{capped}".*?data-field="load">2 / 5<.*?data-field="today">… / 3<', body, re.DOTALL)
    assert re.search(rf'data-rep-id="{free}".*?data-field="today">… \(no daily cap\)<', body, re.DOTALL)


STUB_SOCKET = """
window.LeadSocket = { create: function (options) {
  window.deliver = options.onmessage;
  return { connect: function () {}, send: function () {}, now: function () { return Date.now(); },
           syncClock: function () {} };
} };
"""


def cells(page, rep_id: int) -> dict:
    row = page.locator(f'#reps tr[data-rep-id="{rep_id}"]')
    return {name: row.locator(f'[data-field="{name}"]').text_content() for name in ("load", "today")}


def test_live_board_draws_and_updates_both_numbers_in_a_browser(floor):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    client = Client()
    client.force_login(ManagerFactory())
    html = re.sub(r"<script[^>]*>.*?</script>", "", client.get("/live/").content.decode(), flags=re.DOTALL)
    capped, free = floor["capped"], floor["free"]
    snapshot = events.floor_snapshot_message(
        assignments=list(Assignment.objects.with_payload()), waiting_leads=[], waiting_count=0,
        reps=[capped, free], now=now())
    owned, offered = floor["owned"], floor["offered"]
    owned.lead.status = Lead.Status.CONTACTED
    contacted = {"type": "assignment.updated", "assignment": events.assignment_payload(owned)}
    offered.status = Assignment.Status.EXPIRED
    expired = {"type": "assignment.revoked", "assignment": events.assignment_payload(offered)}
    fresh = {"type": "assignment.offered", "assignment": events.assignment_payload(
        AssignmentFactory(rep=free, lead=LeadFactory(status=Lead.Status.OFFERED)))}
    recounted = {"type": "rep.updated", "rep": {**events.rep_payload(capped), "leads_today": 7}}

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_content(html)
            page.add_script_tag(content=STUB_SOCKET)
            page.add_script_tag(content=LIVE_JS.read_text())
            deliver = "message => window.deliver(message)"
            page.evaluate(deliver, json.loads(json.dumps(snapshot)))
            assert cells(page, capped.pk) == {"load": "2 / 5", "today": "3 / 3 (cap reached)"}
            assert cells(page, free.pk) == {"load": "0 / 4", "today": "0 (no daily cap)"}
            page.evaluate(deliver, contacted)  # the first contact frees the unit; still one of today's leads
            assert cells(page, capped.pk) == {"load": "1 / 5", "today": "3 / 3 (cap reached)"}
            page.evaluate(deliver, expired)  # an offer that expired is neither load nor one of today's leads
            assert cells(page, capped.pk) == {"load": "0 / 5", "today": "2 / 3"}
            page.evaluate(deliver, fresh)
            assert cells(page, free.pk) == {"load": "1 / 4", "today": "1 (no daily cap)"}
            page.evaluate(deliver, recounted)
            assert cells(page, capped.pk)["today"] == "7 / 3 (cap reached)"  # the server's number wins
        finally:
            browser.close()


def test_admin_rep_list_counts_today_from_midnight_in_each_reps_time_zone(admin_client):
    import zoneinfo

    from assignments.selectors import leads_taken_today

    for username, zone in (("kiritimati", "Pacific/Kiritimati"), ("honolulu", "Pacific/Honolulu")):
        rep = RepFactory(user__username=username, timezone=zone, daily_cap=9)
        midnight = now().astimezone(zoneinfo.ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
        for minutes in (-1, 1, 2):  # one the evening before, two since midnight
            AssignmentFactory(rep=rep, offered_at=midnight + dt.timedelta(minutes=minutes))
        assert leads_taken_today(rep_id=rep.pk, timezone=zone) == 2
    body = admin_client.get("/admin/assignments/rep/").content.decode()
    for username in ("kiritimati", "honolulu"):
        row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*>{username}<(?:(?!</tr>).)*</tr>', body, re.DOTALL).group(0)
        assert "2 / 9" in row
