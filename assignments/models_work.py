"""Working a lead after the offer: notes, callbacks, stage moves, and the reasons managers keep in the admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from campaigns.models import Lead

NOTE_MAX_LENGTH = 5000
CALLBACK_NOTE_MAX_LENGTH = 500


class ReasonCode(models.Model):
    """A reason reps pick from: why a lead was lost or unqualified, or why an offer was declined."""

    class Kind(models.TextChoices):
        LOST = "lost"
        UNQUALIFIED = "unqualified"
        DECLINE = "decline"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.SlugField(max_length=40, help_text="Stable code for API clients and reports, e.g. 'no-budget'.")
    label = models.CharField(max_length=80, help_text="What reps read in the list.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the list (lowest first).")
    active = models.BooleanField(default=True, help_text="Inactive reasons are no longer offered.")

    class Meta:
        ordering = ["kind", "position", "label"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="reason_code_unique_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"


class LeadNote(models.Model):
    """A note on a lead by its owner or a manager."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_notes")
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="lead_note_lead_at")]

    def __str__(self) -> str:
        return f"Note on lead {self.lead_id} by {self.author_id}"


class Callback(models.Model):
    """A promise to call a lead back at `due_at`; it reaches whoever owns the lead when it falls due."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="callbacks")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="callbacks_set")
    due_at = models.DateTimeField()
    note = models.CharField(max_length=CALLBACK_NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=now)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False,
                                       help_text="When callback.due went to the owner's sockets.")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["lead", "due_at"], name="callback_lead_due"),
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True, notified_at__isnull=True),
                         name="callback_unnotified_due"),
        ]

    def __str__(self) -> str:
        return f"Callback on lead {self.lead_id} at {self.due_at:%Y-%m-%d %H:%M}"


class LeadStageChange(models.Model):
    """A person moved a lead's stage after the first contact (qualified, nurture, won, reopened, ...)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    from_status = models.CharField(max_length=16, choices=Lead.Status.choices)
    to_status = models.CharField(max_length=16, choices=Lead.Status.choices)
    reason = models.ForeignKey(ReasonCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="stage_change_lead_at")]

    def __str__(self) -> str:
        return f"Lead {self.lead_id}: {self.from_status} -> {self.to_status}"


class FloorAlert(models.Model):
    """Something on the floor a manager should act on; raised once per `key` and pushed to /live/."""

    class Kind(models.TextChoices):
        ACCEPTED_AND_SAT = "accepted_and_sat", "Accepted and not called in time"
        WAITING_TOO_LONG = "waiting_too_long", "Waiting longer than its rule allows"
        OFFERS_EXPIRED = "offers_expired", "A rep let three offers in a row expire"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=100, unique=True, help_text="What was alerted on, so it is alerted once.")
    message = models.CharField(max_length=300)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    rep = models.ForeignKey("assignments.Rep", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at"], name="floor_alert_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"
