"""The reps' API: own assignments only, accept/decline/contacts/outcome, /me/ status; and the full path."""

import pytest
from rest_framework.test import APIClient

from assignments.models import Assignment, ContactAttempt, Rep
from campaigns.models import Lead
from tests.assignments.routed import first_offer
from tests.clients import client_for
from tests.factories import (
    CampaignFactory,
    LeadFactory,
    RepFactory,
    RoutingRuleFactory,
    UserFactory,
    supplier_with_key,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(db) -> Assignment:
    RoutingRuleFactory(name="Everyone")
    RepFactory()
    offer = first_offer(LeadFactory(first_name="Zoë", last_name="<b>Ng</b>"))
    return Assignment.objects.select_related("rep__user").get(pk=offer.pk)


def test_rep_lists_only_their_own_assignments_with_status_filter(offer):
    other = RepFactory(languages=["de"])
    client = client_for(offer.rep.user)
    body = client.get("/api/v1/assignments/?status=offered").json()
    assert [a["id"] for a in body["results"]] == [offer.pk]
    assert body["results"][0]["lead"]["name"] == "Zoë <b>Ng</b>"
    assert "phone" not in body["results"][0]["lead"]  # contact details only after accepting
    assert client.get("/api/v1/assignments/?status=accepted").json()["results"] == []
    assert client_for(other.user).get("/api/v1/assignments/").json()["results"] == []
    assert client_for(other.user).get(f"/api/v1/assignments/{offer.pk}/").status_code == 404


def test_manager_sees_every_assignment(offer, manager_client):
    assert [a["id"] for a in manager_client.get("/api/v1/assignments/").json()["results"]] == [offer.pk]


def test_accept_then_log_contact_sets_first_contact(offer):
    client = client_for(offer.rep.user)
    accepted = client.post(f"/api/v1/assignments/{offer.pk}/accept/")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted" and accepted.json()["lead"]["phone"]
    contact = client.post(f"/api/v1/assignments/{offer.pk}/contacts/", {"channel": "call", "outcome": "no_answer"},
                          format="json")
    assert contact.status_code == 201 and contact.json()["channel"] == "call"
    lead = Lead.objects.get(pk=offer.lead_id)
    assert lead.first_contact_at == ContactAttempt.objects.get().at and lead.status == Lead.Status.CONTACTED
    client.post(f"/api/v1/assignments/{offer.pk}/contacts/", {"channel": "sms", "outcome": "sent"}, format="json")
    assert Lead.objects.get(pk=offer.lead_id).first_contact_at == lead.first_contact_at
    won = client.post(f"/api/v1/assignments/{offer.pk}/outcome/", {"outcome": "won"}, format="json")
    assert won.status_code == 200 and won.json()["status"] == "completed"
    assert Lead.objects.get(pk=offer.lead_id).status == Lead.Status.WON
    assert Rep.objects.get(pk=offer.rep_id).load == 0


def test_another_rep_cannot_act_on_the_offer(offer):
    intruder = client_for(RepFactory(languages=["de"]).user)
    for action, body in [("accept", {}), ("decline", {}), ("contacts", {"channel": "call", "outcome": "busy"})]:
        response = intruder.post(f"/api/v1/assignments/{offer.pk}/{action}/", body, format="json")
        assert response.status_code == 404, action
    offer.refresh_from_db()
    assert offer.status == "offered" and not ContactAttempt.objects.exists()


def test_non_rep_cannot_accept(offer, manager_client):
    response = manager_client.post(f"/api/v1/assignments/{offer.pk}/accept/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only reps have assignments to act on."


def test_contact_before_accepting_is_409_and_writes_nothing(offer):
    response = client_for(offer.rep.user).post(f"/api/v1/assignments/{offer.pk}/contacts/",
                                               {"channel": "call", "outcome": "busy"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_accepted"
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"channel": "fax", "outcome": "busy"}, "channel"),
    ({"channel": "call"}, "outcome"),
    ({"channel": "call", "outcome": "busy", "notes": "x" * 1001}, "notes"),
])
def test_bad_contact_payloads_are_400_naming_the_field(offer, body, field):
    client = client_for(offer.rep.user)
    client.post(f"/api/v1/assignments/{offer.pk}/accept/")
    response = client.post(f"/api/v1/assignments/{offer.pk}/contacts/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not ContactAttempt.objects.exists()


def test_accepting_twice_is_409(offer):
    client = client_for(offer.rep.user)
    client.post(f"/api/v1/assignments/{offer.pk}/accept/")
    response = client.post(f"/api/v1/assignments/{offer.pk}/accept/")
    assert response.status_code == 409 and response.json()["code"] == "not_offered"


def test_decline_with_reason(offer):
    response = client_for(offer.rep.user).post(f"/api/v1/assignments/{offer.pk}/decline/", {"reason": "on a call"},
                                               format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert response.json()["decline_reason"] == "on a call"


def test_seen_is_stamped_once(offer):
    client = client_for(offer.rep.user)
    first = client.post(f"/api/v1/assignments/{offer.pk}/seen/").json()["seen_at"]
    assert first and client.post(f"/api/v1/assignments/{offer.pk}/seen/").json()["seen_at"] == first


def test_me_shows_and_sets_the_reps_status():
    rep = RepFactory(status=Rep.Status.AVAILABLE)
    client = client_for(rep.user)
    assert client.get("/api/v1/me/").json()["status"] == "available"
    response = client.patch("/api/v1/me/", {"status": "away"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "away"
    assert Rep.objects.get(pk=rep.pk).status == "away"
    bad = client.patch("/api/v1/me/", {"status": "asleep"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    assert client.patch("/api/v1/me/", {"capacity": 99}, format="json").status_code == 400
    assert Rep.objects.get(pk=rep.pk).capacity == 5


def test_me_is_for_reps_only(manager_client, api_client):
    assert manager_client.get("/api/v1/me/").status_code == 403
    assert api_client.get("/api/v1/me/").status_code == 401


def test_full_path_post_route_accept_contact(django_capture_on_commit_callbacks):
    """Supplier posts -> route task (django-q2 sync) -> offer -> rep accepts -> logs a call."""
    campaign = CampaignFactory(slug="solar-us")
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory()
    supplier, key = supplier_with_key(campaigns=[campaign])
    supplier_client = APIClient()
    supplier_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    with django_capture_on_commit_callbacks(execute=True):
        posted = supplier_client.post("/api/v1/leads/", {
            "campaign": "solar-us", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
            "phone": "+1 415 555 0123", "country": "US", "language": "en"}, format="json")
    assert posted.status_code == 201, posted.content
    lead_id = posted.json()["id"]
    rep_client = client_for(rep.user)
    [offered] = rep_client.get("/api/v1/assignments/?status=offered").json()["results"]
    assert offered["lead"]["id"] == lead_id
    assert rep_client.post(f"/api/v1/assignments/{offered['id']}/accept/").status_code == 200
    assert rep_client.post(f"/api/v1/assignments/{offered['id']}/contacts/",
                           {"channel": "call", "outcome": "connected"}, format="json").status_code == 201
    lead = Lead.objects.get(pk=lead_id)
    assert lead.received_at <= lead.assigned_at <= lead.accepted_at <= lead.first_contact_at
    assert rep_client.get(f"/api/v1/leads/{lead_id}/").json()["assigned_rep"] == rep.user.username
    seen_by_supplier = supplier_client.get(f"/api/v1/leads/{lead_id}/").json()
    assert seen_by_supplier["status"] == "contacted" and "assigned_rep" not in seen_by_supplier


def test_anonymous_gets_401(api_client, offer):
    assert api_client.get("/api/v1/assignments/").status_code == 401
    assert api_client.post(f"/api/v1/assignments/{offer.pk}/accept/").status_code == 401


def test_user_without_rep_or_staff_sees_nothing(offer):
    assert client_for(UserFactory()).get("/api/v1/assignments/").json()["results"] == []


@pytest.mark.parametrize("bad_id", ["null,null", "abc", "1.5", "9" * 30])
def test_non_numeric_or_huge_ids_are_404_not_500(offer, bad_id):
    response = client_for(offer.rep.user).post(f"/api/v1/assignments/{bad_id}/accept/")
    assert response.status_code == 404
