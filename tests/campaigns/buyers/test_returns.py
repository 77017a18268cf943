"""Returns: within the buyer's window, revenue reversed, the lead stays sold with its return, the supplier is told."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.timezone import now

from campaigns.buyers.selectors import returns_by_supplier
from campaigns.buyers.services import BuyerReturnRefused, lead_return
from campaigns.models import Lead, LeadReturn, WebhookDelivery
from tests.factories import BuyerFactory, LeadDistributionFactory, LeadFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale():
    supplier = SupplierFactory(webhook_url="http://127.0.0.1:9/hook")
    buyer = BuyerFactory(return_window_hours=48)
    lead = LeadFactory(supplier=supplier, status=Lead.Status.SOLD, revenue=Decimal("20.00"))
    return LeadDistributionFactory(lead=lead, buyer=buyer, price=Decimal("20.00"),
                                   sold_at=now() - dt.timedelta(hours=2))


def test_return_reverses_revenue_and_tells_the_supplier(sale, django_capture_on_commit_callbacks):
    returned = lead_return(lead_id=sale.lead_id, reason="Disconnected number")

    lead = Lead.objects.get(pk=sale.lead_id)
    assert (lead.status, lead.revenue) == (Lead.Status.SOLD, Decimal("0.00"))
    assert lead.buyer_return == returned
    assert (returned.buyer_id, returned.amount, returned.reason) == (sale.buyer_id, Decimal("20.00"),
                                                                    "Disconnected number")
    hook = WebhookDelivery.objects.get(lead=lead)
    assert hook.event == "returned" and hook.payload["lead"]["status"] == "sold"
    assert returns_by_supplier() == {lead.supplier_id: {"sold": 1, "returned": 1}}


@pytest.mark.parametrize("case,message", [
    ("twice", "This lead was already returned."),
    ("late", "The return window of {buyer} (48 h after the sale) has passed."),
    ("unsold", "This lead was not sold to a buyer."),
    ("no reason", "Give the buyer's reason for the return."),
    ("long reason", "The reason is at most 200 characters."),
])
def test_refused_returns_change_nothing(sale, case, message):
    lead_id, reason, at = sale.lead_id, "Bad lead", None
    if case == "twice":
        lead_return(lead_id=lead_id, reason="first")
    elif case == "late":
        at = sale.sold_at + dt.timedelta(hours=48, seconds=1)
    elif case == "unsold":
        lead_id = LeadFactory(status=Lead.Status.WAITING).pk
    elif case == "no reason":
        reason = "  "
    elif case == "long reason":
        reason = "x" * 201
    before = Lead.objects.get(pk=lead_id).revenue
    returns = LeadReturn.objects.count()

    with pytest.raises(BuyerReturnRefused) as refused:
        lead_return(lead_id=lead_id, reason=reason, at=at)

    assert str(refused.value) == message.format(buyer=sale.buyer.name)
    assert Lead.objects.get(pk=lead_id).revenue == before
    assert LeadReturn.objects.count() == returns
