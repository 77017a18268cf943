"""Delay rules (issue 23): hold a lead for a time, until a date in its answers, or until its answers meet a
condition; released by the floor clock, by the supplier's added answers, or by a manager; each rule holds once."""

import datetime as dt
import json

import pytest
from django.utils.timezone import now
from rest_framework.test import APIClient

from assignments import services
from assignments.models import Assignment, DelayCondition, DelayRule, LeadHold
from assignments.services.delays import delayed_leads_release, field_release_at
from campaigns.models import Lead
from tests.factories import (
    CampaignFactory,
    LeadFactory,
    ManagerFactory,
    RepFactory,
    RoutingRuleFactory,
    supplier_with_key,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


# --- The date in the answers: calendar arithmetic on the lead's clock ----------------------------------------

@pytest.mark.parametrize(("raw", "days", "zone", "expected"), [
    # A plain date: that day minus N days, at 09:00 on the lead's clock.
    ("2027-03-30", 2, "Europe/Madrid", "2027-03-28T07:00:00+00:00"),  # the spring-forward day: 09:00 CEST
    ("2027-03-29", 2, "Europe/Madrid", "2027-03-27T08:00:00+00:00"),  # the day before: 09:00 CET
    ("2026-11-02", 1, "US/Hawaii", "2026-11-01T19:00:00+00:00"),  # no daylight saving in Hawaii
    ("2027-04-05", 1, "Australia/Sydney", "2027-04-03T23:00:00+00:00"),  # 04-04 is the fall-back day: 09:00 AEST
    ("2027-04-04", 1, "Australia/Sydney", "2027-04-02T22:00:00+00:00"),  # 04-03 09:00 AEDT
    # A date and time: that moment's wall time on the lead's clock, N calendar days earlier (not N x 24 h).
    ("2027-03-30T10:00:00+02:00", 3, "Europe/Madrid", "2027-03-27T09:00:00+00:00"),
    ("2027-03-30T10:00:00", 0, "Europe/Madrid", "2027-03-30T08:00:00+00:00"),  # no offset: the lead's clock
    (" 2027-01-15 ", 0, "UTC", "2027-01-15T09:00:00+00:00"),
])
def test_the_release_moment_of_a_date_in_the_answers(raw, days, zone, expected):
    assert field_release_at(raw=raw, days_before=days, at_time=dt.time(9), timezone=zone).isoformat() == expected


@pytest.mark.parametrize("raw", [None, "", "soon", "2027-02-30", "31/12/2027", 20270101, ["2027-01-01"],
                                 "2027-13-01T10:00:00"])
def test_what_is_not_a_date_has_no_release_moment(raw):
    assert field_release_at(raw=raw, days_before=0, at_time=dt.time(9), timezone="UTC") is None


# --- Holding and releasing on the floor --------------------------------------------------------------------------

@pytest.fixture
def floor():
    campaign = CampaignFactory(slug="renewals", timezone="UTC")
    RoutingRuleFactory(name="Everyone")
    RepFactory()
    return campaign


def routed(lead: Lead, at: dt.datetime | None = None):
    return services.lead_route(lead_id=lead.pk, now=at or now())


def test_a_fixed_hold_keeps_the_lead_back_then_the_clock_releases_it(floor, django_capture_on_commit_callbacks):
    DelayRule.objects.create(campaign=floor, name="Cool-off", kind="fixed", hold_seconds=600)
    received = now()
    lead = LeadFactory(campaign=floor, received_at=received)
    result = routed(lead, received)
    assert result.action == "held" and "Cool-off: held until" in result.reason
    lead.refresh_from_db()
    assert (lead.status, lead.delayed) == (Lead.Status.HELD, True)
    assert services.held_leads_release(now=received) == 0  # the campaign being open does not release it
    assert delayed_leads_release(now=received + dt.timedelta(seconds=599)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert delayed_leads_release(now=received + dt.timedelta(seconds=600)) == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OFFERED and not lead.delayed
    assert LeadHold.objects.get(lead=lead).released_at == received + dt.timedelta(seconds=600)


def test_a_date_hold_waits_for_the_date_and_a_missing_date_says_so(floor):
    DelayRule.objects.create(campaign=floor, name="Renewal", kind="field_date", date_field="renewal_date",
                             days_before=30)
    soon = (now() + dt.timedelta(days=60)).date().isoformat()
    dated = LeadFactory(campaign=floor, fields={"renewal_date": soon})
    assert routed(dated).action == "held"
    hold = LeadHold.objects.get(lead=dated)
    assert hold.until.date().isoformat() == (now() + dt.timedelta(days=30)).date().isoformat()
    undated = LeadFactory(campaign=floor, fields={"renewal_date": "next spring"})
    assert routed(undated).action == "held"
    assert LeadHold.objects.get(lead=undated).until is None
    assert "waiting for a valid fields.renewal_date" in Lead.objects.get(pk=undated.pk).waiting_reason
    past = LeadFactory(campaign=floor, fields={"renewal_date": "2020-01-01"})
    assert routed(past).action == "offered"  # its date is past: nothing to wait for


def test_conditions_choose_the_leads_held_and_what_releases_them(floor):
    rule = DelayRule.objects.create(campaign=floor, name="Nurture first", kind="condition")
    DelayCondition.objects.create(rule=rule, purpose="applies", field="fields.source", op="eq", value="webinar")
    DelayCondition.objects.create(rule=rule, purpose="releases", field="fields.nurture_done", op="eq", value="yes")
    other = LeadFactory(campaign=floor, fields={"source": "ads"})
    assert routed(other).action == "offered"
    absent = LeadFactory(campaign=floor, fields={"source": "webinar"})  # no nurture_done at all: held
    assert routed(absent).action == "held"
    done = LeadFactory(campaign=floor, fields={"source": "webinar", "nurture_done": "yes"})
    assert routed(done).action == "offered"


def test_each_rule_holds_a_lead_once_and_the_next_rule_may_hold_it_after(floor, django_capture_on_commit_callbacks):
    DelayRule.objects.create(campaign=floor, name="First", kind="fixed", hold_seconds=60, order=1)
    DelayRule.objects.create(campaign=floor, name="Second", kind="fixed", hold_seconds=120, order=2)
    received = now()
    lead = LeadFactory(campaign=floor, received_at=received)
    assert "First" in routed(lead, received).reason
    with django_capture_on_commit_callbacks(execute=True):
        delayed_leads_release(now=received + dt.timedelta(seconds=61))  # re-routed: the second rule holds it now
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.HELD
    holds = LeadHold.objects.filter(lead=lead).order_by("pk")
    assert [(hold.rule_name, hold.released_at is None) for hold in holds] == [("First", False), ("Second", True)]


def test_a_manager_releases_at_once_and_the_api_says_what_went_wrong(floor, django_capture_on_commit_callbacks):
    DelayRule.objects.create(campaign=floor, name="Long", kind="fixed", hold_seconds=86400)
    lead = LeadFactory(campaign=floor)
    routed(lead)
    manager = APIClient()
    manager.force_authenticate(ManagerFactory())
    rep = APIClient()
    rep.force_authenticate(RepFactory().user)
    assert rep.post(f"/api/v1/leads/{lead.pk}/release/").status_code == 403
    assert manager.post("/api/v1/leads/999999/release/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/api/v1/leads/{lead.pk}/release/")
    assert response.status_code == 200, response.json()
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OFFERED
    again = manager.post(f"/api/v1/leads/{lead.pk}/release/")
    assert (again.status_code, again.json()["code"]) == (409, "not_held")
    hold = LeadHold.objects.get(lead=lead)
    assert hold.released_by is not None


# --- The supplier's added answers (CONTRACT 6.8) ---------------------------------------------------------------

@pytest.fixture
def supplied(floor):
    supplier, key = supplier_with_key(campaigns=[floor])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return supplier, client


def patch(client, lead, body):
    return client.patch(f"/api/v1/leads/{lead.pk}/", data=json.dumps(body), content_type="application/json")


def test_answers_that_meet_the_release_condition_release_the_lead_at_once(floor, supplied,
                                                                         django_capture_on_commit_callbacks):
    supplier, client = supplied
    rule = DelayRule.objects.create(campaign=floor, name="Survey", kind="condition")
    DelayCondition.objects.create(rule=rule, purpose="releases", field="fields.survey", op="eq", value="done")
    lead = LeadFactory(campaign=floor, supplier=supplier)
    assert routed(lead).action == "held"
    assert patch(client, lead, {"fields": {"survey": "half"}}).status_code == 200
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.HELD
    with django_capture_on_commit_callbacks(execute=True):
        assert patch(client, lead, {"fields": {"survey": "done"}}).status_code == 200
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OFFERED
    assert Assignment.objects.filter(lead=lead).count() == 1


def test_a_new_date_moves_the_hold_and_a_bad_date_is_a_400(floor, supplied, django_capture_on_commit_callbacks):
    supplier, client = supplied
    DelayRule.objects.create(campaign=floor, name="Renewal", kind="field_date", date_field="renewal_date")
    lead = LeadFactory(campaign=floor, supplier=supplier, fields={})
    assert routed(lead).action == "held"
    bad = patch(client, lead, {"fields": {"renewal_date": "31/12/2027"}})
    assert bad.status_code == 400
    assert "A delay rule reads this as a date" in bad.json()["errors"]["fields.renewal_date"][0]
    assert Lead.objects.get(pk=lead.pk).fields == {}
    later = (now() + dt.timedelta(days=10)).date().isoformat()
    assert patch(client, lead, {"fields": {"renewal_date": later}}).status_code == 200
    assert LeadHold.objects.get(lead=lead).until.date().isoformat() == later
    with django_capture_on_commit_callbacks(execute=True):
        assert patch(client, lead, {"fields": {"renewal_date": "2020-01-01"}}).status_code == 200
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OFFERED


def test_a_rule_that_holds_too_long_releases_at_its_cap(floor, django_capture_on_commit_callbacks):
    rule = DelayRule.objects.create(campaign=floor, name="Capped", kind="condition", max_hold_days=2)
    DelayCondition.objects.create(rule=rule, purpose="releases", field="fields.never", op="eq", value="yes")
    received = now()
    lead = LeadFactory(campaign=floor, received_at=received)
    routed(lead, received)
    assert LeadHold.objects.get(lead=lead).until == received + dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert delayed_leads_release(now=received + dt.timedelta(days=2, seconds=1)) == 1
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OFFERED
