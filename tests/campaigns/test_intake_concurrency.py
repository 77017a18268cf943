"""Intake under real concurrency: 50 threads posting at once never make two leads nor overfill a cap.

The same tests run on the embedded SQLite (writers serialised by BEGIN IMMEDIATE) and, marked scale, on
PostgreSQL (advisory locks + conditional UPDATE), where the threads truly overlap.
"""

from collections import Counter

import pytest

from campaigns.models import Campaign, CapCounter, IntakeAttempt, Lead
from campaigns.services import intake, lead_intake
from tests.campaigns.races import race_tests
from tests.concurrency import run_all
from tests.factories import CampaignFactory, supplier_with_key

THREADS = 50


def post_all(supplier, payloads, keys=None) -> list:
    """Post every payload from its own thread, all released at once; returns the results in order."""
    return run_all([lambda i=i: lead_intake(supplier=supplier, payload=payloads[i],
                                            idempotency_key=keys[i] if keys else "")
                    for i in range(len(payloads))])


def lead(i: int = 0, **extra) -> dict:
    return {"campaign": "race", "first_name": "Ada", "last_name": f"L{i}", "email": f"ada{i}@example.com",
            "phone": f"+1415555{i:04d}", "country": "US", **extra}


@pytest.fixture
def race(monkeypatch):
    monkeypatch.setattr(intake, "leads_routing_enqueue", lambda *, lead_ids: None)
    campaign = CampaignFactory(slug="race")
    supplier, _ = supplier_with_key(name="Racer", campaigns=[campaign])
    return campaign, supplier


def same_lead_makes_one_lead(supplier, keys=None, **extra):
    results = post_all(supplier, [lead(**extra)] * THREADS, keys=keys)
    assert Lead.objects.count() == 1
    lead_id = Lead.objects.get().pk
    return lead_id, Counter(r.status_code for r in results), results


def run_same_lead_without_keys(race):
    _, supplier = race
    lead_id, codes, results = same_lead_makes_one_lead(supplier)
    assert codes == {201: 1, 409: THREADS - 1}
    assert {r.body.get("duplicate_of") for r in results if r.status_code == 409} == {lead_id}
    assert IntakeAttempt.objects.count() == THREADS


def run_same_idempotency_key(race):
    _, supplier = race
    lead_id, codes, results = same_lead_makes_one_lead(supplier, keys=["same-key"] * THREADS)
    assert codes == {201: THREADS}
    assert {r.body["id"] for r in results} == {lead_id}
    attempt = IntakeAttempt.objects.get()
    assert attempt.replays == THREADS - 1


def run_same_external_id(race):
    _, supplier = race
    lead_id, codes, results = same_lead_makes_one_lead(supplier, external_id="ext-1")
    assert codes == {201: THREADS}
    assert IntakeAttempt.objects.count() == 1


def run_cap_is_never_overfilled(race):
    campaign, supplier = race
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_hour=7, cap_total=10)
    results = post_all(supplier, [lead(i) for i in range(THREADS)])
    codes = Counter((r.status_code, r.body.get("reason")) for r in results)
    assert codes == {(201, None): 7, (422, "campaign_cap_reached"): THREADS - 7}
    assert Lead.objects.count() == 7
    assert dict(CapCounter.objects.values_list("window", "count")) == {"hour": 7, "total": 7}
    assert IntakeAttempt.objects.filter(outcome="accepted").count() == 7


SCENARIOS = [run_same_lead_without_keys, run_same_idempotency_key, run_same_external_id,
             run_cap_is_never_overfilled]


test_on_postgresql, test_on_a_sqlite_file, test_sqlite_file_child_run = race_tests(
    SCENARIOS, fixture="race", test_file=__file__, database="race.sqlite3")
