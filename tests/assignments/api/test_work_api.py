"""Working a lead over the API (CONTRACT 6.1, 6.2): notes, timeline, callbacks, stages, my leads, reasons.

Every bad input gets a 4xx with a precise message and writes nothing.
"""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils.timezone import now
from rest_framework.test import APIClient

from assignments import services
from assignments.models import Assignment, Callback, LeadNote, LeadStageChange, Rep
from campaigns.models import Lead
from tests.assignments.routed import accepted_offer
from tests.clients import client_for
from tests.factories import LeadFactory, ManagerFactory, RepFactory, RoutingRuleFactory, UserFactory, supplier_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(db) -> Assignment:
    """An accepted offer: the rep owns the lead, no contact yet."""
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory()
    offer = accepted_offer(LeadFactory(first_name="Zoë", last_name="<b>Ng</b>", fields={"roof": "south"}), rep)
    return Assignment.objects.select_related("rep__user", "lead").get(pk=offer.pk)


def me(user) -> dict:
    """GET /api/v1/me/ as a fresh copy of the user (a cached user.rep would show a stale load)."""
    return client_for(get_user_model().objects.get(pk=user.pk)).get("/api/v1/me/").json()


def nothing_written() -> bool:
    return not (LeadNote.objects.exists() or Callback.objects.exists() or LeadStageChange.objects.exists())


# --- capacity (6.1) ---------------------------------------------------------------------------------------------

def test_load_counts_offers_and_uncontacted_leads_and_the_first_contact_frees_the_unit(owned):
    rep = owned.rep
    assert (me(rep.user)["load"], me(rep.user)["capacity"]) == (1, 5)
    client = client_for(rep.user)
    assert client.post(f"/api/v1/assignments/{owned.pk}/contacts/", {"channel": "call", "outcome": "no_answer"},
                       format="json").status_code == 201
    assert me(rep.user)["load"] == 0
    assert client.post(f"/api/v1/assignments/{owned.pk}/contacts/", {"channel": "call", "outcome": "connected"},
                       format="json").status_code == 201
    assert me(rep.user)["load"] == 0  # a second contact frees nothing more
    assert client.get("/api/v1/assignments/?status=accepted").json()["results"][0]["lead"]["first_contact_at"]


def test_won_without_a_contact_frees_the_unit_once(owned):
    client = client_for(owned.rep.user)
    assert client.post(f"/api/v1/assignments/{owned.pk}/outcome/", {"outcome": "won"}, format="json").status_code == 200
    assert Rep.objects.get(pk=owned.rep_id).load == 0
    assert Lead.objects.get(pk=owned.lead_id).status == "won"


# --- notes -----------------------------------------------------------------------------------------------------

def test_the_owner_adds_a_note(owned):
    response = client_for(owned.rep.user).post(f"/api/v1/leads/{owned.lead_id}/notes/",
                                               {"text": "  Wants a quote by Friday <script>  "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "text", "author", "at"}
    assert (body["text"], body["author"]) == ("Wants a quote by Friday <script>", owned.rep.user.username)


@pytest.mark.parametrize("payload, field, message", [
    ({"text": ""}, "text", "This field may not be blank."),
    ({"text": "   "}, "text", "This field may not be blank."),
    ({}, "text", "This field is required."),
    ({"text": "x" * 5001}, "text", "Ensure this field has no more than 5000 characters."),
    ({"text": ["a"]}, "text", "Not a valid string."),
])
def test_a_bad_note_is_400_and_writes_nothing(owned, payload, field, message):
    response = client_for(owned.rep.user).post(f"/api/v1/leads/{owned.lead_id}/notes/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert nothing_written()


def test_a_non_json_body_is_400(owned):
    response = client_for(owned.rep.user).post(f"/api/v1/leads/{owned.lead_id}/notes/", "{not json",
                                               content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert nothing_written()


def test_an_oversized_body_is_413(owned, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client_for(owned.rep.user).post(f"/api/v1/leads/{owned.lead_id}/notes/",
                                               json.dumps({"text": "x" * 20_000}), content_type="application/json")
    assert response.status_code == 413
    assert nothing_written()


def test_another_rep_a_supplier_and_anonymous_cannot_reach_the_lead(owned):
    other = RepFactory()
    for path in (f"/api/v1/leads/{owned.lead_id}/notes/", f"/api/v1/leads/{owned.lead_id}/callbacks/",
                 f"/api/v1/leads/{owned.lead_id}/stage/"):
        body = {"text": "hi", "due_at": (now() + dt.timedelta(hours=1)).isoformat(), "stage": "qualified"}
        response = client_for(other.user).post(path, body, format="json")
        assert (response.status_code, response.json()) == (404, {"detail": "No such lead for you.",
                                                                   "code": "not_found"})
        assert APIClient().post(path, body, format="json").status_code in (401, 403)
    assert client_for(other.user).get(f"/api/v1/leads/{owned.lead_id}/timeline/").status_code == 404
    assert client_for(owned.rep.user).get("/api/v1/leads/999999/timeline/").status_code == 404
    _, key = supplier_with_key()
    supplier = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert supplier.get(f"/api/v1/leads/{owned.lead_id}/timeline/").status_code in (401, 403, 404)
    assert nothing_written()


def test_a_manager_may_add_a_note_and_read_the_timeline(owned):
    manager = ManagerFactory()
    client = client_for(manager)
    assert client.post(f"/api/v1/leads/{owned.lead_id}/notes/", {"text": "Escalated"}, format="json").status_code == 201
    types = [event["type"] for event in client.get(f"/api/v1/leads/{owned.lead_id}/timeline/").json()["events"]]
    assert types == ["received", "offered", "accepted", "note"]


# --- callbacks --------------------------------------------------------------------------------------------------

def test_a_callback_is_scheduled_listed_and_done(owned):
    client = client_for(owned.rep.user)
    due = (now() + dt.timedelta(hours=2)).astimezone(dt.timezone(dt.timedelta(hours=1)))
    response = client.post(f"/api/v1/leads/{owned.lead_id}/callbacks/", {"due_at": due.isoformat(),
                                                                          "note": "After lunch"}, format="json")
    assert response.status_code == 201
    created = response.json()
    assert {"id", "due_at"} <= set(created)
    assert dt.datetime.fromisoformat(created["due_at"]) == due
    assert [c["id"] for c in client.get("/api/v1/callbacks/?status=upcoming").json()["results"]] == [created["id"]]
    assert client.get("/api/v1/callbacks/?status=due").json()["results"] == []
    Callback.objects.filter(pk=created["id"]).update(due_at=now() - dt.timedelta(minutes=1))
    assert [c["id"] for c in client.get("/api/v1/callbacks/?status=due").json()["results"]] == [created["id"]]
    done = client.post(f"/api/v1/callbacks/{created['id']}/done/")
    assert done.status_code == 200 and done.json()["done_at"]
    again = client.post(f"/api/v1/callbacks/{created['id']}/done/").json()
    assert again["done_at"] == done.json()["done_at"]
    assert [c["id"] for c in client.get("/api/v1/callbacks/?status=done").json()["results"]] == [created["id"]]
    assert client.get("/api/v1/callbacks/?status=later").status_code == 400
    assert client_for(RepFactory().user).post(f"/api/v1/callbacks/{created['id']}/done/").status_code == 404
    assert client_for(RepFactory().user).get("/api/v1/callbacks/").json()["results"] == []


@pytest.mark.parametrize("due_at, message", [
    ("2020-01-01T10:00:00+00:00", "due_at is in the past."),
    ("2099-01-01T10:00:00+00:00", "due_at is more than a year ahead."),
    ("2027-01-01T10:00:00", "Give the UTC offset too, e.g. 2026-12-03T15:00:00+01:00 or ...Z."),
    ("tomorrow", "Enter an ISO 8601 date and time, e.g. 2026-12-03T15:00:00+01:00."),
    ("2026-13-45T99:00:00Z", "Enter an ISO 8601 date and time, e.g. 2026-12-03T15:00:00+01:00."),
    (12345, "Enter an ISO 8601 date and time, e.g. 2026-12-03T15:00:00+01:00."),
])
def test_a_bad_due_at_is_400_and_writes_nothing(owned, due_at, message):
    response = client_for(owned.rep.user).post(f"/api/v1/leads/{owned.lead_id}/callbacks/", {"due_at": due_at},
                                               format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["due_at"] == [message]
    assert nothing_written()


def test_a_callback_note_over_500_characters_is_400(owned):
    due = (now() + dt.timedelta(hours=1)).isoformat()
    response = client_for(owned.rep.user).post(f"/api/v1/leads/{owned.lead_id}/callbacks/",
                                               {"due_at": due, "note": "n" * 501}, format="json")
    assert response.status_code == 400 and "note" in response.json()["errors"]
    assert nothing_written()


# --- stages -----------------------------------------------------------------------------------------------------

def contacted(owned: Assignment) -> None:
    services.contact_log(assignment_id=owned.pk, rep=owned.rep, channel="call", outcome="connected")


def test_stage_moves_through_the_lifecycle_and_the_timeline(owned):
    contacted(owned)
    client = client_for(owned.rep.user)
    moved = client.post(f"/api/v1/leads/{owned.lead_id}/stage/", {"stage": "qualified"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "qualified"
    lost = client.post(f"/api/v1/leads/{owned.lead_id}/stage/", {"stage": "lost", "reason": "no-budget"},
                       format="json")
    assert lost.status_code == 200 and lost.json()["status"] == "lost"
    assert Assignment.objects.get(pk=owned.pk).status == "completed"
    reopened = client.post(f"/api/v1/leads/{owned.lead_id}/stage/", {"stage": "contacted"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "contacted"
    assert Assignment.objects.get(pk=owned.pk).status == "accepted"  # the owner's lead again
    stages = [(e["from"], e["to"], e["reason"], e["by"])
              for e in client.get(f"/api/v1/leads/{owned.lead_id}/timeline/").json()["events"] if e["type"] == "stage"]
    user = owned.rep.user.username
    assert stages == [("contacted", "qualified", "", user), ("qualified", "lost", "no-budget", user),
                      ("lost", "contacted", "", user)]
    assert Rep.objects.get(pk=owned.rep_id).load == 0


@pytest.mark.parametrize("before, payload, status, detail", [
    ("assigned", {"stage": "qualified"}, 409, "A assigned lead cannot move to qualified."),
    ("assigned", {"stage": "contacted"}, 409, "A assigned lead cannot move to contacted."),
    ("contacted", {"stage": "contacted"}, 409, "A contacted lead cannot move to contacted."),
    ("contacted", {"stage": "lost"}, 400, "A move to lost needs a reason: one of no-budget, chose-competitor, "
                                          "not-interested, never-reached."),
    ("contacted", {"stage": "lost", "reason": "bored"}, 400, "Unknown lost reason 'bored': use one of no-budget, "
                                                             "chose-competitor, not-interested, never-reached."),
    ("contacted", {"stage": "unqualified", "reason": "no-budget"}, 400, "Unknown unqualified reason 'no-budget': "
     "use one of wrong-number, not-decision-maker, out-of-area, duplicate."),
    ("contacted", {"stage": "qualified", "reason": "no-budget"}, 400, "A move to qualified takes no reason."),
])
def test_a_stage_move_that_is_not_allowed_is_refused_precisely(owned, before, payload, status, detail):
    if before == "contacted":
        contacted(owned)
    changes_before = LeadStageChange.objects.count()
    response = client_for(owned.rep.user).post(f"/api/v1/leads/{owned.lead_id}/stage/", payload, format="json")
    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert Lead.objects.get(pk=owned.lead_id).status == before
    assert LeadStageChange.objects.count() == changes_before


def test_an_unknown_stage_is_400(owned):
    response = client_for(owned.rep.user).post(f"/api/v1/leads/{owned.lead_id}/stage/", {"stage": "sold"},
                                               format="json")
    assert response.status_code == 400 and response.json()["errors"]["stage"] == ['"sold" is not a valid choice.']


# --- my leads, reasons --------------------------------------------------------------------------------------------

def test_my_leads_lists_search_and_filters_only_the_owners_leads(owned):
    rep = owned.rep
    other = LeadFactory(first_name="Grace", last_name="Hopper", phone="+14155550999", status="qualified",
                        owner=rep.user)
    LeadFactory(first_name="Grace", last_name="Else", owner=RepFactory().user, status="contacted")
    client = client_for(rep.user)
    rows = client.get("/api/v1/my-leads/").json()["results"]
    assert {row["id"] for row in rows} == {owned.lead_id, other.pk}
    first = next(row for row in rows if row["id"] == owned.lead_id)
    assert (first["next_action"], first["contact_count"], first["name"]) == ("first call", 0, "Zoë <b>Ng</b>")
    assert [r["id"] for r in client.get("/api/v1/my-leads/?q=hopper").json()["results"]] == [other.pk]
    assert [r["id"] for r in client.get("/api/v1/my-leads/?q=555-0999").json()["results"]] == [other.pk]
    assert [r["id"] for r in client.get("/api/v1/my-leads/?stage=qualified").json()["results"]] == [other.pk]
    slug = owned.lead.campaign.slug
    assert [r["id"] for r in client.get(f"/api/v1/my-leads/?campaign={slug}").json()["results"]] == [owned.lead_id]


def test_reasons_list_by_kind(owned):
    client = client_for(owned.rep.user)
    lost = client.get("/api/v1/reasons/?kind=lost").json()
    assert [r["code"] for r in lost] == ["no-budget", "chose-competitor", "not-interested", "never-reached"]
    assert {r["kind"] for r in client.get("/api/v1/reasons/").json()} == {"lost", "unqualified", "decline"}
    assert APIClient().get("/api/v1/reasons/").status_code in (401, 403)
    assert UserFactory()  # a plain user may read the lists too (they hold nothing personal)
