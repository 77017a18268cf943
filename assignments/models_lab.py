"""The routing lab: decision snapshots, draft rulesets and their promotions, replay runs, A/B experiments."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from assignments.models import ConditionBase, RelaxationBase, RoutingRule, RuleBase, Team
from assignments.routing.facts import ACTIONS, STRATEGIES
from campaigns.models import Lead

__all__ = ["DraftCondition", "DraftRelaxation", "DraftRule", "Experiment", "ExperimentVariant", "ReplayRun",
           "RepProfile", "RoutingSnapshot", "Ruleset"]

# Field of a snapshot rep row, by position (rows are lists to keep 100,000 snapshots small).
REP_ROW_FIELDS = ("rep_id", "profile_id", "status", "load", "capacity", "on_shift", "last_offered_epoch",
                  "performance", "median_response_seconds")


class RepProfile(models.Model):
    """A rep's routing profile as recorded (languages, skills, territories, teams, weight); stored once per content."""

    digest = models.CharField(max_length=40, unique=True)
    data = models.JSONField()

    class Meta:
        verbose_name = "recorded rep profile"

    def __str__(self) -> str:
        return f"Profile {self.digest[:10]}"


class RoutingSnapshot(models.Model):
    """What the engine saw and decided for one routing decision: enough to replay it under other rules."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="routing_snapshots")
    decided_at = models.DateTimeField()
    first = models.BooleanField(default=False, help_text="The lead's first routing decision (the one replays use).")
    rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="snapshots")
    rule_name = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=8, choices=ACTIONS)
    reason = models.CharField(max_length=24, blank=True)
    rep_ids = models.JSONField(default=list, blank=True, help_text="Reps the engine chose (offered at once).")
    variant = models.ForeignKey("assignments.ExperimentVariant", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="snapshots")
    lead_facts = models.JSONField(help_text="The lead as the engine saw it.")
    reps = models.JSONField(default=list, blank=True,
                            help_text="Each active rep's state: " + ", ".join(REP_ROW_FIELDS) + ".")

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = "routing snapshot"
        indexes = [
            models.Index(fields=["first", "decided_at"], name="snapshot_first_decided"),
            models.Index(fields=["lead", "decided_at"], name="snapshot_lead_decided"),
            models.Index(fields=["variant", "lead"], name="snapshot_variant_lead"),
        ]

    def __str__(self) -> str:
        return f"Lead {self.lead_id} at {self.decided_at:%Y-%m-%d %H:%M:%S}: {self.action}"


class ManagerMade(models.Model):
    """Something a manager made in the lab (the user is None once deleted); listed newest first."""

    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class Ruleset(ManagerMade):
    """A named set of rule copies: a draft a manager edits freely, or the live rules saved before a promotion."""

    class Kind(models.TextChoices):
        DRAFT = "draft"
        BACKUP = "backup", "Live rules before a promotion"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.DRAFT)
    note = models.CharField(max_length=500, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True, help_text="Draft: last time it was made live.")
    replaced_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="backups",
                                    help_text="Backup: the draft whose promotion replaced these rules.")
    restored_at = models.DateTimeField(null=True, blank=True, help_text="Backup: when an undo made it live again.")

    class Meta(ManagerMade.Meta):
        indexes = [models.Index(fields=["kind", "created_at"], name="ruleset_kind_created")]

    def __str__(self) -> str:
        return self.name


class DraftRule(RuleBase):
    """A copy of a routing rule inside a ruleset; editing it never changes live routing."""

    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="rules")
    source_rule_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The live rule this copies; promotion updates that rule in place.")
    teams = models.ManyToManyField(Team, related_name="draft_rules", blank=True,
                                   help_text="Candidate reps. Empty: every rep.")

    class Meta:
        ordering = ["ruleset", "order", "id"]
        verbose_name = "draft rule"

    def __str__(self) -> str:
        return f"{self.ruleset}: {self.name}"


class DraftCondition(ConditionBase):
    rule = models.ForeignKey(DraftRule, on_delete=models.CASCADE, related_name="conditions")


class DraftRelaxation(RelaxationBase):
    rule = models.ForeignKey(DraftRule, on_delete=models.CASCADE, related_name="relaxations")


class ReplayRun(ManagerMade):
    """One replay of recorded leads through a draft's rules; its result is kept with the exact rules used."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    ruleset = models.ForeignKey(Ruleset, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="replays")
    ruleset_name = models.CharField(max_length=120)
    since = models.DateField()
    until = models.DateField(help_text="Inclusive.")
    rules = models.JSONField(help_text="The draft's rules as replayed (a later edit of the draft changes nothing).")
    seed = models.PositiveIntegerField(default=0, help_text="Seeds random strategies, with each lead's id.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    cursor = models.BigIntegerField(default=0, help_text="Last snapshot replayed.")
    state = models.JSONField(default=dict, blank=True, help_text="Running tally, then the result.")
    error = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(ManagerMade.Meta):
        verbose_name = "replay run"

    def __str__(self) -> str:
        return f"Replay #{self.pk} of {self.ruleset_name} ({self.since} to {self.until})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Experiment(models.Model):
    """An A/B test on one live rule: each matching lead is routed by one variant, chosen stably from its id."""

    class Status(models.TextChoices):
        RUNNING = "running"
        ENDED = "ended"

    name = models.CharField(max_length=120)
    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="experiments")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=now)
    ended_at = models.DateTimeField(null=True, blank=True)
    winner = models.ForeignKey("assignments.ExperimentVariant", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", help_text="The variant promoted into the rule when it ended.")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule"], condition=Q(status="running"),
                                    name="experiment_one_running_per_rule"),
        ]

    def __str__(self) -> str:
        return self.name


class ExperimentVariant(models.Model):
    """One arm of an experiment; empty settings keep the rule's own (so a blank variant is the control)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=40, help_text="e.g. A, B.")
    share = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)],
                                             help_text="Percent of the rule's leads; the shares add up to 100.")
    strategy = models.CharField(max_length=24, choices=STRATEGIES, blank=True, help_text="Empty: as the rule.")
    require_language = models.BooleanField(null=True, blank=True, help_text="Empty: as the rule.")
    require_skill = models.BooleanField(null=True, blank=True, help_text="Empty: as the rule.")
    min_skill_level = models.PositiveSmallIntegerField(null=True, blank=True,
                                                       validators=[MinValueValidator(1), MaxValueValidator(5)])
    require_territory = models.BooleanField(null=True, blank=True, help_text="Empty: as the rule.")
    broadcast_count = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(2)])
    exploration_share = models.FloatField(null=True, blank=True,
                                          validators=[MinValueValidator(0), MaxValueValidator(1)])
    teams = models.ManyToManyField(Team, related_name="experiment_variants", blank=True,
                                   help_text="Empty: the rule's teams.")

    OVERRIDE_FIELDS = ("strategy", "require_language", "require_skill", "min_skill_level", "require_territory",
                       "broadcast_count", "exploration_share")

    class Meta:
        ordering = ["experiment", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="variant_unique_name"),
            models.CheckConstraint(condition=Q(share__gte=1, share__lte=100), name="variant_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment}: {self.name}"

    def overrides(self) -> dict[str, object]:
        """The rule settings this variant changes (field -> value); prefetch teams to avoid a query."""
        changed: dict[str, object] = {f: getattr(self, f) for f in self.OVERRIDE_FIELDS
                                      if getattr(self, f) not in (None, "")}
        team_ids = frozenset(t.pk for t in self.teams.all()) if self.pk else frozenset()
        if team_ids:
            changed["team_ids"] = team_ids
        return changed
