"""The tier ladder in the admin: edited inline on its rule, checked as a whole, shown as one readable ladder."""

import pytest
from django.urls import reverse

from assignments.models import DraftRule, RoutingRule, RuleTier
from tests.admin_forms import management
from tests.assignments.test_admin import rule_post
from tests.factories import DraftRuleFactory, LeadFactory, ManagerFactory, RepFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client):
    client.force_login(ManagerFactory())
    return client


def tier(n: int, *, position: int, kind: str, team=None, reps=(), wait: int | None = None) -> dict:
    return {f"tiers-{n}-position": str(position), f"tiers-{n}-kind": kind,
            f"tiers-{n}-team": str(team.pk) if team else "", f"tiers-{n}-reps": [str(r.pk) for r in reps],
            f"tiers-{n}-wait_seconds": "" if wait is None else str(wait)}


def ladder_post(*tiers: dict) -> dict:
    data = rule_post(**management("tiers", total=len(tiers)))
    for row in tiers:
        data.update(row)
    return data


def test_a_rule_saves_its_ladder_and_shows_it_in_words(web):
    closers, ann = TeamFactory(name="Closers"), RepFactory(user__first_name="Ann", user__last_name="Lee")
    response = web.post(reverse("admin:assignments_routingrule_add"), ladder_post(
        tier(0, position=1, kind="team", team=closers, wait=60),
        tier(1, position=2, kind="reps", reps=[ann], wait=120),
        tier(2, position=3, kind="pool")))
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = RoutingRule.objects.get(name="Spanish")
    assert [(t.position, t.kind, t.wait_seconds) for t in rule.tiers.all()] == [
        (1, "team", 60), (2, "reps", 120), (3, "pool", None)]
    assert list(rule.tiers.get(position=2).reps.all()) == [ann]
    page = web.get(reverse("admin:assignments_routingrule_change", args=[rule.pk])).content.decode()
    assert ("<li>Tier 1: <strong>Closers</strong>, from the start</li><li>Tier 2: <strong>Ann Lee</strong>, after "
            "1 min of waiting</li><li>Tier 3: <strong>the open pool</strong>, after 3 min of waiting</li>") in page
    assert "route to tier 1 &#x27;Closers&#x27;, after 1 min more tier 2 &#x27;Ann Lee&#x27;" in page


@pytest.mark.parametrize("rows,error", [
    (lambda team, rep: [tier(0, position=1, kind="team")], "Choose the team of this tier."),
    (lambda team, rep: [tier(0, position=1, kind="everyone", reps=[rep])],
     "Only a tier of kind &#x27;These reps&#x27; lists reps; clear them or change the kind."),
    (lambda team, rep: [tier(0, position=1, kind="reps")], "Tier 1 holds no one: choose a team or some reps."),
    (lambda team, rep: [tier(0, position=1, kind="team", team=team, wait=-5)],
     "Ensure this value is greater than or equal to 0."),
    (lambda team, rep: [tier(0, position=1, kind="team", team=team), tier(1, position=2, kind="everyone")],
     "Tier 1: set how many seconds to wait before tier 2 is added."),
    (lambda team, rep: [tier(0, position=1, kind="pool", wait=10), tier(1, position=2, kind="team", team=team)],
     "Tier 1: the open pool can only be the last tier."),
    (lambda team, rep: [tier(0, position=1, kind="everyone", wait=10), tier(1, position=2, kind="team", team=team)],
     "Tier 1: after &#x27;everyone&#x27; only the open pool may follow."),
    (lambda team, rep: [tier(0, position=1, kind="team", team=team, wait=10), tier(1, position=1, kind="everyone")],
     "Please correct the duplicate data for position."),
    (lambda team, rep: [tier(0, position=1, kind="team", team=team, wait=86_401)],
     "Ensure this value is less than or equal to 86400."),
])
def test_a_bad_ladder_is_refused_with_a_precise_error_and_nothing_saved(web, rows, error):
    response = web.post(reverse("admin:assignments_routingrule_add"),
                        ladder_post(*rows(TeamFactory(), RepFactory())))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not RoutingRule.objects.exists() and not RuleTier.objects.exists()


def test_tier_rows_are_read_only_outside_their_rule(web):
    rule = RoutingRuleFactory()
    row = RuleTier.objects.create(rule=rule, position=1, kind="everyone")
    assert web.get(reverse("admin:assignments_ruletier_add")).status_code == 403
    page = web.get(reverse("admin:assignments_ruletier_change", args=[row.pk])).content.decode()
    assert 'name="kind"' not in page


def test_a_draft_rule_edits_its_own_ladder(web):
    draft = DraftRuleFactory()
    team = TeamFactory(name="Desk")
    data = {"ruleset": str(draft.ruleset_id), "name": draft.name, "order": "1", "active": "on",
            "strategy": "round_robin", "broadcast_count": "3", "exploration_share": "0.1", "min_skill_level": "1",
            "offer_timeout_seconds": "120", "max_offers": "5", "max_wait_seconds": "300",
            "no_contact_action": "reroute", "pool": "off", **management("conditions"), **management("relaxations"),
            **management("tiers", total=2), **tier(0, position=1, kind="team", team=team, wait=30),
            **tier(1, position=2, kind="everyone")}
    response = web.post(reverse("admin:assignments_draftrule_change", args=[draft.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [t.kind for t in DraftRule.objects.get(pk=draft.pk).tiers.all()] == ["team", "everyone"]


def test_simulating_a_lead_of_a_tiered_rule_names_its_open_tiers(manager_web):
    closers = TeamFactory(name="Closers")
    amy = RepFactory(teams=[closers])
    rule = RoutingRuleFactory(name="Solar")
    RuleTier.objects.create(rule=rule, position=1, kind="team", team=closers, wait_seconds=60)
    RuleTier.objects.create(rule=rule, position=2, kind="everyone")
    lead = LeadFactory()
    response = manager_web.post("/admin/campaigns/lead/", {"action": "simulate_routing",
                                                           "_selected_action": [lead.pk]})
    html = response.content.decode()
    assert "Tiers open: Closers; next: everyone after 60 s of waiting" in html
    assert f"<tr><td>{amy.pk}</td><td>1</td><td>eligible</td>" in html
