"""Lab services on the database: snapshots, drafts that never route, atomic reversible promotion, replay runs."""

import datetime as dt

import pytest

from assignments import services
from assignments.lab import services as lab
from assignments.lab.selectors import ruleset_specs
from assignments.models import Assignment, ReplayRun, RepProfile, RoutingRule, RoutingSnapshot, RuleCondition, Ruleset
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory, RuleConditionFactory, TeamFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2030, 3, 11, 9, 0, tzinfo=dt.UTC)
DAY = dt.date(2030, 3, 11)


def live_state() -> list[tuple]:
    """The live rules as comparable values (ids left out: a retired rule may come back with a new id)."""
    return sorted(
        (r.name, r.order, r.active, *(getattr(r, f) for f in RoutingRule.SETTINGS_FIELDS),
         tuple(sorted(t.pk for t in r.teams.all())),
         tuple(sorted((c.field, c.op, c.value) for c in r.conditions.all())),
         tuple(sorted((x.after_seconds, x.drop) for x in r.relaxations.all())))
        for r in RoutingRule.objects.prefetch_related("teams", "conditions", "relaxations"))


@pytest.fixture
def floor():
    """Two reps in one team (en and es speakers) and a live round-robin rule that ignores language."""
    team = TeamFactory(name="Floor")
    english = RepFactory(languages=["en"], teams=[team], capacity=50)
    spanish = RepFactory(languages=["es"], teams=[team], capacity=50)
    rule = RoutingRuleFactory(name="Everyone", strategy="round_robin", require_language=False)
    rule.teams.add(team)
    return {"team": team, "en": english, "es": spanish, "rule": rule}


def route_history(languages: list[str]) -> list[int]:
    lead_ids = []
    for n, language in enumerate(languages):
        lead = LeadFactory(language=language, received_at=T0 + dt.timedelta(minutes=n))
        services.lead_route(lead_id=lead.pk, now=T0 + dt.timedelta(minutes=n, seconds=1))
        lead_ids.append(lead.pk)
    return lead_ids


def run_replay(ruleset: Ruleset, *, chunk: int = 1000, seed: int = 0) -> ReplayRun:
    run = lab.replay_run_start(ruleset=ruleset, since=DAY, until=DAY, seed=seed)
    while lab.replay_run_step(run_id=run.pk, chunk=chunk) == "running":
        pass
    run.refresh_from_db()
    return run


def table(run: ReplayRun) -> dict[int, list[int]]:
    return {d["lead_id"]: d["draft"]["rep_ids"] for d in run.state["result"]["diffs"]}


def test_every_decision_records_lead_facts_and_each_reps_state(floor):
    away = RepFactory(languages=["de"], status="away")
    lead_id = route_history(["en"])[0]
    snapshot = RoutingSnapshot.objects.get(lead_id=lead_id)
    assert snapshot.first and snapshot.action == "offer" and snapshot.rule == floor["rule"]
    assert snapshot.rep_ids == [floor["en"].pk]
    assert snapshot.lead_facts["id"] == lead_id and snapshot.lead_facts["language"] == "en"
    rows = {row[0]: row for row in snapshot.reps}
    assert set(rows) == {floor["en"].pk, floor["es"].pk, away.pk}
    rep_id, profile_id, status, load, capacity, on_shift, last_offered, performance, median = rows[away.pk]
    assert (status, load, capacity, on_shift, last_offered, performance, median) == ("away", 0, 5, 1, None, 0.0, None)
    assert RepProfile.objects.get(pk=profile_id).data == {"languages": ["de"], "skills": {},
                                                         "territories": [["US", "", ""]], "teams": [], "weight": 1}


def test_rerouting_records_a_later_decision_that_is_not_the_first(floor):
    lead_id = route_history(["en"])[0]
    offer = Assignment.objects.get(lead_id=lead_id)
    services.assignment_decline(assignment_id=offer.pk, rep=floor["en"], reason="busy")
    services.lead_route(lead_id=lead_id, now=T0 + dt.timedelta(minutes=5))
    firsts = list(RoutingSnapshot.objects.filter(lead_id=lead_id).order_by("id").values_list("first", flat=True))
    assert firsts[0] is True and set(firsts[1:]) == {False}
    assert RepProfile.objects.count() == 2  # two reps with different languages; shared across decisions


def test_draft_copies_the_live_rules_and_never_touches_live_routing(floor):
    RuleConditionFactory(rule=floor["rule"], field="country", op="eq", value="US")
    before = live_state()
    draft = lab.ruleset_draft_from_live(name="Spanish split")
    copy = draft.rules.get()
    assert copy.source_rule_id == floor["rule"].pk and copy.strategy == "round_robin"
    assert [(c.field, c.value) for c in copy.conditions.all()] == [("country", "US")]
    # Edit the draft freely: only the Spanish rep, language required, plus a catch-all that would route to nobody.
    copy.require_language = True
    copy.strategy = "least_busy"
    copy.save()
    copy.teams.clear()
    copy.conditions.create(field="language", op="eq", value="es")
    draft.rules.create(name="Nobody", order=0, strategy="broadcast", require_territory=True)
    route_history(["en", "en", "en"])
    assert live_state() == before
    offered = list(Assignment.objects.order_by("offered_at").values_list("rep_id", flat=True))
    assert offered == [floor["en"].pk, floor["es"].pk, floor["en"].pk]  # the live round robin, untouched
    assert set(Assignment.objects.values_list("rule__name", flat=True)) == {"Everyone"}


def test_replaying_a_copy_of_the_live_rules_reproduces_history_exactly(floor):
    route_history(["en", "en", "es", "es", "en"])
    run = run_replay(lab.ruleset_draft_from_live(name="Same"))
    result = run.state["result"]
    assert run.status == "done" and run.done == run.total == 5
    assert result["changed"] == 0 and result["diffs"] == []
    assert result["per_rep"] == [{"rep_id": floor["en"].pk, "actual": 3, "draft": 3},
                                 {"rep_id": floor["es"].pk, "actual": 2, "draft": 2}]


def test_replay_of_recorded_history_gives_the_expected_assignment_table(floor):
    en, es = floor["en"].pk, floor["es"].pk
    leads = route_history(["en", "en", "es", "es"])
    assert list(Assignment.objects.order_by("offered_at").values_list("rep_id", flat=True)) == [en, es, en, es]
    draft = lab.ruleset_draft_from_live(name="Language first")
    draft.rules.update(require_language=True)
    run = run_replay(draft, chunk=3)  # two chunks: the tally resumes from the stored state
    result = run.state["result"]
    assert result["changed"] == 2
    assert table(run) == {leads[1]: [en], leads[2]: [es]}
    why = {d["lead_id"]: d["why"] for d in result["diffs"]}
    assert why == {leads[1]: f"Rep {es} is filtered out (language mismatch).",
                   leads[2]: f"Rep {en} is filtered out (language mismatch)."}
    assert result["draft"]["language_match_rate"] == 1.0 and result["actual"]["language_match_rate"] == 0.5


def test_replay_is_deterministic_and_keeps_the_rules_it_ran(floor):
    route_history(["en", "es"] * 10)
    draft = lab.ruleset_draft_from_live(name="Weighted")
    draft.rules.update(strategy="weighted")
    one, two = run_replay(draft, seed=3), run_replay(draft, seed=3)
    assert one.state == two.state
    draft.rules.update(strategy="least_busy")
    assert one.rules[0]["strategy"] == "weighted"


def test_replay_only_reads_first_decisions_in_the_date_range(floor):
    route_history(["en"])
    lead = LeadFactory(received_at=T0 + dt.timedelta(days=1))
    services.lead_route(lead_id=lead.pk, now=T0 + dt.timedelta(days=1))
    run = run_replay(lab.ruleset_draft_from_live(name="d"))
    assert run.total == 1 and run.state["result"]["leads"] == 1


def test_replay_start_refuses_bad_input_and_writes_nothing(floor):
    draft = lab.ruleset_draft_from_live(name="d")
    with pytest.raises(lab.LabError, match="start date must be on or before"):
        lab.replay_run_start(ruleset=draft, since=DAY, until=DAY - dt.timedelta(days=1))
    with pytest.raises(lab.LabError, match="at most 366 days"):
        lab.replay_run_start(ruleset=draft, since=DAY, until=DAY + dt.timedelta(days=400))
    with pytest.raises(lab.LabError, match="has no rules"):
        lab.replay_run_start(ruleset=Ruleset.objects.create(name="Empty"), since=DAY, until=DAY)
    assert not ReplayRun.objects.exists()


def test_replay_runs_in_the_background_after_commit(floor, django_capture_on_commit_callbacks):
    route_history(["en", "es"])
    draft = lab.ruleset_draft_from_live(name="d")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = lab.replay_run_start(ruleset=draft, since=DAY, until=DAY)
        assert ReplayRun.objects.get(pk=run.pk).status == "queued"
    assert len(callbacks) >= 1
    run.refresh_from_db()
    assert run.status == "done" and run.percent == 100 and run.state["result"]["leads"] == 2


def test_a_repeated_delivery_of_a_step_changes_nothing(floor):
    route_history(["en", "es"])
    run = lab.replay_run_start(ruleset=lab.ruleset_draft_from_live(name="d"), since=DAY, until=DAY)
    assert lab.replay_run_step(run_id=run.pk) == "done"
    state = ReplayRun.objects.get(pk=run.pk).state
    assert lab.replay_run_step(run_id=run.pk) == "done"
    assert ReplayRun.objects.get(pk=run.pk).state == state
    assert lab.replay_run_step(run_id=999_999) == "no such run"


def test_a_replay_with_a_broken_rule_fails_with_a_message(floor):
    route_history(["en"])
    draft = lab.ruleset_draft_from_live(name="d")
    run = lab.replay_run_start(ruleset=draft, since=DAY, until=DAY)
    ReplayRun.objects.filter(pk=run.pk).update(rules=[{**run.rules[0], "strategy": "coin_flip"}])
    assert lab.replay_run_step(run_id=run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "coin_flip" in run.error


def test_promotion_replaces_live_rules_and_undo_restores_them(floor):
    other = RoutingRuleFactory(name="Old catch-all", order=500)
    floor["rule"].relaxations.create(after_seconds=60, drop="language")
    before = live_state()
    draft = lab.ruleset_draft_from_live(name="New")
    everyone = draft.rules.get(name="Everyone")
    everyone.strategy = "least_busy"
    everyone.save()
    draft.rules.filter(name="Old catch-all").delete()
    spanish = draft.rules.create(name="Spanish", order=1, require_language=True)
    spanish.conditions.create(field="language", op="eq", value="es")

    change = lab.ruleset_promote(ruleset=draft)
    assert [r.name for r in change.updated] == ["Everyone"] and [r.name for r in change.created] == ["Spanish"]
    assert change.deleted == ["Old catch-all"] and not RoutingRule.objects.filter(pk=other.pk).exists()
    live = {r.name: r for r in RoutingRule.objects.all()}
    assert set(live) == {"Everyone", "Spanish"} and live["Everyone"].pk == floor["rule"].pk
    assert live["Everyone"].strategy == "least_busy"
    assert list(live["Spanish"].conditions.values_list("value", flat=True)) == ["es"]
    assert [s.name for s in ruleset_specs(ruleset=change.backup)] == ["Everyone", "Old catch-all"]
    draft.refresh_from_db()
    assert draft.promoted_at is not None
    assert draft.rules.get(name="Spanish").source_rule_id == live["Spanish"].pk  # promoting again updates it

    undone = lab.promotion_undo()
    assert undone.backup == change.backup
    assert live_state() == before
    assert RoutingRule.objects.get(name="Everyone").pk == floor["rule"].pk
    with pytest.raises(lab.LabError, match="no promotion to undo"):
        lab.promotion_undo()


def test_a_retired_rule_with_history_is_deactivated_not_deleted(floor):
    route_history(["en"])
    draft = lab.ruleset_draft_from_live(name="Replace")
    draft.rules.all().delete()
    draft.rules.create(name="New", order=1)
    change = lab.ruleset_promote(ruleset=draft)
    old = RoutingRule.objects.get(pk=floor["rule"].pk)
    assert change.deactivated == [floor["rule"]] and not old.active
    assert Assignment.objects.get().rule == old  # history keeps its rule
    lab.promotion_undo()
    assert RoutingRule.objects.get(pk=floor["rule"].pk).active
    assert not RoutingRule.objects.filter(name="New").exists()


def test_promotion_is_atomic(floor, monkeypatch):
    RoutingRuleFactory(name="Second", order=200)
    before = live_state()
    draft = lab.ruleset_draft_from_live(name="Broken")
    draft.rules.update(strategy="least_busy")
    draft.rules.filter(name="Second").update(offer_timeout_seconds=1)  # below the rule's minimum of 5 s
    with pytest.raises(lab.LabError, match="Rule 'Second'"):
        lab.ruleset_promote(ruleset=draft)
    assert live_state() == before
    assert not Ruleset.objects.filter(kind=Ruleset.Kind.BACKUP).exists()

    draft.rules.update(offer_timeout_seconds=60)
    calls = []

    def explode(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return []

    monkeypatch.setattr(RuleCondition.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        lab.ruleset_promote(ruleset=draft)
    monkeypatch.undo()
    assert live_state() == before
    assert not Ruleset.objects.filter(kind=Ruleset.Kind.BACKUP).exists()
    draft.refresh_from_db()
    assert draft.promoted_at is None


def test_promotion_refuses_backups_and_drafts_that_would_stop_routing(floor):
    empty = Ruleset.objects.create(name="Empty")
    with pytest.raises(lab.LabError, match="no active rule"):
        lab.ruleset_promote(ruleset=empty)
    backup = Ruleset.objects.create(name="B", kind=Ruleset.Kind.BACKUP)
    with pytest.raises(lab.LabError, match="not a draft"):
        lab.ruleset_promote(ruleset=backup)
    with pytest.raises(lab.LabError, match="Give the draft a name"):
        lab.ruleset_draft_from_live(name="  ")


def test_retrying_a_waiting_lead_records_no_new_snapshot(floor):
    lead = LeadFactory(language="en")
    floor["en"].status = floor["es"].status = "away"
    floor["en"].save(), floor["es"].save()
    services.lead_route(lead_id=lead.pk, now=T0)
    services.lead_route(lead_id=lead.pk, now=T0 + dt.timedelta(seconds=15))
    snapshot = RoutingSnapshot.objects.get(lead=lead)
    assert snapshot.first and snapshot.action == "wait" and snapshot.reason == "no_eligible_rep"
