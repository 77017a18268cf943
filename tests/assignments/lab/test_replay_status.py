"""The replay page's live progress: a JSON status endpoint for managers, polled by lab_replay.js, no meta refresh."""

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse

from assignments.models import ReplayRun
from tests.factories import RepFactory, UserFactory

pytestmark = pytest.mark.django_db
JS = Path(__file__).resolve().parents[3] / "assignments" / "static" / "assignments" / "lab_replay.js"


def replay(**fields) -> ReplayRun:
    return ReplayRun.objects.create(ruleset_name="Draft", since=dt.date(2030, 1, 1), until=dt.date(2030, 1, 2),
                                    rules=[], **fields)


def test_status_endpoint_gives_a_manager_the_progress_as_json(manager_web):
    run = replay(status="running", total=200, done=50)
    response = manager_web.get(reverse("lab-replay-status", args=[run.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {"id": run.pk, "status": "running", "status_display": "Running", "done": 50,
                               "total": 200, "percent": 25, "finished": False, "error": ""}

    run.status, run.done = "done", 200
    run.save()
    body = manager_web.get(reverse("lab-replay-status", args=[run.pk])).json()
    assert body["finished"] is True and body["percent"] == 100 and body["status"] == "done"

    failed = replay(status="failed", total=10, done=3, error="boom")
    body = manager_web.get(reverse("lab-replay-status", args=[failed.pk])).json()
    assert body["finished"] is True and body["error"] == "boom" and body["status_display"] == "Failed"


def test_status_endpoint_is_for_managers_only(client):
    run = replay(status="running", total=10, done=1)
    url = reverse("lab-replay-status", args=[run.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/?next=")
    for user in (RepFactory().user, UserFactory(is_staff=True)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403 and b'"done"' not in response.content
        client.logout()


def test_status_of_a_missing_replay_is_404(manager_web):
    assert manager_web.get("/lab/replays/999999/status/").status_code == 404


@pytest.mark.parametrize("status", ["queued", "running", "done", "failed"])
def test_replay_page_has_no_meta_refresh(manager_web, status):
    run = replay(status=status, total=4, done=4 if status == "done" else 1,
                 state={"result": None} if status != "done" else {})
    html = manager_web.get(reverse("lab-replay", args=[run.pk])).content.decode()
    assert 'http-equiv="refresh"' not in html.lower() and "refreshes every" not in html
    polls = f'data-status-url="{reverse("lab-replay-status", args=[run.pk])}"' in html
    assert polls == (status in ("queued", "running"))
    if polls:
        assert '<progress id="replay-bar"' in html and 'id="replay-body"' in html


def test_the_polling_script_updates_the_bar_and_swaps_in_the_result_without_a_reload():
    js = JS.read_text()
    assert "data-status-url" in js and "bar.value = run.percent" in js and "replay-heading" in js
    assert "DOMParser" in js and "replay-body" in js  # the result replaces the progress in place
    assert "innerHTML" not in js
