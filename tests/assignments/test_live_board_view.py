"""`/live/` a manager can act on: links to each lead, assign controls, alerts, and a waiting list filtered by campaign
or rule, sorted by age and shown one page at a time, in a fixed number of queries however many leads wait."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from assignments.models import FloorAlert, Rep
from assignments.selectors_live import WAITING_PAGE_SIZE
from campaigns.models import Lead
from tests.clients import signed_in
from tests.factories import (
    AssignmentFactory,
    CampaignFactory,
    LeadFactory,
    RepFactory,
    RoutingRuleFactory,
    RuleConditionFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(manager_web):
    """The test client signed in as a manager, who may open /live/."""
    return manager_web


def waiting(count: int, *, campaign=None, language: str = "en", start: dt.datetime | None = None) -> list[int]:
    """`count` waiting leads, one a minute from `start` (oldest first); their ids in that order."""
    campaign = campaign or CampaignFactory()
    supplier = SupplierFactory()
    start = start or now() - dt.timedelta(days=1)
    leads = Lead.objects.bulk_create(
        Lead(campaign=campaign, supplier=supplier, first_name="Wait", last_name=f"Er{n}", country="US",
             language=language, status=Lead.Status.WAITING, waiting_reason="No rep available",
             received_at=start + dt.timedelta(minutes=n))
        for n in range(count))
    return [lead.pk for lead in leads]


def waiting_ids(html: str) -> list[int]:
    body = re.search(r'<tbody id="waiting">(.*?)</tbody>', html, re.S).group(1)
    return [int(pk) for pk in re.findall(r'<tr data-lead-id="(\d+)"', body)]


def get(client: Client, query: str = "") -> str:
    response = client.get(f"/live/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_each_lead_links_to_its_page_and_has_an_assign_control(board):
    [lead_id] = waiting(1)
    offer = AssignmentFactory()
    html = get(board)
    assert f'<tr data-lead-id="{lead_id}" data-received-at=' in html
    assert f'<a href="/rep/leads/{lead_id}/">Wait Er0</a>' in html
    assert f'data-lead-id="{offer.lead_id}" data-assignment-id="{offer.pk}"' in html
    assert f'<a href="/rep/leads/{offer.lead_id}/">' in html
    assert f'class="assign-open" data-lead-id="{lead_id}">Assign…<' in html
    assert f'class="assign-open" data-lead-id="{offer.lead_id}">Reassign…<' in html
    # The assign form lists active reps only; each rep row has a status select at the rep's status.
    inactive = RepFactory(active=False)
    html = get(board)
    form = re.search(r'<form id="assign-form".*?</form>', html, re.S).group(0)
    assert f'<option value="{offer.rep.user.username}">' in form and inactive.user.username not in form
    row = re.search(rf'<tr data-rep-id="{offer.rep_id}">.*?</tr>', html, re.S).group(0)
    assert '<select class="rep-status"' in row and '<option value="available" selected>Available</option>' in row
    assert 'name="csrf-token"' in html


def test_the_first_paint_shows_one_page_of_many_waiting_leads_with_the_count(board):
    ids = waiting(WAITING_PAGE_SIZE * 2 + 20)
    html = get(board)
    assert waiting_ids(html) == ids[:WAITING_PAGE_SIZE]  # oldest first
    assert f"Showing 1–{WAITING_PAGE_SIZE} of 120" in html
    assert '<span class="n" id="waiting-count">120</span>' in html
    assert "Page 1 of 3" in html and 'href="?page=2" rel="next"' in html

    html = get(board, "?page=3")
    assert waiting_ids(html) == ids[2 * WAITING_PAGE_SIZE:]
    assert "Showing 101–120 of 120" in html and 'href="?page=2" rel="prev"' in html
    assert waiting_ids(get(board, "?page=99")) == ids[2 * WAITING_PAGE_SIZE:]  # past the end: the last page


def test_newest_first_reverses_the_order_and_pages_keep_the_order(board):
    ids = waiting(60)
    html = get(board, "?sort=newest")
    assert waiting_ids(html) == ids[::-1][:WAITING_PAGE_SIZE]
    assert 'href="?sort=newest&amp;page=2" rel="next"' in html
    assert '<option value="newest" selected>' in html
    assert waiting_ids(get(board, "?sort=newest&page=2")) == ids[::-1][WAITING_PAGE_SIZE:]


def test_filter_by_campaign_counts_matching_and_all(board):
    solar, roofs = CampaignFactory(slug="solar", name="Solar"), CampaignFactory(slug="roofs", name="Roofs")
    solar_ids = waiting(3, campaign=solar)
    waiting(4, campaign=roofs)
    html = get(board, "?campaign=solar")
    assert waiting_ids(html) == solar_ids
    assert "Showing 1–3 of 3 matching (7 waiting in all)" in html
    assert '<option value="solar" selected>Solar</option>' in html
    assert '<span class="n" id="waiting-count">7</span>' in html  # the floor's count, whatever the filter
    assert 'data-campaign="solar"' in html
    html = get(board, "?campaign=nope")
    assert waiting_ids(html) == [] and "None of the 7 waiting leads matches these filters." in html


def test_filter_by_rule_uses_the_routing_engines_match(board):
    german = RoutingRuleFactory(name="German desk", order=1)
    RuleConditionFactory(rule=german, field="language", op="eq", value="de")
    english = RoutingRuleFactory(name="English desk", order=2)
    RuleConditionFactory(rule=english, field="language", op="eq", value="en")
    de = waiting(2, language="de")
    en = waiting(3, language="en")
    fr = waiting(1, language="fr")
    assert waiting_ids(get(board, f"?rule={german.pk}")) == de
    html = get(board, f"?rule={english.pk}&sort=newest")
    assert waiting_ids(html) == en[::-1] and "Showing 1–3 of 3 matching (6 waiting in all)" in html
    assert f'<option value="{english.pk}" selected>English desk</option>' in html
    assert waiting_ids(get(board, "?rule=none")) == fr
    assert waiting_ids(get(board, f"?rule={german.pk}&campaign=nope")) == []


def test_nonsense_parameters_show_the_whole_list(board):
    ids = waiting(3)
    assert waiting_ids(get(board, "?page=abc&sort=sideways&rule=1%3BDROP")) == ids
    assert waiting_ids(get(board, "?page=-1&rule=99999999999999999999999&page=" + "9" * 40)) == ids
    assert "None of the 3 waiting leads" in get(board, "?campaign=" + "x" * 500)


def test_the_waiting_fragment_is_the_list_alone_under_the_same_filters(board):
    campaign = CampaignFactory(slug="solar")
    ids = waiting(3, campaign=campaign)
    waiting(2)
    response = board.get("/live/?campaign=solar&sort=newest&fragment=waiting")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="waiting-window"')
    assert waiting_ids(html) == ids[::-1]
    assert 'data-total="5"' in html and 'data-matching="3"' in html and 'data-sort="newest"' in html
    assert "<html" not in html and "live.js" not in html


@pytest.mark.parametrize("query", ["", "?sort=newest&page=2", "?campaign=solar", "?rule=RULE"])
def test_queries_do_not_grow_with_the_waiting_leads(board, django_assert_max_num_queries, query):
    rule = RoutingRuleFactory(name="Everyone")
    query = query.replace("RULE", str(rule.pk))
    campaign = CampaignFactory(slug="solar")
    RepFactory.create_batch(3)
    AssignmentFactory.create_batch(3)
    FloorAlert.objects.create(kind="offers_expired", key="a", message="x", rep=Rep.objects.first())
    waiting(5, campaign=campaign)
    with CaptureQueriesContext(connection) as few:
        get(board, query)
    waiting(600, campaign=campaign)
    waiting(300)
    RepFactory.create_batch(3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = get(board, query)
    assert len(waiting_ids(html)) == WAITING_PAGE_SIZE


def test_reps_and_others_may_not_open_the_board_or_its_fragment():
    rep = RepFactory()
    for path in ("/live/", "/live/?fragment=waiting"):
        assert signed_in(rep.user).get(path).status_code == 403
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_alerts_panel_lists_recent_unresolved_alerts_newest_first(board):
    rep = RepFactory()
    [still, gone] = waiting(2)
    Lead.objects.filter(pk=gone).update(status=Lead.Status.ASSIGNED)
    sat = LeadFactory(status=Lead.Status.ASSIGNED, owner=rep.user)
    called = LeadFactory(status=Lead.Status.CONTACTED, owner=rep.user, first_contact_at=now())
    at = now() - dt.timedelta(minutes=10)
    for n, (kind, lead_id, who) in enumerate([
            ("waiting_too_long", still, None), ("waiting_too_long", gone, None),
            ("accepted_and_sat", sat.pk, rep), ("accepted_and_sat", called.pk, rep),
            ("offers_expired", None, rep)]):
        FloorAlert.objects.create(kind=kind, key=f"k{n}", message=f"<b>alert {n}</b>", lead_id=lead_id, rep=who,
                                  at=at + dt.timedelta(minutes=n))
    FloorAlert.objects.create(kind="offers_expired", key="old", message="yesterday's", rep=rep,
                              at=now() - dt.timedelta(days=2))
    html = get(board)
    panel = re.search(r'<ol id="alerts".*?</ol>', html, re.S).group(0)
    assert re.findall(r"&lt;b&gt;alert (\d)&lt;/b&gt;", panel) == ["4", "2", "0"]
    assert "yesterday" not in panel and "<b>" not in panel
    assert f'<a class="alert-lead" href="/rep/leads/{sat.pk}/">Lead #{sat.pk}</a>' in panel
    assert "Accepted and not called in time" in panel and rep.user.username in panel
    assert 'data-kind-labels="{&quot;accepted_and_sat&quot;' in panel
    assert 'id="alerts-empty" class="muted" hidden' in html


def test_no_alert_says_so(board):
    assert '<p id="alerts-empty" class="muted">No alert to act on.</p>' in get(board)


def test_the_lead_page_has_the_assign_control_for_managers_only(board):
    owner = RepFactory()
    other = RepFactory()
    lead = LeadFactory(status=Lead.Status.ASSIGNED, owner=owner.user)
    html = board.get(f"/rep/leads/{lead.pk}/").content.decode()
    form = re.search(r'<form id="assign-form".*?</form>', html, re.S).group(0)
    assert f'<option value="{other.user.username}">{other.user.username} (available)</option>' in form
    assert 'name="csrf-token"' in html
    assert 'id="assign-form"' not in signed_in(owner.user).get(f"/rep/leads/{lead.pk}/").content.decode()


def test_filter_by_a_rule_on_the_suppliers_answers(board):
    big = RoutingRuleFactory(name="Big budgets", order=1)
    RuleConditionFactory(rule=big, field="fields.budget", op="gte", value="10000")
    ids = waiting(3)
    Lead.objects.filter(pk=ids[1]).update(fields={"budget": 25000})
    assert waiting_ids(get(board, f"?rule={big.pk}")) == [ids[1]]
    assert waiting_ids(get(board, "?rule=none")) == [ids[0], ids[2]]


def test_the_board_lists_the_open_pool_oldest_first_with_an_assign_control(board):
    old = LeadFactory(status=Lead.Status.POOL, pooled_at=now() - dt.timedelta(minutes=5))
    new = LeadFactory(status=Lead.Status.POOL, pooled_at=now())
    LeadFactory(status=Lead.Status.WAITING)
    page = board.get("/live/").content.decode()
    pool = page[page.index('<tbody id="pool">'):page.index("</tbody>", page.index('<tbody id="pool">'))]
    assert re.findall(r'<tr data-lead-id="(\d+)"', pool) == [str(old.pk), str(new.pk)]
    assert f'<a href="/rep/leads/{old.pk}/">#{old.pk}</a>' in pool
    assert f'class="assign-open" data-lead-id="{new.pk}"' in pool
    assert '<span id="pool-count">2</span>' in page
    assert old.full_name not in pool  # the pool shows no names, as reps see it
