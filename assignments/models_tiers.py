"""Tiers: a rule's candidates as an ordered ladder (tier 1 first, the next tier added after a wait).

A rule with tiers takes its candidates from them instead of from its teams. Live rules and draft copies in the
routing lab each have their own tier rows, shaped alike (TierBase).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from assignments.models import Rep, RoutingRule, Team
from assignments.models_lab import DraftRule

# A day: a tier that waits longer than that before widening would leave leads unanswered overnight by design.
TIER_WAIT_MAX_SECONDS = 86_400


class TierBase(models.Model):
    """One rung of a rule's ladder: who joins the candidates, and how long to wait before adding the next rung."""

    class Kind(models.TextChoices):
        TEAM = "team", "A team"
        REPS = "reps", "These reps"
        EVERYONE = "everyone", "Everyone (every rep)"
        POOL = "pool", "The open pool"

    position = models.PositiveSmallIntegerField(help_text="1 is offered first; higher tiers are added later.")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEAM)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             help_text="With 'A team'.")
    reps = models.ManyToManyField(Rep, blank=True, related_name="+", help_text="With 'These reps'.")
    wait_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(TIER_WAIT_MAX_SECONDS)],
        help_text="Seconds to wait, once this tier has opened, before the next tier is added (tier 2 opens this "
                  "long after the lead came in). Empty on the last tier.")

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"tier {self.position}: {self.who()}"

    def who(self) -> str:
        """The rung in words, without its members' names when it lists reps (they need a query)."""
        if self.kind == self.Kind.TEAM:
            return f"team {self.team}" if self.team_id else "a team (none chosen)"
        return str(self.get_kind_display()).lower() if self.kind != self.Kind.REPS else "chosen reps"

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.TEAM and not self.team_id:
            raise ValidationError({"team": "Choose the team of this tier."})
        if self.kind != self.Kind.TEAM and self.team_id:
            raise ValidationError({"team": "Only a tier of kind 'A team' names a team; clear it or change the kind."})


class RuleTier(TierBase):
    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="tiers")

    class Meta(TierBase.Meta):
        constraints = [models.UniqueConstraint(fields=["rule", "position"], name="rule_tier_position_unique")]
        verbose_name = "tier"


class DraftTier(TierBase):
    rule = models.ForeignKey(DraftRule, on_delete=models.CASCADE, related_name="tiers")

    class Meta(TierBase.Meta):
        constraints = [models.UniqueConstraint(fields=["rule", "position"], name="draft_tier_position_unique")]
        verbose_name = "draft tier"
