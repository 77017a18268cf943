"""Personas on the sales floor: resolved into the engine's rules, used by routing and scoring, edited in the admin
(inline conditions, who uses it, recent leads in it), and bad references refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.timezone import now

from assignments import services
from assignments.models import Assignment, Persona, PersonaCondition, RoutingRule, RuleCondition, ScoringRule
from assignments.selectors import persona_specs, rule_specs_active, scoring_rules_active
from assignments.selectors_personas import lead_persona_slugs, persona_loop, persona_recent_matches, persona_usage
from assignments.services.scoring import lead_score
from campaigns.models import Lead
from tests.factories import (
    BuyerFactory,
    CampaignFactory,
    LeadFactory,
    ManagerFactory,
    PriceRuleFactory,
    RepFactory,
    RoutingRuleFactory,
    make_persona,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owners():
    return make_persona("homeowners", "Homeowners", ("fields.homeowner", "eq", "yes"))


@pytest.fixture
def web(client):
    client.force_login(ManagerFactory())
    return client


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


def test_persona_specs_resolve_nested_personas_and_cut_loops(owners):
    make_persona("ca-owners", "Homeowners in CA", ("persona", "eq", "homeowners"), ("region", "eq", "CA"))
    # A loop written behind the admin's back: each names the other. Resolution cuts it where it closes.
    make_persona("ping", "Ping", ("persona", "eq", "pong"))
    make_persona("pong", "Pong", ("persona", "eq", "ping"))
    specs = persona_specs()
    nested = specs["ca-owners"].conditions[0]
    assert nested.personas == (specs["homeowners"],)
    assert specs["ping"].conditions[0].personas[0].slug == "pong"
    assert specs["ping"].conditions[0].personas[0].conditions[0].personas == ()


def test_routing_rule_naming_a_persona_routes_and_its_explanation_names_it(owners):
    rule = RoutingRuleFactory(name="Owners", order=1)
    RuleCondition.objects.create(rule=rule, field="persona", op="eq", value="homeowners")
    RoutingRuleFactory(name="Everyone else", order=2)
    RepFactory()
    owner = LeadFactory(fields={"homeowner": "yes"})
    result = services.lead_route(lead_id=owner.pk)
    offer = Assignment.objects.get(pk=result.assignment_ids[0])
    assert offer.rule == rule
    assert offer.explanation["personas"] == ["Homeowners"]
    assert offer.explanation["summary"].startswith("Rule 'Owners' matched (persona 'Homeowners');")
    renter = LeadFactory(fields={"homeowner": "no"}, phone="+14155550999")
    assert rule_specs_active()[0].conditions[0].personas[0].name == "Homeowners"
    RepFactory()
    other = Assignment.objects.get(pk=services.lead_route(lead_id=renter.pk).assignment_ids[0])
    assert other.rule.name == "Everyone else"


def test_editing_a_persona_changes_every_rule_that_uses_it(owners):
    rule = RoutingRuleFactory(name="Owners")
    RuleCondition.objects.create(rule=rule, field="persona", op="eq", value="homeowners")
    lead = LeadFactory(fields={"homeowner": "yes"}, region="NY")
    assert lead_persona_slugs(lead=lead) == ["homeowners"]
    owners.conditions.create(field="region", op="eq", value="CA")
    assert lead_persona_slugs(lead=lead) == []
    spec = rule_specs_active()[0]
    assert len(spec.conditions[0].personas[0].conditions) == 2


def test_scoring_rules_naming_a_persona_score_the_lead(owners):
    ScoringRule.objects.create(name="Owners", points=30).conditions.create(
        field="persona", op="eq", value="homeowners")
    assert scoring_rules_active()[0].conditions[0].personas[0].slug == "homeowners"
    lead = LeadFactory(fields={"homeowner": "yes"})
    assert lead_score(lead_id=lead.pk) == 30
    lead.refresh_from_db()
    assert lead.score == 30
    assert lead_score(lead_id=10**9) is None


def test_persona_usage_counts_each_user_once(owners):
    make_persona("ca-owners", "CA owners", ("persona", "eq", "homeowners"))
    rule = RoutingRuleFactory()
    RuleCondition.objects.create(rule=rule, field="persona", op="in", value="homeowners,ca-owners")
    RuleCondition.objects.create(rule=rule, field="persona", op="neq", value="homeowners")
    ScoringRule.objects.create(name="s", points=1).conditions.create(field="persona", op="eq", value="homeowners")
    BuyerFactory(filters={"persona": ["homeowners"], "country": ["US"]})
    BuyerFactory(filters={"persona__not": "ca-owners"})
    PriceRuleFactory(conditions={"persona": "HOMEOWNERS"})
    usage = persona_usage()
    assert usage["homeowners"].counts == {"routing rules": 1, "scoring rules": 1, "personas": 1, "buyers": 1,
                                          "price rules": 1}
    assert usage["homeowners"].total == 5
    assert usage["ca-owners"].text() == "1 buyers, 1 routing rules"


def test_persona_loop_finds_the_path_back():
    make_persona("a", "A", ("persona", "eq", "b"))
    make_persona("b", "B", ("persona", "eq", "c"))
    make_persona("c", "C")
    assert persona_loop(slug="c", names=["a"]) == ["c", "a", "b", "c"]
    assert persona_loop(slug="c", names=["c"]) == ["c", "c"]
    assert persona_loop(slug="a", names=["c"]) == []


def test_recent_matches_count_the_last_30_days_with_examples(owners):
    at = now()
    old = LeadFactory(fields={"homeowner": "yes"}, received_at=at - dt.timedelta(days=31))
    inside = [LeadFactory(fields={"homeowner": "yes"}, received_at=at - dt.timedelta(days=d)) for d in (1, 2)]
    LeadFactory(fields={"homeowner": "no"}, received_at=at)
    found = persona_recent_matches(slug="homeowners", now=at)
    assert (found.matched, found.scanned, found.capped) == (2, 3, False)
    assert [lead.pk for lead in found.examples] == [inside[0].pk, inside[1].pk]
    assert old.pk not in [lead.pk for lead in found.examples]
    assert persona_recent_matches(slug="homeowners", now=at, scan_limit=2).capped


def persona_post(**overrides) -> dict:
    data = {"name": "Homeowners in CA", "slug": "CA-Owners", "description": "",
            **management("conditions", total=1),
            "conditions-0-field": "region", "conditions-0-op": "eq", "conditions-0-value": "CA"}
    data.update(overrides)
    return data


def test_admin_adds_a_persona_with_inline_conditions(web, owners):
    response = web.post(reverse("admin:assignments_persona_add"), persona_post(**{
        **management("conditions", total=2), "conditions-1-field": "persona", "conditions-1-op": "eq",
        "conditions-1-value": " Homeowners "}))
    assert response.status_code == 302, response.content.decode()[:3000]
    persona = Persona.objects.get(slug="ca-owners")
    assert [(c.field, c.op, c.value) for c in persona.conditions.all()] == [("region", "eq", "CA"),
                                                                           ("persona", "eq", "homeowners")]


@pytest.mark.parametrize("overrides,error", [
    ({"conditions-0-field": "persona", "conditions-0-value": "nobody"},
     "Unknown persona &#x27;nobody&#x27;: add it under Personas first, or use an existing slug."),
    ({"conditions-0-field": "persona", "conditions-0-value": "ca-owners"},
     "A persona cannot be in itself: ca-owners -&gt; ca-owners."),
    ({"conditions-0-field": "persona", "conditions-0-op": "gt", "conditions-0-value": "homeowners"},
     "A persona condition uses is, is not, is one of or is not one of."),
])
def test_admin_refuses_bad_persona_references_and_saves_nothing(web, owners, overrides, error):
    response = web.post(reverse("admin:assignments_persona_add"), persona_post(**overrides))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert list(Persona.objects.values_list("slug", flat=True)) == ["homeowners"]
    assert PersonaCondition.objects.count() == 1


def test_admin_refuses_a_loop_through_another_persona(web, owners):
    make_persona("ca-owners", "CA owners", ("persona", "eq", "homeowners"))
    response = web.post(reverse("admin:assignments_persona_change", args=[owners.pk]), {
        "name": "Homeowners", "slug": "homeowners", "description": "",
        **management("conditions", total=1, initial=1),
        "conditions-0-id": str(owners.conditions.get().pk), "conditions-0-persona": str(owners.pk),
        "conditions-0-field": "persona", "conditions-0-op": "eq", "conditions-0-value": "ca-owners"})
    assert response.status_code == 200
    assert "A persona cannot be in itself: homeowners -&gt; ca-owners -&gt; homeowners." in response.content.decode()
    assert owners.conditions.get().field == "fields.homeowner"


def test_routing_rule_form_refuses_an_unknown_persona(web):
    from tests.assignments.test_admin import rule_post

    response = web.post(reverse("admin:assignments_routingrule_add"), rule_post(**{
        "conditions-0-field": "persona", "conditions-0-value": "nobody"}))
    assert response.status_code == 200
    assert "Unknown persona &#x27;nobody&#x27;" in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_admin_shows_usage_and_recent_leads_and_keeps_a_used_persona(web, owners):
    rule = RoutingRuleFactory()
    RuleCondition.objects.create(rule=rule, field="persona", op="eq", value="homeowners")
    lead = LeadFactory(fields={"homeowner": "yes"})
    body = web.get(reverse("admin:assignments_persona_change", args=[owners.pk])).content.decode()
    assert "1 routing rules" in body
    assert "1 of 1 leads received in the last 30 days" in body and f"#{lead.pk}" in body
    listing = web.get(reverse("admin:assignments_persona_changelist")).content.decode()
    assert "answer &quot;homeowner&quot; is yes" in listing
    assert web.get(reverse("admin:assignments_persona_delete", args=[owners.pk])).status_code == 403
    unused = make_persona("unused", "Unused")
    assert web.post(reverse("admin:assignments_persona_delete", args=[unused.pk]), {"post": "yes"}).status_code == 302
    assert not Persona.objects.filter(slug="unused").exists()


def test_every_lead_path_scores_buyers_first_leads_too(owners):
    """Scoring on the buyers' path is tested in tests/campaigns/buyers/test_personas.py; here the hook itself."""
    from campaigns.floor_hooks import floor

    ScoringRule.objects.create(name="CA", points=7).conditions.create(field="region", op="eq", value="CA")
    lead = LeadFactory(region="CA", campaign=CampaignFactory(), cost=Decimal("1"))
    assert floor().lead_score(lead_id=lead.pk) == 7
    assert Lead.objects.get(pk=lead.pk).score == 7
    assert floor().lead_personas(lead=LeadFactory(fields={"homeowner": "yes"}, phone="+14155550777")) == [
        "homeowners"]
    assert floor().persona_slugs() == {"homeowners"}


def test_persona_list_reads_usage_once_not_per_row(web, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assignments.config_cache import config_cache_clear

    settings.ROUTING_CONFIG_CACHE_SECONDS = 60  # the rules list describes persona conditions through the memo
    config_cache_clear()

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert web.get(path).status_code == 200
        return len(ctx.captured_queries)

    def build(n: int) -> None:
        for i in range(n):
            persona = make_persona(f"p{Persona.objects.count()}", f"P {i}", ("country", "eq", "US"))
            rule = RoutingRuleFactory()
            RuleCondition.objects.create(rule=rule, field="persona", op="eq", value=persona.slug)

    build(2)
    few = {path: queries(path) for path in (reverse("admin:assignments_persona_changelist"),
                                            reverse("admin:assignments_routingrule_changelist"))}
    build(8)
    config_cache_clear()
    many = {path: queries(path) for path in few}
    assert many == few
    body = web.get(reverse("admin:assignments_routingrule_changelist")).content.decode()
    assert "lead is in persona &#x27;P 0&#x27;" in body
    config_cache_clear()


def test_delay_rules_may_hold_the_leads_of_a_persona(owners):
    from assignments.models import DelayCondition, DelayRule

    campaign = CampaignFactory(slug="renewals")
    RoutingRuleFactory(name="Everyone")
    RepFactory()
    rule = DelayRule.objects.create(campaign=campaign, name="Owners wait", kind="condition")
    DelayCondition.objects.create(rule=rule, purpose="applies", field="persona", op="eq", value="homeowners")
    DelayCondition.objects.create(rule=rule, purpose="releases", field="fields.ready", op="eq", value="yes")
    owner = LeadFactory(campaign=campaign, fields={"homeowner": "yes"})
    renter = LeadFactory(campaign=campaign, fields={"homeowner": "no"}, phone="+14155550888")
    assert services.lead_route(lead_id=owner.pk).action == "held"
    assert services.lead_route(lead_id=renter.pk).action == "offered"


def test_the_slug_of_a_persona_in_use_cannot_change(web, owners):
    rule = RoutingRuleFactory()
    RuleCondition.objects.create(rule=rule, field="persona", op="eq", value="homeowners")
    url = reverse("admin:assignments_persona_change", args=[owners.pk])
    condition = owners.conditions.get()
    data = {"name": "Owners", "slug": "owners", "description": "",
            **management("conditions", total=1, initial=1), "conditions-0-id": str(condition.pk),
            "conditions-0-persona": str(owners.pk), "conditions-0-field": "fields.homeowner",
            "conditions-0-op": "eq", "conditions-0-value": "yes"}
    response = web.post(url, data)
    assert response.status_code == 200
    assert "Rules name this persona by its slug (1 routing rules)" in response.content.decode()
    assert Persona.objects.get(pk=owners.pk).slug == "homeowners"
    assert web.post(url, {**data, "slug": "homeowners"}).status_code == 302
    assert Persona.objects.get(pk=owners.pk).name == "Owners"
