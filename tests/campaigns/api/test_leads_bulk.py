"""POST /api/v1/leads/bulk/: one result per item, in order; one bad item never sinks the others."""

import json

from campaigns.models import IntakeAttempt, Lead, SuppressionEntry
from tests.campaigns.conftest import lead_payload

URL = "/api/v1/leads/bulk/"


def bulk(client, body, **headers):
    return client.generic("POST", URL, json.dumps(body), content_type="application/json", **headers)


def mixed_batch():
    return [
        lead_payload(),
        lead_payload(email="second@example.com"),                       # same phone: duplicate of item 0
        lead_payload(phone="+14155550111", email="x@blocked.example"),  # suppressed domain
        lead_payload(country="USA"),                                    # 400
        "not an object",                                                # 400
        lead_payload(phone="+14155550122", email="fifth@example.com"),
    ]


def test_mixed_items_in_order(supplier_client):
    SuppressionEntry.objects.create(kind="email_domain", value="blocked.example")
    response = bulk(supplier_client, mixed_batch())
    assert response.status_code == 200
    results = response.json()["results"]
    first, last = Lead.objects.order_by("pk")
    assert results == [
        {"index": 0, "status_code": 201, "id": first.pk, "status": "accepted"},
        {"index": 1, "status_code": 409, "status": "duplicate", "duplicate_of": first.pk},
        {"index": 2, "status_code": 422, "status": "rejected", "reason": "suppressed",
         "detail": "The lead's email domain is on the suppression list."},
        {"index": 3, "status_code": 400,
         "errors": {"country": ["'USA' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)."]}},
        {"index": 4, "status_code": 400, "errors": {"non_field_errors": ["Expected a JSON object with the lead's "
                                                                         "fields."]}},
        {"index": 5, "status_code": 201, "id": last.pk, "status": "accepted"},
    ]
    assert IntakeAttempt.objects.count() == 6


def test_leads_object_form_and_idempotent_retry(supplier_client):
    batch = {"leads": mixed_batch()}
    first = bulk(supplier_client, batch, HTTP_IDEMPOTENCY_KEY="batch-1").json()
    again = bulk(supplier_client, batch, HTTP_IDEMPOTENCY_KEY="batch-1").json()
    assert again == first
    assert Lead.objects.count() == 3
    assert set(IntakeAttempt.objects.exclude(idempotency_key="").values_list("idempotency_key", flat=True)) == {
        "batch-1:0", "batch-1:1", "batch-1:2", "batch-1:5"}
    assert IntakeAttempt.objects.filter(outcome="invalid").count() == 4  # 400 items are re-checked on retry


def test_more_than_1000_is_400(supplier_client):
    response = bulk(supplier_client, [lead_payload()] * 1001)
    assert (response.status_code, response.json()) == (
        400, {"errors": {"leads": ["At most 1000 leads per request, got 1001."]}})
    assert Lead.objects.count() == 0
    assert IntakeAttempt.objects.get().outcome == "invalid"


def test_empty_and_non_list_are_400(supplier_client):
    assert bulk(supplier_client, []).json() == {"errors": {"leads": ["Send at least one lead."]}}
    assert bulk(supplier_client, lead_payload()).json() == {
        "errors": {"leads": ['Expected a JSON list of leads, or {"leads": [...]}.']}}


def test_overlong_idempotency_key_is_400(supplier_client):
    response = bulk(supplier_client, [lead_payload()], HTTP_IDEMPOTENCY_KEY="k" * 127)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]


def test_a_full_batch_of_1000(supplier_client):
    batch = [lead_payload(phone=f"+1415555{i:04d}", email=f"l{i}@example.com") for i in range(1000)]
    response = bulk(supplier_client, batch)
    assert response.status_code == 200
    assert [r["status_code"] for r in response.json()["results"]] == [201] * 1000
    assert Lead.objects.count() == 1000


def test_body_over_the_server_limit_is_413(supplier_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    batch = [lead_payload(fields={"blob": "x" * 1000})] * 1100
    response = bulk(supplier_client, batch)
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large."}
    assert Lead.objects.count() == 0
    assert IntakeAttempt.objects.get().response_status == 413


def test_a_bulk_request_counts_once_against_the_rate_limit(supplier_client, supplier, monkeypatch):
    import campaigns.api.throttles as throttles
    from campaigns.models import Supplier

    Supplier.objects.filter(pk=supplier.pk).update(rate_limit_per_second=1)
    monkeypatch.setattr(throttles.time, "time", lambda: 1_800_000_000.7)
    batch = [lead_payload(phone=f"+1415555{i:04d}", email=f"r{i}@example.com") for i in range(5)]
    assert [r["status_code"] for r in bulk(supplier_client, batch).json()["results"]] == [201] * 5
    throttled = bulk(supplier_client, batch)
    assert (throttled.status_code, throttled["Retry-After"]) == (429, "1")
