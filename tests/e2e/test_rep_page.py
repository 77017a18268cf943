"""A rep on /rep/ in a real browser: offers appear without reload, accept, call log, expiry, markup stays text."""

import os
import re
import signal
from pathlib import Path

import pytest

from tests.liveserver import children_of

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"


def card(page, lead_id: int):
    return page.locator(f'.lead-card[data-lead-id="{lead_id}"]')


def test_offer_appears_live_then_rep_accepts_and_logs_a_call(signed_in, floor):
    page = signed_in("carla", "/rep/")
    loads = []
    page.on("load", lambda _: loads.append(1))

    lead_id = floor.post_lead(language="es", first_name="Lucía", last_name="Fernández")
    offer = card(page, lead_id)
    offer.wait_for(state="visible", timeout=5_000)
    assert re.fullmatch(r"\d+", offer.get_attribute("data-assignment-id"))
    assert offer.locator(".lead-name").text_content() == "Lucía Fernández"
    assert offer.locator('[data-field="language"]').text_content() == "ES"
    assert "Solar" in offer.locator('[data-field="campaign"]').text_content()
    assert re.fullmatch(r"\d:\d\d left", offer.locator(".countdown").text_content())
    page.screenshot(path="/tmp/rep.png", full_page=True)

    offer.locator('[data-action="accept"]').click()
    call = offer.locator("a.call-link")
    call.wait_for(state="visible")
    assert not offer.locator('[data-action="accept"]').is_visible()
    assert re.fullmatch(r"tel:\+1415555\d{4}", call.get_attribute("href"))
    assert offer.locator('[data-field="email"]').text_content().endswith("@example.com")
    offer.locator('select[name="channel"]').select_option("call")
    offer.locator('select[name="outcome"]').select_option("no_answer")
    offer.locator('button[data-action="log"]').click()
    offer.locator('[data-field="contacted"]', has_text="Logged call (No answer)").wait_for()

    lead = floor.api(f"leads/{lead_id}/")
    assert lead["accepted_at"] and lead["first_contact_at"] and lead["status"] == "contacted"
    assert loads == []  # all of it without a reload


def test_offer_card_disappears_when_the_offer_expires(signed_in, floor):
    page = signed_in("erika", "/rep/")
    lead_id = floor.post_lead(language="de", first_name="Greta", last_name="Schmidt")
    offer = card(page, lead_id)
    offer.wait_for(state="visible", timeout=5_000)
    # German offers last 5 s; the floor clock expires them within a second after that.
    offer.wait_for(state="detached", timeout=10_000)
    page.locator("#toast", has_text="The offer of Greta Schmidt expired.").wait_for()
    assert page.locator("#empty").is_visible()


def test_lead_name_with_markup_is_shown_as_text_and_runs_nothing(signed_in, floor):
    rep = signed_in("carla", "/rep/")
    board = signed_in("manager", "/live/")
    dialogs = []
    for page in (rep, board):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    first, last = XSS.split(" ", 1)  # the lead's full name is exactly the markup
    lead_id = floor.post_lead(language="es", first_name=first, last_name=last)
    offer = card(rep, lead_id)
    offer.wait_for(state="visible", timeout=5_000)
    assert offer.locator(".lead-name").text_content() == XSS
    row = board.locator(f'#feed tr[data-lead-id="{lead_id}"]')
    row.wait_for(timeout=5_000)
    assert row.locator('[data-field="name"]').text_content() == XSS

    rep.reload()  # the server-rendered first paint escapes it too
    card(rep, lead_id).wait_for()
    assert card(rep, lead_id).locator(".lead-name").text_content() == XSS
    rep.wait_for_timeout(300)
    for page in (rep, board):
        assert page.locator("img[src='x']").count() == 0
        assert page.get_by_text(XSS, exact=True).first.is_visible()
    assert dialogs == []


def test_phone_sized_screen_shows_the_whole_card(signed_in, floor):
    page = signed_in("carla", "/rep/", viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    lead_id = floor.post_lead(language="es", first_name="Maximiliana", last_name="Villavicencio-Santisteban")
    offer = card(page, lead_id)
    offer.wait_for(state="visible", timeout=5_000)
    box = offer.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_page_reconnects_and_resyncs_after_the_web_process_restarts(signed_in, floor):
    page = signed_in("carla", "/rep/")
    kept = floor.post_lead(language="es", first_name="Inés", last_name="Restart")
    card(page, kept).wait_for(state="visible", timeout=5_000)
    web = [pid for pid in children_of(floor.pid) if b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(web) == 1
    os.kill(web[0], signal.SIGKILL)  # `run` starts a new web process; the page must find it by itself
    page.locator("#conn.conn-down, #conn.conn-connecting").wait_for(timeout=10_000)
    page.locator("#conn.conn-live").wait_for(timeout=60_000)
    assert card(page, kept).is_visible()  # the open offer is still there after the resync
    fresh = floor.post_lead(language="es", first_name="Nuevo", last_name="Despues")
    card(page, fresh).wait_for(state="visible", timeout=5_000)  # and live push works again
