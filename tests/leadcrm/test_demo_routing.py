"""The demo's routing rules: desks route by language, skill and territory; a catch-all relaxes them after a wait."""

import datetime as dt

import pytest
from django.core.management import call_command

from assignments import services
from assignments.models import Assignment, Rep, RoutingRule, RuleRelaxation, Team
from campaigns.models import Campaign, Lead, Supplier
from leadcrm.demo import CATCH_ALL, CATCH_ALL_RELAXATIONS, DESK_RELAXATIONS, FREE_PICK, POOL_CAMPAIGNS
from leadcrm.simulate import MARKETS
from tests.factories import AssignmentFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)


def lead(*, country: str, language: str, skill: str, campaign: str = "mortgage-intl") -> Lead:
    return LeadFactory(campaign=Campaign.objects.get(slug=campaign), supplier=Supplier.objects.get(name="Acme Leads"),
                       country=country, language=language, skill=skill)


def offered_to(result) -> list[str]:
    return sorted(Assignment.objects.filter(pk__in=result.assignment_ids).values_list("rep__user__username", flat=True))


def test_desks_require_language_skill_and_territory_and_relax_after_a_wait(demo):
    for rule in RoutingRule.objects.exclude(name=FREE_PICK).prefetch_related("relaxations"):
        assert rule.require_language and rule.require_skill
        relaxations = tuple((r.after_seconds, r.drop) for r in rule.relaxations.all())
        if rule.name == CATCH_ALL:
            assert rule.order == max(RoutingRule.objects.values_list("order", flat=True))
            assert not rule.conditions.exists() and not rule.teams.exists()
            assert relaxations == CATCH_ALL_RELAXATIONS
        else:
            assert rule.require_territory and not rule.teams.exists()  # bilingual reps help two desks
            assert relaxations == DESK_RELAXATIONS
    assert RoutingRule.objects.filter(name__contains="desk").count() == 3


def test_a_german_solar_lead_goes_to_the_german_solar_rep(demo):
    result = services.lead_route(lead_id=lead(country="DE", language="de", skill="solar", campaign="solar-us").pk)
    assert result.action == "offered"
    assert offered_to(result) == ["erika"]  # felix is on the German desk too, but sells mortgages only


def test_a_german_mortgage_lead_goes_to_a_german_mortgage_rep(demo):
    result = services.lead_route(lead_id=lead(country="DE", language="de", skill="mortgage").pk)
    assert offered_to(result)[0] in {"erika", "felix"}


def test_the_free_pick_rule_sends_its_campaigns_to_the_pool_first_and_keeps_the_language_filter(demo):
    rule = RoutingRule.objects.get(name=FREE_PICK)
    assert rule.pool == RoutingRule.Pool.AT_ONCE and rule.order < min(
        RoutingRule.objects.exclude(pk=rule.pk).values_list("order", flat=True))
    assert rule.require_language and set(rule.conditions.values_list("field", "value")) == {
        ("campaign", ",".join(POOL_CAMPAIGNS))}


@pytest.mark.parametrize("country,language,campaign,skill", [m[:4] for m in MARKETS])
def test_every_simulated_market_has_a_rep_who_fits_it_without_relaxing(demo, country, language, campaign, skill):
    from assignments.selectors_pool import pool_leads_for_rep

    result = services.lead_route(lead_id=lead(country=country, language=language, skill=skill, campaign=campaign).pk)
    if campaign in POOL_CAMPAIGNS:
        assert result.action == "pooled"
        assert any(pool_leads_for_rep(rep=rep) for rep in Rep.objects.all())
        return
    assert result.action == "offered"
    assert Assignment.objects.get(pk=result.assignment_ids[0]).explanation["relaxed"] == []


def test_a_lead_the_desk_cannot_place_reaches_it_once_territory_and_skill_are_relaxed(demo):
    german = lead(country="BR", language="de", skill="roofing")
    received = german.received_at
    assert services.lead_route(lead_id=german.pk, now=received + dt.timedelta(seconds=5)).action == "waiting"
    still = services.lead_route(lead_id=german.pk, now=received + dt.timedelta(seconds=DESK_RELAXATIONS[0][0] + 1))
    assert still.action == "waiting"  # territory relaxed; nobody has the skill
    skill_after = {drop: after for after, drop in DESK_RELAXATIONS}["skill"]
    result = services.lead_route(lead_id=german.pk, now=received + dt.timedelta(seconds=skill_after + 1))
    assert result.action == "offered" and offered_to(result)[0] in {"erika", "felix"}  # still a German speaker


def test_a_lead_every_speaker_turned_down_reaches_another_rep_once_the_language_is_relaxed(demo):
    german = lead(country="DE", language="de", skill="mortgage")
    for name in ("erika", "felix"):
        AssignmentFactory(lead=german, rep=Rep.objects.get(user__username=name), status=Assignment.Status.DECLINED)
    language_after = {drop: after for after, drop in DESK_RELAXATIONS}["language"]
    received = german.received_at
    assert services.lead_route(lead_id=german.pk, now=received + dt.timedelta(seconds=language_after - 1)
                               ).action == "waiting"
    result = services.lead_route(lead_id=german.pk, now=received + dt.timedelta(seconds=language_after + 1))
    assert result.action == "offered" and offered_to(result)[0] not in {"erika", "felix"}


def test_a_lead_nobody_fits_reaches_someone_after_the_catch_all_relaxes(demo):
    french = lead(country="FR", language="fr", skill="roofing")
    received = french.received_at
    waited = services.lead_route(lead_id=french.pk, now=received + dt.timedelta(seconds=5))
    assert waited.action == "waiting"
    french.refresh_from_db()
    assert french.status == Lead.Status.WAITING and french.waiting_reason
    language_after = {drop: after for after, drop in CATCH_ALL_RELAXATIONS}["language"]
    assert services.lead_route(lead_id=french.pk, now=received + dt.timedelta(seconds=language_after - 1)
                               ).action == "waiting"
    result = services.lead_route(lead_id=french.pk, now=received + dt.timedelta(seconds=language_after + 1))
    assert result.action == "offered" and len(offered_to(result)) == 1
    assert "language" in Assignment.objects.get(pk=result.assignment_ids[0]).explanation["relaxed"]


def test_reseeding_keeps_a_managers_changes_and_upgrades_rules_of_an_older_demo(demo):
    spanish = RoutingRule.objects.get(name__startswith="Spanish desk")
    spanish.relaxations.filter(drop="skill").delete()  # a manager's choice: never give up on the skill
    german = RoutingRule.objects.get(name__startswith="German desk")
    german.relaxations.all().delete()  # what the demo seeded before: language only, the desk's team
    german.teams.set([Team.objects.get(name="German desk")])
    RoutingRule.objects.filter(pk=german.pk).update(require_skill=False, require_territory=False)
    call_command("seed_demo", verbosity=0)
    assert sorted(spanish.relaxations.values_list("drop", flat=True)) == ["language", "territory"]
    german.refresh_from_db()
    assert german.require_skill and german.require_territory
    assert sorted(german.relaxations.values_list("after_seconds", "drop")) == sorted(DESK_RELAXATIONS)
    assert RuleRelaxation.objects.count() == 3 * len(DESK_RELAXATIONS) + len(CATCH_ALL_RELAXATIONS) - 1
    assert not german.teams.exists()


def test_the_demo_persona_scores_homeowners_first(demo):
    owner, renter = (lead(country="US", language="en", skill="solar", campaign="solar-us") for _ in range(2))
    Lead.objects.filter(pk=owner.pk).update(fields={"homeowner": "yes"})
    Lead.objects.filter(pk=renter.pk).update(fields={"homeowner": "no"})
    for lead_row in (owner, renter):
        services.lead_route(lead_id=lead_row.pk)
    assert (Lead.objects.get(pk=owner.pk).score, Lead.objects.get(pk=renter.pk).score) == (10, 0)
