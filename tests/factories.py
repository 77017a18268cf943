"""factory_boy factories for every model the tests build."""

import datetime as dt
from decimal import Decimal

import factory
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.timezone import now

from assignments.models import Assignment, ContactAttempt, Rep, RoutingRule, RuleCondition, Skill, Team, WorkingHours
from campaigns.models import Buyer, Campaign, IntakeAttempt, Lead, Supplier, SuppressionEntry
from campaigns.services import supplier_api_key_create

PASSWORD = "pass-for-tests-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class ManagerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    is_staff = True

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def managers_group(obj, create, extracted, **kwargs):
        if create:
            from leadcrm.roles import managers_group_sync

            managers_group_sync()
            obj.groups.add(Group.objects.get(name=settings.MANAGERS_GROUP))


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.replace("-", " ").title())


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        skip_postgeneration_save = True
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Supplier {n}")

    @factory.post_generation
    def campaigns(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.campaigns.set(extracted)


def supplier_with_key(**kwargs) -> tuple[Supplier, str]:
    """A supplier and the raw API key that authenticates it."""
    supplier = SupplierFactory(**kwargs)
    return supplier, supplier_api_key_create(supplier=supplier, name="test").raw_key


class BuyerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Buyer

    name = factory.Sequence(lambda n: f"Buyer {n}")
    endpoint_url = "http://127.0.0.1:9/leads"


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    campaign = factory.SubFactory(CampaignFactory)
    supplier = factory.SubFactory(SupplierFactory)
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Lovelace{n}")
    email = factory.LazyAttribute(lambda lead: f"{lead.last_name.lower()}@example.com")
    phone = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    country = "US"
    language = "en"


class SuppressionEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuppressionEntry

    kind = SuppressionEntry.Kind.EMAIL
    value = factory.Sequence(lambda n: f"blocked{n}@example.com")


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("slug",)

    slug = "solar"
    name = factory.LazyAttribute(lambda s: s.slug.title())


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class RepFactory(factory.django.DjangoModelFactory):
    """An available rep who works 24/7, speaks the given languages (default en) and covers the US."""

    class Meta:
        model = Rep
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, username=factory.Sequence(lambda n: f"rep{n}"))
    status = Rep.Status.AVAILABLE
    capacity = 5

    @factory.post_generation
    def languages(obj, create, extracted, **kwargs):
        if create:
            for code in extracted if extracted is not None else ["en"]:
                obj.languages.create(code=code)

    @factory.post_generation
    def countries(obj, create, extracted, **kwargs):
        if create:
            for country in extracted if extracted is not None else ["US"]:
                obj.territories.create(country=country)

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if create and extracted:
            for slug, level in dict(extracted).items():
                obj.skills.create(skill=SkillFactory(slug=slug), level=level)

    @factory.post_generation
    def always_on(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            WorkingHours.objects.bulk_create(
                WorkingHours(rep=obj, weekday=day, starts=dt.time(0), ends=dt.time(0)) for day in range(7)
            )

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teams.set(extracted)


def make_persona(slug: str, name: str, *conditions: tuple[str, str, str]):
    """A persona (assignments.Persona) with its conditions, each (field, op, value)."""
    persona = apps.get_model("assignments", "Persona").objects.create(slug=slug, name=name)
    for field, op, value in conditions:
        persona.conditions.create(field=field, op=op, value=value)
    return persona


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    order = factory.Sequence(lambda n: n)


class CountryIsUSFactory(factory.django.DjangoModelFactory):
    """What every condition factory (a live rule's, a scoring rule's, a draft rule's) starts from: the lead's country
    is US."""

    class Meta:
        abstract = True

    field = "country"
    op = "eq"
    value = "US"


class RuleConditionFactory(CountryIsUSFactory):
    class Meta:
        model = RuleCondition

    rule = factory.SubFactory(RoutingRuleFactory)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    lead = factory.SubFactory(LeadFactory)
    rep = factory.SubFactory(RepFactory)
    offered_at = factory.LazyFunction(now)
    expires_at = factory.LazyAttribute(lambda a: a.offered_at + dt.timedelta(minutes=2))


class ContactAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactAttempt

    assignment = factory.SubFactory(AssignmentFactory)
    lead = factory.SelfAttribute("assignment.lead")
    rep = factory.SelfAttribute("assignment.rep")
    channel = ContactAttempt.Channel.CALL
    outcome = ContactAttempt.Outcome.CONNECTED


# --- Added for the admin pages (part 3) ----------------------------------------


class OfficeHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.OfficeHours"

    campaign = factory.SubFactory(CampaignFactory)
    weekday = 0
    opens = dt.time(9)
    closes = dt.time(17)


class IntakeAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntakeAttempt

    supplier = factory.SubFactory(SupplierFactory)
    campaign = factory.SubFactory(CampaignFactory)
    outcome = IntakeAttempt.Outcome.REJECTED
    reason = "suppressed"
    detail = "The phone is on a suppression list."
    response_status = 422
    response_body = factory.LazyAttribute(lambda a: {"status": a.outcome, "reason": a.reason, "detail": a.detail})


class CapCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.CapCounter"

    scope = factory.Sequence(lambda n: f"campaign:{n}")
    window = "day"
    window_start = factory.LazyFunction(lambda: now().replace(hour=0, minute=0, second=0, microsecond=0))
    count = 3


class DayOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.DayOff"

    rep = factory.SubFactory(RepFactory)
    date = factory.Sequence(lambda n: dt.date(2030, 1, 1) + dt.timedelta(days=n))
    note = "Holiday"


class ScoringRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.ScoringRule"

    name = factory.Sequence(lambda n: f"Scoring {n}")
    points = 10


class ScoringConditionFactory(CountryIsUSFactory):
    class Meta:
        model = "assignments.ScoringCondition"

    rule = factory.SubFactory(ScoringRuleFactory)


class DropLanguageAfterTwoMinutesFactory(factory.django.DjangoModelFactory):
    """What both relaxation factories (a live rule's, a draft rule's) start from: after 120 s the rule stops asking
    for the lead's language."""

    class Meta:
        abstract = True

    after_seconds = 120
    drop = "language"


class RuleRelaxationFactory(DropLanguageAfterTwoMinutesFactory):
    class Meta:
        model = "assignments.RuleRelaxation"

    rule = factory.SubFactory(RoutingRuleFactory)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.WebhookDelivery"

    lead = factory.SubFactory(LeadFactory)
    supplier = factory.SelfAttribute("lead.supplier")
    event = "accepted"
    url = "http://127.0.0.1:9/hook"
    payload = factory.LazyAttribute(lambda d: {"event": d.event, "lead": {"id": d.lead.pk}})


class OutboxEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.OutboxEvent"

    group = "floor"
    type = "assignment.updated"
    payload = factory.LazyFunction(lambda: {"type": "assignment.updated", "assignment": {"id": 1}})


# --- Buyers (issue 8) ----------------------------------------------------------


class PriceRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.PriceRule"

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"Price rule {n}")
    target = "price"
    operation = "multiply"
    amount = Decimal("1.5")
    conditions = factory.LazyFunction(lambda: {"region": ["CA"]})


class LeadDistributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.LeadDistribution"

    lead = factory.SubFactory(LeadFactory, status="sold")
    method = "ping_tree"
    state = "sold"
    runs = 1
    buyer = factory.SubFactory(BuyerFactory)
    price = Decimal("20.00")
    sold_at = factory.LazyFunction(now)


class BuyerDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.BuyerDelivery"

    lead = factory.SubFactory(LeadFactory)
    buyer = factory.SubFactory(BuyerFactory)
    stage = "post"
    outcome = "accepted"
    response_code = 200
    latency_ms = 42
    request = factory.LazyFunction(lambda: {"url": "http://127.0.0.1:9/leads", "headers": {}, "body": {}})


class LeadReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.LeadReturn"

    lead = factory.SubFactory(LeadFactory, status="sold")
    buyer = factory.SubFactory(BuyerFactory)
    reason = "Wrong number"
    amount = Decimal("20.00")


# --- Routing lab (issue 11) ----------------------------------------------------


class RulesetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.Ruleset"

    name = factory.Sequence(lambda n: f"Draft {n}")


class DraftRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.DraftRule"

    ruleset = factory.SubFactory(RulesetFactory)
    name = factory.Sequence(lambda n: f"Draft rule {n}")
    order = factory.Sequence(lambda n: n)


class DraftConditionFactory(CountryIsUSFactory):
    class Meta:
        model = "assignments.DraftCondition"

    rule = factory.SubFactory(DraftRuleFactory)


class DraftRelaxationFactory(DropLanguageAfterTwoMinutesFactory):
    class Meta:
        model = "assignments.DraftRelaxation"

    rule = factory.SubFactory(DraftRuleFactory)


class ReplayRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.ReplayRun"

    ruleset = factory.SubFactory(RulesetFactory)
    ruleset_name = factory.SelfAttribute("ruleset.name")
    since = dt.date(2030, 1, 1)
    until = dt.date(2030, 1, 31)
    rules = factory.LazyFunction(list)


class ExperimentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.Experiment"

    name = factory.Sequence(lambda n: f"Experiment {n}")
    rule = factory.SubFactory(RoutingRuleFactory)


class ExperimentVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.ExperimentVariant"

    experiment = factory.SubFactory(ExperimentFactory)
    name = factory.Sequence(lambda n: f"V{n}")
    share = 50


class RoutingSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.RoutingSnapshot"

    lead = factory.SubFactory(LeadFactory)
    decided_at = factory.LazyFunction(now)
    first = True
    action = "wait"
    reason = "no_rule"
    lead_facts = factory.LazyAttribute(lambda s: {"id": s.lead.pk})


class RepProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assignments.RepProfile"

    digest = factory.Sequence(lambda n: f"{n:040x}")
    data = factory.LazyFunction(lambda: {"languages": ["en"], "skills": {}, "territories": [["US", "", ""]],
                                         "teams": [], "weight": 1})
