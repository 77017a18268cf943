"""The Buyers report and the returns columns of the supplier and campaign reports, on fixtures with known answers."""

from dataclasses import replace
from decimal import Decimal

import pytest

from campaigns.models import Lead
from reporting.queries.scope import ReportParams
from reporting.selectors import buyer_rows, campaign_rows, supplier_rows
from tests.factories import (
    BuyerDeliveryFactory,
    BuyerFactory,
    CampaignFactory,
    LeadDistributionFactory,
    LeadFactory,
    LeadReturnFactory,
    SupplierFactory,
    TeamFactory,
)
from tests.reporting.dataset import BUYERS, at, sec
from tests.reporting.engines import on_sqlite_and_postgresql

MARCH = ReportParams(since=at("2026-03-01 00:00:00"), until=at("2026-04-01 00:00:00"))


@pytest.fixture
def market():
    """Supplier Acme posts to Solar: L1 sold to Alpha for 40.00, L2 sold to Alpha for 20.00 and returned, L3 sold
    to Beta for 35.00 but received in April; Alpha's test send and a lead it was only pinged about (L4) too."""
    solar, acme = CampaignFactory(slug="solar"), SupplierFactory(name="Acme")
    alpha, beta = BuyerFactory(name="Alpha"), BuyerFactory(name="Beta")

    def sold(received: str, buyer, price: str, **lead) -> Lead:
        lead = LeadFactory(campaign=solar, supplier=acme, received_at=at(received), status="sold",
                           revenue=Decimal(price), **lead)
        BuyerDeliveryFactory(lead=lead, buyer=buyer, stage="post", outcome="accepted", price=Decimal(price),
                             latency_ms=100)
        LeadDistributionFactory(lead=lead, buyer=buyer, price=Decimal(price), sold_at=sec(lead.received_at, 60))
        return lead

    sold("2026-03-02 10:00:00", alpha, "40.00")
    returned = sold("2026-03-03 10:00:00", alpha, "20.00", phone="+14155550002")
    LeadReturnFactory(lead=returned, buyer=alpha, amount=Decimal("20.00"))
    Lead.objects.filter(pk=returned.pk).update(revenue=Decimal("0"))  # as lead_return leaves it
    sold("2026-04-02 10:00:00", beta, "35.00", phone="+14155550003")
    BuyerDeliveryFactory(lead=None, buyer=alpha, stage="post", test=True, latency_ms=5000)
    pinged = LeadFactory(campaign=solar, supplier=acme, received_at=at("2026-03-04 10:00:00"), phone="+1415555004")
    BuyerDeliveryFactory(lead=pinged, buyer=alpha, stage="ping", outcome="rejected", latency_ms=400)
    return {"solar": solar, "acme": acme, "alpha": alpha}


class ExactNumbers:
    """The same expectations on every engine (on_sqlite_and_postgresql below runs them on both)."""

    def test_buyers_of_the_floor(self, floor):
        assert buyer_rows(params=MARCH) == BUYERS

    def test_buyers_of_an_empty_range(self, floor):
        empty = ReportParams(since=at("2025-01-01 00:00:00"), until=at("2025-02-01 00:00:00"))
        assert buyer_rows(params=empty) == []

    def test_buyer_figures_count_sales_returns_and_latency_of_leads_in_range(self, market):
        assert buyer_rows(params=MARCH) == [{
            "key": "Alpha", "label": "Alpha", "pings": 1, "bids": 0, "bid_rate_pct": 0.0, "posts": 2, "accepted": 2,
            "rejected": 1, "timeouts": 0, "errors": 0, "won": 2, "returned": 1, "return_rate_pct": 50.0,
            "revenue": 40.0, "average_price": 30.0, "mean_response_seconds": 0.2, "median_response_seconds": 0.1}]
        everything = buyer_rows(params=ReportParams())
        assert [(r["key"], r["won"], r["revenue"]) for r in everything] == [("Alpha", 2, 40.0), ("Beta", 1, 35.0)]

    def test_supplier_and_campaign_reports_have_returns_columns(self, market):
        (supplier,) = supplier_rows(params=MARCH)
        (campaign,) = campaign_rows(params=MARCH)
        for row in (supplier, campaign):
            assert (row["leads"], row["sold"], row["returned"], row["return_rate_pct"], row["returned_amount"],
                    row["revenue"]) == (3, 2, 1, 50.0, 20.0, 40.0)


# On PostgreSQL: PERCENTILE_CONT gives the medians the SQLite window functions give.
TestExactNumbersSQLite, TestExactNumbersPostgreSQL = on_sqlite_and_postgresql(ExactNumbers)


@pytest.mark.django_db
def test_buyer_report_ignores_the_team_filter_and_narrows_by_campaign(market):
    assert buyer_rows(params=replace(MARCH, team=TeamFactory())) == buyer_rows(params=MARCH)
    assert buyer_rows(params=replace(MARCH, campaign=CampaignFactory(slug="other"))) == []

