"""POST /api/v1/leads/ through the client: every status code, and bodies no client should be able to break."""

import json

import pytest
from django.utils.timezone import now
from rest_framework.test import APIClient

from campaigns.models import Campaign, IntakeAttempt, Lead, Supplier, SupplierApiKey, SuppressionEntry
from campaigns.services import supplier_api_key_revoke
from tests.campaigns.conftest import lead_payload
from tests.factories import ManagerFactory, supplier_with_key

URL = "/api/v1/leads/"


def send(client, body, content_type="application/json", **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.generic("POST", URL, data, content_type=content_type, **headers)


def test_201_accepted(supplier_client):
    response = supplier_client.post(URL, lead_payload(), format="json")
    lead = Lead.objects.get()
    assert response.status_code == 201
    assert response.json() == {"id": lead.pk, "status": "accepted"}
    assert response["Location"] == f"http://testserver/api/v1/leads/{lead.pk}/"


def test_409_duplicate(supplier_client):
    first = supplier_client.post(URL, lead_payload(), format="json").json()["id"]
    response = supplier_client.post(URL, lead_payload(email="new@example.com"), format="json")
    assert (response.status_code, response.json()) == (409, {"status": "duplicate", "duplicate_of": first})


@pytest.mark.parametrize("reason", ["invalid_contact", "suppressed", "campaign_cap_reached", "supplier_cap_reached",
                                    "campaign_closed", "not_allowed"])
def test_422_reasons(supplier_client, supplier, campaign, reason):
    payload = lead_payload()
    if reason == "invalid_contact":
        payload["phone"] = "555"
    elif reason == "suppressed":
        SuppressionEntry.objects.create(kind="email_domain", value="example.com")
    elif reason == "campaign_cap_reached":
        Campaign.objects.filter(pk=campaign.pk).update(cap_per_day=0)
    elif reason == "supplier_cap_reached":
        Supplier.objects.filter(pk=supplier.pk).update(cap_per_hour=0)
    elif reason == "campaign_closed":
        Campaign.objects.filter(pk=campaign.pk).update(active=False)
    elif reason == "not_allowed":
        supplier.campaigns.clear()
    response = supplier_client.post(URL, payload, format="json")
    body = response.json()
    assert response.status_code == 422
    assert (body["status"], body["reason"]) == ("rejected", reason)
    assert isinstance(body["detail"], str) and body["detail"]
    assert Lead.objects.count() == 0
    assert IntakeAttempt.objects.get().reason == reason


@pytest.mark.parametrize(("payload", "errors"), [
    (lead_payload(campaign="nope"), {"campaign": ["Unknown campaign 'nope'."]}),
    (lead_payload(phone=4155550100), {"phone": ["Must be a string."]}),
    (lead_payload(phone={"n": 1}), {"phone": ["Must be a string."]}),
    (lead_payload(first_name="x" * 101), {"first_name": ["Ensure this field has no more than 100 characters."]}),
    (lead_payload(country="USA"), {"country": ["'USA' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)."]}),
    (lead_payload(country="XK"), {"country": ["'XK' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)."]}),
    (lead_payload(language="english"), {"language": ["'english' is not an ISO 639-1 language code (e.g. en, es)."]}),
    (lead_payload(skill="solar panels"), {"skill": ["Must be a slug: letters, numbers, underscores or hyphens."]}),
    (lead_payload(first_name="A\x00da"), {"first_name": ["Must not contain NUL characters."]}),
    (lead_payload(last_name="\ud800"), {"last_name": ["Must be valid Unicode text (no lone surrogates)."]}),
    (lead_payload(foo=1, **{"b\x00r": 2}), {"foo": ["Unknown field. Put extra answers in \"fields\"."],
                                            "b\\x00r": ["Unknown field. Put extra answers in \"fields\"."]}),
    (lead_payload(fields=[1]), {"fields": ["Must be a JSON object of extra answers."]}),
    (lead_payload(fields={f"k{i}": i for i in range(51)}), {"fields": ["At most 50 keys, got 51."]}),
    (lead_payload(fields={"a": "x" * 1000, **{f"k{i}": "y" * 900 for i in range(8)}}),
     {"fields": ["At most 8192 bytes of JSON, got 8272."]}),
    (lead_payload(fields={"a": {"nested": 1}}),
     {"fields": ["'a': values must be text, numbers, true/false, null or a short list of those."]}),
    (lead_payload(fields={"a": list(range(21))}), {"fields": ["'a': lists may hold at most 20 items."]}),
    (lead_payload(fields={"a": "\x00"}), {"fields": ["'a': Must not contain NUL characters."]}),
    (["not", "an", "object"], {"non_field_errors": ["Expected a JSON object with the lead's fields."]}),
    ({}, {"campaign": ["This field is required."]}),
])
def test_400_names_the_field(supplier_client, payload, errors):
    response = send(supplier_client, payload)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert Lead.objects.count() == 0
    attempt = IntakeAttempt.objects.get()
    assert (attempt.outcome, attempt.response_status) == ("invalid", 400)


def test_overflowing_number_in_fields_is_400(supplier_client):
    body = json.dumps(lead_payload(fields={"a": 1})).replace('"a": 1', '"a": 1e400')
    response = send(supplier_client, body)
    assert (response.status_code, response.json()) == (400, {"errors": {"fields": ["'a': numbers must be finite."]}})


def test_country_code_longer_than_two(supplier_client):
    response = send(supplier_client, lead_payload(country="U" * 5000))
    assert response.json() == {"errors": {"country": [
        "'UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU…' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)."]}}


def test_unknown_fields_list_is_bounded(supplier_client):
    response = send(supplier_client, lead_payload(**{f"x{i}": 1 for i in range(500)}))
    errors = response.json()["errors"]
    assert len(errors) == 21
    assert errors["non_field_errors"] == ["480 more unknown fields."]


@pytest.mark.parametrize("body", [b"{not json", b'{"campaign": "solar-us",}', b"\xff\xfe{}",
                                  b'{"a": NaN}', b"[" * 50_000 + b"]" * 50_000])
def test_malformed_json_is_400(supplier_client, body):
    response = send(supplier_client, body)
    assert response.status_code in (400, 413)
    assert response.status_code == 400 or len(body) > 64 * 1024
    assert "detail" in response.json()
    assert IntakeAttempt.objects.get().outcome == "invalid"


def test_deep_nesting_within_the_limit_is_400(supplier_client):
    response = send(supplier_client, b"[" * 30_000 + b"]" * 30_000)
    assert response.status_code == 400
    assert response.json()["errors"]["body"] == ["JSON parse error - nested too deeply."]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; "
                                                                                           "boundary=x", ""])
def test_wrong_content_type_is_415(supplier_client, content_type):
    response = send(supplier_client, json.dumps(lead_payload()), content_type=content_type)
    assert response.status_code == 415
    assert "detail" in response.json()
    assert Lead.objects.count() == 0
    assert IntakeAttempt.objects.get().response_status == 415


def test_one_megabyte_body_is_413(supplier_client):
    body = json.dumps(lead_payload(fields={"blob": "x" * (1024 * 1024)}))
    response = send(supplier_client, body)
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large: at most 65536 bytes here."}
    assert Lead.objects.count() == 0
    assert IntakeAttempt.objects.get().response_status == 413


def test_chunked_body_without_length_is_411(supplier_client):
    response = supplier_client.generic("POST", URL, b"", content_type="application/json",
                                       HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411
    assert response.json() == {"detail": "Send the body with a Content-Length header (chunked bodies are not read)."}
    assert IntakeAttempt.objects.get().response_status == 411


def test_unicode_and_html_round_trip_as_json(supplier_client):
    payload = lead_payload(first_name="Zoë 李 😀", last_name='<img src=x onerror="alert(1)">')
    response = send(supplier_client, json.dumps(payload, ensure_ascii=False).encode())
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("Zoë 李 😀", '<img src=x onerror="alert(1)">')
    assert response["Content-Type"] == "application/json"


def test_401_without_or_with_a_wrong_key(api_client, supplier_and_key):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Api-Key nope"}, {"HTTP_AUTHORIZATION": "Api-Key"},
                    {"HTTP_AUTHORIZATION": "Api-Key a b"}, {"HTTP_AUTHORIZATION": "Api-Key " + "k" * 500}):
        response = send(api_client, lead_payload(), **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"] == "Api-Key"
        assert "detail" in response.json()
    assert IntakeAttempt.objects.count() == 0


def test_401_revoked_key(supplier_client, supplier):
    supplier_api_key_revoke(key=SupplierApiKey.objects.get(supplier=supplier))
    response = send(supplier_client, lead_payload())
    assert (response.status_code, response.json()) == (401, {"detail": "This API key has been revoked."})
    assert response["WWW-Authenticate"] == "Api-Key"
    assert Lead.objects.count() == 0


def test_403_inactive_supplier(supplier_client, supplier):
    Supplier.objects.filter(pk=supplier.pk).update(active=False)
    response = send(supplier_client, lead_payload())
    assert (response.status_code, response.json()) == (403, {"detail": "This supplier account is inactive."})
    assert Lead.objects.count() == 0


def test_403_for_a_person_posting(campaign):
    client = APIClient()
    client.force_authenticate(ManagerFactory())
    response = send(client, lead_payload())
    assert response.status_code == 403
    assert response.json() == {"detail": "Only a supplier API key (Authorization: Api-Key <key>) may post leads."}


def test_key_use_is_recorded(supplier_client, supplier):
    send(supplier_client, lead_payload())
    key = SupplierApiKey.objects.get(supplier=supplier)
    assert key.last_used_at is not None and (now() - key.last_used_at).total_seconds() < 60


def test_429_with_retry_after(supplier_client, supplier, monkeypatch):
    import campaigns.api.throttles as throttles

    Supplier.objects.filter(pk=supplier.pk).update(rate_limit_per_second=3)
    monkeypatch.setattr(throttles.time, "time", lambda: 1_800_000_000.5)
    codes = [send(supplier_client, lead_payload(email=f"a{i}@example.com", phone=f"+1415555010{i}")).status_code
             for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    response = send(supplier_client, lead_payload())
    assert response["Retry-After"] == "1"
    assert response.json()["detail"].startswith("Request was throttled.")
    assert IntakeAttempt.objects.count() == 3

    monkeypatch.setattr(throttles.time, "time", lambda: 1_800_000_001.1)
    assert send(supplier_client, lead_payload(email="z@example.com", phone="+14155550199")).status_code == 201


def test_rate_limit_is_per_key(supplier_client, supplier, campaign, monkeypatch):
    import campaigns.api.throttles as throttles

    Supplier.objects.filter(pk=supplier.pk).update(rate_limit_per_second=1)
    other, other_key = supplier_with_key(name="Other", campaigns=[campaign])
    monkeypatch.setattr(throttles.time, "time", lambda: 1_800_000_000.5)
    assert send(supplier_client, lead_payload()).status_code == 201
    assert send(supplier_client, lead_payload()).status_code == 429
    other_client = APIClient()
    other_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {other_key}")
    assert send(other_client, lead_payload(phone="+14155550150", email="o@example.com")).status_code == 201


def test_idempotency_key_header_replays_the_first_answer(supplier_client):
    first = send(supplier_client, lead_payload(), HTTP_IDEMPOTENCY_KEY="order-1")
    again = send(supplier_client, lead_payload(first_name="Other"), HTTP_IDEMPOTENCY_KEY="order-1")
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1 and IntakeAttempt.objects.count() == 1


def test_idempotency_replays_a_first_422(supplier_client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(active=False)
    first = send(supplier_client, lead_payload(), HTTP_IDEMPOTENCY_KEY="order-2")
    Campaign.objects.filter(pk=campaign.pk).update(active=True)
    again = send(supplier_client, lead_payload(), HTTP_IDEMPOTENCY_KEY="order-2")
    assert (again.status_code, again.json()) == (422, first.json())
    assert first.json()["reason"] == "campaign_closed"
    assert Lead.objects.count() == 0


def test_external_id_replays_the_first_answer(supplier_client):
    first = send(supplier_client, lead_payload(external_id="acme-1"))
    again = send(supplier_client, lead_payload(external_id="acme-1", phone="+14155550188", email="b@example.com"))
    assert (again.status_code, again.json()) == (201, first.json())
    assert Lead.objects.count() == 1
