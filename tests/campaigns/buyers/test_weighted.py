"""Weighted delivery: the split over 1,000 leads is within tolerance of the weights, honouring filters and caps;
and a smaller run with real HTTP posts."""

import random
from collections import Counter

import pytest
from django.utils.timezone import now

from campaigns.buyers.caps import buyer_cap_windows
from campaigns.buyers.selectors import buyer_weighted_choose
from campaigns.buyers.services import lead_distribute
from campaigns.models import Campaign, CapCounter, Lead
from tests.campaigns.buyers.buyer_server import ACCEPT, REJECT
from tests.campaigns.buyers.conftest import make_buyer, selling_lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def weighted(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(buyer_method="weighted")
    campaign.refresh_from_db()
    return campaign


def test_split_over_1000_leads_follows_the_weights(weighted, supplier):
    for name, weight in (("sixty", 60), ("twenty-a", 20), ("twenty-b", 20)):
        make_buyer(weighted, name=name, url="http://127.0.0.1:9/x", weight=weight)
    make_buyer(weighted, name="zero", url="http://127.0.0.1:9/x", weight=0)
    lead = LeadFactory(campaign=weighted, supplier=supplier)
    rng = random.Random(8)

    counts = Counter(buyer_weighted_choose(lead=lead, rng=rng).buyer.name for _ in range(1000))

    assert set(counts) == {"sixty", "twenty-a", "twenty-b"}
    assert abs(counts["sixty"] - 600) <= 50
    assert abs(counts["twenty-a"] - 200) <= 40 and abs(counts["twenty-b"] - 200) <= 40


def test_choice_honours_filters_and_caps(weighted, supplier):
    make_buyer(weighted, name="texas", url="http://127.0.0.1:9/x", weight=90, filters={"region": ["TX"]})
    full = make_buyer(weighted, name="full", url="http://127.0.0.1:9/x", weight=90, cap_per_month=3)
    make_buyer(weighted, name="open", url="http://127.0.0.1:9/x", weight=1)
    window = buyer_cap_windows(buyer=full, at=now())[0]
    CapCounter.objects.create(scope=window.scope, window="month", window_start=window.start, count=3)
    lead = LeadFactory(campaign=weighted, supplier=supplier, region="CA")
    rng = random.Random(1)

    assert {buyer_weighted_choose(lead=lead, rng=rng).buyer.name for _ in range(200)} == {"open"}


def test_real_posts_split_by_weight_and_fall_through_refusals(server, weighted, supplier):
    make_buyer(weighted, name="big", url=server.script("/big", ACCEPT), weight=3)
    make_buyer(weighted, name="small", url=server.script("/small", ACCEPT), weight=1)
    make_buyer(weighted, name="never", url=server.script("/never", REJECT), weight=2)
    rng = random.Random(3)
    leads = [selling_lead(weighted, supplier, email=f"p{i}@example.com", phone=f"+1415555{i:04d}") for i in range(40)]

    results = [lead_distribute(lead_id=lead.pk, rng=rng) for lead in leads]

    assert {r.action for r in results} == {"sold"}
    sold = Counter(Lead.objects.get(pk=r.lead_id).distribution.buyer.name for r in results)
    assert set(sold) == {"big", "small"} and sold["big"] > sold["small"]
    assert len(server.hits("/big")) + len(server.hits("/small")) == 40  # one post per sold lead
    assert 0 < len(server.hits("/never")) < 40
