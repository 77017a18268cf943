"""Persona memberships for the reports: recorded when a lead is first scored (its first routing, or when it goes to
buyers), never moved by a later edit of the persona, re-filed on purpose by `manage.py lead_personas_recount`."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.timezone import now
from rest_framework.test import APIClient

from assignments.config_cache import config_cache_clear
from assignments.models import Persona, PersonaCondition, ScoringRule
from assignments.models_personas import LeadPersona
from assignments.selectors import lead_facts
from assignments.services.personas import lead_personas_record
from campaigns.models import Campaign, Lead
from campaigns.services import lead_intake
from tests.factories import (
    CampaignFactory,
    LeadFactory,
    ManagerFactory,
    RepFactory,
    RoutingRuleFactory,
    make_persona,
    supplier_with_key,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def personas():
    """Homeowners; homeowners in CA (naming the first); renters."""
    make_persona("homeowners", "Homeowners", ("fields.homeowner", "eq", "yes"))
    make_persona("ca-owners", "Homeowners in CA", ("persona", "eq", "homeowners"), ("region", "eq", "CA"))
    make_persona("renters", "Renters", ("fields.homeowner", "eq", "no"))


def recorded(lead_id: int) -> list[str]:
    return sorted(LeadPersona.objects.filter(lead_id=lead_id).values_list("persona__slug", flat=True))


def payload(campaign: str, phone: str, **extra) -> dict:
    return {"campaign": campaign, "first_name": "Ada", "last_name": "Lovelace", "email": f"ada{phone[-3:]}@example.com",
            "phone": phone, "country": "US", "language": "en", **extra}


def test_a_lead_posted_to_the_api_is_recorded_in_its_personas_at_its_first_routing(
        personas, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(slug="solar-us")
    RoutingRuleFactory(name="Everyone")
    RepFactory()
    _, key = supplier_with_key(campaigns=[campaign])
    supplier = APIClient()
    supplier.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    with django_capture_on_commit_callbacks(execute=True):
        owner = supplier.post("/api/v1/leads/", payload("solar-us", "+14155550101", region="CA",
                                                         fields={"homeowner": "yes"}), format="json")
        nobody = supplier.post("/api/v1/leads/", payload("solar-us", "+14155550102"), format="json")
    assert (owner.status_code, nobody.status_code) == (201, 201)
    assert Lead.objects.get(pk=owner.json()["id"]).status == Lead.Status.OFFERED  # routed, not only stored
    assert recorded(owner.json()["id"]) == ["ca-owners", "homeowners"]
    assert recorded(nobody.json()["id"]) == []


def test_a_buyers_first_lead_is_recorded_when_it_goes_to_buyers_score_included(
        personas, django_capture_on_commit_callbacks):
    """buyers_only: routing never runs; the hand-over to buyers scores the lead and records its personas."""
    campaign = CampaignFactory(slug="buyers-only", distribution_mode=Campaign.Distribution.BUYERS_ONLY)
    supplier, _ = supplier_with_key(campaigns=[campaign])
    ScoringRule.objects.create(name="CA", points=40).conditions.create(field="region", op="eq", value="CA")
    make_persona("hot", "Hot", ("score", "gte", "40"))
    with django_capture_on_commit_callbacks(execute=True):
        result = lead_intake(supplier=supplier, payload=payload("buyers-only", "+14155550103", region="CA",
                                                                fields={"homeowner": "no"}))
    assert result.status_code == 201
    assert Lead.objects.get(pk=result.lead_id).score == 40
    assert recorded(result.lead_id) == ["hot", "renters"]


def test_recording_adds_rows_only_and_costs_no_query_for_a_lead_in_no_persona(
        personas, settings, django_assert_num_queries):
    settings.ROUTING_CONFIG_CACHE_SECONDS = 60  # as in production: the personas come through the memo
    config_cache_clear()
    try:
        owner = LeadFactory(region="CA", fields={"homeowner": "yes"})
        nobody = LeadFactory(fields={}, phone="+14155550104")
        assert lead_personas_record(lead_id=owner.pk, facts=lead_facts(lead=owner, now=now())) == [
            "ca-owners", "homeowners"]
        assert lead_personas_record(lead_id=owner.pk, facts=lead_facts(lead=owner, now=now())) == [
            "ca-owners", "homeowners"]
        assert recorded(owner.pk) == ["ca-owners", "homeowners"]  # once each
        facts = lead_facts(lead=nobody, now=now(), past_offers=())
        with django_assert_num_queries(0):
            assert lead_personas_record(lead_id=nobody.pk, facts=facts) == []
        assert recorded(nobody.pk) == []
    finally:
        config_cache_clear()


def test_editing_a_persona_moves_no_recorded_lead_until_a_recount(personas):
    old = LeadFactory(region="CA", fields={"homeowner": "yes"}, received_at=now() - dt.timedelta(days=40))
    recent = LeadFactory(region="CA", fields={"homeowner": "yes"}, phone="+14155550105")
    erased = LeadFactory(fields={}, phone="+14155550106", erased_at=now())
    for lead in (old, recent):
        lead_personas_record(lead_id=lead.pk, facts=lead_facts(lead=lead, now=now(), past_offers=()))
    LeadPersona.objects.create(lead=erased, persona=Persona.objects.get(slug="renters"))
    # Homeowners in CA become homeowners in NY: nothing moves.
    PersonaCondition.objects.filter(persona__slug="ca-owners", field="region").update(value="NY")
    assert (recorded(old.pk), recorded(recent.pk)) == (["ca-owners", "homeowners"], ["ca-owners", "homeowners"])

    out = io.StringIO()
    call_command("lead_personas_recount", days=30, stdout=out)
    assert out.getvalue() == "Re-filed 1 lead(s) received in the last 30 day(s): 1 persona membership(s).\n"
    assert recorded(recent.pk) == ["homeowners"]  # re-filed under today's conditions
    assert recorded(old.pk) == ["ca-owners", "homeowners"]  # older than 30 days: as recorded
    assert recorded(erased.pk) == ["renters"]  # its answers are gone: kept as recorded


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_recount_refuses_a_range_out_of_bounds(days):
    with pytest.raises(CommandError, match="--days must be between 1 and 3650."):
        call_command("lead_personas_recount", days=days)


def test_deleting_a_persona_deletes_its_memberships(personas):
    lead = LeadFactory(fields={"homeowner": "no"})
    lead_personas_record(lead_id=lead.pk, facts=lead_facts(lead=lead, now=now(), past_offers=()))
    Persona.objects.get(slug="renters").delete()
    assert recorded(lead.pk) == []


def test_persona_page_says_how_reports_count_its_leads(client, personas):
    client.force_login(ManagerFactory())
    owners = Persona.objects.get(slug="homeowners")
    LeadPersona.objects.create(lead=LeadFactory(), persona=owners)
    body = client.get(reverse("admin:assignments_persona_change", args=[owners.pk])).content.decode()
    assert "1 lead recorded in it." in body
    assert "Editing the conditions changes later leads only" in body
    add = client.get(reverse("admin:assignments_persona_add")).content.decode()
    assert "Reports group a lead by the personas it was in when first scored" in add
    assert client.get(reverse("admin:assignments_leadpersona_add")).status_code == 403
