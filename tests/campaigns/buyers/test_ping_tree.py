"""Ping tree against a real local buyer server: priority order, fall-through on reject / timeout / 500."""

import time
from decimal import Decimal

import pytest

from campaigns.buyers.services import lead_distribute
from campaigns.models import BuyerDelivery, Campaign, CapCounter, Lead, LeadDistribution
from tests.campaigns.buyers.buyer_server import ACCEPT, ERROR_500, REFUSED_400, REJECT, bid, slow
from tests.campaigns.buyers.conftest import make_buyer, selling_lead

pytestmark = pytest.mark.django_db


def posts(server):
    return [r.path for r in server.received]


def test_first_buyer_in_priority_order_that_accepts_gets_the_lead(server, campaign, supplier):
    make_buyer(campaign, name="Third", url=server.script("/c", ACCEPT), priority=30, price="30.00")
    make_buyer(campaign, name="First", url=server.script("/a", REJECT), priority=10)
    second = make_buyer(campaign, name="Second", url=server.script("/b", ACCEPT), priority=20, price="12.50")
    lead = selling_lead(campaign, supplier)

    result = lead_distribute(lead_id=lead.pk)

    assert (result.action, result.buyer_id, result.price) == ("sold", second.pk, Decimal("12.50"))
    assert posts(server) == ["/a", "/b"]  # the third is never offered
    lead.refresh_from_db()
    assert (lead.status, lead.revenue) == (Lead.Status.SOLD, Decimal("12.50"))
    sale = LeadDistribution.objects.get(lead=lead)
    assert (sale.state, sale.buyer_id, sale.price) == ("sold", second.pk, Decimal("12.50"))
    trail = list(BuyerDelivery.objects.filter(lead=lead).order_by("id").values_list("buyer__name", "stage", "outcome"))
    assert trail == [("First", "post", "rejected"), ("Second", "post", "accepted")]


def test_falls_through_timeout_and_500_and_400(server, campaign, supplier):
    make_buyer(campaign, name="Slow", url=server.script("/slow", slow(2.0)), priority=1, timeout_ms=300)
    make_buyer(campaign, name="Broken", url=server.script("/500", ERROR_500), priority=2)
    make_buyer(campaign, name="Picky", url=server.script("/400", REFUSED_400), priority=3)
    last = make_buyer(campaign, name="Taker", url=server.script("/ok", ACCEPT), priority=4)
    lead = selling_lead(campaign, supplier)

    started = time.monotonic()
    result = lead_distribute(lead_id=lead.pk)

    assert time.monotonic() - started < 1.5  # the slow buyer cost its timeout, not its 2 s
    assert (result.action, result.buyer_id) == ("sold", last.pk)
    assert posts(server) == ["/slow", "/500", "/400", "/ok"]
    outcomes = dict(BuyerDelivery.objects.filter(lead=lead).values_list("buyer__name", "outcome"))
    assert outcomes == {"Slow": "timeout", "Broken": "error", "Picky": "rejected", "Taker": "accepted"}
    slow_row = BuyerDelivery.objects.get(lead=lead, buyer__name="Slow")
    assert slow_row.response_code is None and 250 <= slow_row.latency_ms < 1500 and not slow_row.retryable


def test_order_by_price_when_the_campaign_says_so(server, campaign, supplier):
    Campaign.objects.filter(pk=campaign.pk).update(ping_tree_order="price")
    make_buyer(campaign, name="Cheap", url=server.script("/cheap", ACCEPT), priority=1, price="5.00")
    rich = make_buyer(campaign, name="Rich", url=server.script("/rich", ACCEPT), priority=50, price="40.00")
    lead = selling_lead(campaign, supplier)

    assert lead_distribute(lead_id=lead.pk).buyer_id == rich.pk
    assert posts(server) == ["/rich"]


def test_ping_stage_then_post_with_the_bid_and_token(server, campaign, supplier):
    buyer = make_buyer(campaign, name="Pinged", url=server.script("/post", ACCEPT),
                       ping_url=server.script("/ping", bid("17.25", token="tok-1")),
                       request_template={"ref": "{{ ping_token }}", "mail": "{{ email }}", "amount": "{{ price }}"})
    lead = selling_lead(campaign, supplier)

    result = lead_distribute(lead_id=lead.pk)

    assert (result.action, result.buyer_id, result.price) == ("sold", buyer.pk, Decimal("17.25"))
    assert posts(server) == ["/ping", "/post"]
    assert server.hits("/post")[0].body == {"ref": "tok-1", "mail": "ada.lovelace@example.com", "amount": 17.25}
    ping = BuyerDelivery.objects.get(lead=lead, stage="ping")
    assert (ping.outcome, ping.bid) == ("bid", Decimal("17.25"))


def test_ping_refusal_skips_the_post(server, campaign, supplier):
    make_buyer(campaign, name="No", url=server.script("/no-post", ACCEPT), ping_url=server.script("/no-ping", REJECT),
               priority=1)
    make_buyer(campaign, name="Yes", url=server.script("/yes", ACCEPT), priority=2)
    lead = selling_lead(campaign, supplier)

    assert lead_distribute(lead_id=lead.pk).action == "sold"
    assert posts(server) == ["/no-ping", "/yes"]


def test_filters_schedule_and_cap_exclude_buyers(server, campaign, supplier):
    make_buyer(campaign, name="Texas only", url=server.script("/tx", ACCEPT), priority=1, filters={"region": ["TX"]})
    make_buyer(campaign, name="Closed", url=server.script("/closed", ACCEPT), priority=2,
               schedule={"timezone": "UTC", "windows": [{"days": [], "opens": "09:00", "closes": "17:00"}]})
    capped = make_buyer(campaign, name="Capped", url=server.script("/capped", ACCEPT), priority=3, cap_per_day=1)
    make_buyer(campaign, name="Fallback", url=server.script("/fallback", ACCEPT), priority=4)

    first = selling_lead(campaign, supplier)
    assert lead_distribute(lead_id=first.pk).buyer_id == capped.pk
    second = selling_lead(campaign, supplier, email="b@example.com", phone="+14155550999")
    result = lead_distribute(lead_id=second.pk)

    assert posts(server) == ["/capped", "/fallback"]
    assert result.action == "sold"
    assert CapCounter.objects.get(scope=f"buyer:{capped.pk}", window="day").count == 1
    summary = LeadDistribution.objects.get(lead=second).summary
    assert "Texas only: filters: region" in summary and "Closed: outside its schedule" in summary
    assert "Capped: cap reached" in summary


def test_a_refused_post_gives_the_cap_back(server, campaign, supplier):
    picky = make_buyer(campaign, name="Picky", url=server.script("/picky", REJECT), cap_per_hour=1)
    lead = selling_lead(campaign, supplier)

    assert lead_distribute(lead_id=lead.pk).action == "unsold"
    assert CapCounter.objects.get(scope=f"buyer:{picky.pk}", window="hour").count == 0


def test_unsold_buyers_only_lead_stays_with_buyers_and_says_why(server, campaign, supplier):
    make_buyer(campaign, name="No", url=server.script("/no", REJECT))
    lead = selling_lead(campaign, supplier)

    result = lead_distribute(lead_id=lead.pk)

    assert result.action == "unsold"
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SELLING
    assert lead.waiting_reason.startswith("No buyer took it (run 1: No: post rejected")
    assert LeadDistribution.objects.get(lead=lead).state == "unsold"
