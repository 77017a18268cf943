"""Consent at intake (CONTRACT 6.5): validated, required by a campaign, bounded in age, stored, shown to managers."""

import datetime as dt

import pytest
from django.utils.timezone import now
from rest_framework.test import APIClient

from campaigns.models import Campaign, IntakeAttempt, Lead
from tests.campaigns.conftest import lead_payload
from tests.factories import ManagerFactory

URL = "/api/v1/leads/"


def consent(**overrides):
    base = {"text": "I agree to be called about solar panels.", "given_at": (now() - dt.timedelta(hours=1)).isoformat(),
            "ip": "203.0.113.7", "page_url": "https://solar.example/quote",
            "certificate_url": "https://cert.trustedform.com/abc123"}
    return {key: value for key, value in {**base, **overrides}.items() if value is not ...}


def test_consent_is_stored_normalised_and_managers_read_it(supplier_client):
    given = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    response = supplier_client.post(URL, lead_payload(consent=consent(given_at=given.isoformat(), ip="2001:DB8::1")),
                                    format="json")
    assert response.status_code == 201, response.json()
    stored = Lead.objects.get().consent
    assert stored == {"text": "I agree to be called about solar panels.", "given_at": "2026-12-01T08:30:00+00:00",
                      "ip": "2001:db8::1", "page_url": "https://solar.example/quote",
                      "certificate_url": "https://cert.trustedform.com/abc123"}
    manager = APIClient()
    manager.force_authenticate(ManagerFactory())
    assert manager.get(f"{URL}{response.json()['id']}/").json()["consent"] == stored


def test_only_text_and_given_at_are_required_in_a_consent(supplier_client):
    body = lead_payload(consent={"text": "Yes, call me.", "given_at": now().isoformat()})
    assert supplier_client.post(URL, body, format="json").status_code == 201
    assert set(Lead.objects.get().consent) == {"text", "given_at"}


@pytest.mark.parametrize(("value", "message"), [
    ("yes", "Must be an object"),
    ({"text": "ok"}, "given_at: this field is required."),
    ({"given_at": "2026-12-01T08:00:00Z"}, "text: this field is required."),
    (consent(given_at="yesterday"), "given_at: must be an ISO 8601"),
    (consent(given_at="2026-12-01T08:00:00"), "given_at: needs its UTC offset"),
    (consent(given_at=(now() + dt.timedelta(hours=2)).isoformat()), "given_at: is in the future."),
    (consent(ip="999.1.1.1"), "ip: is not an IPv4 or IPv6 address."),
    (consent(ip=12345), "ip: must be a string."),
    (consent(page_url="javascript:alert(1)"), "page_url: must be an http:// or https:// URL."),
    (consent(certificate_url="ftp://cert.example/1"), "certificate_url: must be an http:// or https:// URL."),
    (consent(text="x" * 5001), "text: must be at most 5000 characters."),
    (consent(text="nul\x00byte"), "text: must not contain NUL characters."),
    ({**consent(), "signature": "abc"}, "Unknown key 'signature'"),
])
def test_a_malformed_consent_is_a_400_naming_the_problem(supplier_client, value, message):
    response = supplier_client.post(URL, lead_payload(consent=value), format="json")
    assert response.status_code == 400
    assert any(message in problem for problem in response.json()["errors"]["consent"]), response.json()
    assert not Lead.objects.exists()


def test_a_campaign_that_requires_consent_refuses_a_lead_without_one(supplier_client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(consent_required=True)
    response = supplier_client.post(URL, lead_payload(), format="json")
    assert response.status_code == 422
    assert response.json()["reason"] == "consent_missing"
    assert "requires the lead's consent" in response.json()["detail"]
    assert IntakeAttempt.objects.get().reason == "consent_missing" and not Lead.objects.exists()
    assert supplier_client.post(URL, lead_payload(consent=consent()), format="json").status_code == 201


def test_a_consent_older_than_the_campaign_accepts_is_refused(supplier_client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(consent_max_age_days=30)
    old = consent(given_at=(now() - dt.timedelta(days=31)).isoformat())
    response = supplier_client.post(URL, lead_payload(consent=old), format="json")
    assert response.status_code == 422
    assert response.json()["reason"] == "consent_too_old"
    assert "up to 30 days old" in response.json()["detail"]
    fresh = consent(given_at=(now() - dt.timedelta(days=29)).isoformat())
    assert supplier_client.post(URL, lead_payload(consent=fresh, email="b@example.com", phone="+14155550199"),
                                format="json").status_code == 201


def test_bulk_intake_applies_the_same_consent_rules(supplier_client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(consent_required=True)
    items = [lead_payload(consent=consent()), lead_payload(email="b@example.com", phone="+14155550199"),
             lead_payload(email="c@example.com", phone="+14155550198", consent=consent(ip="nope"))]
    results = supplier_client.post(f"{URL}bulk/", items, format="json").json()["results"]
    assert [r["status_code"] for r in results] == [201, 422, 400]
    assert results[1]["reason"] == "consent_missing"
    assert Lead.objects.get().consent["ip"] == "203.0.113.7"
