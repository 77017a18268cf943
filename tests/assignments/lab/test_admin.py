"""The lab's admin entry points and pages: a manager needs no code, every change is audited in LogEntry."""

import datetime as dt

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse

from assignments import services
from assignments.models import Experiment, ExperimentVariant, ReplayRun, RoutingRule, Ruleset
from tests.admin_forms import management
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db
RULESETS = "/admin/assignments/ruleset/"
EXPERIMENTS = "/admin/assignments/experiment/"
T0 = dt.datetime(2030, 3, 11, 9, 0, tzinfo=dt.UTC)
XSS = "<script>alert(1)</script>"


@pytest.fixture
def live():
    team = TeamFactory(name="Floor")
    reps = [RepFactory(user__username="ann", languages=["en"], teams=[team], capacity=50),
            RepFactory(user__username="bea", languages=["es"], teams=[team], capacity=50)]
    rule = RoutingRuleFactory(name="Everyone", strategy="round_robin", require_language=False)
    rule.teams.add(team)
    return {"rule": rule, "reps": reps}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def logged(obj, action_flag=CHANGE) -> list[str]:
    return [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(obj.pk), action_flag=action_flag,
                                                                     content_type__model=obj._meta.model_name)]


def test_copy_live_rules_into_a_draft_from_the_rules_list(manager_web, live):
    response = manager_web.post("/admin/assignments/routingrule/",
                                {"action": "copy_live_rules_to_draft", "_selected_action": [live["rule"].pk]})
    draft = Ruleset.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:assignments_ruleset_change",
                                                                   args=[draft.pk])
    assert draft.kind == "draft" and list(draft.rules.values_list("name", flat=True)) == ["Everyone"]
    assert logged(draft, ADDITION) == ["Copied from the live rules"]


def test_adding_a_draft_starts_from_a_copy_of_the_live_rules(manager_web, manager, live):
    response = manager_web.post(f"{RULESETS}add/", {
        "name": "Autumn", "note": "", "copy_live": "on",
        **management("rules"),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Ruleset.objects.get(name="Autumn")
    assert draft.created_by == manager and draft.rules.get().source_rule_id == live["rule"].pk
    assert manager_web.get(f"{RULESETS}{draft.pk}/change/").status_code == 200


def test_promote_then_undo_from_the_admin_is_audited(manager_web, live):
    draft = services_draft(live, strategy="least_busy")
    response = manager_web.post(RULESETS, {"action": "promote_to_live", "_selected_action": [draft.pk]}, follow=True)
    assert any("is live (1 updated, 0 created)" in m for m in messages_of(response))
    assert RoutingRule.objects.get().strategy == "least_busy"
    assert logged(draft) == ["Promoted to live: 1 updated, 0 created"]
    assert logged(live["rule"]) == ["Updated by promotion of draft 'Autumn'"]
    backup = Ruleset.objects.get(kind="backup")

    response = manager_web.post(RULESETS, {"action": "undo_last_promotion", "_selected_action": [draft.pk]},
                                follow=True)
    assert any("Restored the live rules" in m for m in messages_of(response))
    assert RoutingRule.objects.get().strategy == "round_robin"
    assert logged(backup) == ["Restored to live (undo of the promotion of 'Autumn'): 1 updated, 0 created"]

    response = manager_web.post(RULESETS, {"action": "undo_last_promotion", "_selected_action": [draft.pk]},
                                follow=True)
    assert "There is no promotion to undo." in messages_of(response)


def services_draft(live, **changes) -> Ruleset:
    from assignments.lab.services import ruleset_draft_from_live

    draft = ruleset_draft_from_live(name="Autumn")
    draft.rules.update(**changes)
    return draft


def test_promoting_two_or_a_bad_draft_is_refused_with_a_message(manager_web, live):
    one, two = services_draft(live), services_draft(live)
    response = manager_web.post(RULESETS, {"action": "promote_to_live", "_selected_action": [one.pk, two.pk]},
                                follow=True)
    assert "Select exactly one ruleset." in messages_of(response)
    two.rules.update(active=False)
    response = manager_web.post(RULESETS, {"action": "promote_to_live", "_selected_action": [two.pk]}, follow=True)
    assert any("has no active rule" in m for m in messages_of(response))
    assert not Ruleset.objects.filter(kind="backup").exists()


def route(languages):
    for n, language in enumerate(languages):
        lead = LeadFactory(language=language, received_at=T0 + dt.timedelta(minutes=n))
        services.lead_route(lead_id=lead.pk, now=T0 + dt.timedelta(minutes=n, seconds=1))


def test_replay_this_draft_with_a_date_range_then_read_the_result(manager_web, live,
                                                                  django_capture_on_commit_callbacks):
    route(["en", "en", "es", "es"])
    draft = services_draft(live, require_language=True)
    form = manager_web.post(RULESETS, {"action": "replay_draft", "_selected_action": [draft.pk]})
    assert form.status_code == 200 and 'name="since"' in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_web.post(RULESETS, {"action": "replay_draft", "_selected_action": [draft.pk], "apply": "1",
                                               "since": "2030-03-11", "until": "2030-03-11", "seed": "0"})
    run = ReplayRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("lab-replay", args=[run.pk])
    assert logged(draft) == [f"Replay #{run.pk} queued (2030-03-11 to 2030-03-11, 4 leads)"]
    page = manager_web.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="replay-metrics"' in html
    assert "<strong>4</strong> leads replayed; <strong>2</strong> (50.0%) would have gone elsewhere" in html
    assert "ann" in html and "bea" in html and "filtered out (language mismatch)" in html
    assert manager_web.get(f"/admin/assignments/replayrun/{run.pk}/change/").status_code == 200
    assert reverse("lab-replay", args=[run.pk]) in manager_web.get(f"{RULESETS}{draft.pk}/change/").content.decode()


def test_replay_form_errors_are_shown_and_nothing_is_queued(manager_web, live):
    draft = services_draft(live)
    response = manager_web.post(RULESETS, {"action": "replay_draft", "_selected_action": [draft.pk], "apply": "1",
                                           "since": "2030-03-12", "until": "2030-03-11"})
    assert response.status_code == 200
    assert "The start date must be on or before the end date." in response.content.decode()
    response = manager_web.post(RULESETS, {"action": "replay_draft", "_selected_action": [draft.pk], "apply": "1",
                                           "since": "yesterday", "until": "2030-03-11"})
    assert response.status_code == 200 and "Enter a valid date." in response.content.decode()
    assert not ReplayRun.objects.exists()


def test_a_running_replay_shows_its_progress_and_updates_it_live(manager_web, live):
    run = ReplayRun.objects.create(ruleset_name=XSS, since=dt.date(2030, 1, 1), until=dt.date(2030, 1, 2), rules=[],
                                   status="running", total=200, done=50)
    html = manager_web.get(reverse("lab-replay", args=[run.pk])).content.decode()
    assert "Running: 50 of 200 leads (25%)" in html and 'http-equiv="refresh"' not in html
    assert f'data-status-url="{reverse("lab-replay-status", args=[run.pk])}"' in html and "lab_replay.js" in html
    assert XSS not in html and "&lt;script&gt;" in html


def test_lab_pages_are_for_managers_only(client, live):
    run = ReplayRun.objects.create(ruleset_name="d", since=dt.date(2030, 1, 1), until=dt.date(2030, 1, 2), rules=[])
    experiment = Experiment.objects.create(name="E", rule=live["rule"])
    for url in (reverse("lab-replay", args=[run.pk]), reverse("lab-experiment", args=[experiment.pk])):
        assert client.get(url).status_code == 302
        client.force_login(live["reps"][0].user)
        assert client.get(url).status_code == 403
        client.logout()
    client.force_login(RepFactory().user)
    assert client.get("/lab/replays/999999/").status_code == 403


def test_missing_pages_are_404_for_a_manager(manager_web):
    assert manager_web.get("/lab/replays/999999/").status_code == 404
    assert manager_web.get("/lab/experiments/999999/").status_code == 404


def experiment_form(rule, variants) -> dict:
    data = {"name": "Closers", "rule": str(rule.pk), "note": "", **management("variants", total=len(variants))}
    for i, (name, share, strategy) in enumerate(variants):
        data.update({f"variants-{i}-name": name, f"variants-{i}-share": str(share),
                     f"variants-{i}-strategy": strategy, f"variants-{i}-require_language": "unknown",
                     f"variants-{i}-require_skill": "unknown", f"variants-{i}-require_territory": "unknown"})
    return data


def test_experiment_is_created_in_the_admin_with_shares_adding_up_to_100(manager_web, live):
    response = manager_web.post(f"{EXPERIMENTS}add/", experiment_form(live["rule"], [("A", 50, ""),
                                                                                   ("B", 40, "least_busy")]))
    assert response.status_code == 200
    assert "The variants&#x27; shares add up to 90; they must add up to 100." in response.content.decode()
    response = manager_web.post(f"{EXPERIMENTS}add/", experiment_form(live["rule"], [("A", 100, "")]))
    assert "at least two variants" in response.content.decode()
    assert not Experiment.objects.exists()
    response = manager_web.post(f"{EXPERIMENTS}add/", experiment_form(live["rule"], [("A", 50, ""),
                                                                                   ("B", 50, "least_busy")]))
    assert response.status_code == 302
    experiment = Experiment.objects.get()
    assert [(v.name, v.share, v.strategy, v.require_language) for v in experiment.variants.order_by("name")] == [
        ("A", 50, "", None), ("B", 50, "least_busy", None)]
    change = manager_web.get(f"{EXPERIMENTS}{experiment.pk}/change/").content.decode()
    assert reverse("lab-experiment", args=[experiment.pk]) in change
    second = manager_web.post(f"{EXPERIMENTS}add/", experiment_form(live["rule"], [("A", 50, ""), ("B", 50, "")]))
    assert second.status_code == 200 and Experiment.objects.count() == 1  # one running experiment per rule
    assert "already runs experiment" in second.content.decode()


def test_comparison_page_and_ending_the_experiment(manager_web, live):
    experiment = Experiment.objects.create(name="Speed", rule=live["rule"])
    ExperimentVariant.objects.create(experiment=experiment, name="A", share=50)
    b = ExperimentVariant.objects.create(experiment=experiment, name="B", share=50, strategy="least_busy")
    route(["en"] * 6)
    page = manager_web.get(reverse("lab-experiment", args=[experiment.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Not enough data yet: ~" in html and 'id="variants"' in html

    form = manager_web.post(EXPERIMENTS, {"action": "end_and_promote", "_selected_action": [experiment.pk]})
    assert form.status_code == 200 and 'name="variant"' in form.content.decode()
    response = manager_web.post(EXPERIMENTS, {"action": "end_and_promote", "_selected_action": [experiment.pk],
                                              "apply": "1", "variant": str(b.pk)}, follow=True)
    assert any("now routes like variant B" in m for m in messages_of(response))
    experiment.refresh_from_db()
    assert experiment.status == "ended" and experiment.winner == b
    assert RoutingRule.objects.get().strategy == "least_busy"
    assert logged(experiment) == ["Ended; variant B promoted into rule 'Everyone'"]
    assert logged(live["rule"]) == ["Settings of variant B of experiment 'Speed'"]
    again = manager_web.post(EXPERIMENTS, {"action": "end_and_promote", "_selected_action": [experiment.pk]},
                             follow=True)
    assert "Experiment 'Speed' has already ended." in messages_of(again)


def test_a_backup_ruleset_is_read_only(manager_web, live):
    from assignments.lab.services import ruleset_promote

    change = ruleset_promote(ruleset=services_draft(live))
    html = manager_web.get(f"{RULESETS}{change.backup.pk}/change/").content.decode()
    assert 'name="name"' not in html and 'name="rules-0-name"' not in html
    draft_rule = change.backup.rules.get()
    assert manager_web.post(f"/admin/assignments/draftrule/{draft_rule.pk}/change/", {"name": "x"}).status_code == 403
