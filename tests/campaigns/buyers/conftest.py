"""Fixtures for buyer distribution: a real local buyer server, a buyer campaign and buyers pointing at it."""

from decimal import Decimal

import pytest

from campaigns.models import Campaign, Lead, LeadDistribution
from tests.campaigns.buyers.buyer_server import BuyerServer
from tests.factories import BuyerFactory, CampaignFactory, LeadFactory, SupplierFactory


@pytest.fixture
def server():
    running = BuyerServer().start()
    yield running
    running.stop()


@pytest.fixture
def campaign(db):
    return CampaignFactory(slug="solar-sell", name="Solar sell", distribution_mode=Campaign.Distribution.BUYERS_ONLY)


@pytest.fixture
def supplier(db):
    return SupplierFactory(name="Acme Leads", cost_per_lead=Decimal("5.00"))


def make_buyer(campaign, *, name, url, ping_url="", price="10.00", priority=100, weight=1, timeout_ms=1000,
               **extra):
    buyer = BuyerFactory(name=name, endpoint_url=url, ping_url=ping_url, price=Decimal(price), priority=priority,
                         weight=weight, timeout_ms=timeout_ms, **extra)
    buyer.campaigns.add(campaign)
    return buyer


def selling_lead(campaign, supplier, **fields) -> Lead:
    """A lead handed to buyers (status selling, a pending distribution), as lead_distribution_enqueue leaves it."""
    defaults = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@example.com",
                "phone": "+14155550123", "country": "US", "region": "CA", "postal_code": "94105"}
    lead = LeadFactory(campaign=campaign, supplier=supplier, status=Lead.Status.SELLING, **{**defaults, **fields})
    LeadDistribution.objects.create(lead=lead, method=campaign.buyer_method)
    return lead
