"""Every admin page of the lead market and the sales floor opens for a sales manager; others stay out."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import now

from assignments.models import (
    AlertDelivery,
    Callback,
    DelayCondition,
    DelayRule,
    DraftRule,
    DraftTier,
    FloorAlert,
    LeadHold,
    LeadNote,
    LeadRecycle,
    LeadStageChange,
    Persona,
    PersonaCondition,
    RouteDrain,
    RouteRequest,
    RuleTier,
)
from assignments.models_personas import LeadPersona
from campaigns.models import LeadImport
from tests.factories import (
    AssignmentFactory,
    BuyerDeliveryFactory,
    BuyerFactory,
    CampaignFactory,
    CapCounterFactory,
    ContactAttemptFactory,
    DayOffFactory,
    DraftConditionFactory,
    DraftRelaxationFactory,
    ExperimentVariantFactory,
    IntakeAttemptFactory,
    LeadDistributionFactory,
    LeadFactory,
    LeadReturnFactory,
    ManagerFactory,
    OfficeHoursFactory,
    OutboxEventFactory,
    PriceRuleFactory,
    RepFactory,
    ReplayRunFactory,
    RepProfileFactory,
    RoutingRuleFactory,
    RoutingSnapshotFactory,
    RuleConditionFactory,
    RuleRelaxationFactory,
    ScoringConditionFactory,
    SuppressionEntryFactory,
    TeamFactory,
    UserFactory,
    WebhookDeliveryFactory,
    supplier_with_key,
)

APPS = ("campaigns", "assignments")
REGISTERED = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items()
     if model._meta.app_label in APPS),
    key=lambda pair: pair[0]._meta.label,
)
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def manager_web(client, db):
    manager = ManagerFactory()
    client.force_login(manager)
    client.user = manager
    return client


@pytest.fixture
def world(db):
    """At least one row of every model of both apps."""
    campaign = CampaignFactory()
    OfficeHoursFactory(campaign=campaign)
    supplier, _ = supplier_with_key(campaigns=[campaign])
    BuyerFactory()
    lead = LeadFactory(campaign=campaign, supplier=supplier)
    IntakeAttemptFactory(supplier=supplier, campaign=campaign, lead=lead, outcome="accepted", reason="",
                         response_status=201)
    CapCounterFactory()
    SuppressionEntryFactory()
    team = TeamFactory()
    rep = RepFactory(teams=[team], skills={"solar": 4})
    DayOffFactory(rep=rep)
    rule = RoutingRuleFactory()
    rule.teams.add(team)
    RuleConditionFactory(rule=rule)
    RuleRelaxationFactory(rule=rule)
    ScoringConditionFactory()
    assignment = AssignmentFactory(lead=lead, rep=rep, rule=rule, explanation={"summary": "Rule matched."})
    ContactAttemptFactory(assignment=assignment)
    WebhookDeliveryFactory(lead=lead)
    OutboxEventFactory()
    PriceRuleFactory(campaign=campaign)
    BuyerDeliveryFactory(lead=LeadReturnFactory().lead)
    LeadDistributionFactory()
    DraftConditionFactory(rule__ruleset__name=XSS)
    DraftRelaxationFactory()
    ReplayRunFactory()
    variant = ExperimentVariantFactory(experiment__rule=rule)
    assignment.variant = variant
    assignment.save()
    RoutingSnapshotFactory(lead=lead, variant=variant)
    RepProfileFactory()
    LeadNote.objects.create(lead=lead, author=rep.user, text=XSS)
    Callback.objects.create(lead=lead, created_by=rep.user, due_at=now(), note=XSS)
    LeadStageChange.objects.create(lead=lead, from_status="contacted", to_status="qualified", by=rep.user)
    LeadImport.objects.create(supplier=supplier, file_name=XSS, file_format="csv", status="checked", total=1,
                              rows=[{"row": 2, "payload": {"first_name": XSS}}],
                              preview=[{"row": 2, "outcome": "invalid", "reason": "invalid", "detail": XSS}])
    alert = FloorAlert.objects.create(kind="waiting_too_long", key="waiting_too_long:lead:1", message=XSS, lead=lead)
    AlertDelivery.objects.create(kind="floor_alert", channel="email", floor_alert=alert, target="user:1",
                                 recipient=XSS, last_error=XSS)
    delay = DelayRule.objects.create(campaign=campaign, name=XSS, kind="condition")
    DelayCondition.objects.create(rule=delay, purpose="releases", field="fields.done", op="eq", value="yes")
    LeadHold.objects.create(lead=lead, rule=delay, rule_name=XSS, reason=XSS)
    LeadRecycle.objects.create(lead=lead, cycle=1, why="attempts", detail=XSS, from_status="contacted", from_rep=rep)
    persona = Persona.objects.create(slug="homeowners", name=XSS, description=XSS)
    PersonaCondition.objects.create(persona=persona, field="country", op="eq", value="US")
    LeadPersona.objects.create(lead=lead, persona=persona)
    RuleTier.objects.create(rule=rule, position=1, kind="team", team=team, wait_seconds=60)
    RuleTier.objects.create(rule=rule, position=2, kind="reps").reps.add(rep)
    DraftTier.objects.create(rule=DraftRule.objects.first(), position=1, kind="pool")
    RouteRequest.objects.create(lead=lead, requested_at=now())
    RouteDrain.objects.create(pk=1, queued_at=now())
    return lead


def test_every_concrete_model_of_both_apps_is_registered():
    models = {m for app in APPS for m in apps.get_app_config(app).get_models()}
    assert models == {model for model, _ in REGISTERED}


def test_manager_is_not_superuser(manager_web):
    assert manager_web.user.is_staff and not manager_web.user.is_superuser


@pytest.mark.parametrize("model,model_admin", REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_manager_opens_every_page(manager_web, world, model, model_admin):
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"the world fixture built no {model._meta.label}"

    assert manager_web.get(url(model, "changelist")).status_code == 200
    assert manager_web.get(url(model, "changelist"), {"q": "x"}).status_code == 200
    assert manager_web.get(url(model, "change", row.pk)).status_code == 200

    request = RequestFactory().get("/")
    request.user = manager_web.user
    expected_add = 200 if model_admin.has_add_permission(request) else 403
    assert manager_web.get(url(model, "add")).status_code == expected_add


def test_read_only_models_refuse_add(manager_web):
    request = RequestFactory().get("/")
    request.user = manager_web.user
    no_add = {m._meta.label for m, ma in REGISTERED if not ma.has_add_permission(request)}
    assert no_add == {"campaigns.SupplierApiKey", "campaigns.LeadImport", "campaigns.IntakeAttempt",
                      "campaigns.CapCounter",
                      "campaigns.WebhookDelivery", "assignments.Assignment", "assignments.ContactAttempt",
                      "assignments.OutboxEvent", "campaigns.BuyerDelivery", "campaigns.LeadDistribution",
                      "assignments.ReplayRun", "assignments.RoutingSnapshot", "assignments.RepProfile",
                      "assignments.LeadNote", "assignments.Callback", "assignments.LeadStageChange",
                      "assignments.FloorAlert", "assignments.AlertDelivery", "assignments.LeadHold",
                      "assignments.LeadRecycle", "assignments.LeadPersona", "assignments.RuleTier",
                      "assignments.DraftTier", "assignments.RouteRequest", "assignments.RouteDrain"}


def test_admin_index_lists_both_apps(manager_web):
    body = manager_web.get(reverse("admin:index")).content.decode()
    assert "Lead market" in body and "Sales floor" in body


def test_rep_is_sent_to_login(client, db):
    rep = RepFactory()
    client.force_login(rep.user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert client.get(url(apps.get_model("campaigns", "Lead"), "changelist")).status_code == 302


def test_plain_user_without_group_sees_no_models(client, db):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    body = client.get(reverse("admin:index")).content.decode()
    assert "Lead market" not in body
    assert client.get(url(apps.get_model("campaigns", "Lead"), "changelist")).status_code == 403


def test_lead_name_is_escaped_everywhere(manager_web, db):
    lead = LeadFactory(first_name=XSS, last_name="Smith")
    AssignmentFactory(lead=lead, explanation={"summary": f"Chose {XSS}"})
    Lead = type(lead)
    for page in (url(Lead, "changelist"), url(Lead, "change", lead.pk)):
        body = manager_web.get(page).content.decode()
        assert XSS_ESCAPED in body
        assert XSS not in body


def _lead_changelist_queries(client, count: int) -> int:
    campaign = CampaignFactory()
    supplier, _ = supplier_with_key(campaigns=[campaign])
    owner = UserFactory()
    LeadFactory.create_batch(count, campaign=campaign, supplier=supplier, owner=owner)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:campaigns_lead_changelist"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_lead_changelist_queries_do_not_grow_with_rows(manager_web, django_assert_max_num_queries):
    few = _lead_changelist_queries(manager_web, 3)
    many = _lead_changelist_queries(manager_web, 27)  # 30 leads in all
    assert many == few
    with django_assert_max_num_queries(20):
        response = manager_web.get(reverse("admin:campaigns_lead_changelist"))
    assert response.content.decode().count('class="action-select"') == 30


def test_other_changelists_do_not_grow_with_rows(manager_web):
    """Reps, rules, suppliers and offers show related data without a query per row."""
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert manager_web.get(path).status_code == 200
        return len(ctx.captured_queries)

    def build(n: int) -> None:
        team = TeamFactory()
        for _ in range(n):
            rep = RepFactory(teams=[team])
            rule = RoutingRuleFactory()
            rule.teams.add(team)
            RuleConditionFactory(rule=rule)
            supplier_with_key(campaigns=[CampaignFactory()])
            AssignmentFactory(rep=rep, rule=rule)

    paths = [reverse(f"admin:{name}_changelist") for name in (
        "assignments_rep", "assignments_routingrule", "campaigns_supplier", "assignments_assignment",
        "assignments_contactattempt", "campaigns_buyer", "campaigns_intakeattempt")]
    build(2)
    before = [queries(p) for p in paths]
    build(8)
    after = [queries(p) for p in paths]
    # Filter sidebars list rules/teams/campaigns in one query each, so only row-driven growth would differ.
    assert after == before
