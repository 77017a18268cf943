"""PATCH /api/v1/leads/{id}/ and /api/v1/leads/by-external-id/{external_id}/: a supplier adds answers (6.8)."""

import json

import pytest
from rest_framework.test import APIClient

from campaigns.models import IntakeAttempt, Lead
from campaigns.services.normalise import FIELDS_MAX_KEYS
from tests.factories import CampaignFactory, LeadFactory, ManagerFactory, RepFactory, supplier_with_key

URL = "/api/v1/leads/"


@pytest.fixture
def floor(db):
    campaign = CampaignFactory(slug="solar-us")
    supplier, raw_key = supplier_with_key(name="A", campaigns=[campaign])
    other, other_key = supplier_with_key(name="B", campaigns=[campaign])
    lead = LeadFactory(campaign=campaign, supplier=supplier, external_id="a-1", fields={"roof": "south"})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    other_client = APIClient()
    other_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {other_key}")
    return client, other_client, lead


def patch(client, url, body, **extra):
    return client.patch(url, data=json.dumps(body) if not isinstance(body, str) else body,
                        content_type="application/json", **extra)


def test_answers_merge_into_fields_and_the_lead_is_returned(floor):
    client, _, lead = floor
    response = patch(client, f"{URL}{lead.pk}/", {"fields": {"bill": 180, "roof": "west", "name": "<b>Zoë</b>"}})
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == lead.pk
    assert response.json()["fields"] == {"roof": "west", "bill": 180, "name": "<b>Zoë</b>"}
    assert Lead.objects.get(pk=lead.pk).fields == {"roof": "west", "bill": 180, "name": "<b>Zoë</b>"}
    logged = IntakeAttempt.objects.get(lead=lead, action=IntakeAttempt.Action.ANSWERS)
    assert (logged.outcome, logged.response_status, logged.supplier_id) == ("accepted", 200, lead.supplier_id)
    assert client.get(f"{URL}{lead.pk}/").json()["fields"]["bill"] == 180


def test_answers_by_external_id(floor):
    client, _, lead = floor
    response = patch(client, f"{URL}by-external-id/a-1/", {"fields": {"survey": "done"}})
    assert response.status_code == 200, response.json()
    assert response.json()["fields"] == {"roof": "south", "survey": "done"}


@pytest.mark.parametrize("url", ["{URL}{pk}/", "{URL}by-external-id/a-1/"])
def test_another_suppliers_lead_is_a_404_and_nothing_changes(floor, url):
    _, other_client, lead = floor
    response = patch(other_client, url.format(URL=URL, pk=lead.pk), {"fields": {"x": 1}})
    assert response.status_code == 404
    assert Lead.objects.get(pk=lead.pk).fields == {"roof": "south"}
    assert not IntakeAttempt.objects.filter(action=IntakeAttempt.Action.ANSWERS).exists()


def test_unknown_id_and_external_id_are_404(floor):
    client, _, _ = floor
    assert patch(client, f"{URL}999999/", {"fields": {"x": 1}}).status_code == 404
    assert patch(client, f"{URL}by-external-id/nope/", {"fields": {"x": 1}}).status_code == 404
    assert patch(client, f"{URL}by-external-id/{'x' * 200}/", {"fields": {"x": 1}}).status_code == 404


@pytest.mark.parametrize("status", ["won", "lost", "sold"])
def test_a_closed_lead_is_409_and_the_refusal_is_logged(floor, status):
    client, _, lead = floor
    Lead.objects.filter(pk=lead.pk).update(status=status)
    response = patch(client, f"{URL}{lead.pk}/", {"fields": {"x": 1}})
    assert response.status_code == 409 and response.json()["code"] == "lead_closed"
    assert Lead.objects.get(pk=lead.pk).fields == {"roof": "south"}
    logged = IntakeAttempt.objects.get(lead=lead, action=IntakeAttempt.Action.ANSWERS)
    assert (logged.outcome, logged.reason, logged.response_status) == ("rejected", "lead_closed", 409)


@pytest.mark.parametrize(("body", "field"), [
    ({}, "fields"),
    ({"fields": "roof=west"}, "fields"),
    ({"fields": {"x": 1}, "phone": "+15550100"}, "phone"),
    ({"fields": {"nested": {"deep": 1}}}, "fields"),
    ({"fields": {f"k{n}": n for n in range(FIELDS_MAX_KEYS + 1)}}, "fields"),
    ([{"fields": {}}], "body"),
])
def test_bad_answers_are_400_by_field_and_change_nothing(floor, body, field):
    client, _, lead = floor
    response = patch(client, f"{URL}{lead.pk}/", body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert Lead.objects.get(pk=lead.pk).fields == {"roof": "south"}
    assert IntakeAttempt.objects.get(lead=lead, action=IntakeAttempt.Action.ANSWERS).outcome == "invalid"


def test_the_merged_whole_must_stay_within_the_limits(floor):
    client, _, lead = floor
    Lead.objects.filter(pk=lead.pk).update(fields={f"k{n}": n for n in range(FIELDS_MAX_KEYS)})
    response = patch(client, f"{URL}{lead.pk}/", {"fields": {"one_more": 1}})
    assert response.status_code == 400
    assert "earlier answers" in response.json()["errors"]["fields"][0]
    assert "one_more" not in Lead.objects.get(pk=lead.pk).fields


def test_malformed_json_and_other_media_types_are_refused(floor):
    client, _, lead = floor
    assert patch(client, f"{URL}{lead.pk}/", '{"fields": ').status_code == 400
    response = client.patch(f"{URL}{lead.pk}/", data="fields=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert Lead.objects.get(pk=lead.pk).fields == {"roof": "south"}


def test_only_a_supplier_key_may_add_answers(floor):
    _, _, lead = floor
    for user in (ManagerFactory(), RepFactory().user):
        client = APIClient()
        client.force_authenticate(user)
        assert patch(client, f"{URL}{lead.pk}/", {"fields": {"x": 1}}).status_code == 403
    assert APIClient().patch(f"{URL}{lead.pk}/", {"fields": {}}, format="json").status_code == 401


def test_answers_do_not_count_as_intake_attempts_in_the_supplier_report(floor):
    from reporting.queries.scope import ReportParams, attempts_in_scope

    client, _, lead = floor
    patch(client, f"{URL}{lead.pk}/", {"fields": {"x": 1}})
    patch(client, f"{URL}{lead.pk}/", {"fields": "bad"})
    assert not attempts_in_scope(params=ReportParams()).filter(lead=lead).exists()


def test_a_rep_offered_the_lead_does_not_read_its_answers_its_owner_does(floor):
    from tests.factories import AssignmentFactory

    _, _, lead = floor
    offered, owner = RepFactory(), RepFactory()
    AssignmentFactory(lead=lead, rep=offered)
    client = APIClient()
    client.force_authenticate(offered.user)
    assert "fields" not in client.get(f"{URL}{lead.pk}/").json()
    Lead.objects.filter(pk=lead.pk).update(owner=owner.user)
    client.force_authenticate(owner.user)
    assert client.get(f"{URL}{lead.pk}/").json()["fields"] == {"roof": "south"}


def test_an_erased_lead_is_409_lead_erased(floor):
    from django.utils.timezone import now

    client, _, lead = floor
    Lead.objects.filter(pk=lead.pk).update(erased_at=now(), fields={})
    response = patch(client, f"{URL}{lead.pk}/", {"fields": {"x": 1}})
    assert (response.status_code, response.json()["code"]) == (409, "lead_erased")
    assert Lead.objects.get(pk=lead.pk).fields == {}
