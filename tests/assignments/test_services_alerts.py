"""Manager alerts: a lead waiting past its rule's max wait, three expired offers in a row; each raised once."""

import datetime as dt

import pytest
from django.utils.timezone import now

from assignments import events, services
from assignments.models import Assignment, FloorAlert, OutboxEvent
from assignments.services.alerts import expiry_streaks_alert, waiting_leads_alert
from campaigns.models import Lead
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


def test_a_lead_waiting_past_its_rules_max_wait_is_alerted_once():
    RoutingRuleFactory(name="Everyone", max_wait_seconds=60)
    t0 = now()
    late = LeadFactory(status=Lead.Status.WAITING, received_at=t0 - dt.timedelta(seconds=61))
    LeadFactory(status=Lead.Status.WAITING, received_at=t0 - dt.timedelta(seconds=30))
    assert waiting_leads_alert(now=t0) == 1
    assert waiting_leads_alert(now=t0 + dt.timedelta(seconds=20)) == 0  # the second: 50 s
    assert waiting_leads_alert(now=t0 + dt.timedelta(seconds=31)) == 1  # now late too
    assert waiting_leads_alert(now=t0 + dt.timedelta(seconds=40)) == 0
    alert = FloorAlert.objects.get(lead=late)
    assert (alert.kind, alert.message) == ("waiting_too_long", f"Lead #{late.pk} ({late.campaign.slug}) has waited "
                                                               "61 s, more than its rule's 60 s.")
    pushed = OutboxEvent.objects.filter(type=events.FLOOR_ALERT, group=events.FLOOR_GROUP)
    assert pushed.count() == 2


def test_three_expired_offers_in_a_row_raise_one_alert_per_streak():
    RoutingRuleFactory(name="Everyone", offer_timeout_seconds=30)
    rep = RepFactory()
    t0 = now()
    for n in range(3):
        offer = services.lead_route(lead_id=LeadFactory().pk, now=t0 + dt.timedelta(seconds=n)).assignment_ids[0]
        assert services.offer_expire(assignment_id=offer, now=t0 + dt.timedelta(minutes=1 + n))
        if n == 1:
            assert expiry_streaks_alert(now=t0 + dt.timedelta(minutes=2)) == 0  # two in a row: not yet
    at = t0 + dt.timedelta(minutes=4)
    assert expiry_streaks_alert(now=at) == 1
    assert expiry_streaks_alert(now=at) == 0
    alert = FloorAlert.objects.get(kind="offers_expired")
    assert (alert.rep_id, alert.message) == (rep.pk, f"{rep.user.username} let 3 offers in a row expire.")


def test_an_answered_offer_breaks_the_streak():
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory(capacity=10)
    t0 = now()
    offers = [services.lead_route(lead_id=LeadFactory().pk, now=t0 + dt.timedelta(seconds=n)).assignment_ids[0]
              for n in range(3)]
    services.offer_expire(assignment_id=offers[0], now=t0 + dt.timedelta(minutes=5))
    services.assignment_decline(assignment_id=offers[1], rep=rep)
    services.offer_expire(assignment_id=offers[2], now=t0 + dt.timedelta(minutes=5))
    assert Assignment.objects.filter(status="expired").count() == 2
    assert expiry_streaks_alert(now=t0 + dt.timedelta(minutes=6)) == 0
