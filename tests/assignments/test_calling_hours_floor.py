"""Calling hours on the floor: a campaign that holds keeps a lead held until its window opens on the lead's clock,
then releases it to routing; one that offers offers at once, and the rep's payload and lead page show the lead's
local time with calling disabled until the window opens."""

import datetime as dt
import re

import pytest
from django.test import Client

from assignments import events, services, views
from assignments.models import Assignment
from campaigns.models import Campaign, Lead
from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db

NIGHT = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)  # 04:00 in Chicago, 11:00 in Madrid
MORNING = dt.datetime(2026, 12, 7, 14, 1, tzinfo=dt.UTC)  # 08:01 in Chicago


@pytest.fixture
def rule(db):
    return RoutingRuleFactory(name="Everyone", strategy="round_robin", offer_timeout_seconds=60, max_offers=3)


def campaign_with_window(mode: str) -> Campaign:
    return CampaignFactory(timezone="Europe/Madrid", calling_starts=dt.time(8), calling_ends=dt.time(21),
                           outside_calling_hours=mode)


def test_a_held_lead_is_released_to_routing_when_its_window_opens(rule, django_capture_on_commit_callbacks):
    RepFactory()
    lead = LeadFactory(campaign=campaign_with_window(Campaign.OutsideCallingHours.HOLD), timezone="America/Chicago")
    result = services.lead_route(lead_id=lead.pk, now=NIGHT)
    lead.refresh_from_db()
    assert result.action == "held" and lead.status == Lead.Status.HELD
    assert lead.waiting_reason == "Outside calling hours in the lead's time (opens 08:00 America/Chicago)"
    assert services.held_leads_release(now=NIGHT) == 0
    assert services.held_leads_release(now=MORNING - dt.timedelta(minutes=2)) == 0  # 07:59 in Chicago
    with django_capture_on_commit_callbacks() as enqueued:
        assert services.held_leads_release(now=MORNING) == 1
    lead.refresh_from_db()
    assert (lead.status, lead.waiting_reason, len(enqueued)) == (Lead.Status.NEW, "", 1)
    assert services.lead_route(lead_id=lead.pk, now=MORNING).action == "offered"


def test_a_lead_of_unknown_zone_is_held_on_the_campaigns_clock(rule):
    RepFactory()
    lead = LeadFactory(campaign=campaign_with_window(Campaign.OutsideCallingHours.HOLD), timezone="")
    madrid_night = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)  # 07:00 in Madrid
    assert services.lead_route(lead_id=lead.pk, now=madrid_night).action == "held"
    assert services.lead_route(lead_id=lead.pk, now=NIGHT).action == "skipped"  # held: released, not routed
    assert services.held_leads_release(now=NIGHT) == 1  # 11:00 in Madrid


def test_a_waiting_lead_is_held_when_the_window_closes_before_a_rep_is_free(rule):
    lead = LeadFactory(campaign=campaign_with_window(Campaign.OutsideCallingHours.HOLD), timezone="America/Chicago")
    assert services.lead_route(lead_id=lead.pk, now=MORNING).action == "waiting"  # no rep yet
    RepFactory()
    assert services.lead_route(lead_id=lead.pk, now=NIGHT + dt.timedelta(days=1)).action == "held"


def test_an_offering_campaign_offers_at_night_and_the_payload_says_when_calling_opens(rule):
    RepFactory()
    lead = LeadFactory(campaign=campaign_with_window(Campaign.OutsideCallingHours.OFFER), timezone="America/Chicago")
    result = services.lead_route(lead_id=lead.pk, now=NIGHT)
    assert result.action == "offered"
    offer = Assignment.objects.select_related("lead__campaign", "rep__user").get(pk=result.assignment_ids[0])
    assert events.lead_calling_payload(lead=offer.lead, at=NIGHT) == {
        "timezone": "America/Chicago", "zone_known": True, "utc_offset_minutes": -360, "starts": "08:00",
        "ends": "21:00", "open": False, "opens_at": "2026-12-07T14:00:00+00:00", "closes_at": None}
    assert events.lead_calling_payload(lead=offer.lead, at=MORNING)["open"] is True
    assert set(events.assignment_payload(offer)["lead"]["calling"]) == {
        "timezone", "zone_known", "utc_offset_minutes", "starts", "ends", "open", "opens_at", "closes_at"}


def test_no_window_is_always_open_in_the_payload():
    lead = LeadFactory(timezone="Pacific/Honolulu")
    calling = events.lead_calling_payload(lead=lead, at=NIGHT)
    assert (calling["open"], calling["starts"], calling["opens_at"], calling["utc_offset_minutes"]) == (
        True, None, None, -600)


@pytest.fixture
def owned_at_night(rule) -> Assignment:
    rep = RepFactory()
    lead = LeadFactory(campaign=campaign_with_window(Campaign.OutsideCallingHours.OFFER), timezone="America/Chicago")
    result = services.lead_route(lead_id=lead.pk, now=NIGHT)
    services.assignment_accept(assignment_id=result.assignment_ids[0], rep=rep, now=NIGHT)
    return Assignment.objects.select_related("rep__user", "lead").get(pk=result.assignment_ids[0])


def lead_page(assignment: Assignment, monkeypatch, at: dt.datetime) -> str:
    monkeypatch.setattr(views, "tz_now", lambda: at)
    client = Client()
    client.force_login(assignment.rep.user)
    response = client.get(f"/rep/leads/{assignment.lead_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_lead_page_shows_their_time_and_a_disabled_call_button_outside_the_window(owned_at_night, monkeypatch):
    html = lead_page(owned_at_night, monkeypatch, NIGHT - dt.timedelta(minutes=40))  # 03:20 in Chicago
    assert '<span id="lead-clock">03:20 in America/Chicago</span>' in html
    call = re.search(r'<a class="call-link[^"]*" id="call-link"[^>]*>.*?</a>', html, re.S).group(0)
    assert 'aria-disabled="true"' in call and "href=" not in call and "call-closed" in call
    assert "Calling opens at 08:00 their time, in 4 h 40 min" in call
    assert f'href="tel:{owned_at_night.lead.phone}"' not in html  # nor in the details
    state = re.search(r'<script id="lead-state" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert '"open": false' in state and '"timezone": "America/Chicago"' in state


def test_the_lead_page_enables_the_call_button_inside_the_window(owned_at_night, monkeypatch):
    html = lead_page(owned_at_night, monkeypatch, MORNING)
    assert '<span id="lead-clock">08:01 in America/Chicago</span>' in html
    call = re.search(r'<a class="call-link[^"]*" id="call-link"[^>]*>', html).group(0)
    assert f'href="tel:{owned_at_night.lead.phone}"' in call and "aria-disabled" not in call


def test_the_rep_page_gives_each_offer_its_calling_hours(owned_at_night):
    client = Client()
    client.force_login(owned_at_night.rep.user)
    html = client.get("/rep/").content.decode()
    assert '"calling": {"timezone": "America/Chicago"' in html
    assert 'data-field="local-time"' in html and 'class="call-opens"' in html
