"""Read-only history of the sales floor: offers with their routing decisions, contacts, the websocket outbox, and
the routing queue."""

from __future__ import annotations

from django.contrib import admin
from django.utils.timezone import now

from assignments.admin_inlines import OfferColumns
from assignments.models import Assignment, ContactAttempt, OutboxEvent, RouteDrain, RouteRequest
from campaigns.admin_columns import json_block
from campaigns.admin_common import EventLogAdmin


@admin.register(Assignment)
class AssignmentAdmin(OfferColumns, EventLogAdmin):
    """Offers change only through the routing and rep services; here they are read."""

    list_display = ("id", "lead", "rep", "rule", "status_badge", "offered_at", "expires_at", "responded_at",
                    "response_time", "broadcast")
    list_filter = ("status", "broadcast", "rule")
    search_fields = ("lead__first_name", "lead__last_name", "lead__email", "lead__phone", "rep__user__username")
    list_select_related = ("lead", "rep__user", "rule")
    date_hierarchy = "offered_at"
    ordering = ("-offered_at", "-id")
    list_per_page = 50
    fields = ("lead", "rep", "rule", "status", "broadcast", "offered_at", "expires_at", "seen_at", "responded_at",
              "response_time", "decline_reason", "decision")
    readonly_fields = fields


@admin.register(ContactAttempt)
class ContactAttemptAdmin(EventLogAdmin):
    list_display = ("at", "lead", "rep", "channel", "outcome", "notes")
    list_filter = ("channel", "outcome")
    search_fields = ("lead__first_name", "lead__last_name", "lead__phone", "rep__user__username", "notes")
    list_select_related = ("lead", "rep__user")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    list_per_page = 50
    fields = ("at", "lead", "rep", "assignment", "channel", "outcome", "notes")
    readonly_fields = fields


@admin.register(OutboxEvent)
class OutboxEventAdmin(EventLogAdmin):
    """Websocket messages as written next to the change they report (replayed to reconnecting browsers)."""

    list_display = ("id", "created_at", "type", "group")
    list_filter = ("type",)
    search_fields = ("type", "group")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    fields = ("created_at", "type", "group", "payload_pretty")
    readonly_fields = fields

    payload_pretty = json_block("payload", "payload")


@admin.register(RouteRequest)
class RouteRequestAdmin(EventLogAdmin):
    """Leads waiting for the routing drain, oldest first: a long list or an old first row means routing is behind
    (see the README's "when something breaks" table)."""

    list_display = ("lead", "requested_at", "waited")
    search_fields = ("lead__id",)
    list_select_related = ("lead",)
    fields = ("lead", "requested_at", "waited")
    readonly_fields = fields

    @admin.display(description="waited")
    def waited(self, request: RouteRequest) -> str:
        return f"{(now() - request.requested_at).total_seconds():.1f} s"


@admin.register(RouteDrain)
class RouteDrainAdmin(EventLogAdmin):
    """Whether a drain was queued and none has started routing since (empty: the next routing request queues one)."""

    list_display = ("__str__", "queued_at")
    fields = ("queued_at",)
    readonly_fields = fields
