"""The sales floor admin: reps and their actions, rules in plain words, the explained offer history."""

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils.timezone import now

from assignments.admin_inlines import explanation_html
from assignments.models import Assignment, Rep, RepLanguage, RepTerritory, RoutingRule, RuleCondition
from assignments.routing import CandidateVerdict, Decision
from assignments.selectors import condition_from_model, rule_spec_from_model
from tests.factories import (
    AssignmentFactory,
    LeadFactory,
    ManagerFactory,
    RepFactory,
    RoutingRuleFactory,
    RuleConditionFactory,
    RuleRelaxationFactory,
    ScoringConditionFactory,
    ScoringRuleFactory,
    TeamFactory,
    UserFactory,
)


@pytest.fixture
def web(client, db):
    client.force_login(ManagerFactory())
    return client


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


def action(web, changelist: str, name: str, pks):
    return web.post(reverse(changelist), {"action": name, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]},
                    follow=True)


# --- Reps ------------------------------------------------------------------------------------------


def test_rep_changelist_columns(web):
    team = TeamFactory(name="Solar West")
    rep = RepFactory(teams=[team], languages=["es", "en"], user__first_name="Rosa", user__last_name="Diaz")
    Rep.objects.filter(pk=rep.pk).update(load=2, conversion_rate=0.125, median_response_seconds=90)
    body = web.get(reverse("admin:assignments_rep_changelist")).content.decode()
    assert "Rosa Diaz" in body
    assert "2 / 5" in body
    assert "Solar West" in body
    assert "en, es" in body
    assert "12.5 %" in body
    assert "1 min 30 s" in body
    assert "Available" in body


def test_rep_filters_and_search(web):
    team = TeamFactory()
    RepFactory(teams=[team], user__username="in-team")
    RepFactory(status=Rep.Status.AWAY, user__username="away-rep")
    url = reverse("admin:assignments_rep_changelist")
    assert "away-rep" not in web.get(url, {"teams__id__exact": team.pk}).content.decode()
    assert "in-team" not in web.get(url, {"status": "away"}).content.decode()
    assert "in-team" not in web.get(url, {"q": "away-rep"}).content.decode()
    assert "away-rep" in web.get(url, {"active__exact": "1"}).content.decode()


@pytest.mark.parametrize("name,status", [("set_available", "available"), ("set_away", "away")])
def test_rep_status_actions(web, name, status):
    start = now() - dt.timedelta(hours=1)
    reps = [RepFactory(status=Rep.Status.OFFLINE, status_changed_at=start) for _ in range(2)]
    response = action(web, "admin:assignments_rep_changelist", name, [r.pk for r in reps])
    assert f"2 rep(s) set to {Rep.Status(status).label}." in response.content.decode()
    for rep in reps:
        rep.refresh_from_db()
        assert rep.status == status
        assert rep.status_changed_at > start


def test_rep_status_action_keeps_the_time_of_an_unchanged_status(web):
    since = now() - dt.timedelta(hours=3)
    rep = RepFactory(status=Rep.Status.AWAY, status_changed_at=since)
    action(web, "admin:assignments_rep_changelist", "set_away", [rep.pk])
    rep.refresh_from_db()
    assert (rep.status, rep.status_changed_at) == (Rep.Status.AWAY, since)


def rep_post(user, **overrides) -> dict:
    data = {
        "user": str(user.pk), "active": "on", "timezone": "Europe/Berlin", "capacity": "4", "weight": "2",
        "alert_channels": "email_chat",
        **management("languages", total=1), "languages-0-code": "ES",
        **management("skills"),
        **management("territories", total=1), "territories-0-country": "de", "territories-0-region": "",
        "territories-0-postal_prefix": "10",
        **management("working_hours", total=1), "working_hours-0-weekday": "0", "working_hours-0-starts": "08:00",
        "working_hours-0-ends": "16:00",
        **management("days_off"),
    }
    data.update(overrides)
    return data


def test_rep_add_with_inlines_normalises_codes_and_starts_offline(web):
    user = UserFactory(username="new-rep")
    response = web.post(reverse("admin:assignments_rep_add"), rep_post(user, status="available"))
    assert response.status_code == 302, response.content.decode()[:2000]
    rep = Rep.objects.get(user=user)
    assert (rep.timezone, rep.capacity, rep.weight, rep.status) == ("Europe/Berlin", 4, 2, Rep.Status.OFFLINE)
    assert list(rep.languages.values_list("code", flat=True)) == ["es"]
    assert str(rep.territories.get()) == "DE/10"
    assert rep.working_hours.get().starts == dt.time(8)


@pytest.mark.parametrize("field,value,error", [
    ("languages-0-code", "qq", "&#x27;qq&#x27; is not an ISO 639-1 language code (e.g. en, es)."),
    ("territories-0-country", "zz", "&#x27;ZZ&#x27; is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)."),
    ("timezone", "Moon/Base", "Select a valid choice. Moon/Base is not one of the available choices."),
    ("capacity", "-1", "Ensure this value is greater than or equal to 0."),
])
def test_rep_bad_input_is_refused_and_nothing_saved(web, field, value, error):
    user = UserFactory(username="new-rep")
    response = web.post(reverse("admin:assignments_rep_add"), rep_post(user, **{field: value}))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Rep.objects.exists()
    assert not RepLanguage.objects.exists() and not RepTerritory.objects.exists()


def test_rep_user_is_an_autocomplete(web):
    body = web.get(reverse("admin:assignments_rep_add")).content.decode()
    assert 'data-field-name="user"' in body and "admin-autocomplete" in body
    found = web.get(reverse("admin:autocomplete"), {"app_label": "assignments", "model_name": "rep",
                                                    "field_name": "user", "term": "zed"})
    assert found.status_code == 200


# --- Routing rules ------------------------------------------------------------------------------------


def test_rule_changelist_shows_plain_language_summary(web):
    team = TeamFactory(name="Solar US")
    rule = RoutingRuleFactory(name="US solar", strategy="broadcast", broadcast_count=3, require_skill=True,
                              min_skill_level=3)
    rule.teams.add(team)
    RuleConditionFactory(rule=rule, field="country", op="in", value="US, CA")
    RuleConditionFactory(rule=rule, field="fields.roof", op="eq", value="south")
    RuleRelaxationFactory(rule=rule, after_seconds=120, drop="language")
    body = web.get(reverse("admin:assignments_routingrule_changelist")).content.decode()
    expected = ("Rule &#x27;US solar&#x27;: when country is one of US, CA and answer &quot;roof&quot; is south, "
                "route to Solar US by broadcast to 3 reps, requiring language, skill level 3+; "
                "relaxing language after 2 min.")
    assert expected in body
    assert "2 min" in body  # offer timeout column (120 s)
    change = web.get(reverse("admin:assignments_routingrule_change", args=[rule.pk])).content.decode()
    assert expected in change


def test_rule_without_conditions_reads_any_lead(web):
    RoutingRuleFactory(name="Catch-all", active=False)
    body = web.get(reverse("admin:assignments_routingrule_changelist")).content.decode()
    assert "Rule &#x27;Catch-all&#x27; (inactive): when any lead, route to all teams by round robin" in body


def test_rule_order_and_active_are_editable_in_the_list(web):
    first, second = RoutingRuleFactory(order=10), RoutingRuleFactory(order=20)
    response = web.post(reverse("admin:assignments_routingrule_changelist"), {
        "form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(first.pk), "form-0-order": "30", "form-0-active": "on",
        "form-1-id": str(second.pk), "form-1-order": "5",
        "_save": "Save",
    })
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.order, first.active, second.order, second.active) == (30, True, 5, False)


def rule_post(**overrides) -> dict:
    data = {
        "name": "Spanish", "order": "10", "active": "on", "strategy": "round_robin", "broadcast_count": "3",
        "exploration_share": "0.1", "require_language": "on", "min_skill_level": "1",
        "offer_timeout_seconds": "120", "max_offers": "5", "max_wait_seconds": "300", "no_contact_action": "reroute",
        "pool": "off",
        **management("conditions", total=1),
        "conditions-0-field": " language ", "conditions-0-op": "eq", "conditions-0-value": " es ",
        **management("relaxations", total=1),
        "relaxations-0-after_seconds": "60", "relaxations-0-drop": "language",
        **management("tiers", total=0),
    }
    data.update(overrides)
    return data


def test_rule_add_with_conditions_and_relaxations(web):
    team = TeamFactory()
    response = web.post(reverse("admin:assignments_routingrule_add"), rule_post(teams=[str(team.pk)]))
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = RoutingRule.objects.get(name="Spanish")
    condition = rule.conditions.get()
    assert (condition.field, condition.op, condition.value) == ("language", "eq", "es")
    assert rule.relaxations.get().drop == "language"
    assert list(rule.teams.all()) == [team]


@pytest.mark.parametrize("overrides,error", [
    ({"conditions-0-field": "colour"},
     "Unknown field &#x27;colour&#x27;; use one of the listed fields or fields.&lt;name&gt;."),
    ({"conditions-0-field": "score", "conditions-0-op": "gt", "conditions-0-value": "high"},
     "&#x27;high&#x27; is not a number."),
    ({"conditions-0-value": ""}, "A value is required."),
    ({"conditions-0-op": "like"}, "Select a valid choice. like is not one of the available choices."),
    ({"offer_timeout_seconds": "2"}, "Ensure this value is greater than or equal to 5."),
    ({"relaxations-0-drop": "everything"}, "Select a valid choice. everything is not one of the available choices."),
])
def test_rule_bad_input_is_refused_and_nothing_saved(web, overrides, error):
    response = web.post(reverse("admin:assignments_routingrule_add"), rule_post(**overrides))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not RoutingRule.objects.exists() and not RuleCondition.objects.exists()


def test_rule_spec_and_condition_from_model(db):
    team = TeamFactory()
    rule = RoutingRuleFactory(name="R", order=7, strategy="weighted", require_language=False, exploration_share=0.3)
    rule.teams.add(team)
    condition = RuleConditionFactory(rule=rule, field="score", op="gte", value="10")
    RuleRelaxationFactory(rule=rule, after_seconds=300, drop="territory")
    spec = rule_spec_from_model(rule)
    assert condition_from_model(condition) == spec.conditions[0]
    assert (spec.id, spec.name, spec.order, spec.strategy, spec.team_ids) == (rule.pk, "R", 7, "weighted",
                                                                              frozenset({team.pk}))
    assert (spec.require_language, spec.exploration_share) == (False, 0.3)
    assert [(r.after_seconds, r.drop) for r in spec.relaxations] == [(300, "territory")]


def test_scoring_rule_changelist_reads_its_conditions(web):
    rule = ScoringRuleFactory(name="Homeowner", points=15)
    ScoringConditionFactory(rule=rule, field="fields.owner", op="eq", value="yes")
    body = web.get(reverse("admin:assignments_scoringrule_changelist")).content.decode()
    assert "+15" in body and "answer &quot;owner&quot; is yes" in body


# --- Offer history and its explanation --------------------------------------------------------------------


def decision_json(rep_id: int) -> dict:
    return Decision(
        action="offer", rep_ids=(rep_id,), fallback_rep_ids=(), rule_id=1, rule_name="US solar", reason="",
        candidates=(CandidateVerdict(rep_id=rep_id, kept=True, score=1.0),
                    CandidateVerdict(rep_id=99, kept=False, reason="language")),
        relaxed=(), explored=False, score=0, decided_at=now(), strategy="round_robin",
    ).to_json()


def test_explanation_prefers_stored_summary_then_decision_then_json():
    assert "Picked &lt;b&gt;Ana&lt;/b&gt;" in explanation_html({"summary": "Picked <b>Ana</b>", "x": 1})
    decided = explanation_html(decision_json(5))
    assert "Rule &#x27;US solar&#x27; matched; 1 of 2 reps eligible (1 language mismatch); round robin chose rep 5." \
        in decided
    raw = explanation_html({"note": "<script>x</script>"})
    assert raw.startswith("<pre") and "&lt;script&gt;x&lt;/script&gt;" in raw and "<script>" not in raw
    assert explanation_html({}) == "—"


def test_lead_page_shows_offer_history_with_reasons(web):
    lead = LeadFactory()
    rep = RepFactory(user__username="ana")
    AssignmentFactory(lead=lead, rep=rep, status=Assignment.Status.DECLINED, explanation=decision_json(rep.pk),
                      responded_at=now() + dt.timedelta(seconds=30), decline_reason="On a call")
    AssignmentFactory(lead=lead, rep=RepFactory(), explanation={"summary": "Second try: <i>least busy</i>"})
    body = web.get(reverse("admin:campaigns_lead_change", args=[lead.pk])).content.decode()
    assert "round robin chose rep" in body
    assert "Second try: &lt;i&gt;least busy&lt;/i&gt;" in body
    assert "On a call" in body and "Declined" in body
    assert 'name="assignments-0-status"' not in body  # read-only


def test_assignment_is_read_only(web):
    assignment = AssignmentFactory()
    change = reverse("admin:assignments_assignment_change", args=[assignment.pk])
    assert web.get(change).status_code == 200
    assert web.post(change, {"status": "accepted"}).status_code == 403
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.OFFERED


def test_assignment_changelist_filters_and_search(web):
    AssignmentFactory(status=Assignment.Status.EXPIRED, rep=RepFactory(user__username="slowpoke"))
    AssignmentFactory(rep=RepFactory(user__username="speedy"))
    url = reverse("admin:assignments_assignment_changelist")
    assert "speedy" not in web.get(url, {"status": "expired"}).content.decode()
    assert "slowpoke" not in web.get(url, {"q": "speedy"}).content.decode()
    assert web.get(url, {"offered_at__year": str(now().year)}).status_code == 200


def test_a_rule_that_pools_after_a_wait_needs_the_delay(web):
    response = web.post(reverse("admin:assignments_routingrule_add"), rule_post(pool="after_wait"))
    assert response.status_code == 200
    assert "Set the pool delay" in response.content.decode()
    assert not RoutingRule.objects.filter(name="Spanish").exists()
    response = web.post(reverse("admin:assignments_routingrule_add"),
                        rule_post(pool="after_wait", pool_after_seconds="120"))
    assert response.status_code == 302
    assert RoutingRule.objects.get(name="Spanish").pool_after_seconds == 120
