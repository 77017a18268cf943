"""The rep workspace: `/rep/` with its tabs (queue, my leads, due) and the lead page `/rep/leads/<id>/` (owner and
managers only, everything escaped)."""

import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.test import Client

from assignments import services
from assignments.models import Assignment
from assignments.views import stage_moves
from campaigns.models import Lead
from tests.clients import signed_in
from tests.factories import LeadFactory, ManagerFactory, RepFactory, RoutingRuleFactory, UserFactory

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"
STATIC = Path(__file__).resolve().parents[2] / "assignments" / "static" / "assignments"


def lead_state(html: str) -> dict:
    return json.loads(re.search(r'<script id="lead-state" type="application/json">(.*?)</script>', html, re.S).group(1))


@pytest.fixture
def owned() -> Assignment:
    """An accepted offer: the rep owns a lead whose name and supplier answers hold markup."""
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory()
    lead = LeadFactory(first_name=XSS, last_name="Ng", skill="solar", region="CA", external_id="ext-77",
                       fields={"roof": "south", "monthly_bill": 180, "<b>shade</b>": "<i>some</i>",
                               "owner": True, "panels": ["a", "b"]})
    result = services.lead_route(lead_id=lead.pk)
    services.assignment_accept(assignment_id=result.assignment_ids[0], rep=rep)
    Lead.objects.filter(pk=lead.pk).update(score=42)  # routing scored it 0 (no scoring rules)
    return Assignment.objects.select_related("rep__user", "lead__campaign", "lead__supplier").get(
        pk=result.assignment_ids[0])


def url(lead_id: int) -> str:
    return f"/rep/leads/{lead_id}/"


# --- the lead page: who may open it ---------------------------------------------------------------------------------

def test_owner_sees_every_field_the_score_and_why_it_was_routed_to_them(owned):
    lead = owned.lead
    response = signed_in(owned.rep.user).get(url(lead.pk))
    assert response.status_code == 200
    html = response.content.decode()
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert lead.campaign.name in html and lead.supplier.name in html
    assert re.search(r'data-field="score">42<', html)
    for value in (lead.email, lead.phone, "CA", "US", "EN", "solar", "ext-77"):
        assert value in text, value
    # The supplier's answers, each escaped; booleans and lists readable.
    assert "roof" in text and "south" in text and "monthly_bill" in text and "180" in text
    assert "&lt;b&gt;shade&lt;/b&gt;" in html and "&lt;i&gt;some&lt;/i&gt;" in html
    assert "<b>shade</b>" not in html and "<i>some</i>" not in html
    assert re.search(r"<dt>owner</dt><dd>yes</dd>", html) and "[&quot;a&quot;, &quot;b&quot;]" in html
    # Why it was routed to them, in words, addressed to them.
    assert "Why it was routed to you" in html
    assert "Rule &#x27;Everyone&#x27; matched" in html and "chose you" in html
    # The phone is a tel: link.
    assert f'href="tel:{lead.phone}"' in html
    state = lead_state(html)
    assert state["lead"] == {"id": lead.pk, "status": "assigned", "name": f"{XSS} Ng"}
    assert state["assignment_id"] == owned.pk and state["can_log_contact"] is True and state["is_rep"] is True
    assert [e["type"] for e in state["timeline"]] == ["received", "offered", "accepted"]
    assert "/static/assignments/rep_lead.js" in html and "/static/assignments/rep.css" in html
    assert 'name="csrf-token"' in html


def test_another_rep_gets_404_and_so_does_a_user_without_a_role(owned):
    other = RepFactory(languages=["de"])
    assert signed_in(other.user).get(url(owned.lead_id)).status_code == 404
    assert signed_in(UserFactory()).get(url(owned.lead_id)).status_code == 404
    assert signed_in(owned.rep.user).get(url(owned.lead_id + 1000)).status_code == 404


def test_an_offered_lead_is_not_the_reps_yet():
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory()
    lead = LeadFactory()
    services.lead_route(lead_id=lead.pk)
    assert signed_in(rep.user).get(url(lead.pk)).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(owned):
    response = Client().get(url(owned.lead_id))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/rep/leads/{owned.lead_id}/"


def test_manager_sees_the_lead_and_whose_it_is_but_logs_no_contact(owned):
    response = signed_in(ManagerFactory()).get(url(owned.lead_id))
    assert response.status_code == 200
    html = response.content.decode()
    username = owned.rep.user.username
    assert f"Why it was routed to {username}" in html and "chose you" not in html
    assert f"chose rep {owned.rep_id}" in html
    assert f'data-field="owner">{username}<' in html
    state = lead_state(html)
    assert state["can_log_contact"] is False and state["is_rep"] is False and state["assignment_id"] == owned.pk
    assert 'href="/live/"' in html and 'class="rep-tabs"' not in html


def test_manager_opens_a_lead_nobody_owns_and_is_told_there_is_no_routing_story():
    lead = LeadFactory(first_name="Nora", last_name="Nobody")
    html = signed_in(ManagerFactory()).get(url(lead.pk)).content.decode()
    assert "Nora Nobody" in html and "No routing explanation is stored" in html
    assert lead_state(html)["assignment_id"] is None


def test_html_in_the_lead_name_is_escaped_everywhere(owned):
    html = signed_in(owned.rep.user).get(url(owned.lead_id)).content.decode()
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt; Ng" in html
    assert "<title>&lt;img src=x onerror=alert(1)&gt; Ng · LeadCRM</title>" in html
    state_json = re.search(r'<script id="lead-state" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<img" not in state_json and "\\u003Cimg" in state_json


def test_the_page_follows_the_lead_through_its_stages_and_offers_only_allowed_moves(owned):
    assert stage_moves()["assigned"] == ["won", "lost"]  # contacted comes from logging a contact
    assert stage_moves()["contacted"] == ["qualified", "nurture", "unqualified", "won", "lost"]
    assert stage_moves()["qualified"] == ["nurture", "unqualified", "won", "lost"]
    assert stage_moves()["nurture"] == ["qualified", "unqualified", "won", "lost"]
    assert stage_moves()["lost"] == stage_moves()["unqualified"] == ["contacted"]  # reopen
    assert "won" not in stage_moves() and "offered" not in stage_moves()
    client = signed_in(owned.rep.user)
    services.contact_log(assignment_id=owned.pk, rep=owned.rep, channel="call", outcome="connected")
    html = client.get(url(owned.lead_id)).content.decode()
    assert 'class="badge badge-contacted" data-status="contacted">Contacted<' in html
    services.lead_stage_set(lead_id=owned.lead_id, user=owned.rep.user, stage="won")
    html = client.get(url(owned.lead_id)).content.decode()
    assert 'data-status="won">Won<' in html  # still the owner's page once closed
    assert [e["type"] for e in lead_state(html)["timeline"]][-2:] == ["contact", "stage"]


# --- /rep/: the workspace's tabs -------------------------------------------------------------------------------------

def test_rep_page_has_the_queue_my_leads_and_due_tabs_and_filters(owned):
    html = signed_in(owned.rep.user).get("/rep/").content.decode()
    for tab in ("queue", "leads", "due"):
        assert f'href="#{tab}" data-tab="{tab}"' in html
        assert f'id="panel-{tab}"' in html
    assert re.search(r'id="panel-leads" [^>]*hidden', html) and re.search(r'id="panel-due" [^>]*hidden', html)
    assert f'<option value="{owned.lead.campaign.slug}">{owned.lead.campaign.name}</option>' in html
    for stage in ("assigned", "contacted", "qualified", "nurture", "unqualified", "won", "lost"):
        assert f'<option value="{stage}">' in html
    initial = json.loads(re.search(r'<script id="initial-state" type="application/json">(.*?)</script>', html,
                                   re.S).group(1))
    assert initial["stage_labels"]["qualified"] == "Qualified"
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/static/assignments/socket.js", "/static/assignments/rep_common.js",
                       "/static/assignments/rep.js"]


def test_lead_page_nav_leads_back_to_the_rep_tabs(owned):
    html = signed_in(owned.rep.user).get(url(owned.lead_id)).content.decode()
    for tab in ("queue", "leads", "due"):
        assert f'href="/rep/#{tab}" data-tab="{tab}"' in html


# --- assets ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["rep_common.js", "rep_lead.js", "rep.css"])
def test_new_assets_are_served(name):
    response = Client().get(f"/static/assignments/{name}")
    assert response.status_code == 200
    assert int(response["Content-Length"]) == (STATIC / name).stat().st_size


@pytest.mark.parametrize("name", ["rep.js", "rep_common.js", "rep_lead.js"])
def test_workspace_scripts_never_write_html_and_open_no_socket_of_their_own(name):
    source = (STATIC / name).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new WebSocket("):
        assert sink not in source, (name, sink)


def test_workspace_stylesheet_leaves_badge_colours_to_the_palette():
    assert not re.search(r"\.badge\b", re.sub(r"/\*.*?\*/", "", (STATIC / "rep.css").read_text(), flags=re.S))


def test_the_lead_page_shows_the_consent_to_its_owner_and_managers_escaped(owned):
    consent = {"text": f"I agree {XSS}", "given_at": "2026-12-01T08:30:00+00:00", "ip": "203.0.113.7",
               "page_url": "https://solar.example/quote?a=1&b=2"}
    Lead.objects.filter(pk=owned.lead_id).update(consent=consent)
    for user in (owned.rep.user, ManagerFactory()):
        html = signed_in(user).get(url(owned.lead_id)).content.decode()
        section = html[html.index('id="consent-heading"'):html.index('id="timeline-heading"')]
        assert XSS not in section and "I agree &lt;img" in section
        assert "203.0.113.7" in section and 'href="https://solar.example/quote?a=1&amp;b=2"' in section
    Lead.objects.filter(pk=owned.lead_id).update(consent=None)
    html = signed_in(owned.rep.user).get(url(owned.lead_id)).content.decode()
    assert "The supplier sent no consent record." in html
