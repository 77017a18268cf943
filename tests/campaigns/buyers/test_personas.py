"""Buyer filters and price rules that name personas, and buyers-first leads scored before buyers see them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assignments.models import Persona, ScoringRule
from campaigns.buyers.filters import (
    condition_persona_slugs,
    conditions_failed,
    conditions_match,
    conditions_problems,
    names_persona,
)
from campaigns.buyers.selectors import buyers_eligible, lead_cost_quote
from campaigns.buyers.services import lead_distribution_enqueue
from campaigns.models import Buyer, Campaign, Lead, PriceRule
from tests.campaigns.buyers.buyer_server import ACCEPT
from tests.campaigns.buyers.conftest import make_buyer
from tests.campaigns.buyers.test_admin import buyer_form
from tests.factories import LeadFactory, PriceRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owners(db):
    persona = Persona.objects.create(slug="homeowners", name="Homeowners")
    persona.conditions.create(field="fields.homeowner", op="eq", value="yes")
    return persona


def test_pure_matching_reads_the_personas_the_caller_put_in_the_view():
    owner = {"country": "US", "persona": ["homeowners", "ca"]}
    assert conditions_match(conditions={"persona": "HOMEOWNERS"}, lead=owner)
    assert conditions_match(conditions={"persona": ["renters", "ca"]}, lead=owner)
    assert not conditions_match(conditions={"persona__not": ["ca"]}, lead=owner)
    assert conditions_match(conditions={"persona__not": "renters"}, lead=owner)
    # A view without personas (a caller that did not ask the floor) is in none of them.
    assert conditions_failed(conditions={"persona": "homeowners"}, lead={"country": "US"}) == ["persona"]
    assert names_persona({"persona__not": "x"}) and not names_persona({"fields.persona": "x"})
    assert condition_persona_slugs({"persona": ["A", "b"], "persona__not": "c", "country": "US"}) == {"a", "b", "c"}


@pytest.mark.parametrize("conditions,problem", [
    ({"persona__gt": 3}, "&#x27;persona__gt&#x27;: name personas by slug, with no test (in one of them) or __not."),
    ({"persona": []}, "&#x27;persona&#x27;: name personas by slug, with no test (in one of them) or __not."),
])
def test_persona_conditions_take_slugs_only(conditions, problem):
    from django.utils.html import escape

    assert [escape(p) for p in conditions_problems(conditions)] == [problem]


def test_buyer_filter_naming_a_persona_takes_only_its_leads(owners, campaign, supplier):
    buyer = make_buyer(campaign, name="Owner buyer", url="http://127.0.0.1:9/x", filters={"persona": "homeowners"})
    make_buyer(campaign, name="Renter buyer", url="http://127.0.0.1:9/y", filters={"persona__not": ["homeowners"]})
    owner = LeadFactory(campaign=campaign, supplier=supplier, fields={"homeowner": "yes"})
    renter = LeadFactory(campaign=campaign, supplier=supplier, fields={"homeowner": "no"}, phone="+14155550199")
    found = buyers_eligible(lead=owner)
    assert [c.buyer for c in found.candidates] == [buyer]
    assert found.excluded == {"Renter buyer": "filters: persona__not"}
    assert [c.buyer.name for c in buyers_eligible(lead=renter).candidates] == ["Renter buyer"]


def test_price_rules_naming_a_persona_adjust_price_and_cost(owners, campaign, supplier):
    buyer = make_buyer(campaign, name="B", url="http://127.0.0.1:9/x", price="10.00")
    PriceRuleFactory(campaign=campaign, name="Owners pay more", target="price", operation="add", amount=Decimal("5"),
                     conditions={"persona": "homeowners"})
    PriceRuleFactory(campaign=campaign, name="Owners cost more", target="cost", operation="set", amount=Decimal("8"),
                     conditions={"persona": ["homeowners"]})
    owner = LeadFactory(campaign=campaign, supplier=supplier, fields={"homeowner": "yes"})
    renter = LeadFactory(campaign=campaign, supplier=supplier, fields={"homeowner": "no"}, phone="+14155550199")
    assert [(c.buyer, c.price, c.rules) for c in buyers_eligible(lead=owner).candidates] == [
        (buyer, Decimal("15.00"), ("Owners pay more",))]
    assert buyers_eligible(lead=renter).candidates[0].price == Decimal("10.00")
    assert lead_cost_quote(lead=owner, base=Decimal("5")).amount == Decimal("8.00")
    assert lead_cost_quote(lead=renter, base=Decimal("5")).amount == Decimal("5.00")


def test_buyer_admin_refuses_an_unknown_persona(manager_web, owners):
    buyer = make_buyer(Campaign.objects.create(slug="c", name="C"), name="B", url="http://127.0.0.1:9/x")
    url = reverse("admin:campaigns_buyer_change", args=[buyer.pk])
    response = manager_web.post(url, buyer_form(buyer, filters='{"persona": ["homeowners", "nobody"]}'))
    assert response.status_code == 200
    assert "Unknown persona &#x27;nobody&#x27;: add it under Personas first" in response.content.decode()
    assert Buyer.objects.get(pk=buyer.pk).filters == {}
    assert manager_web.post(url, buyer_form(buyer, filters='{"persona": ["Homeowners"]}')).status_code == 302
    assert Buyer.objects.get(pk=buyer.pk).filters == {"persona": ["Homeowners"]}


def test_price_rule_admin_refuses_an_unknown_persona(manager_web, owners):
    campaign = Campaign.objects.create(slug="c", name="C")
    response = manager_web.post(reverse("admin:campaigns_pricerule_add"), {
        "campaign": campaign.pk, "name": "P", "active": "on", "target": "price", "operation": "add", "amount": "1",
        "order": "100", "conditions": '{"persona__not": "nobody"}'})
    assert response.status_code == 200
    assert "Unknown persona &#x27;nobody&#x27;" in response.content.decode()
    assert not PriceRule.objects.exists()


def test_a_buyers_first_lead_is_scored_before_buyers_see_it(server, campaign, supplier,
                                                            django_capture_on_commit_callbacks):
    """buyers_only: routing never runs, yet a buyer filter on the score works."""
    assert campaign.distribution_mode == Campaign.Distribution.BUYERS_ONLY
    ScoringRule.objects.create(name="California", points=40).conditions.create(field="region", op="eq", value="CA")
    make_buyer(campaign, name="Picky", url=server.script("/picky", ACCEPT), filters={"score__gte": 40})
    lead = LeadFactory(campaign=campaign, supplier=supplier, region="CA")
    with django_capture_on_commit_callbacks(execute=True):
        assert lead_distribution_enqueue(lead_id=lead.pk)
    lead.refresh_from_db()
    assert (lead.score, lead.status, lead.distribution.buyer.name) == (40, Lead.Status.SOLD, "Picky")


def test_a_buyers_then_reps_lead_posted_by_a_supplier_is_scored(server, campaign, supplier,
                                                                django_capture_on_commit_callbacks):
    from campaigns.services import lead_intake

    Campaign.objects.filter(pk=campaign.pk).update(distribution_mode=Campaign.Distribution.BUYERS_THEN_REPS)
    supplier.campaigns.add(campaign)
    ScoringRule.objects.create(name="Spanish", points=15).conditions.create(field="language", op="eq", value="es")
    make_buyer(campaign, name="Taker", url=server.script("/take", ACCEPT), price="12.00")
    with django_capture_on_commit_callbacks(execute=True):
        result = lead_intake(supplier=supplier, payload={
            "campaign": campaign.slug, "first_name": "Ana", "last_name": "Ruiz", "email": "ana@example.com",
            "phone": "+14155550100", "country": "US", "language": "es"})
    lead = Lead.objects.get(pk=result.lead_id)
    assert (lead.score, lead.status, lead.revenue) == (15, Lead.Status.SOLD, Decimal("12.00"))
