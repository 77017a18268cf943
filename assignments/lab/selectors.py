"""Reads of the routing lab: draft rules as engine specs, running experiments, recorded decisions, metrics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from assignments.config_cache import config_cached
from assignments.lab.codec import RepDecoder, lead_from_json
from assignments.lab.experiments import rules_with_variant, variant_pick
from assignments.lab.replay import Recorded
from assignments.lab.stats import VariantData
from assignments.models import (
    DraftRule,
    Experiment,
    ExperimentVariant,
    Rep,
    RepProfile,
    RoutingSnapshot,
    Ruleset,
)
from assignments.routing import match_rule
from assignments.routing.facts import LeadFacts, RuleSpec
from assignments.selectors import rule_spec_from_model, rules_for_spec
from campaigns.models import Lead


@dataclass(frozen=True)
class VariantChoice:
    """The experiment arm that routes one lead."""

    experiment_id: int
    experiment_name: str
    variant_id: int
    variant_name: str

    def to_json(self) -> dict[str, object]:
        return {"id": self.experiment_id, "name": self.experiment_name, "variant_id": self.variant_id,
                "variant": self.variant_name}


def ruleset_rules(*, ruleset: Ruleset) -> QuerySet[DraftRule]:
    """The ruleset's rules in order, with all their parts prefetched (selectors.rules_for_spec)."""
    return rules_for_spec(ruleset.rules.order_by("order", "id"))


def ruleset_specs(*, ruleset: Ruleset) -> list[RuleSpec]:
    """The ruleset's rules as the engine's RuleSpecs (inactive ones included, as the engine skips them)."""
    return [rule_spec_from_model(rule) for rule in ruleset_rules(ruleset=ruleset)]


def backup_latest() -> Ruleset | None:
    """The live rules saved by the latest promotion not yet undone."""
    return (Ruleset.objects.filter(kind=Ruleset.Kind.BACKUP, restored_at__isnull=True)
            .select_related("replaced_by").order_by("-created_at", "-id").first())


def experiment_running(*, rule_id: int) -> Experiment | None:
    """The running experiment on a live rule, with its variants (and their teams) prefetched."""
    variants = Prefetch("variants", queryset=ExperimentVariant.objects.order_by("name", "id")
                        .prefetch_related("teams"))
    return (Experiment.objects.filter(rule_id=rule_id, status=Experiment.Status.RUNNING)
            .prefetch_related(variants).first())


def experiment_rules(*, lead: LeadFacts, rules: Sequence[RuleSpec]) -> tuple[list[RuleSpec], VariantChoice | None]:
    """The rules this lead is routed by: when its rule runs an experiment, that rule as the lead's variant.

    The running experiment is read through the routing memo (config_cache).
    """
    rule = match_rule(lead=lead, rules=rules)
    if rule is None:
        return list(rules), None
    rule_id = rule.id
    experiment = config_cached(key=f"experiment:{rule_id}", load=lambda: experiment_running(rule_id=rule_id))
    variants = list(experiment.variants.all()) if experiment else []
    if experiment is None or not variants:
        return list(rules), None
    chosen_id = variant_pick(lead_id=lead.id, experiment_id=experiment.pk,
                             shares=[(v.pk, v.share) for v in variants])
    variant = next(v for v in variants if v.pk == chosen_id)
    choice = VariantChoice(experiment.pk, experiment.name, variant.pk, variant.name)
    return rules_with_variant(rules, rule_id=rule_id, overrides=variant.overrides()), choice


def day_bounds(*, since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of `since`, start of the day after `until`) in the project's time zone."""
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(since, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _first_decisions(*, since: dt.date, until: dt.date) -> QuerySet[RoutingSnapshot]:
    start, end = day_bounds(since=since, until=until)
    return RoutingSnapshot.objects.filter(first=True, decided_at__gte=start, decided_at__lt=end)


def replay_count(*, since: dt.date, until: dt.date) -> int:
    """How many leads had their first routing decision in the date range."""
    return _first_decisions(since=since, until=until).count()


class RecordedLoader:
    """Loads recorded first decisions in id order, batch by batch, decoding reps through one shared cache."""

    def __init__(self, *, since: dt.date, until: dt.date):
        self._queryset = _first_decisions(since=since, until=until).order_by("id")
        self._decoder = RepDecoder({})
        self._profiles: set[int] = set()

    def batch(self, *, after_id: int, limit: int) -> tuple[list[Recorded], int]:
        """Up to `limit` decisions with id > after_id, and the last id read (after_id when none)."""
        rows = list(self._queryset.filter(id__gt=after_id).values_list(
            "id", "decided_at", "action", "reason", "rule_name", "rep_ids", "lead_facts", "reps")[:limit])
        wanted = {row[1] for *_, reps in rows for row in reps} - self._profiles
        if wanted:
            self._decoder.add(dict(RepProfile.objects.filter(pk__in=wanted).values_list("pk", "data")))
            self._profiles |= wanted
        recorded = [
            Recorded(lead=lead_from_json(facts), reps=self._decoder.reps(reps), decided_at=decided_at,
                     action=action, reason=reason, rule_name=rule_name, rep_ids=tuple(rep_ids))
            for _, decided_at, action, reason, rule_name, rep_ids, facts, reps in rows
        ]
        return recorded, rows[-1][0] if rows else after_id


def rep_names(*, rep_ids: Sequence[int]) -> dict[int, str]:
    """Display names of reps by id (deleted reps are simply missing)."""
    return {rep.pk: str(rep) for rep in Rep.objects.filter(pk__in=rep_ids).select_related("user")}


def experiment_variant_data(*, experiment: Experiment) -> list[VariantData]:
    """Each variant's leads (by the variant of their first decision) and what became of them."""
    variants = list(experiment.variants.order_by("name", "id"))
    first_variant: dict[int, int] = {}
    for lead_id, variant_id in (RoutingSnapshot.objects.filter(variant__experiment=experiment)
                                .order_by("id").values_list("lead_id", "variant_id")):
        first_variant.setdefault(lead_id, variant_id)
    by_variant: dict[int, list[int]] = {v.pk: [] for v in variants}
    for lead_id, variant_id in first_variant.items():
        by_variant.setdefault(variant_id, []).append(lead_id)
    data = []
    for variant in variants:
        ids = by_variant[variant.pk]
        contacted = converted = 0
        speeds = []
        for chunk in range(0, len(ids), 500):
            for received, contact, outcome in Lead.objects.filter(pk__in=ids[chunk:chunk + 500]).values_list(
                    "received_at", "first_contact_at", "outcome"):
                if contact is not None:
                    contacted += 1
                    speeds.append(max(0.0, (contact - received).total_seconds()))
                converted += outcome == "won"
        data.append(VariantData(name=variant.name, leads=len(ids), contacted=contacted, converted=converted,
                                speeds=tuple(sorted(speeds))))
    return data

