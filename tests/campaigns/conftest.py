"""Fixtures for intake tests: a campaign a keyed supplier may post to, and routing kept out of the way."""

import uuid

import pytest
from rest_framework.test import APIClient

from campaigns.api import throttles
from campaigns.services import intake
from tests.factories import CampaignFactory, supplier_with_key


def lead_payload(**overrides) -> dict:
    """A valid lead for the "solar-us" campaign; overrides replace or (with None) drop keys."""
    payload = {"campaign": "solar-us", "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com",
               "phone": "(415) 555-0100", "country": "us", "language": "EN"}
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters(monkeypatch):
    """Each test counts requests under its own prefix (clearing the cache would flush a shared Redis)."""
    monkeypatch.setattr(throttles, "COUNTER_PREFIX", f"intake-rate-test-{uuid.uuid4().hex}")


@pytest.fixture
def routed(monkeypatch) -> list[int]:
    """Lead ids handed to routing (instead of writing the floor's routing requests, which another package owns)."""
    calls: list[int] = []
    monkeypatch.setattr(intake, "leads_routing_enqueue", lambda *, lead_ids: calls.extend(lead_ids))
    return calls


@pytest.fixture
def campaign(db):
    return CampaignFactory(slug="solar-us", name="Solar US")


@pytest.fixture
def supplier_and_key(campaign, routed):
    return supplier_with_key(name="Acme Leads", campaigns=[campaign])


@pytest.fixture
def supplier(supplier_and_key):
    return supplier_and_key[0]


@pytest.fixture
def supplier_client(supplier_and_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {supplier_and_key[1]}")
    return client
