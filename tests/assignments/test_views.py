"""`/rep/` and `/live/`: who may open them, the server-rendered first paint, escaping, and their assets."""

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from assignments import services
from assignments.models import Assignment, Rep
from tests.clients import signed_in
from tests.factories import LeadFactory, ManagerFactory, RepFactory, RoutingRuleFactory, UserFactory

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"
STATIC = Path(__file__).resolve().parents[2] / "assignments" / "static" / "assignments"


@pytest.fixture
def offer() -> Assignment:
    RoutingRuleFactory(name="Everyone")
    RepFactory()
    lead = LeadFactory(first_name=XSS, last_name="Ng", region="CA", postal_code="94103", skill="solar")
    result = services.lead_route(lead_id=lead.pk)
    return Assignment.objects.select_related("lead__campaign", "rep__user").get(pk=result.assignment_ids[0])


def test_pages_need_a_sign_in():
    for path in ("/rep/", "/live/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_rep_page_renders_open_offers_escaped_with_data_ids(offer):
    response = signed_in(offer.rep.user).get("/rep/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-lead-id="{offer.lead_id}" data-assignment-id="{offer.pk}"' in html
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt; Ng" in html
    assert "CA, 94103, US" in html and ">solar<" in html and offer.lead.campaign.name in html
    assert f'data-expires-at="{offer.expires_at.isoformat()}"' in html
    initial = json.loads(re.search(r'<script id="initial-state" type="application/json">(.*?)</script>', html,
                                   re.S).group(1))
    assert [a["id"] for a in initial["assignments"]] == [offer.pk]
    assert initial["assignments"][0]["lead"]["name"] == f"{XSS} Ng"
    assert initial["rep"]["status"] == "available"
    assert 'name="csrf-token"' in html
    assert "/static/assignments/rep.js" in html and "/static/assignments/live.css" in html
    assert offer.lead.phone not in html  # contact details only once accepted


def test_rep_page_shows_call_link_and_details_of_accepted_lead(offer):
    services.assignment_accept(assignment_id=offer.pk, rep=offer.rep)
    html = signed_in(offer.rep.user).get("/rep/").content.decode()
    assert f'href="tel:{offer.lead.phone}"' in html and offer.lead.email in html


def test_rep_page_lists_only_the_reps_own_open_assignments(offer):
    other = RepFactory(languages=["de"])
    html = signed_in(other.user).get("/rep/").content.decode()
    assert "data-assignment-id=\"" + str(offer.pk) not in html
    assert 'id="empty" class="empty muted">' in html  # the empty note is visible


def test_manager_is_sent_from_rep_page_to_the_board():
    response = signed_in(ManagerFactory()).get("/rep/")
    assert response.status_code == 302 and response["Location"] == "/live/"


def test_user_without_a_role_gets_a_friendly_403():
    user = UserFactory()
    for path, text in (("/rep/", "This page is for reps"), ("/live/", "The live board is for sales managers")):
        response = signed_in(user).get(path)
        assert response.status_code == 403
        assert text in response.content.decode()


def test_rep_cannot_open_the_board(offer):
    assert signed_in(offer.rep.user).get("/live/").status_code == 403


def test_board_renders_assignments_waiting_leads_and_reps(offer):
    away = RepFactory(status=Rep.Status.AWAY, languages=["fr"])
    waiting = LeadFactory(first_name="Wanda", last_name="Waits", language="fr")
    assert services.lead_route(lead_id=waiting.pk).action == "waiting"
    response = signed_in(ManagerFactory()).get("/live/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-lead-id="{offer.lead_id}" data-assignment-id="{offer.pk}"' in html
    assert f'<tr data-lead-id="{waiting.pk}" data-received-at=' in html and "Wanda Waits" in html
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert f'data-rep-id="{away.pk}"' in html and f'data-rep-id="{offer.rep_id}"' in html
    assert '<span class="n" id="waiting-count">1</span>' in html
    assert '<span class="n" id="offered-count">1</span>' in html
    assert '<span class="n" id="available-count">1</span>' in html
    assert "/static/assignments/live.js" in html


@pytest.mark.parametrize("name", ["rep.js", "live.js", "live.css"])
def test_assets_are_served_by_the_app(name):
    response = Client().get(f"/static/assignments/{name}")
    assert response.status_code == 200
    assert int(response["Content-Length"]) == (STATIC / name).stat().st_size
    assert response["Content-Type"].split(";")[0] in ("text/javascript", "application/javascript", "text/css")


@pytest.mark.parametrize("name", ["rep.js", "live.js"])
def test_scripts_never_write_html(name):
    source = (STATIC / name).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source
