"""The rep workspace in a real browser: accept an offer, work the lead on its page (note, callback that falls due
live, contact, stage), find it under My leads; decline with a reason; and all of it on a phone-sized screen."""

import re

import pytest

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

# The browser's wall clock `seconds` ahead, as a datetime-local value (seconds dropped when 0: the input
# normalises "…:00" away and Playwright's fill would call the value malformed).
LOCAL_SOON = """seconds => {
  const d = new Date(Date.now() + seconds * 1000), p = n => String(n).padStart(2, "0");
  let value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  if (d.getSeconds()) { value += `:${p(d.getSeconds())}`; }
  return value;
}"""

# Visible things to tap that are lower than 40 px, and how wide the page is.
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    "main a[href], main button, main input, main select, main textarea, .topbar a, .topbar button"))
  .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
  .filter(el => el.getBoundingClientRect().height < 40)
  .map(el => el.outerHTML.slice(0, 100))"""


def card(page, lead_id: int):
    return page.locator(f'.lead-card[data-lead-id="{lead_id}"]')


def offer_arrives(page, floor, *, first: str, last: str):
    """Post a Spanish lead (offered to carla) and wait for its offer card on the queue: (lead id, the card)."""
    lead_id = floor.post_lead(language="es", first_name=first, last_name=last)
    offer = card(page, lead_id)
    offer.wait_for(state="visible", timeout=5_000)
    return lead_id, offer


def assert_fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(SMALL_TARGETS) == []


def log_contact(page, outcome: str, *, channel: str = "", notes: str = "") -> None:
    """On the lead page: log a contact attempt with `outcome` (and the channel and notes, when given), then wait for
    the lead to show as contacted."""
    if channel:
        page.select_option("#contact-channel", channel)
    page.select_option("#contact-outcome", outcome)
    if notes:
        page.fill("#contact-notes", notes)
    page.click("#contact-form button[type=submit]")
    page.locator('#stage-badge[data-status="contacted"]').wait_for()


def work_a_lead(page, floor, *, first: str, last: str, phone: bool = False, on_due=None) -> int:
    """From /rep/: accept a Spanish offer, open its page, note, callback due in 5 s, done, contact, qualified."""
    lead_id, offer = offer_arrives(page, floor, first=first, last=last)
    if phone:
        assert_fits_a_phone(page)
    offer.locator('[data-action="accept"]').click()
    link = offer.locator("a.lead-page-link")
    link.wait_for()
    assert link.get_attribute("href") == f"/rep/leads/{lead_id}/"
    if phone:
        assert_fits_a_phone(page)  # the accepted card: call link, contact form, won / lost
    link.click()
    page.wait_for_url(f"{floor.url}/rep/leads/{lead_id}/")
    page.wait_for_selector("#conn.conn-live")
    assert page.locator("#lead-name").text_content() == f"{first} {last}"
    assert re.fullmatch(r"tel:\+1415555\d{4}", page.locator("#call-link").get_attribute("href"))
    assert page.locator("#stage-badge").get_attribute("data-status") == "assigned"
    assert "Rule" in page.locator("#routed").text_content()
    if phone:
        assert_fits_a_phone(page)

    # A note, markup kept as text.
    page.fill("#note-text", "Wants a quote <b>by Friday</b>")
    page.click("#note-form button[type=submit]")
    page.locator("#note-list .note-text", has_text="Wants a quote <b>by Friday</b>").wait_for()
    page.locator("#timeline .tl-note").wait_for()
    assert page.locator("#note-list b").count() == 0

    # A callback 5 s ahead: it pops up when the floor clock finds it due, and is marked done from the pop-up.
    page.fill("#callback-note", "Call about the quote")
    page.fill("#callback-due", page.evaluate(LOCAL_SOON, 5))
    page.click("#callback-form button[type=submit]")
    page.locator('#callback-list .callback-item:not([data-state="done"])').wait_for()
    alert = page.locator(".due-alert.this-lead")
    alert.wait_for(timeout=15_000)
    assert "Call about the quote" in alert.text_content()
    if on_due:
        on_due(lead_id)
    if phone:
        assert_fits_a_phone(page)
    alert.locator("button.due-done").click()
    alert.wait_for(state="detached")
    page.locator('#callback-list .callback-item[data-state="done"]').wait_for()

    # The first contact, then a stage move.
    log_contact(page, "connected", channel="call", notes="Spoke with them")
    page.click('#stage-actions button[data-stage="qualified"]')
    page.locator('#stage-badge[data-status="qualified"]').wait_for()
    assert page.locator("#stage-badge").text_content() == "Qualified"
    page.locator("#timeline .tl-stage", has_text="Contacted → Qualified").wait_for()
    assert page.locator('#stage-actions button[data-stage="nurture"]').is_visible()
    if phone:
        assert_fits_a_phone(page)

    timeline = floor.api(f"leads/{lead_id}/timeline/", token=floor.tokens["manager_token"])["events"]
    kinds = [e["type"] for e in timeline]
    assert {"note", "callback", "contact", "stage"} <= set(kinds)
    assert next(e for e in timeline if e["type"] == "callback")["done_at"]
    assert floor.api(f"leads/{lead_id}/")["status"] == "qualified"
    return lead_id


def find_in_my_leads(page, floor, *, lead_id: int, last: str) -> None:
    page.click('.rep-tabs a[data-tab="leads"]')
    page.wait_for_url(f"{floor.url}/rep/#leads")
    page.wait_for_selector("#conn.conn-live")
    page.fill("#lead-q", last)
    row = page.locator(f'#my-leads .lead-row[data-lead-id="{lead_id}"]')
    page.locator("#leads-summary", has_text=re.compile(r"^1–1 of 1 lead$")).wait_for()
    row.wait_for()
    assert page.locator("#my-leads .lead-row").count() == 1
    assert row.locator('[data-field="stage"]').text_content() == "Qualified"
    assert row.locator('[data-field="stage"]').get_attribute("class") == "badge badge-qualified"
    page.select_option("#lead-stage", "lost")
    page.locator("#leads-summary", has_text="No leads match.").wait_for()


def test_rep_accepts_an_offer_and_works_the_lead_on_its_page(signed_in, floor):
    page = signed_in("carla", "/rep/")
    due_tab = page.context.new_page()  # a second tab of the same rep, on the Due list
    due_tab.goto(f"{floor.url}/rep/#due")
    due_tab.wait_for_selector("#conn.conn-live")
    assert due_tab.locator("#panel-due").is_visible() and not due_tab.locator("#panel-queue").is_visible()
    page.bring_to_front()  # a background tab's animation frames are throttled: clicks there wait for them

    def due_in_the_other_tab(lead_id: int) -> None:
        due_tab.locator(f'#due-list .callback-item[data-lead-id="{lead_id}"]').wait_for(timeout=5_000)
        assert due_tab.locator("#due-count").is_visible()

    lead_id = work_a_lead(page, floor, first="Valentina", last="Trabajo", on_due=due_in_the_other_tab)

    # The other tab got the callback live (callback.due), and dropped it when it was marked done here.
    due_tab.locator(f'#due-list .callback-item[data-lead-id="{lead_id}"]').wait_for(state="detached", timeout=5_000)
    find_in_my_leads(page, floor, lead_id=lead_id, last="Trabajo")


def test_the_due_tab_shows_a_callback_live_and_marks_it_done(signed_in, floor):
    page = signed_in("carla", "/rep/")
    lead_id, offer = offer_arrives(page, floor, first="Rocío", last="Llamada")
    offer.locator('[data-action="accept"]').click()
    offer.locator("a.lead-page-link").wait_for()
    lead_page = page.context.new_page()
    lead_page.goto(f"{floor.url}/rep/leads/{lead_id}/")
    lead_page.fill("#callback-due", lead_page.evaluate(LOCAL_SOON, 4))
    lead_page.click("#callback-form button[type=submit]")
    lead_page.locator('#callback-list .callback-item:not([data-state="done"])').wait_for()
    lead_page.close()
    page.bring_to_front()

    page.click('.rep-tabs a[data-tab="due"]')
    item = page.locator(f'#due-list .callback-item[data-lead-id="{lead_id}"]')
    item.wait_for(timeout=15_000)
    assert page.locator("#due-count").text_content() != "" and page.locator("#due-count").is_visible()
    assert item.locator('[data-field="name"]').text_content() == "Rocío Llamada"
    assert re.fullmatch(r"tel:\+1415555\d{4}", item.locator('[data-field="tel"]').get_attribute("href"))
    item.locator('button[data-action="done"]').click()
    item.wait_for(state="detached")
    page.reload()
    page.wait_for_selector("#conn.conn-live")
    assert page.locator(f'#due-list .callback-item[data-lead-id="{lead_id}"]').count() == 0


def test_decline_asks_for_a_reason_from_the_list(signed_in, floor):
    page = signed_in("carla", "/rep/")
    lead_id, offer = offer_arrives(page, floor, first="Paco", last="Rechazo")
    assignment_id = offer.get_attribute("data-assignment-id")
    offer.locator('[data-action="decline"]').click()
    picker = offer.locator("form.reason-form")
    picker.wait_for()
    assert not offer.locator('[data-action="accept"]').is_visible()
    options = picker.locator("select option").evaluate_all("os => os.map(o => o.value)")
    assert options[0] == "" and "busy" in options
    picker.locator(".reason-confirm").click()  # no reason picked yet: the browser asks for one, nothing is sent
    page.wait_for_timeout(300)
    assert offer.is_visible() and picker.locator("select:invalid").count() == 1
    picker.locator("select").select_option("busy")
    picker.locator(".reason-confirm").click()
    offer.wait_for(state="detached")
    page.locator("#toast", has_text="Declined").wait_for()
    assignment = floor.api(f"assignments/{assignment_id}/", token=floor.tokens["manager_token"])
    assert (assignment["status"], assignment["decline_reason"]) == ("declined", "busy")


def test_lost_from_the_queue_asks_for_a_lost_reason(signed_in, floor):
    page = signed_in("carla", "/rep/")
    lead_id, offer = offer_arrives(page, floor, first="Lola", last="Perdida")
    offer.locator('[data-action="accept"]').click()
    offer.locator('[data-action="lost"]').click()
    picker = offer.locator('form.reason-form[data-kind="lost"]')
    picker.wait_for()
    assert not offer.locator(".close-actions").is_visible()
    reason = picker.locator("select option").nth(1).get_attribute("value")
    picker.locator("select").select_option(reason)
    picker.locator(".reason-confirm").click()
    offer.wait_for(state="detached")
    timeline = floor.api(f"leads/{lead_id}/timeline/", token=floor.tokens["manager_token"])["events"]
    stage = next(e for e in timeline if e["type"] == "stage")
    assert (stage["to"], stage["reason"], stage["by"]) == ("lost", reason, "carla")


def test_unqualified_needs_a_reason_and_the_lead_reopens(signed_in, floor):
    page = signed_in("carla", "/rep/")
    lead_id, offer = offer_arrives(page, floor, first="Ulises", last="Reabierto")
    offer.locator('[data-action="accept"]').click()
    offer.locator("a.lead-page-link").click()
    page.wait_for_url(f"{floor.url}/rep/leads/{lead_id}/")
    assert [b.get_attribute("data-stage") for b in page.locator("#stage-actions button").all()] == ["won", "lost"]
    log_contact(page, "no_answer")
    page.click('#stage-actions button[data-stage="unqualified"]')
    page.locator("#stage-reason").wait_for()
    assert page.locator("#stage-reason-label").text_content() == "Why is it unqualified?"
    page.locator("#stage-reason-select").select_option(index=1)
    label = page.locator("#stage-reason-select option:checked").text_content()
    page.click("#stage-reason .reason-confirm")
    page.locator('#stage-badge[data-status="unqualified"]').wait_for()
    page.locator("#timeline .tl-stage", has_text=label).wait_for()
    assert [b.get_attribute("data-stage") for b in page.locator("#stage-actions button").all()] == ["contacted"]
    page.click('#stage-actions button[data-stage="contacted"]')  # Reopen
    page.locator('#stage-badge[data-status="contacted"]').wait_for()
    assert page.locator("#contact-section").is_visible()


def test_phone_sized_screen_works_the_lead_too(signed_in, floor):
    # Another zone than the server's: the callback's time goes out with the browser's own UTC offset.
    page = signed_in("carla", "/rep/", timezone_id="America/Los_Angeles", **PHONE)
    assert_fits_a_phone(page)
    lead_id = work_a_lead(page, floor, first="Maximiliana", last="Villavicencio-Móvil", phone=True)
    find_in_my_leads(page, floor, lead_id=lead_id, last="Villavicencio-Móvil")
    assert_fits_a_phone(page)
    page.click('.rep-tabs a[data-tab="due"]')
    assert_fits_a_phone(page)


def test_markup_in_a_lead_stays_text_on_the_lead_page_and_in_my_leads(signed_in, floor):
    xss = "<img src=x onerror=alert(1)>"
    page = signed_in("carla", "/rep/")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    first, last = xss.split(" ", 1)
    lead_id, offer = offer_arrives(page, floor, first=first, last=last)
    offer.locator('[data-action="accept"]').click()
    offer.locator("a.lead-page-link").click()
    page.wait_for_url(f"{floor.url}/rep/leads/{lead_id}/")
    assert page.locator("#lead-name").text_content() == xss
    page.fill("#note-text", xss)
    page.click("#note-form button[type=submit]")
    page.locator("#note-list .note-text", has_text=xss).wait_for()
    page.locator("#timeline .tl-detail", has_text=xss).wait_for()
    page.click('.rep-tabs a[data-tab="leads"]')
    page.wait_for_url(f"{floor.url}/rep/#leads")
    row = page.locator(f'#my-leads .lead-row[data-lead-id="{lead_id}"]')
    row.wait_for()
    assert row.locator('[data-field="name"]').text_content() == xss
    page.wait_for_timeout(300)
    assert page.locator("img[src='x']").count() == 0 and dialogs == []
