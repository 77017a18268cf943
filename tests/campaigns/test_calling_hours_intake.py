"""Intake stores the lead's derived time zone and, for a campaign that holds outside calling hours, holds a lead
that arrives outside its window on its own clock: one post and a bulk post answer alike."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign, Lead
from campaigns.services import intake_bulk, lead_intake, lead_intake_bulk

from .conftest import lead_payload

# 07:30 in Honolulu, 18:30 in Madrid, 04:30 (the next day) in Sydney.
AT = dt.datetime(2026, 12, 7, 17, 30, tzinfo=dt.UTC)
HAWAII = {"phone": "(808) 555-0100", "country": "US"}
MADRID = {"phone": "+34 911 234 567", "country": "ES", "email": "m@example.com"}
SYDNEY_MOBILE = {"phone": "+61 412 345 678", "country": "AU", "region": "NSW", "email": "s@example.com"}


def window(campaign: Campaign, mode: str = Campaign.OutsideCallingHours.HOLD) -> None:
    campaign.calling_starts, campaign.calling_ends, campaign.outside_calling_hours = dt.time(8), dt.time(21), mode
    campaign.save()


def test_intake_stores_the_zone_and_routes_when_the_campaign_sets_no_window(supplier):
    result = lead_intake(supplier=supplier, payload=lead_payload(**HAWAII), received_at=AT)
    lead = Lead.objects.get(pk=result.body["id"])
    assert (lead.timezone, lead.status, lead.waiting_reason) == ("Pacific/Honolulu", Lead.Status.NEW, "")


def test_an_unknown_zone_is_stored_blank(supplier):
    result = lead_intake(supplier=supplier, payload=lead_payload(phone="+1 800 555 0100", country="US"),
                         received_at=AT)
    assert Lead.objects.get(pk=result.body["id"]).timezone == ""


def test_a_holding_campaign_holds_a_lead_outside_its_window_and_routes_one_inside(supplier, campaign, routed):
    window(campaign)
    early = lead_intake(supplier=supplier, payload=lead_payload(**HAWAII), received_at=AT)
    evening = lead_intake(supplier=supplier, payload=lead_payload(**MADRID), received_at=AT)
    assert early.status_code == evening.status_code == 201  # held, not refused
    held, routable = Lead.objects.get(pk=early.body["id"]), Lead.objects.get(pk=evening.body["id"])
    assert (held.status, held.waiting_reason) == (
        Lead.Status.HELD, "Outside calling hours in the lead's time (opens 08:00 Pacific/Honolulu)")
    assert (routable.timezone, routable.status) == ("Europe/Madrid", Lead.Status.NEW)


def test_an_offering_campaign_does_not_hold(supplier, campaign):
    window(campaign, Campaign.OutsideCallingHours.OFFER)
    result = lead_intake(supplier=supplier, payload=lead_payload(**HAWAII), received_at=AT)
    assert Lead.objects.get(pk=result.body["id"]).status == Lead.Status.NEW


def test_bulk_intake_stores_each_zone_and_holds_alike(supplier, campaign, monkeypatch):
    window(campaign)
    monkeypatch.setattr(intake_bulk, "now", lambda: AT)
    result = lead_intake_bulk(supplier=supplier, payload=[lead_payload(**HAWAII), lead_payload(**MADRID),
                                                          lead_payload(**SYDNEY_MOBILE)])
    assert [r["status_code"] for r in result.body["results"]] == [201, 201, 201]
    leads = [Lead.objects.get(pk=r["id"]) for r in result.body["results"]]
    assert [(lead.timezone, lead.status) for lead in leads] == [
        ("Pacific/Honolulu", Lead.Status.HELD), ("Europe/Madrid", Lead.Status.NEW),
        ("Australia/Sydney", Lead.Status.HELD)]
    assert leads[2].waiting_reason == "Outside calling hours in the lead's time (opens 08:00 Australia/Sydney)"


@pytest.mark.parametrize("starts, ends, errors", [
    (dt.time(8), None, {"calling_ends"}),
    (None, dt.time(21), {"calling_starts"}),
    (dt.time(21), dt.time(8), {"calling_ends"}),
    (dt.time(8), dt.time(8), {"calling_ends"}),
])
def test_the_campaign_refuses_half_a_window_or_one_that_ends_before_it_starts(campaign, starts, ends, errors):
    campaign.calling_starts, campaign.calling_ends = starts, ends
    with pytest.raises(ValidationError) as refused:
        campaign.full_clean()
    assert set(refused.value.message_dict) == errors
