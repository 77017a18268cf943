"""A manager overrides a rep's status: POST /api/v1/reps/{id}/status/ {"status": "available|away|offline"}."""

import json

import pytest
from rest_framework.test import APIClient

from assignments import events
from assignments.models import OutboxEvent, Rep
from tests.factories import ManagerFactory, RepFactory, UserFactory, supplier_with_key

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def set_status(user, rep_id: int, body: object, **kwargs):
    return client_for(user).post(f"/api/v1/reps/{rep_id}/status/", body, format="json", **kwargs)


def test_a_manager_sets_a_reps_status_and_the_boards_are_told():
    rep = RepFactory(status=Rep.Status.AVAILABLE)
    response = set_status(ManagerFactory(), rep.pk, {"status": "away"})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["username"], body["status"], body["auto_away"]) == (rep.pk, rep.user.username, "away",
                                                                                 False)
    assert body["status_changed_at"]
    assert Rep.objects.get(pk=rep.pk).status == "away"
    sent = OutboxEvent.objects.get(type=events.REP_UPDATED)
    assert (sent.group, sent.payload["rep"]["id"], sent.payload["rep"]["status"]) == ("floor", rep.pk, "away")
    assert set_status(ManagerFactory(), rep.pk, {"status": "offline"}).json()["status"] == "offline"


def test_setting_the_status_it_has_changes_nothing_and_sends_nothing():
    rep = RepFactory(status=Rep.Status.AWAY)
    assert set_status(ManagerFactory(), rep.pk, {"status": "away"}).status_code == 200
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize("body,field,message", [
    ({"status": "busy"}, "status", '"busy" is not a rep status; use one of available, away, offline.'),
    ({"status": 3}, "status", '"3" is not a rep status; use one of available, away, offline.'),
    ({"status": ["away"]}, "status", "\"['away']\" is not a rep status; use one of available, away, offline."),
    ({"status": None}, "status", "This field may not be null."),
    ({"status": ""}, "status", '"" is not a rep status; use one of available, away, offline.'),
    ({}, "status", "This field is required."),
    (["away"], "non_field_errors", "Invalid data. Expected a dictionary, but got list."),
])
def test_a_bad_status_or_body_is_400_with_a_precise_message(body, field, message):
    rep = RepFactory(status=Rep.Status.AVAILABLE)
    response = set_status(ManagerFactory(), rep.pk, body)
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert Rep.objects.get(pk=rep.pk).status == "available"


def test_malformed_json_is_400():
    rep = RepFactory()
    response = client_for(ManagerFactory()).post(f"/api/v1/reps/{rep.pk}/status/", "{oops",
                                                 content_type="application/json")
    assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]
    response = client_for(ManagerFactory()).post(f"/api/v1/reps/{rep.pk}/status/", json.dumps("away"),
                                                 content_type="application/json")
    assert response.status_code == 400


def test_an_unknown_rep_is_404():
    response = set_status(ManagerFactory(), 999_999, {"status": "away"})
    assert response.status_code == 404 and response.json()["detail"] == "No rep with the id 999999."


def test_reps_suppliers_and_anonymous_may_not_set_a_status():
    rep = RepFactory(status=Rep.Status.AVAILABLE)
    other = RepFactory(status=Rep.Status.AVAILABLE)
    response = set_status(rep.user, other.pk, {"status": "away"})
    assert response.status_code == 403
    assert response.json()["detail"] == "Only sales managers may set another rep's status."
    assert set_status(rep.user, rep.pk, {"status": "away"}).status_code == 403  # their own: PATCH /api/v1/me/
    assert set_status(UserFactory(), rep.pk, {"status": "away"}).status_code == 403
    _, key = supplier_with_key()
    supplier = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert supplier.post(f"/api/v1/reps/{rep.pk}/status/", {"status": "away"}, format="json").status_code == 403
    assert APIClient().post(f"/api/v1/reps/{rep.pk}/status/", {"status": "away"},
                            format="json").status_code in (401, 403)
    assert set(Rep.objects.values_list("status", flat=True)) == {"available"}


def test_a_rep_made_available_is_offered_waiting_leads(monkeypatch):
    routed = []
    monkeypatch.setattr("assignments.services.reps.waiting_leads_route_enqueue", lambda: routed.append(1))
    rep = RepFactory(status=Rep.Status.AWAY)
    assert set_status(ManagerFactory(), rep.pk, {"status": "available"}).status_code == 200
    assert routed == [1]


def test_only_post_is_allowed():
    rep = RepFactory()
    assert client_for(ManagerFactory()).get(f"/api/v1/reps/{rep.pk}/status/").status_code == 405
