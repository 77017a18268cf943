"""Writes of the routing lab: decision snapshots, drafts and promotions, replay runs, ending experiments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.timezone import now as tz_now

from assignments import models
from assignments.lab import tasks
from assignments.lab.codec import lead_to_json, rep_profile, rep_rows, rule_from_json, rule_to_json
from assignments.lab.replay import Tally, replay_tally
from assignments.lab.selectors import (
    RecordedLoader,
    VariantChoice,
    backup_latest,
    replay_count,
    ruleset_rules,
    ruleset_specs,
)
from assignments.routing.facts import Decision, LeadFacts, RepFacts
from assignments.selectors import rules_for_spec
from leadcrm.after_commit import enqueue_on_commit
from leadcrm.errors import ServiceError

REPLAY_CHUNK = 20_000  # leads per task call: well inside the django-q2 timeout, and the progress step
REPLAY_MAX_DAYS = 366
_IN_CHUNK = 500


class LabError(ServiceError):
    """The lab cannot do this; the message is for the manager."""

    def __init__(self, message: str):
        super().__init__("lab_refused", message)


# --- snapshots -------------------------------------------------------------------------------------------------

def routing_snapshot_record(*, lead_id: int, facts: LeadFacts, reps: Sequence[RepFacts], decision: Decision,
                            first: bool, variant: VariantChoice | None, now: dt.datetime) -> models.RoutingSnapshot:
    """Store what a replay of this decision needs: the lead's facts and every rep's state at `now`."""
    profiles = dict(rep_profile(rep)[::-1] for rep in reps)
    digests = list(profiles)
    ids: dict[str, int] = {}
    for start in range(0, len(digests), _IN_CHUNK):
        ids.update(models.RepProfile.objects.filter(digest__in=digests[start:start + _IN_CHUNK])
                   .values_list("digest", "id"))
    missing = [d for d in digests if d not in ids]
    if missing:
        models.RepProfile.objects.bulk_create([models.RepProfile(digest=d, data=profiles[d]) for d in missing],
                                       ignore_conflicts=True, batch_size=_IN_CHUNK)
        for start in range(0, len(missing), _IN_CHUNK):
            ids.update(models.RepProfile.objects.filter(digest__in=missing[start:start + _IN_CHUNK])
                       .values_list("digest", "id"))
    return models.RoutingSnapshot.objects.create(
        lead_id=lead_id, decided_at=now, first=first, rule_id=decision.rule_id, rule_name=decision.rule_name[:120],
        action=decision.action, reason=decision.reason, rep_ids=list(decision.rep_ids),
        variant_id=variant.variant_id if variant else None, lead_facts=lead_to_json(facts),
        reps=rep_rows(reps=reps, profile_ids=ids, now=now),
    )


# --- drafts and promotion --------------------------------------------------------------------------------------

def _rule_settings(rule) -> dict[str, object]:
    return {"name": rule.name, "order": rule.order, "active": rule.active,
            **{name: getattr(rule, name) for name in models.RoutingRule.SETTINGS_FIELDS}}


def _tiers_copy(*, source: models.RoutingRule | models.DraftRule, to: models.RoutingRule | models.DraftRule) -> None:
    """Replace the tiers of `to` by copies of those of `source` (prefetched), members and waits included."""
    to.tiers.all().delete()
    for tier in source.tiers.all():
        copy = to.tiers.create(position=tier.position, kind=tier.kind, team_id=tier.team_id,
                               wait_seconds=tier.wait_seconds)
        copy.reps.set(tier.reps.all())


def ruleset_live_copy(*, ruleset: models.Ruleset) -> int:
    """Append a copy of every live rule (conditions, relaxations, teams, tiers) to the ruleset; returns how many."""
    live = rules_for_spec(models.RoutingRule.objects.order_by("order", "id"))
    count = 0
    for rule in live:
        draft = models.DraftRule.objects.create(ruleset=ruleset, source_rule_id=rule.pk, **_rule_settings(rule))
        draft.teams.set(rule.teams.all())
        _tiers_copy(source=rule, to=draft)
        models.DraftCondition.objects.bulk_create(
            models.DraftCondition(rule=draft, field=c.field, op=c.op, value=c.value) for c in rule.conditions.all())
        models.DraftRelaxation.objects.bulk_create(
            models.DraftRelaxation(rule=draft, after_seconds=r.after_seconds, drop=r.drop)
            for r in rule.relaxations.all())
        count += 1
    return count


@transaction.atomic
def ruleset_draft_from_live(*, name: str, user=None, note: str = "") -> models.Ruleset:
    """A new draft holding a copy of the live rules; live routing is untouched."""
    name = name.strip()
    if not name:
        raise LabError("Give the draft a name.")
    ruleset = models.Ruleset.objects.create(name=name[:120], note=note[:500], kind=models.Ruleset.Kind.DRAFT,
                                            created_by=user)
    ruleset_live_copy(ruleset=ruleset)
    return ruleset


@dataclass
class LiveChange:
    """What a promotion or an undo did to the live rules."""

    backup: models.Ruleset
    updated: list[models.RoutingRule] = field(default_factory=list)
    created: list[models.RoutingRule] = field(default_factory=list)
    deactivated: list[models.RoutingRule] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def ruleset_promote(*, ruleset: models.Ruleset, user=None, now: dt.datetime | None = None) -> LiveChange:
    """Make the draft's rules the live rules in one transaction; the previous live rules are kept for undo."""
    now = now or tz_now()
    if ruleset.kind != models.Ruleset.Kind.DRAFT:
        raise LabError(f"'{ruleset}' is not a draft; only drafts can be promoted.")
    with transaction.atomic():
        rules = list(ruleset_rules(ruleset=ruleset))
        if not any(rule.active for rule in rules):
            raise LabError(f"Draft '{ruleset}' has no active rule: promoting it would stop all routing.")
        backup = models.Ruleset.objects.create(
            name=f"Live rules before '{ruleset.name}' ({now:%Y-%m-%d %H:%M})"[:120], kind=models.Ruleset.Kind.BACKUP,
            replaced_by=ruleset, created_by=user, created_at=now)
        ruleset_live_copy(ruleset=backup)
        change = _live_replace(rules=rules, backup=backup, write_back=True)
        models.Ruleset.objects.filter(pk=ruleset.pk).update(promoted_at=now)
        ruleset.promoted_at = now
    return change


def promotion_undo(*, user=None, now: dt.datetime | None = None) -> LiveChange:
    """Restore the live rules saved by the latest promotion not yet undone (one transaction)."""
    now = now or tz_now()
    with transaction.atomic():
        backup = backup_latest()
        if backup is None:
            raise LabError("There is no promotion to undo.")
        change = _live_replace(rules=list(ruleset_rules(ruleset=backup)), backup=backup, write_back=False)
        models.Ruleset.objects.filter(pk=backup.pk).update(restored_at=now)
        backup.restored_at = now
    return change


def _in_use(rule: models.RoutingRule) -> bool:
    return (models.Assignment.objects.filter(rule=rule).exists()
            or models.RoutingSnapshot.objects.filter(rule=rule).exists()
            or models.Experiment.objects.filter(rule=rule).exists())


def _live_replace(*, rules: Sequence[models.DraftRule], backup: models.Ruleset, write_back: bool) -> LiveChange:
    """Make the live rules equal to `rules`, matched by source rule id; rules left over are retired.

    A retired rule with history (offers, snapshots, experiments) is deactivated so that history keeps its rule;
    one without is deleted.
    """
    change = LiveChange(backup=backup)
    existing = {rule.pk: rule for rule in models.RoutingRule.objects.all()}
    kept: set[int] = set()
    for draft in rules:
        source_id = draft.source_rule_id
        rule = existing.get(source_id) if source_id is not None and source_id not in kept else None
        if rule is None:
            rule = models.RoutingRule()
            change.created.append(rule)
        else:
            change.updated.append(rule)
        for name, value in _rule_settings(draft).items():
            setattr(rule, name, value)
        try:
            rule.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise LabError(f"Rule '{draft.name}': {' '.join(error.messages)}") from None
        rule.save()
        kept.add(rule.pk)
        rule.teams.set(draft.teams.all())
        _tiers_copy(source=draft, to=rule)
        models.RuleCondition.objects.filter(rule=rule).delete()
        models.RuleCondition.objects.bulk_create(
            models.RuleCondition(rule=rule, field=c.field, op=c.op, value=c.value) for c in draft.conditions.all())
        models.RuleRelaxation.objects.filter(rule=rule).delete()
        models.RuleRelaxation.objects.bulk_create(
            models.RuleRelaxation(rule=rule, after_seconds=r.after_seconds, drop=r.drop)
            for r in draft.relaxations.all())
        if write_back and draft.source_rule_id != rule.pk:
            # The draft now points at the rule it created, so promoting it again updates instead of duplicating.
            models.DraftRule.objects.filter(pk=draft.pk).update(source_rule_id=rule.pk)
    for pk, rule in existing.items():
        if pk in kept:
            continue
        if _in_use(rule):
            if rule.active:
                models.RoutingRule.objects.filter(pk=pk).update(active=False)
                change.deactivated.append(rule)
        else:
            change.deleted.append(rule.name)
            rule.delete()
    return change


# --- replay -----------------------------------------------------------------------------------------------------

def _replay_enqueue(run_id: int) -> None:
    enqueue_on_commit(tasks.replay_run_task, run_id)


def replay_run_start(*, ruleset: models.Ruleset, since: dt.date, until: dt.date, user=None,
                     seed: int = 0) -> models.ReplayRun:
    """Queue a replay of the leads first routed in [since, until] through the ruleset's rules as they are now."""
    if since > until:
        raise LabError("The start date must be on or before the end date.")
    if (until - since).days >= REPLAY_MAX_DAYS:
        raise LabError(f"Replay at most {REPLAY_MAX_DAYS} days at a time.")
    specs = ruleset_specs(ruleset=ruleset)
    if not specs:
        raise LabError(f"'{ruleset}' has no rules to replay.")
    with transaction.atomic():
        run = models.ReplayRun.objects.create(
            ruleset=ruleset, ruleset_name=ruleset.name, since=since, until=until, seed=seed, created_by=user,
            rules=[rule_to_json(spec) for spec in specs], total=replay_count(since=since, until=until))
        _replay_enqueue(run.pk)
    return run


def replay_run_step(*, run_id: int, chunk: int = REPLAY_CHUNK, now: dt.datetime | None = None) -> str:
    """Replay the next chunk of a run and queue the one after; idempotent (a repeated delivery changes nothing)."""
    run = models.ReplayRun.objects.filter(pk=run_id).first()
    if run is None:
        return "no such run"
    if run.status in (models.ReplayRun.Status.DONE, models.ReplayRun.Status.FAILED):
        return run.status
    now = now or tz_now()
    loader = RecordedLoader(since=run.since, until=run.until)
    try:
        rules = [rule_from_json(data) for data in run.rules]
        recorded, last_id = loader.batch(after_id=run.cursor, limit=chunk)
        tally = replay_tally(recorded=recorded, rules=rules, seed=run.seed, tally=Tally(run.state))
    except (KeyError, TypeError, ValueError) as error:
        models.ReplayRun.objects.filter(pk=run.pk, cursor=run.cursor).update(
            status=models.ReplayRun.Status.FAILED, error=f"{type(error).__name__}: {error}"[:500], finished_at=now)
        return models.ReplayRun.Status.FAILED
    finished = len(recorded) < chunk
    with transaction.atomic():
        claimed = models.ReplayRun.objects.filter(pk=run.pk, cursor=run.cursor).exclude(
            status__in=[models.ReplayRun.Status.DONE, models.ReplayRun.Status.FAILED]).update(
            cursor=last_id, done=F("done") + len(recorded),
            state={"result": tally.result()} if finished else tally.state(),
            status=models.ReplayRun.Status.DONE if finished else models.ReplayRun.Status.RUNNING,
            started_at=run.started_at or now, finished_at=now if finished else None)
        if claimed and not finished:
            _replay_enqueue(run.pk)
    if not claimed:
        return "already replayed by another worker"
    return models.ReplayRun.Status.DONE if finished else models.ReplayRun.Status.RUNNING


# --- experiments -----------------------------------------------------------------------------------------------

def experiment_end(*, experiment: models.Experiment, variant: models.ExperimentVariant,
                   now: dt.datetime | None = None) -> models.RoutingRule:
    """End a running experiment and write the chosen variant's settings into its rule (one transaction)."""
    now = now or tz_now()
    if variant.experiment_id != experiment.pk:
        raise LabError(f"Variant '{variant.name}' belongs to another experiment.")
    with transaction.atomic():
        if not models.Experiment.objects.filter(pk=experiment.pk, status=models.Experiment.Status.RUNNING).update(
                status=models.Experiment.Status.ENDED, ended_at=now, winner=variant):
            raise LabError(f"Experiment '{experiment}' has already ended.")
        rule = models.RoutingRule.objects.get(pk=experiment.rule_id)
        overrides = variant.overrides()
        teams = overrides.pop("team_ids", None)
        for name, value in overrides.items():
            setattr(rule, name, value)
        rule.save()
        if isinstance(teams, frozenset) and teams:  # overrides() puts team ids as a frozenset[int]
            rule.teams.set(teams)
    experiment.refresh_from_db()
    return rule
