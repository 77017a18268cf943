"""Front end in a real browser: skip link, one badge palette on the pages and in the admin, the replay's live
progress."""

import json
import re

import pytest

pytestmark = pytest.mark.e2e

AWAY = ("rgb(255, 248, 197)", "rgb(125, 78, 0)")  # palette.css .badge-away: background, text

REPLAY_SETUP = """
import datetime as dt, json
from assignments.models import ReplayRun
run = ReplayRun.objects.create(ruleset_name="E2E draft", since=dt.date(2030, 1, 1), until=dt.date(2030, 1, 2),
                               rules=[], status="running", total=200, done=20)
print(json.dumps({"id": run.pk}))
"""


def colours(locator) -> tuple[str, str]:
    return tuple(locator.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"))


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(signed_in):
    page = signed_in("carla", "/rep/")
    link = page.locator("a.skip-link")
    assert not link.is_visible() or link.bounding_box()["y"] + link.bounding_box()["height"] <= 0
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = link.bounding_box()
    assert box["y"] >= 0 and link.text_content() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    assert page.locator("#queue").get_attribute("aria-live") == "polite"


def test_badges_have_the_same_palette_colours_on_the_board_and_in_the_admin(signed_in, plain_page):
    board = signed_in("manager", "/live/")
    away = board.locator('#reps tr', has_text="diego").locator('[data-field="status"]')
    assert away.get_attribute("class") == "badge badge-away"
    assert colours(away) == AWAY

    admin = plain_page("manager", "/admin/assignments/rep/")
    badge = admin.locator("tr", has_text="diego").locator("span.badge")
    assert badge.get_attribute("class") == "badge badge-away" and badge.get_attribute("style") is None
    assert colours(badge) == AWAY


def test_replay_page_shows_progress_live_then_the_result_without_reloading(plain_page, floor):
    run_id = json.loads(floor.manage("shell", "-c", REPLAY_SETUP).strip().splitlines()[-1])["id"]
    page = plain_page("manager", f"/lab/replays/{run_id}/")
    loads = []
    page.on("load", lambda _: loads.append(1))
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert page.locator("#replay-heading").text_content() == "Running: 20 of 200 leads (10%)"

    floor.manage("shell", "-c", f"from assignments.models import ReplayRun; "
                                f"ReplayRun.objects.filter(pk={run_id}).update(done=150)")
    page.locator("#replay-heading", has_text="Running: 150 of 200 leads (75%)").wait_for(timeout=10_000)
    assert page.locator("#replay-bar").evaluate("el => el.value") == 75

    floor.manage("shell", "-c", f"from assignments.models import ReplayRun; "
                                f"ReplayRun.objects.filter(pk={run_id}).update(status='failed', error='Stopped <b>')")
    page.locator(".errornote", has_text="The replay failed: Stopped <b>").wait_for(timeout=10_000)
    assert page.locator("#replay-progress").count() == 0 and page.locator(".errornote b").count() == 0
    assert loads == [] and re.search(rf"/lab/replays/{run_id}/$", page.url)
