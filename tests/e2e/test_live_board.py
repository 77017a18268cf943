"""A manager's /live/ in a real browser: assignments as they happen, waiting leads with their age, reps; and acting
on the floor from it: assign and reassign a lead (the reps' /rep/ follow without a reload), set a rep's status, and
alerts pushed live."""

import json
import re

import pytest

pytestmark = pytest.mark.e2e


def card(page, lead_id: int):
    return page.locator(f'.lead-card[data-lead-id="{lead_id}"]')


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
    assert row.locator('[data-field="name"] a').get_attribute("href") == f"/rep/leads/{offered}/"

    before = int(page.locator("#waiting-count").text_content())
    waiting = floor.post_lead(language="fr", first_name="Jeanne", last_name="Martin")  # nobody speaks French
    lead_row = page.locator(f'#waiting tr[data-lead-id="{waiting}"]')
    lead_row.wait_for(timeout=5_000)
    page.locator("#waiting-count", has_text=str(before + 1)).wait_for()
    lead_row.locator('[data-field="name"]', has_text="Jeanne Martin").wait_for(timeout=5_000)
    lead_row.locator('[data-field="age"]', has_text=re.compile(r"^\d+ s$")).wait_for(timeout=5_000)
    assert lead_row.locator('[data-field="name"] a').get_attribute("href") == f"/rep/leads/{waiting}/"

    giulia = page.locator("#reps tr", has_text="giulia")
    assert re.match(r"\d+ / 100", giulia.locator('[data-field="load"]').text_content())


def test_manager_assigns_then_reassigns_from_the_board_and_the_reps_pages_follow_live(signed_in, floor):
    alice = signed_in("alice", "/rep/")
    bob = signed_in("bob", "/rep/")
    # Newest first: the new lead tops page 1 however many leads earlier tests left waiting.
    board = signed_in("manager", "/live/?sort=newest")
    loads = []
    for page in (alice, bob, board):
        page.on("load", lambda _: loads.append(1))

    lead_id = floor.post_lead(language="fr", first_name="Amélie", last_name="Poulain")  # waits: nobody speaks it
    waiting_row = board.locator(f'#waiting tr[data-lead-id="{lead_id}"]')
    waiting_row.wait_for(timeout=5_000)
    waiting_row.locator("button.assign-open").click()
    form = waiting_row.locator("#assign-form")
    form.locator('select[name="rep"]').select_option("alice")
    form.locator('button[type="submit"]').click()

    card(alice, lead_id).wait_for(state="visible", timeout=5_000)
    alice.locator("#toast", has_text="A manager gave you Amélie Poulain.").wait_for()
    waiting_row.wait_for(state="detached", timeout=5_000)
    feed_row = board.locator(f'#feed tr[data-lead-id="{lead_id}"]', has_text="alice")
    feed_row.wait_for(timeout=5_000)
    assert feed_row.locator('[data-field="status"]').text_content() == "accepted"

    feed_row.locator("button.assign-open").click()
    form = feed_row.locator("#assign-form")
    form.locator('select[name="rep"]').select_option("bob")
    form.locator('button[type="submit"]').click()

    card(bob, lead_id).wait_for(state="visible", timeout=5_000)
    card(alice, lead_id).wait_for(state="detached", timeout=5_000)
    assert bob.locator(f'.lead-card[data-lead-id="{lead_id}"] .lead-name').text_content() == "Amélie Poulain"
    board.locator(f'#feed tr[data-lead-id="{lead_id}"]', has_text="bob").wait_for(timeout=5_000)
    lead = floor.api(f"leads/{lead_id}/", token=floor.tokens["manager_token"])
    assert (lead["status"], lead["assigned_rep"]) == ("assigned", "bob")
    assert loads == []


def test_an_assign_the_api_refuses_shows_its_message_inline(signed_in, floor):
    board = signed_in("manager", "/live/?sort=newest")
    lead_id = floor.post_lead(language="fr", first_name="Closed", last_name="Case")
    waiting_row = board.locator(f'#waiting tr[data-lead-id="{lead_id}"]')
    waiting_row.wait_for(timeout=5_000)
    # The form opens first: a waiting-list refresh (any floor event) would drop the lead once it is lost, and an
    # open form is kept across refreshes.
    waiting_row.locator("button.assign-open").click()
    form = board.locator("#assign-form")
    form.locator('select[name="rep"]').select_option("alice")
    floor.manage("shell", "-c", f"from campaigns.models import Lead; "
                                f"Lead.objects.filter(pk={lead_id}).update(status='lost')")
    form.locator('button[type="submit"]').click()
    form.locator(".assign-error", has_text="(lead_closed)").wait_for(timeout=5_000)
    assert form.is_visible()


def test_manager_sets_a_reps_status_and_the_board_shows_it(signed_in, floor):
    board = signed_in("manager", "/live/")
    felix = board.locator("#reps tr", has_text="felix")
    assert felix.locator('[data-field="status"]').text_content().startswith("away")
    felix.locator("select.rep-status").select_option("offline")
    felix.locator('[data-field="status"]', has_text="offline").wait_for(timeout=5_000)
    other = signed_in("manager", "/live/")  # a second board learns it from rep.updated
    other.locator("#reps tr", has_text="felix").locator('[data-field="status"]', has_text="offline").wait_for()
    felix.locator("select.rep-status").select_option("away")
    other.locator("#reps tr", has_text="felix").locator('[data-field="status"]', has_text="away").wait_for(
        timeout=5_000)


def test_a_floor_alert_appears_on_the_board_without_a_reload(signed_in, floor):
    board = signed_in("manager", "/live/")
    loads = []
    board.on("load", lambda _: loads.append(1))
    lead_id = floor.post_lead(language="fr", first_name="Late", last_name="Caller")
    floor.manage("shell", "-c", (
        "from assignments.services.alerts import floor_alert_raise; "
        f"floor_alert_raise(kind='waiting_too_long', key='e2e:{lead_id}', lead_id={lead_id}, "
        f"message={json.dumps(f'Lead #{lead_id} has waited too long <b>now</b>.')})"))
    alert = board.locator(f'#alerts li[data-lead-id="{lead_id}"]')
    alert.wait_for(timeout=5_000)
    assert alert.locator(".alert-kind").text_content() == "Waiting longer than its rule allows"
    assert alert.locator(".alert-message").text_content() == f"Lead #{lead_id} has waited too long <b>now</b>."
    assert alert.locator("a.alert-lead").get_attribute("href") == f"/rep/leads/{lead_id}/"
    assert re.search(r"\d", alert.locator("time").text_content())
    assert board.locator("#alerts li").first.get_attribute("data-lead-id") == str(lead_id)  # newest first
    assert not board.locator("#alerts-empty").is_visible()
    assert loads == []
    board.reload()  # the first paint lists it from the database
    board.locator(f'#alerts li[data-lead-id="{lead_id}"]').wait_for()


def test_with_a_filter_on_a_new_waiting_lead_that_does_not_match_is_counted_not_shown(signed_in, floor):
    board = signed_in("manager", "/live/?campaign=mortgage-intl")
    assert board.locator('select[name="campaign"]').input_value() == "mortgage-intl"
    before = int(board.locator("#waiting-count").text_content())
    lead_id = floor.post_lead(language="fr", first_name="Other", last_name="Campaign")  # solar-us
    board.locator("#waiting-count", has_text=str(before + 1)).wait_for(timeout=5_000)
    board.wait_for_timeout(2_500)  # past the list's refresh from the server
    assert board.locator(f'#waiting tr[data-lead-id="{lead_id}"]').count() == 0
    assert int(board.locator("#waiting-window").get_attribute("data-total")) >= before + 1

    board.locator('select[name="campaign"]').select_option("solar-us")  # the filter applies on change (GET)
    board.wait_for_url(re.compile(r"campaign=solar-us"))
    board.locator('select[name="sort"]').select_option("newest")
    board.wait_for_url(re.compile(r"campaign=solar-us&sort=newest"))
    board.locator(f'#waiting tr[data-lead-id="{lead_id}"]').wait_for(timeout=5_000)
    assert re.search(r"matching \([\d,]+ waiting in all\)", board.locator("#waiting-shown").text_content())


def test_manager_assigns_from_the_lead_page(signed_in, floor):
    bob = signed_in("bob", "/rep/")
    lead_id = floor.post_lead(language="fr", first_name="Page", last_name="Assigned")
    page = signed_in("manager", f"/rep/leads/{lead_id}/")
    page.locator('[data-field="owner"]', has_text="nobody").wait_for()
    page.locator('#assign-form select[name="rep"]').select_option("bob")
    page.locator('#assign-form button[type="submit"]').click()
    page.locator('[data-field="owner"]', has_text="bob").wait_for(timeout=5_000)
    page.locator("#stage-badge", has_text="Not contacted yet").wait_for()
    card(bob, lead_id).wait_for(state="visible", timeout=5_000)

    floor.manage("shell", "-c", f"from campaigns.models import Lead; "
                                f"Lead.objects.filter(pk={lead_id}).update(status='won')")
    page.locator('#assign-form select[name="rep"]').select_option("alice")
    page.locator('#assign-form button[type="submit"]').click()
    page.locator("#assign-form .form-error", has_text="(lead_closed)").wait_for(timeout=5_000)
