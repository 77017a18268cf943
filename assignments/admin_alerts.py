"""Admin for alerts sent away from the page: every email and chat message, its attempts and why one failed."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import admin

from assignments.models import AlertDelivery
from campaigns.admin_columns import choice_badge
from campaigns.admin_common import EMPTY, EventLogAdmin


def masked_webhook(*, provider: str, url: str) -> str:
    """"Slack: https://hooks.slack.com/••••": enough to recognise a webhook, never enough to post to it."""
    if not url:
        return EMPTY
    parts = urlsplit(url)
    return f"{provider or '?'}: {parts.scheme}://{parts.hostname or '?'}/••••"


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(EventLogAdmin):
    """Written and retried by the alert service (assignments/services/notify.py); here they are read."""

    list_display = ("created_at", "kind", "channel", "recipient", "status_badge", "attempts", "last_error",
                    "sent_at", "subject")
    list_filter = ("status", "channel", "kind", "team")
    search_fields = ("recipient", "last_error")
    list_select_related = ("assignment", "callback", "floor_alert", "team")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = ("kind", "channel", "recipient", "status", "attempts", "last_error", "created_at", "next_attempt_at",
              "sent_at", "assignment", "callback", "floor_alert", "team", "user")
    readonly_fields = fields

    status_badge = choice_badge("status")

    @admin.display(description="about")
    def subject(self, obj: AlertDelivery) -> str:
        if obj.assignment_id is not None:
            return f"offer #{obj.assignment_id}"
        if obj.callback_id is not None:
            return f"callback #{obj.callback_id}"
        return f"alert #{obj.floor_alert_id}"
