"""Bulk intake under real concurrency on PostgreSQL: bulk posts racing each other and single posts never overfill a
cap, never make two leads of one contact or one external_id, and never deadlock."""

from collections import Counter

import pytest
from django.db import connection

from campaigns.models import Campaign, CapCounter, IntakeAttempt, Lead
from campaigns.services import intake, lead_intake, lead_intake_bulk
from tests.concurrency import run_all
from tests.factories import CampaignFactory, supplier_with_key

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]


def lead(i: int, campaign: str = "race", **extra) -> dict:
    return {"campaign": campaign, "first_name": "Ada", "last_name": f"L{i}", "email": f"ada{i}@example.com",
            "phone": f"+1415555{i:04d}", "country": "US", **extra}


@pytest.fixture
def race(monkeypatch):
    monkeypatch.setattr(intake, "leads_routing_enqueue", lambda *, lead_ids: None)
    monkeypatch.setattr(intake, "leads_routing_enqueue", lambda *, lead_ids: None)
    campaign = CampaignFactory(slug="race")
    other = CampaignFactory(slug="race-2")
    suppliers = [supplier_with_key(name=f"Racer {n}", campaigns=[campaign, other])[0] for n in range(2)]
    return campaign, other, suppliers


def bulk_job(supplier, items):
    return lambda: lead_intake_bulk(supplier=supplier, payload=items).body["results"]


def test_bulk_posts_racing_never_overfill_a_cap(race):
    assert connection.vendor == "postgresql"
    campaign, _, suppliers = race
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_hour=150, cap_total=1000)
    jobs = [bulk_job(suppliers[n % 2], [lead(n * 100 + i) for i in range(100)]) for n in range(4)]
    results = run_all(jobs)
    codes = Counter((r["status_code"], r.get("reason")) for batch in results for r in batch)
    assert codes == {(201, None): 150, (422, "campaign_cap_reached"): 250}
    assert Lead.objects.count() == 150
    assert dict(CapCounter.objects.filter(scope=f"campaign:{campaign.pk}").values_list("window", "count")) == {
        "hour": 150, "total": 150}
    assert IntakeAttempt.objects.count() == 400


def test_bulk_and_single_posts_of_the_same_contacts_make_one_lead_each(race):
    campaign, other, suppliers = race
    same = [lead(i) for i in range(40)]
    jobs = [bulk_job(suppliers[0], same), bulk_job(suppliers[1], same[::-1]),
            bulk_job(suppliers[1], [lead(i, campaign="race-2") for i in range(40)] + same[:10])]
    jobs += [lambda i=i: lead_intake(supplier=suppliers[i % 2], payload=same[i]) for i in range(0, 40, 4)]
    run_all(jobs)
    assert Lead.objects.filter(campaign=campaign).count() == 40
    assert Lead.objects.filter(campaign=other).count() == 40
    assert sorted(Lead.objects.filter(campaign=campaign).values_list("phone", flat=True)) == sorted(
        f"+1415555{i:04d}" for i in range(40))
    assert IntakeAttempt.objects.filter(outcome="accepted").count() == 80
    assert IntakeAttempt.objects.count() == 40 + 40 + 50 + 10


def test_one_external_id_from_bulk_and_single_posts_makes_one_lead(race):
    _, _, suppliers = race
    supplier = suppliers[0]
    items = [lead(i, external_id=f"ext-{i % 5}") for i in range(20)]
    jobs = [bulk_job(supplier, items), bulk_job(supplier, items[::-1])]
    jobs += [lambda i=i: lead_intake(supplier=supplier, payload=items[i], idempotency_key=f"k-{i}")
             for i in range(10)]
    results = run_all(jobs)
    assert Lead.objects.count() == 5
    assert IntakeAttempt.objects.count() == 5
    ids = set(Lead.objects.values_list("pk", flat=True))
    answers = [r for batch in results[:2] for r in batch] + [r.__dict__ | r.body for r in results[2:]]
    assert {(a["status_code"], a["id"] in ids) for a in answers} == {(201, True)}
    assert sum(IntakeAttempt.objects.values_list("replays", flat=True)) == 20 + 20 + 10 - 5
