"""Delayed delivery: a campaign's rules that hold a matching lead back from routing for a time, until a date in its
answers, or until its answers meet a condition; and each hold of a lead, with why and until when."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from assignments.models import ConditionBase
from campaigns.models import Campaign, Lead


class DelayRule(models.Model):
    """Hold a campaign's matching leads before routing; rules are tried in order, each holds a lead at most once."""

    class Kind(models.TextChoices):
        FIXED = "fixed", "For a fixed time after the lead arrives"
        FIELD_DATE = "field_date", "Until a date in one of its answers (minus some days)"
        CONDITION = "condition", "Until its answers meet the release conditions"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="delay_rules")
    name = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=100, help_text="Lower is tried first.")
    active = models.BooleanField(default=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FIXED)
    hold_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Fixed time: how long after the lead arrives it is released (3600 = one hour).")
    date_field = models.CharField(
        max_length=64, blank=True, help_text="Date in its answers: the key in the lead's fields (e.g. renewal_date), "
                                             "holding an ISO date (2027-03-28) or date and time.")
    days_before = models.PositiveIntegerField(default=0, help_text="Date in its answers: release this many days "
                                                                   "before that date.")
    release_time = models.TimeField(default=dt.time(9), help_text="Date in its answers: the time of day the lead is "
                                                                   "released, in the lead's time zone.")
    max_hold_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Release anyway after this many days (blank: hold as long as it takes).")

    class Meta:
        ordering = ["campaign", "order", "id"]

    def __str__(self) -> str:
        return f"{self.campaign.slug}: {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.FIXED and not self.hold_seconds:
            raise ValidationError({"hold_seconds": "Set how long a fixed hold lasts."})
        if self.kind == self.Kind.FIELD_DATE and not self.date_field.strip():
            raise ValidationError({"date_field": "Name the answer that holds the date (e.g. renewal_date)."})


class DelayCondition(ConditionBase):
    """A test on the lead: which leads the rule holds (applies), or what releases them (releases)."""

    class Purpose(models.TextChoices):
        APPLIES = "applies", "Holds leads that…"
        RELEASES = "releases", "Releases them when…"

    rule = models.ForeignKey(DelayRule, on_delete=models.CASCADE, related_name="conditions")
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.APPLIES)


class LeadHold(models.Model):
    """A lead held back by a delay rule: why, until when (None: until its answers meet the release conditions),
    and when and by whom it was released."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="holds")
    rule = models.ForeignKey(DelayRule, on_delete=models.SET_NULL, null=True, related_name="holds")
    rule_name = models.CharField(max_length=120)
    reason = models.CharField(max_length=200)
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", help_text="A manager who released it by hand.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["released_at", "until"], name="lead_hold_open_until")]
        constraints = [
            models.UniqueConstraint(fields=["lead", "rule"], condition=Q(rule__isnull=False),
                                    name="lead_hold_once_per_rule"),
        ]

    def __str__(self) -> str:
        return f"Lead #{self.lead_id}: {self.reason}"


class LeadRecycle(models.Model):
    """One cycle of a lead that went nowhere with its rep and went back to routing: why, from whom, when."""

    class Why(models.TextChoices):
        ATTEMPTS = "attempts", "Tried without reaching"
        IDLE = "idle", "No progress"
        LOST = "lost", "Lost for a reason that recycles"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="recycles")
    cycle = models.PositiveSmallIntegerField()
    why = models.CharField(max_length=8, choices=Why.choices)
    detail = models.CharField(max_length=200)
    from_status = models.CharField(max_length=16, choices=Lead.Status.choices)
    from_rep = models.ForeignKey("assignments.Rep", on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["lead", "cycle"]
        constraints = [models.UniqueConstraint(fields=["lead", "cycle"], name="lead_recycle_once_per_cycle")]

    def __str__(self) -> str:
        return f"Lead #{self.lead_id} cycle {self.cycle}: {self.detail}"
