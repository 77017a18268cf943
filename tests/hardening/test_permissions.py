"""One test per trust boundary: anonymous, supplier vs supplier, rep vs rep, rep vs manager tools, CSRF, cookies,
secrets in logs."""

import logging

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assignments import services
from assignments.models import Assignment
from tests.factories import (
    PASSWORD,
    CampaignFactory,
    LeadFactory,
    RepFactory,
    RoutingRuleFactory,
    supplier_with_key,
)

pytestmark = pytest.mark.django_db

API_ENDPOINTS = ["/api/v1/leads/", "/api/v1/assignments/", "/api/v1/me/"]
STAFF_PAGES = ["/admin/", "/admin/campaigns/lead/", "/admin/assignments/rep/"]


def keyed(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.mark.parametrize("url", API_ENDPOINTS)
def test_anonymous_gets_401_from_every_api(api_client, url):
    assert api_client.get(url).status_code == 401


@pytest.mark.parametrize("url", STAFF_PAGES + ["/"])
def test_anonymous_is_sent_to_sign_in_from_every_page(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response.url


def test_supplier_a_never_sees_supplier_b_leads():
    campaign = CampaignFactory()
    a, key_a = supplier_with_key(campaigns=[campaign])
    b, key_b = supplier_with_key(campaigns=[campaign])
    lead_b = LeadFactory(supplier=b, campaign=campaign, external_id="B-1")
    LeadFactory(supplier=a, campaign=campaign)
    client = keyed(key_a)
    assert client.get(f"/api/v1/leads/{lead_b.pk}/").status_code == 404
    listed = client.get("/api/v1/leads/").json()["results"]
    assert lead_b.pk not in [row["id"] for row in listed] and len(listed) == 1
    assert client.get("/api/v1/leads/?external_id=B-1").json()["results"] == []
    assert client.get(f"/api/v1/leads/?campaign={campaign.slug}").json()["results"][0]["id"] != lead_b.pk


def test_supplier_key_opens_nothing_but_intake_and_its_leads():
    _, key = supplier_with_key()
    client = keyed(key)
    assert client.get("/api/v1/assignments/").status_code in (401, 403)
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_revoked_key_is_refused():
    from campaigns.models import SupplierApiKey
    from campaigns.services import supplier_api_key_revoke

    _, key = supplier_with_key()
    supplier_api_key_revoke(key=SupplierApiKey.objects.get())
    assert keyed(key).get("/api/v1/leads/").status_code == 401


def test_rep_never_sees_or_acts_on_another_reps_assignment():
    RoutingRuleFactory()
    owner, other = RepFactory(), RepFactory(languages=["fr"])
    offer = Assignment.objects.get(pk=services.lead_route(lead_id=LeadFactory().pk).assignment_ids[0])
    assert offer.rep == owner
    client = APIClient()
    client.force_authenticate(other.user)
    assert client.get(f"/api/v1/assignments/{offer.pk}/").status_code == 404
    assert client.post(f"/api/v1/assignments/{offer.pk}/accept/").status_code == 404
    assert client.get(f"/api/v1/leads/{offer.lead_id}/").status_code == 404
    assert client.get("/api/v1/leads/").json()["results"] == []


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_rep_cannot_open_the_admin(client, url):
    client.force_login(RepFactory().user)
    response = client.get(url)
    assert response.status_code == 302 and "login" in response.url


def test_csrf_is_enforced_on_the_login_form_and_session_api_writes():
    rep = RepFactory()
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/accounts/login/", {"username": rep.user.username, "password": PASSWORD}).status_code == 403
    browser.force_login(rep.user)
    response = browser.patch("/api/v1/me/", {"status": "away"}, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    token = Token.objects.create(user=rep.user)
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.patch("/api/v1/me/", {"status": "away"}, format="json").status_code == 200  # tokens need no CSRF


def test_session_cookie_is_httponly_and_samesite(client):
    rep = RepFactory()
    response = client.post("/accounts/login/", {"username": rep.user.username, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_secure_cookies_setting_marks_cookies_secure(client, settings):
    settings.SESSION_COOKIE_SECURE = True
    rep = RepFactory()
    response = client.post("/accounts/login/", {"username": rep.user.username, "password": PASSWORD})
    assert response.cookies["sessionid"]["secure"]


def test_api_keys_and_tokens_never_reach_the_logs(caplog, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(slug="solar-us")
    _, key = supplier_with_key(campaigns=[campaign])
    rep = RepFactory()
    token = Token.objects.create(user=rep.user).key
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        keyed(key).post("/api/v1/leads/", {"campaign": "solar-us", "first_name": "A", "last_name": "B",
                                            "email": "a@b.example", "phone": "+14155550100", "country": "US"},
                        format="json")
    keyed(key + "x").get("/api/v1/leads/")
    tokened = APIClient()
    tokened.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    tokened.get("/api/v1/me/")
    tokened.credentials(HTTP_AUTHORIZATION=f"Token {token}x")
    tokened.get("/api/v1/me/")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert key not in logged and token not in logged
