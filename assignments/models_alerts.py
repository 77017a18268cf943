"""Alerts sent away from the page: one row per (offer, callback or floor alert, channel, recipient), sent once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now


class AlertDelivery(models.Model):
    """An email or chat message about an offer, a first-contact reminder, a due callback or a floor alert; retried
    with back-off.

    The unique constraints make each alert go out at most once per subject, channel and recipient, however many
    workers or clock passes race to send it.
    """

    class Kind(models.TextChoices):
        OFFER = "offer", "Offer not seen"
        CALLBACK = "callback", "Callback due"
        FLOOR_ALERT = "floor_alert", "Manager alert"
        REMINDER = "reminder", "First contact reminder"

    class Channel(models.TextChoices):
        EMAIL = "email"
        CHAT = "chat", "Team chat"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Not needed any more"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    assignment = models.ForeignKey("assignments.Assignment", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="alert_deliveries")
    callback = models.ForeignKey("assignments.Callback", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="alert_deliveries")
    floor_alert = models.ForeignKey("assignments.FloorAlert", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", help_text="Email: the person written to.")
    team = models.ForeignKey("assignments.Team", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="alert_deliveries", help_text="Chat: the team whose webhook is used.")
    target = models.CharField(max_length=40, editable=False, help_text="user:<id> or team:<id>.")
    recipient = models.CharField(max_length=254, help_text="The email address, or the team's chat (never its URL).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, help_text="Why the last attempt failed (no secrets).")
    created_at = models.DateTimeField(default=now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "alert deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alert_status_next")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "assignment", "channel", "target"],
                                    condition=Q(assignment__isnull=False), name="alert_once_per_offer"),
            models.UniqueConstraint(fields=["kind", "callback", "channel", "target"],
                                    condition=Q(callback__isnull=False), name="alert_once_per_callback"),
            models.UniqueConstraint(fields=["kind", "floor_alert", "channel", "target"],
                                    condition=Q(floor_alert__isnull=False), name="alert_once_per_floor_alert"),
            models.CheckConstraint(
                condition=(Q(kind__in=["offer", "reminder"], assignment__isnull=False, callback__isnull=True,
                             floor_alert__isnull=True)
                           | Q(kind="callback", assignment__isnull=True, callback__isnull=False,
                               floor_alert__isnull=True)
                           | Q(kind="floor_alert", assignment__isnull=True, callback__isnull=True,
                               floor_alert__isnull=False)),
                name="alert_one_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display().lower()} to {self.recipient} ({self.status})"
