"""A manager assigns a lead by hand (CONTRACT 6.3): whatever its state but closed, past capacity, told live."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from rest_framework.test import APIClient

from assignments import events, services
from assignments.models import Assignment, OutboxEvent, Rep
from campaigns.models import Lead
from tests.assignments.routed import accepted_offer, first_offer
from tests.clients import client_for
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory, UserFactory, supplier_with_key

pytestmark = pytest.mark.django_db


def assign(manager, lead_id: int, body: object, **kwargs):
    return client_for(manager).post(f"/api/v1/leads/{lead_id}/assign/", body, format="json", **kwargs)


def outbox_after(mark: int) -> list[tuple[str, str, int]]:
    return [(row.group, row.type, row.payload.get("assignment", {}).get("id"))
            for row in OutboxEvent.objects.filter(pk__gt=mark).order_by("pk")]


def mark() -> int:
    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_waiting_lead_goes_to_the_chosen_rep_past_capacity(manager):
    rep = RepFactory(capacity=1)
    Rep.objects.filter(pk=rep.pk).update(load=1)
    lead = LeadFactory(status=Lead.Status.WAITING, waiting_reason="No rep")
    before = mark()
    response = assign(manager, lead.pk, {"rep": rep.user.username})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["assigned_rep"]) == (lead.pk, "assigned", rep.user.username)
    lead.refresh_from_db()
    assert (lead.owner_id, lead.waiting_reason, lead.accepted_at is not None) == (rep.user_id, "", True)
    assert Rep.objects.get(pk=rep.pk).load == 2  # the manager's call
    owned = Assignment.objects.get(lead=lead, status="accepted")
    assert owned.assigned_by_id == manager.pk
    sent = outbox_after(before)
    assert (events.rep_group(rep.pk), events.ASSIGNED, owned.pk) in sent
    assigned = OutboxEvent.objects.get(pk__gt=before, type=events.ASSIGNED)
    assert assigned.payload["assignment"]["lead"]["phone"] == lead.phone  # contact details for the owner
    assert LogEntry.objects.filter(object_id=str(lead.pk), user=manager).exists()
    timeline = client_for(manager).get(f"/api/v1/leads/{lead.pk}/timeline/").json()["events"]
    assert [(e["type"], e["by"], e.get("rep")) for e in timeline if e["type"] == "assigned"] == [
        ("assigned", manager.username, rep.user.username)]


def test_open_offers_and_a_previous_owner_are_revoked_and_units_move(manager):
    RoutingRuleFactory(name="Everyone")
    first = RepFactory()
    lead = LeadFactory()
    offer = accepted_offer(lead, first)
    second = RepFactory()
    before = mark()
    assert assign(manager, lead.pk, {"rep": second.user.username}).status_code == 200
    assert Assignment.objects.get(pk=offer.pk).status == "revoked"
    assert (Rep.objects.get(pk=first.pk).load, Rep.objects.get(pk=second.pk).load) == (0, 1)
    assert (events.rep_group(first.pk), events.REVOKED, offer.pk) in outbox_after(before)
    assert Lead.objects.get(pk=lead.pk).owner_id == second.user_id


def test_an_offered_lead_is_taken_from_the_offer(manager):
    RoutingRuleFactory(name="Everyone")
    offered_to = RepFactory()
    lead = LeadFactory()
    offer = first_offer(lead)
    target = RepFactory()
    assert assign(manager, lead.pk, {"rep": target.user.username}).status_code == 200
    assert Assignment.objects.get(pk=offer.pk).status == "revoked"
    assert Rep.objects.get(pk=offered_to.pk).load == 0
    assert Lead.objects.get(pk=lead.pk).status == "assigned"


def test_a_contacted_lead_keeps_its_stage_and_moves_no_unit(manager):
    rep, other = RepFactory(), RepFactory()
    lead = LeadFactory()
    assert assign(manager, lead.pk, {"rep": rep.user.username}).status_code == 200
    owned = Assignment.objects.get(lead=lead, status="accepted")
    services.contact_log(assignment_id=owned.pk, rep=rep, channel="call", outcome="connected")
    assert assign(manager, lead.pk, {"rep": other.user.username}).status_code == 200
    assert Lead.objects.get(pk=lead.pk).status == "contacted"
    assert (Rep.objects.get(pk=rep.pk).load, Rep.objects.get(pk=other.pk).load) == (0, 0)


def test_assigning_to_the_owner_again_changes_nothing(manager):
    rep = RepFactory()
    lead = LeadFactory()
    assign(manager, lead.pk, {"rep": rep.user.username})
    assert assign(manager, lead.pk, {"rep": rep.user.username}).status_code == 200
    assert Assignment.objects.filter(lead=lead).count() == 1
    assert Rep.objects.get(pk=rep.pk).load == 1


@pytest.mark.parametrize("status", ["won", "lost", "sold"])
def test_a_closed_lead_is_409(manager, status):
    rep = RepFactory()
    lead = LeadFactory(status=status)
    response = assign(manager, lead.pk, {"rep": rep.user.username})
    assert response.status_code == 409
    assert response.json()["code"] == "lead_closed"
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("body, message", [
    ({}, "This field is required."),
    ({"rep": ""}, "This field may not be blank."),
    ({"rep": ["alice"]}, "Not a valid string."),
    ({"rep": "nobody"}, "No rep with the username 'nobody'."),
])
def test_a_bad_rep_is_400(manager, body, message):
    lead = LeadFactory(status=Lead.Status.WAITING)
    response = assign(manager, lead.pk, body)
    assert response.status_code == 400
    assert response.json()["errors"]["rep"] == [message]
    assert Lead.objects.get(pk=lead.pk).status == "waiting" and not Assignment.objects.exists()


def test_an_inactive_rep_and_malformed_json_are_400(manager):
    rep = RepFactory(active=False)
    lead = LeadFactory(status=Lead.Status.WAITING)
    assert assign(manager, lead.pk, {"rep": rep.user.username}).json()["errors"]["rep"] == [
        f"The rep {rep.user.username!r} is inactive."]
    response = client_for(manager).post(f"/api/v1/leads/{lead.pk}/assign/", "{oops",
                                        content_type="application/json")
    assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]
    response = client_for(manager).post(f"/api/v1/leads/{lead.pk}/assign/", json.dumps(["x"]),
                                        content_type="application/json")
    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_a_missing_lead_is_404(manager):
    rep = RepFactory()
    response = assign(manager, 999_999, {"rep": rep.user.username})
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_reps_suppliers_and_anonymous_may_not_assign():
    rep = RepFactory()
    lead = LeadFactory(status=Lead.Status.WAITING)
    assert assign(rep.user, lead.pk, {"rep": rep.user.username}).status_code == 403
    assert assign(UserFactory(), lead.pk, {"rep": rep.user.username}).status_code == 403
    _, key = supplier_with_key()
    supplier = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert supplier.post(f"/api/v1/leads/{lead.pk}/assign/", {"rep": rep.user.username},
                         format="json").status_code == 403
    assert APIClient().post(f"/api/v1/leads/{lead.pk}/assign/", {"rep": "x"}, format="json").status_code in (401, 403)
    assert not Assignment.objects.exists()
