"""Buyer caps under real concurrency: many workers selling different leads at once never exceed a buyer's cap,
and two workers running the same lead never post it twice.

Runs on a SQLite file (writers serialised by BEGIN IMMEDIATE) in a child pytest, and, marked scale, on
PostgreSQL, where the threads truly overlap.
"""


import pytest

from campaigns.buyers.services import lead_distribute
from campaigns.models import BuyerDelivery, CapCounter, Lead, LeadDistribution
from tests.campaigns.buyers.buyer_server import BuyerServer, slow
from tests.campaigns.buyers.conftest import make_buyer, selling_lead
from tests.campaigns.races import race_tests
from tests.concurrency import run_all
from tests.factories import CampaignFactory, SupplierFactory

THREADS, CAP = 12, 5


def run_threads(work, items) -> list:
    return run_all([lambda item=item: work(item) for item in items])


def run_cap_is_never_exceeded(server):
    campaign, supplier = CampaignFactory(distribution_mode="buyers_only"), SupplierFactory()
    # A generous timeout: this proves the cap, and a loaded CI machine must not turn a slow answer into "unsold".
    capped = make_buyer(campaign, name="Capped", url=server.script("/capped", slow(0.05)), cap_per_hour=CAP,
                        priority=1, timeout_ms=10_000)
    make_buyer(campaign, name="Overflow", url=server.script("/overflow", slow(0.05)), priority=2, timeout_ms=10_000)
    leads = [selling_lead(campaign, supplier, email=f"c{i}@example.com", phone=f"+1415555{i:04d}").pk
             for i in range(THREADS)]

    results = run_threads(lambda lead_id: lead_distribute(lead_id=lead_id), leads)

    assert {r.action for r in results} == {"sold"}
    assert len(server.hits("/capped")) == CAP
    assert len(server.hits("/overflow")) == THREADS - CAP
    assert LeadDistribution.objects.filter(buyer=capped).count() == CAP
    assert CapCounter.objects.get(scope=f"buyer:{capped.pk}", window="hour").count == CAP
    assert Lead.objects.filter(status="sold").count() == THREADS


def run_same_lead_twice_posts_once(server):
    campaign, supplier = CampaignFactory(distribution_mode="buyers_only"), SupplierFactory()
    make_buyer(campaign, name="Slow", url=server.script("/slow", slow(0.3)))
    lead = selling_lead(campaign, supplier)

    results = run_threads(lambda lead_id: lead_distribute(lead_id=lead_id), [lead.pk] * 6)

    assert sorted(r.action for r in results) == ["skipped"] * 5 + ["sold"]
    assert len(server.hits("/slow")) == 1
    assert BuyerDelivery.objects.filter(lead=lead, stage="post").count() == 1


SCENARIOS = [run_cap_is_never_exceeded, run_same_lead_twice_posts_once]


@pytest.fixture
def live_server_buyers():
    running = BuyerServer().start()
    yield running
    running.stop()


test_on_postgresql, test_on_a_sqlite_file, test_sqlite_file_child_run = race_tests(
    SCENARIOS, fixture="live_server_buyers", test_file=__file__, database="buyers.sqlite3")
