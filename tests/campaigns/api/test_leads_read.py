"""GET /api/v1/leads/ and /api/v1/leads/{id}/: who sees which lead and which fields."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    AssignmentFactory,
    CampaignFactory,
    LeadFactory,
    ManagerFactory,
    RepFactory,
    UserFactory,
    supplier_with_key,
)

URL = "/api/v1/leads/"


def key_client(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def user_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def two_suppliers(db):
    campaign = CampaignFactory(slug="solar-us")
    a, a_key = supplier_with_key(name="A", campaigns=[campaign])
    b, b_key = supplier_with_key(name="B", campaigns=[campaign])
    a_lead = LeadFactory(campaign=campaign, supplier=a, external_id="a-1")
    b_lead = LeadFactory(campaign=campaign, supplier=b, external_id="b-1")
    return key_client(a_key), a_lead, b_lead


def test_supplier_reads_its_own_lead(two_suppliers):
    client, a_lead, _ = two_suppliers
    response = client.get(f"{URL}{a_lead.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": a_lead.pk, "status": "new", "campaign": "solar-us", "external_id": "a-1",
        "received_at": a_lead.received_at.isoformat().replace("+00:00", "Z"),
        "assigned_at": None, "accepted_at": None, "first_contact_at": None, "fields": {},
        "consent": None, "erased_at": None,
    }


def test_supplier_a_cannot_read_supplier_b(two_suppliers):
    client, a_lead, b_lead = two_suppliers
    assert client.get(f"{URL}{b_lead.pk}/").status_code == 404
    listed = client.get(URL).json()
    assert [row["id"] for row in listed["results"]] == [a_lead.pk]
    assert client.get(URL, {"external_id": "b-1"}).json()["results"] == []
    assert client.get(URL, {"campaign": "solar-us"}).json()["count"] == 1


def test_filters(two_suppliers):
    client, a_lead, _ = two_suppliers
    campaign = a_lead.campaign
    old = LeadFactory(campaign=campaign, supplier=a_lead.supplier, status="held",
                      received_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    other = LeadFactory(campaign=CampaignFactory(slug="other"), supplier=a_lead.supplier)

    def ids(**params):
        return sorted(row["id"] for row in client.get(URL, params).json()["results"])

    assert ids(status="held") == [old.pk]
    assert ids(campaign="other") == [other.pk]
    assert ids(created_before="2026-01-02T00:00:00Z") == [old.pk]
    assert ids(created_after="2026-01-02T00:00:00Z") == sorted([a_lead.pk, other.pk])
    assert ids(external_id="a-1") == [a_lead.pk]


def test_bad_filter_values_are_400(two_suppliers):
    client, _, _ = two_suppliers
    response = client.get(URL, {"status": "bogus", "created_after": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "created_after"}


def test_manager_sees_all_with_assigned_rep(two_suppliers):
    _, a_lead, b_lead = two_suppliers
    rep_user = UserFactory(username="rita")
    b_lead.owner = rep_user
    b_lead.save()
    client = user_client(ManagerFactory())
    rows = {row["id"]: row for row in client.get(URL).json()["results"]}
    assert set(rows) == {a_lead.pk, b_lead.pk}
    assert rows[b_lead.pk]["assigned_rep"] == "rita"
    assert rows[a_lead.pk]["assigned_rep"] is None
    assert rows[a_lead.pk]["external_id"] == "a-1"


def test_rep_sees_only_leads_owned_or_offered(two_suppliers):
    _, a_lead, b_lead = two_suppliers
    rep = RepFactory()
    other_rep = RepFactory()
    owned = LeadFactory(campaign=a_lead.campaign, supplier=a_lead.supplier, owner=rep.user)
    AssignmentFactory(lead=b_lead, rep=rep)
    AssignmentFactory(lead=a_lead, rep=other_rep)
    client = user_client(rep.user)
    rows = {row["id"]: row for row in client.get(URL).json()["results"]}
    assert set(rows) == {owned.pk, b_lead.pk}
    assert rows[owned.pk]["assigned_rep"] == rep.user.username
    assert "assigned_rep" not in rows[b_lead.pk]
    assert "external_id" not in rows[owned.pk]
    assert client.get(f"{URL}{a_lead.pk}/").status_code == 404


def test_plain_user_is_403_and_anonymous_401(two_suppliers):
    assert user_client(UserFactory()).get(URL).status_code == 403
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_token_auth_reads(two_suppliers):
    from rest_framework.authtoken.models import Token

    manager = ManagerFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    assert client.get(URL).json()["count"] == 2


@pytest.mark.parametrize("lead_id", ["99999999999999999999999", "9223372036854775808", "0"])
def test_out_of_range_ids_are_404(two_suppliers, lead_id):
    client, _, _ = two_suppliers
    response = client.get(f"{URL}{lead_id}/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_reads_count_against_the_supplier_rate_limit(two_suppliers, monkeypatch):
    import campaigns.api.throttles as throttles
    from campaigns.models import Supplier

    client, a_lead, _ = two_suppliers
    Supplier.objects.filter(pk=a_lead.supplier_id).update(rate_limit_per_second=2)
    monkeypatch.setattr(throttles.time, "time", lambda: 1_800_000_000.2)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 429]
