"""Erasure (CONTRACT 6.5): a lead that went through everything leaves no trace of its person in any column of any
table, on SQLite and on PostgreSQL; reports read the same before and after; the API is managers-only, idempotent."""

import datetime as dt
import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.utils.timezone import now
from rest_framework.test import APIClient

from assignments import services
from assignments.models import Assignment, OutboxEvent
from assignments.models_lab import RoutingSnapshot
from campaigns.models import BuyerDelivery, Campaign, IntakeAttempt, Lead, SuppressionEntry, WebhookDelivery
from campaigns.services import lead_intake
from leadcrm.errors import ServiceError
from tests.campaigns.buyers.buyer_server import BuyerServer, Reply, bid
from tests.campaigns.buyers.conftest import make_buyer
from tests.factories import ManagerFactory, RepFactory, RoutingRuleFactory, SupplierFactory, supplier_with_key
from tests.reporting.engines import on_sqlite_and_postgresql

PERSON = {"first_name": "Augusta", "last_name": "Byronerase", "email": "augusta.byronerase@example.com",
          "phone": "+14155550177", "postal_code": "94107"}
REJECT = Reply(body={"status": "rejected", "reason": "not interested"})


@pytest.fixture
def buyer_server():
    running = BuyerServer().start()
    yield running
    running.stop()


def everything(buyer_server, capture) -> tuple[Lead, object]:
    """A lead through intake (with consent and answers), a buyer ping and post, the supplier's webhook, routing
    (explanation and lab snapshot), an offer, accept, a contact with notes, a note and a callback."""
    campaign = Campaign.objects.create(slug="erase-me", name="Erase me",
                                       distribution_mode=Campaign.Distribution.BUYERS_THEN_REPS)
    supplier = SupplierFactory(name="Acme Leads", webhook_url=buyer_server.script("/hook", Reply()))
    supplier.campaigns.add(campaign)
    make_buyer(campaign, name="Pinged", url=buyer_server.script("/post", REJECT),
               ping_url=buyer_server.script("/ping", bid("12.00")))
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory()
    payload = {"campaign": "erase-me", "country": "US", "region": "CA", **PERSON,
               "fields": {"roof": "south", "spouse": "Byronerase senior"},
               "consent": {"text": "Call me", "given_at": now().isoformat(), "ip": "198.51.100.23"}}
    with capture(execute=True):
        result = lead_intake(supplier=supplier, payload=payload)
    assert result.status_code == 201, result.body
    lead = Lead.objects.get(pk=result.lead_id)
    assert lead.status == Lead.Status.OFFERED, lead.status
    offer = Assignment.objects.get(lead=lead)
    with capture(execute=True):
        services.assignment_accept(assignment_id=offer.pk, rep=rep)
        services.contact_log(assignment_id=offer.pk, rep=rep, channel="call", outcome="connected",
                             notes=f"Spoke to {PERSON['first_name']} {PERSON['last_name']} on {PERSON['phone']}")
        services.lead_note_add(lead_id=lead.pk, user=rep.user, text=f"Email {PERSON['email']} the quote")
        services.callback_schedule(lead_id=lead.pk, user=rep.user, due_at=now() + dt.timedelta(days=1),
                                   note=f"Call {PERSON['last_name']} back")
    assert BuyerDelivery.objects.filter(lead=lead, stage="ping").exists()
    assert BuyerDelivery.objects.filter(lead=lead, stage="post").exists()
    assert WebhookDelivery.objects.filter(lead=lead).exists()
    assert RoutingSnapshot.objects.filter(lead=lead).exists()
    return lead, rep


def needles() -> list[str]:
    return [PERSON["email"], PERSON["phone"], PERSON["phone"].lstrip("+"), PERSON["last_name"], "198.51.100.23"]


def database_hits(words: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, word) for every stored value in the whole database that holds one of the words."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None or isinstance(value, (int, float, bool, dt.datetime, dt.date)):
                        continue
                    text = bytes(value).decode("latin-1") if isinstance(value, (bytes, memoryview)) else (
                        json.dumps(value) if isinstance(value, (dict, list)) else str(value))
                    hits += [(table, column, word) for word in words if word.lower() in text.lower()]
    return hits


def reports(manager) -> dict:
    client = APIClient()
    client.force_authenticate(manager)
    return {name: client.get(f"/api/v1/reports/{name}/", {"group_by": "campaign"}).json()
            for name in ("speed-to-lead", "campaigns", "suppliers")}


class Erasure:
    def test_erasure_leaves_nothing_behind_and_reports_do_not_change(self, buyer_server,
                                                                      django_capture_on_commit_callbacks):
        lead, _ = everything(buyer_server, django_capture_on_commit_callbacks)
        manager = ManagerFactory()
        before = reports(manager)
        assert {word for _, _, word in database_hits(needles())} == set(needles())  # the search finds them

        erased = services.lead_erase(lead_id=lead.pk, by=manager, suppress=True)

        assert database_hits(needles()) == []
        assert reports(manager) == before
        assert erased.erased_at is not None and erased.erased_by_id == manager.pk
        assert (erased.status, erased.outcome) == (Lead.Status.LOST, "erased")
        assert erased.consent == {"text": "Call me", "given_at": lead.consent["given_at"]}


@pytest.mark.django_db
def test_erasure_is_idempotent_audited_and_on_the_timeline(buyer_server, django_capture_on_commit_callbacks):
    from assignments.selectors_work import lead_timeline

    lead, rep = everything(buyer_server, django_capture_on_commit_callbacks)
    manager = ManagerFactory()
    first = services.lead_erase(lead_id=lead.pk, by=manager)
    outbox_rows = OutboxEvent.objects.count()
    again = services.lead_erase(lead_id=lead.pk, by=ManagerFactory())
    assert again.erased_at == first.erased_at and again.erased_by_id == manager.pk
    assert OutboxEvent.objects.count() == outbox_rows  # nothing happened the second time
    entries = LogEntry.objects.filter(object_id=str(lead.pk), change_message__startswith="Erased")
    assert [(e.user_id, e.object_repr) for e in entries] == [(manager.pk, f"#{lead.pk} (no name)")]
    timeline = lead_timeline(lead=Lead.objects.get(pk=lead.pk))
    assert timeline[-1] == {"type": "erased", "at": first.erased_at, "by": manager.username}
    assert [e["text"] for e in timeline if e["type"] == "note"] == ["[erased]"]
    with pytest.raises(ServiceError, match="erased"):
        services.lead_stage_set(lead_id=lead.pk, user=manager, stage="contacted")


@pytest.mark.django_db
def test_erase_and_suppress_keeps_the_person_out_of_later_intake(buyer_server, django_capture_on_commit_callbacks):
    lead, _ = everything(buyer_server, django_capture_on_commit_callbacks)
    services.lead_erase(lead_id=lead.pk, by=ManagerFactory(), suppress=True)
    assert set(SuppressionEntry.objects.values_list("kind", flat=True)) == {"phone_hash", "email_hash"}
    assert not SuppressionEntry.objects.filter(value__in=[PERSON["phone"], PERSON["email"]]).exists()
    supplier = lead.supplier
    fresh = {"campaign": "erase-me", "country": "US", "first_name": "New", "last_name": "Person",
             "email": "someone.else@example.com", "phone": "+14155550178"}
    for contact in ({"phone": PERSON["phone"]}, {"email": PERSON["email"].upper()}):
        result = lead_intake(supplier=supplier, payload={**fresh, **contact})
        assert (result.status_code, result.body.get("reason")) == (422, "suppressed"), result.body
    assert lead_intake(supplier=supplier, payload=fresh).status_code == 201


@pytest.mark.django_db
def test_an_open_lead_leaves_the_floor_when_erased():
    from tests.factories import LeadFactory

    rep = RepFactory()
    RoutingRuleFactory(name="Everyone")
    lead = LeadFactory(**PERSON)
    assert services.lead_route(lead_id=lead.pk).action == "offered"
    services.lead_erase(lead_id=lead.pk, by=ManagerFactory())
    assert Assignment.objects.get(lead=lead).status == Assignment.Status.REVOKED
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.LOST
    rep.refresh_from_db()
    assert rep.load == 0


@pytest.mark.django_db
def test_the_erase_api_is_managers_only_idempotent_and_shows_erased_at():
    from tests.factories import LeadFactory

    campaign = Campaign.objects.create(slug="c1", name="C1")
    supplier, raw_key = supplier_with_key(name="S", campaigns=[campaign])
    lead = LeadFactory(campaign=campaign, supplier=supplier, **PERSON)
    url = f"/api/v1/leads/{lead.pk}/erase/"
    rep_client, key_client, manager_client = APIClient(), APIClient(), APIClient()
    rep_client.force_authenticate(RepFactory().user)
    key_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    manager_client.force_authenticate(ManagerFactory())
    assert rep_client.post(url, {}, format="json").status_code == 403
    assert key_client.post(url, {}, format="json").status_code == 403
    assert manager_client.post("/api/v1/leads/999999/erase/", {}, format="json").status_code == 404
    assert manager_client.post(url, {"suppress": "maybe"}, format="json").status_code == 400
    assert manager_client.post(url, "{", content_type="application/json").status_code == 400
    assert Lead.objects.get(pk=lead.pk).erased_at is None
    first = manager_client.post(url, {}, format="json")
    assert first.status_code == 200 and first.json()["erased_at"]
    second = manager_client.post(url, {}, format="json")
    assert second.status_code == 200 and second.json()["erased_at"] == first.json()["erased_at"]
    detail = manager_client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert detail["erased_at"] == first.json()["erased_at"] and detail["fields"] == {}
    assert not IntakeAttempt.objects.filter(detail__icontains=PERSON["last_name"]).exists()


TestErasureSQLite, TestErasurePostgreSQL = on_sqlite_and_postgresql(Erasure)


@pytest.mark.django_db
def test_the_erase_person_command_lists_then_erases_by_email_or_phone():
    from django.core.management import CommandError, call_command

    from tests.factories import LeadFactory

    first = LeadFactory(**PERSON)
    second = LeadFactory(**{**PERSON, "email": "other@example.com"})
    untouched = LeadFactory(email="stranger@example.com", phone="+14155550111")
    out = io.StringIO()
    call_command("erase_person", "--phone", "(415) 555-0177".replace("(", "+1 ("), stdout=out)
    assert "2 lead(s) would be erased" in out.getvalue()
    assert not Lead.objects.filter(erased_at__isnull=False).exists()
    call_command("erase_person", "--email", PERSON["email"].upper(), "--yes", "--suppress", stdout=io.StringIO())
    assert set(Lead.objects.filter(erased_at__isnull=False).values_list("pk", flat=True)) == {first.pk}
    call_command("erase_person", "--phone", PERSON["phone"], "--yes", stdout=io.StringIO())
    assert set(Lead.objects.filter(erased_at__isnull=False).values_list("pk", flat=True)) == {first.pk, second.pk}
    assert Lead.objects.get(pk=untouched.pk).erased_at is None
    with pytest.raises(CommandError, match="Name the person"):
        call_command("erase_person")
    with pytest.raises(CommandError, match="No lead with id 999999"):
        call_command("erase_person", "--lead", "999999")


@pytest.mark.django_db
def test_a_manager_exports_everything_stored_about_a_person(buyer_server, django_capture_on_commit_callbacks):
    lead, rep = everything(buyer_server, django_capture_on_commit_callbacks)
    manager = APIClient()
    manager.force_authenticate(ManagerFactory())
    exported = manager.get("/api/v1/people/export/", {"phone": PERSON["phone"]})
    assert exported.status_code == 200, exported.json()
    (found,) = exported.json()["leads"]
    assert (found["id"], found["email"], found["last_name"]) == (lead.pk, PERSON["email"], PERSON["last_name"])
    assert found["consent"]["ip"] == "198.51.100.23" and found["fields"]["roof"] == "south"
    assert found["owner"] == rep.user.username
    assert {e["type"] for e in found["timeline"]} >= {"received", "offered", "accepted", "contact", "note", "callback"}
    assert [d["stage"] for d in found["buyer_deliveries"]] == ["ping", "post"]
    assert found["intake_log"][0]["outcome"] == "accepted" and found["webhooks"]
    assert manager.get("/api/v1/people/export/", {"email": PERSON["email"].upper()}).json()["leads"][0]["id"] == lead.pk
    assert manager.get("/api/v1/people/export/", {"email": "nobody@example.com"}).json()["leads"] == []
    assert manager.get("/api/v1/people/export/").status_code == 400
    rep_client = APIClient()
    rep_client.force_authenticate(rep.user)
    assert rep_client.get("/api/v1/people/export/", {"phone": PERSON["phone"]}).status_code == 403
    out = io.StringIO()
    from django.core.management import call_command

    call_command("export_person", "--email", PERSON["email"], stdout=out)
    assert json.loads(out.getvalue())["leads"][0]["id"] == lead.pk
