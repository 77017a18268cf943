"""Admin of buyers: pages render, the token is write-only, config is validated, "send test lead" shows the answer,
the lead page shows the buyer trail, returns are recorded through the service."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.timezone import now

from campaigns.models import Buyer, BuyerDelivery, Lead, LeadDistribution, LeadReturn
from tests.campaigns.buyers.buyer_server import Reply
from tests.factories import (
    BuyerDeliveryFactory,
    BuyerFactory,
    CampaignFactory,
    LeadDistributionFactory,
    LeadFactory,
    PriceRuleFactory,
)

pytestmark = pytest.mark.django_db


def buyer_form(buyer: Buyer, **changes) -> dict:
    data = {"name": buyer.name, "active": "on", "endpoint_url": buyer.endpoint_url, "filters": "{}",
            "price": "10.00", "weight": "1", "priority": "100", "cap_per_hour": "", "cap_per_day": "",
            "cap_per_month": "", "ping_url": "", "timeout_ms": "3000", "request_template": "{}", "headers": "{}",
            "auth_token": "", "schedule": "{}", "return_window_hours": "72"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_pages_render(manager_web):
    buyer = BuyerFactory(auth_token="tok-secret-123")
    PriceRuleFactory(buyer=buyer)
    sale = LeadDistributionFactory(buyer=buyer)
    BuyerDeliveryFactory(lead=sale.lead, buyer=buyer, error="<b>boom</b>")
    for name in ("buyer", "pricerule", "buyerdelivery", "leaddistribution", "leadreturn"):
        assert manager_web.get(reverse(f"admin:campaigns_{name}_changelist")).status_code == 200
    page = manager_web.get(reverse("admin:campaigns_buyer_change", args=[buyer.pk])).content.decode()
    assert "tok-secret-123" not in page and "Remove the stored token" in page
    assert manager_web.get(reverse("admin:campaigns_leadreturn_add")).status_code == 200
    campaign_page = manager_web.get(reverse("admin:campaigns_campaign_change",
                                            args=[sale.lead.campaign_id])).content.decode()
    assert "Distribution" in campaign_page and "floor_price" in campaign_page


def test_lead_page_shows_the_buyer_trail(manager_web):
    sale = LeadDistributionFactory(summary="run 1: Acme: post accepted at 20.00")
    BuyerDeliveryFactory(lead=sale.lead, buyer=sale.buyer, stage="ping", outcome="bid", bid=Decimal("20.00"),
                         error="<script>x</script>")
    BuyerDeliveryFactory(lead=sale.lead, buyer=sale.buyer)

    page = manager_web.get(reverse("admin:campaigns_lead_change", args=[sale.lead_id])).content.decode()

    assert "Buyer trail (every ping and post)" in page and "run 1: Acme: post accepted at 20.00" in page
    assert page.count(sale.buyer.name) >= 3 and "Bid" in page and "Accepted" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_token_is_write_only(manager_web):
    buyer = BuyerFactory(auth_token="old-token")
    url = reverse("admin:campaigns_buyer_change", args=[buyer.pk])

    assert manager_web.post(url, buyer_form(buyer)).status_code == 302
    assert Buyer.objects.get(pk=buyer.pk).auth_token == "old-token"
    manager_web.post(url, buyer_form(buyer, auth_token="new-token"))
    assert Buyer.objects.get(pk=buyer.pk).auth_token == "new-token"
    manager_web.post(url, buyer_form(buyer, clear_auth_token="on"))
    assert Buyer.objects.get(pk=buyer.pk).auth_token == ""


@pytest.mark.parametrize("field,value,error", [
    ("schedule", '{"windows": [{"days": [7], "opens": "9am"}]}', "windows[0].days must list weekdays 0"),
    ("schedule", '{"timezone": "Mars/Base"}', "&#x27;Mars/Base&#x27; is not a known time zone"),
    ("request_template", '{"n": "{{ nickname }}"}', "Unknown placeholder {{ nickname }}"),
    ("headers", '{"X-N": 5}', "Headers must be a JSON object of text values"),
    ("filters", '{"score__between": 5}', "unknown test &#x27;__between&#x27;"),
])
def test_bad_buyer_config_is_refused(manager_web, field, value, error):
    buyer = BuyerFactory()
    response = manager_web.post(reverse("admin:campaigns_buyer_change", args=[buyer.pk]),
                                buyer_form(buyer, **{field: value}))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert getattr(Buyer.objects.get(pk=buyer.pk), field) == {}


def test_send_test_lead_shows_the_answer(manager_web, server):
    buyer = BuyerFactory(endpoint_url=server.script("/test", Reply(body={"status": "accepted", "id": "B-7"})),
                         ping_url=server.script("/ping", Reply(body={"bid": 3})), filters={"region": ["NV"]})
    response = manager_web.post(reverse("admin:campaigns_buyer_changelist"),
                                {"action": "send_test_lead", "_selected_action": [buyer.pk]}, follow=True)

    shown = messages_of(response)
    assert any("post accepted (HTTP 200" in m and "B-7" in m for m in shown), shown
    assert any("ping bid (HTTP 200" in m for m in shown), shown
    post = server.hits("/test")[0]
    assert post.body["test"] is True and post.body["region"] == "NV" and post.headers["X-LeadCRM-Test"] == "1"
    assert list(BuyerDelivery.objects.filter(buyer=buyer).values_list("stage", "test", "lead")) in (
        [("post", True, None), ("ping", True, None)], [("ping", True, None), ("post", True, None)])
    assert not Lead.objects.exists()


def test_return_recorded_from_the_admin(manager_web):
    sale = LeadDistributionFactory(price=Decimal("20.00"), lead__revenue=Decimal("20.00"))
    response = manager_web.post(reverse("admin:campaigns_leadreturn_add"),
                                {"lead": sale.lead_id, "reason": "Duplicate"})

    assert response.status_code == 302
    returned = LeadReturn.objects.get()
    assert (returned.buyer_id, returned.amount, returned.created_by.is_staff) == (sale.buyer_id, Decimal("20.00"),
                                                                                 True)
    assert Lead.objects.get(pk=sale.lead_id).revenue == Decimal("0.00")
    assert manager_web.get(reverse("admin:campaigns_leadreturn_change", args=[returned.pk])).status_code == 200


def test_return_refused_in_the_admin_writes_nothing(manager_web):
    late = LeadDistributionFactory(sold_at=now() - dt.timedelta(days=10))
    response = manager_web.post(reverse("admin:campaigns_leadreturn_add"), {"lead": late.lead_id, "reason": "Late"})

    assert response.status_code == 200
    assert "(72 h after the sale) has passed." in response.content.decode()
    assert not LeadReturn.objects.exists()


def test_send_to_buyers_action(manager_web, server):
    campaign = CampaignFactory(distribution_mode="buyers_only")
    buyer = BuyerFactory(endpoint_url=server.script("/take", Reply()))
    buyer.campaigns.add(campaign)
    waiting = LeadFactory(campaign=campaign, status=Lead.Status.WAITING)
    sold = LeadDistributionFactory().lead

    response = manager_web.post(reverse("admin:campaigns_lead_changelist"),
                                {"action": "send_to_buyers", "_selected_action": [waiting.pk, sold.pk]}, follow=True)

    shown = messages_of(response)
    assert "Sending 1 lead(s) to buyers." in shown
    assert any(f"#{sold.pk}" in m for m in shown)
    assert LeadDistribution.objects.get(lead=waiting).state in ("pending", "sold")
