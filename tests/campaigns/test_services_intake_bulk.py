"""lead_intake_bulk: one transaction and a few queries per batch, yet each item answered exactly as lead_intake
would answer it posted after the items before it."""

import datetime as dt
import re

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, CapCounter, IntakeAttempt, Lead, OfficeHours, SuppressionEntry, WebhookDelivery
from campaigns.services import intake_bulk, lead_intake, lead_intake_bulk
from tests.factories import CampaignFactory, LeadFactory

from .conftest import lead_payload


def bulk(supplier, items, key=""):
    result = lead_intake_bulk(supplier=supplier, payload=items, idempotency_key=key)
    assert result.status_code == 200
    return result.body["results"]


def codes(results):
    return [(r["status_code"], r.get("reason") or r.get("status")) for r in results]


def contact(i, **overrides):
    return lead_payload(**{"phone": f"+1415555{i:04d}", "email": f"l{i}@example.com", **overrides})


def test_duplicates_inside_the_batch_point_at_the_earliest_stored_lead(supplier):
    results = bulk(supplier, [
        contact(1),
        contact(2, email="l1@example.com"),  # same email as item 0
        contact(2),                          # item 1 was not stored: new
        contact(3, phone="+14155550002"),    # same phone as item 2
    ])
    first, third = Lead.objects.order_by("pk")
    assert [r["status_code"] for r in results] == [201, 409, 201, 409]
    assert (results[0]["id"], results[2]["id"]) == (first.pk, third.pk)
    assert (results[1]["duplicate_of"], results[3]["duplicate_of"]) == (first.pk, third.pk)
    attempts = IntakeAttempt.objects.order_by("pk")
    assert [(a.outcome, a.duplicate_of_id, a.lead_id) for a in attempts] == [
        ("accepted", None, first.pk), ("duplicate", first.pk, None), ("accepted", None, third.pk),
        ("duplicate", third.pk, None)]
    assert attempts[3].detail == f"Same phone or email as lead {third.pk}."


def test_a_cap_reached_in_the_middle_refuses_the_rest(supplier, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_hour=3, cap_total=100)
    results = bulk(supplier, [contact(1), contact(2), contact(1, first_name="Again"), contact(3), contact(4),
                              contact(5)])
    assert codes(results) == [(201, "accepted"), (201, "accepted"), (409, "duplicate"), (201, "accepted"),
                              (422, "campaign_cap_reached"), (422, "campaign_cap_reached")]
    assert dict(CapCounter.objects.values_list("window", "count")) == {"hour": 3, "total": 3}
    assert bulk(supplier, [contact(6)])[0]["reason"] == "campaign_cap_reached"
    assert CapCounter.objects.get(window="total").count == 3


def test_supplier_cap_reached_leaves_the_campaign_counter_alone(supplier, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_day=100)
    supplier.cap_total = 2
    supplier.save()
    assert codes(bulk(supplier, [contact(1), contact(2), contact(3)]))[2] == (422, "supplier_cap_reached")
    assert CapCounter.objects.get(scope=f"campaign:{campaign.pk}").count == 2
    assert CapCounter.objects.get(scope=f"supplier:{supplier.pk}").count == 2


def test_the_same_external_id_twice_in_a_batch_replays_the_first_answer(supplier):
    results = bulk(supplier, [contact(1, external_id="e-1"), contact(2, external_id="e-1"),
                              contact(3, external_id="e-2", country="USA"), contact(4, external_id="e-2")])
    lead = Lead.objects.get(external_id="e-1")
    assert results[0] == results[1] | {"index": 0} == {"index": 0, "status_code": 201, "id": lead.pk,
                                                       "status": "accepted"}
    assert codes(results[2:]) == [(400, None), (201, "accepted")]  # a 400 claims no key
    assert IntakeAttempt.objects.get(external_id="e-1").replays == 1
    again = bulk(supplier, [contact(9, external_id="e-1")])
    assert again[0]["id"] == lead.pk
    assert IntakeAttempt.objects.get(external_id="e-1").replays == 2
    assert Lead.objects.count() == 2


def test_a_lead_that_owns_an_external_id_without_an_attempt_is_a_duplicate(supplier, campaign):
    earlier = LeadFactory(campaign=campaign, supplier=supplier, external_id="ext-1")
    assert bulk(supplier, [contact(1, external_id="ext-1")])[0] == {
        "index": 0, "status_code": 409, "status": "duplicate", "duplicate_of": earlier.pk}


def test_idempotent_retry_counts_replays_and_writes_nothing_new(supplier):
    batch = [contact(1), contact(2, country="USA"), contact(1)]
    first = bulk(supplier, batch, key="b")
    attempts = IntakeAttempt.objects.count()
    assert bulk(supplier, batch, key="b") == first
    assert IntakeAttempt.objects.count() == attempts + 1  # only the 400 item is taken again
    assert sorted(IntakeAttempt.objects.exclude(outcome="invalid").values_list("idempotency_key", "replays")) == [
        ("b:0", 1), ("b:2", 1)]


def test_routing_is_requested_with_the_batch_and_webhooks_are_recorded_for_it(
        supplier, campaign, routed, django_capture_on_commit_callbacks):
    supplier.webhook_url = "http://127.0.0.1:9/hook"
    supplier.save()
    with django_capture_on_commit_callbacks() as callbacks:
        results = bulk(supplier, [contact(1), contact(1), contact(2)])
    accepted = [r["id"] for r in results if r["status_code"] == 201]
    assert routed == accepted  # request rows written in the batch's transaction; routed once it commits
    for callback in callbacks:
        callback()
    assert routed == accepted
    assert sorted(WebhookDelivery.objects.values_list("lead_id", "event", "payload__lead__status")) == [
        (lead_id, "accepted", "new") for lead_id in accepted]


def test_held_leads_are_not_routed(supplier, campaign, routed, django_capture_on_commit_callbacks, monkeypatch):
    campaign.timezone = "America/New_York"
    campaign.save()
    OfficeHours.objects.create(campaign=campaign, weekday=0, opens=dt.time(9), closes=dt.time(17))
    monkeypatch.setattr(intake_bulk, "now", lambda: dt.datetime(2026, 5, 31, 16, 0, tzinfo=dt.UTC))  # a Sunday
    with django_capture_on_commit_callbacks(execute=True):
        results = bulk(supplier, [contact(1), contact(2)])
    assert [r["status_code"] for r in results] == [201, 201]
    assert set(Lead.objects.values_list("status", flat=True)) == {"held"}
    assert routed == []


def test_a_database_failure_of_the_batch_falls_back_to_one_transaction_per_lead(supplier, monkeypatch):
    def broken(self):
        raise IntegrityError("simulated, after the batch's leads were inserted")

    monkeypatch.setattr(intake_bulk._Batch, "_record", broken)
    results = bulk(supplier, [contact(1), contact(1), contact(2, country="USA")])
    assert codes(results) == [(201, "accepted"), (409, "duplicate"), (400, None)]
    assert list(Lead.objects.values_list("phone", flat=True)) == ["+14155550001"]  # the batch's insert undone
    assert IntakeAttempt.objects.count() == 3


def test_queries_do_not_grow_with_the_batch(supplier, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_day=10_000)
    SuppressionEntry.objects.create(kind="email_domain", value="blocked.example")
    counts = []
    for start, size in ((0, 10), (1000, 300)):
        with CaptureQueriesContext(connection) as queries:
            bulk(supplier, [contact(start + i) for i in range(size)])
        counts.append(len(queries))
    # SQLite splits a bulk insert in statements of at most 999 parameters; PostgreSQL needs one.
    inserts = (300 * 26) // 999 + 1 if connection.vendor == "sqlite" else 1
    assert counts[0] <= 16 and counts[1] <= counts[0] + 2 * inserts


MIXED = [
    contact(1, external_id="x-1"),
    contact(2, email="l1@example.com"),                       # duplicate of 0
    contact(3, email="ada@blocked.example"),                  # suppressed domain
    contact(4, phone="+14155550009"),                         # suppressed phone
    contact(5, country="USA"),                                # 400
    "not an object",                                          # 400
    contact(6, campaign="nope"),                              # 400 unknown campaign
    contact(7, campaign="closed"),                            # 422 campaign_closed
    contact(8, campaign="other"),                             # 422 not_allowed
    contact(9, phone="12345"),                                # 422 invalid_contact
    contact(10, external_id="x-1"),                           # replay of 0
    contact(11, external_id="x-pre"),                         # lead owns it without attempt: 409
    contact(12, external_id="x-2"),
    contact(13), contact(14), contact(15),                    # the cap (4 per hour) ends here
    contact(16, first_name="", external_id="x-3"),            # 400 required first_name
    contact(17, external_id="x-3"),                           # 422 cap; not a replay of the 400
    contact(18, external_id="x-3"),                           # replay of the 422
    contact(19, phone="+14155550001"),                        # duplicate of 0 even though capped
]


def _setup_mixed(supplier, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(cap_per_hour=4, required_fields=["first_name"])
    CampaignFactory(slug="closed", active=False).suppliers.add(supplier)
    CampaignFactory(slug="other")
    SuppressionEntry.objects.create(kind="email_domain", value="blocked.example")
    SuppressionEntry.objects.create(kind="phone", value="+14155550009")
    LeadFactory(campaign=campaign, supplier=supplier, external_id="x-pre", phone="+14155559990",
                email="pre@example.com")


def _snapshot(results):
    """Results and attempts with lead ids replaced by their order of creation."""
    order = {pk: n for n, pk in enumerate(Lead.objects.order_by("pk").values_list("pk", flat=True))}

    def plain(value):
        if isinstance(value, dict):
            return {k: order.get(v, v) if k in ("id", "duplicate_of") else plain(v) for k, v in value.items()}
        return value

    attempts = [(a.outcome, a.reason, re.sub(r"lead (\d+)", lambda m: f"lead #{order[int(m[1])]}", a.detail),
                 a.response_status, plain(a.response_body), a.idempotency_key, a.external_id, a.replays,
                 order.get(a.lead_id), order.get(a.duplicate_of_id), a.campaign_id)
                for a in IntakeAttempt.objects.order_by("pk")]
    counters = sorted(CapCounter.objects.values_list("scope", "window", "count"))
    return [plain(r) for r in results], attempts, counters


def test_a_mixed_batch_answers_exactly_as_posting_its_items_one_by_one(supplier, campaign):
    _setup_mixed(supplier, campaign)
    at = dt.datetime.now(dt.UTC)
    batch = _snapshot(bulk(supplier, MIXED))
    assert [r["status_code"] for r in batch[0]] == [201, 409, 422, 422, 400, 400, 400, 422, 422, 422, 201, 409, 201,
                                                   201, 201, 422, 400, 422, 422, 409]

    IntakeAttempt.objects.all().delete()
    Lead.objects.exclude(external_id="x-pre").delete()
    CapCounter.objects.all().delete()
    one_by_one = []
    for index, item in enumerate(MIXED):
        result = lead_intake(supplier=supplier, payload=item, received_at=at)
        one_by_one.append({"index": index, "status_code": result.status_code, **result.body})
    assert _snapshot(one_by_one) == batch


@pytest.mark.parametrize("size", [1, 1000])
def test_sizes(supplier, size):
    results = bulk(supplier, [contact(i) for i in range(size)])
    assert [r["index"] for r in results] == list(range(size))
    assert Lead.objects.count() == IntakeAttempt.objects.count() == size
