"""Admin of delayed delivery: a campaign's delay rules with their conditions, and the holds they put on leads."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q

from assignments.admin import ConditionAdmin
from assignments.admin_inlines import ConditionInline
from assignments.models_delays import DelayCondition, DelayRule, LeadHold, LeadRecycle
from assignments.services.delays import lead_release_now
from leadcrm.errors import ServiceError


class DelayConditionInline(ConditionInline):
    model = DelayCondition
    verbose_name = "condition"
    verbose_name_plural = ("conditions: 'holds leads that…' (all must hold; none: every lead of the campaign) and "
                           "'releases them when…' (with 'until its answers meet the release conditions')")


@admin.register(DelayRule)
class DelayRuleAdmin(admin.ModelAdmin):
    inlines = [DelayConditionInline]
    list_display = ("campaign", "order", "name", "active", "kind", "holding_now")
    list_display_links = ("name",)
    list_editable = ("order", "active")
    list_filter = ("active", "kind", "campaign")
    search_fields = ("name", "campaign__slug", "date_field")
    list_select_related = ("campaign",)
    ordering = ("campaign__slug", "order", "id")
    fieldsets = (
        (None, {"fields": ("campaign", "name", "order", "active", "kind")}),
        ("Fixed time", {"fields": ("hold_seconds",)}),
        ("Date in its answers", {"fields": ("date_field", "days_before", "release_time")}),
        ("Every kind", {"fields": ("max_hold_days",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _holding=Count("holds", filter=Q(holds__released_at__isnull=True)))

    @admin.display(description="holding now", ordering="_holding")
    def holding_now(self, obj: DelayRule) -> int:
        return getattr(obj, "_holding", 0)


@admin.register(DelayCondition)
class DelayConditionAdmin(ConditionAdmin):
    list_display = ("rule", "purpose", "field", "op", "value", "meaning")
    list_filter = ("purpose", "op")


@admin.action(description="Release now (route the leads)")
def release_now(modeladmin, request, queryset):
    released, refused = 0, []
    for lead_id in sorted(set(queryset.filter(released_at__isnull=True).values_list("lead_id", flat=True))):
        try:
            released += lead_release_now(lead_id=lead_id, by=request.user)
        except ServiceError as error:
            refused.append(f"Lead #{lead_id}: {error}")
    modeladmin.message_user(request, f"Released {released} hold(s).", messages.SUCCESS)
    for line in refused[:20]:
        modeladmin.message_user(request, line, messages.WARNING)


@admin.register(LeadHold)
class LeadHoldAdmin(admin.ModelAdmin):
    """Read-only: holds are made by the rules and released by the clock, the answers or a manager."""

    actions = [release_now]
    list_display = ("lead", "rule_name", "reason", "until", "created_at", "released_at", "released_by")
    list_filter = (("released_at", admin.EmptyFieldListFilter), "rule")
    search_fields = ("rule_name", "reason")
    list_select_related = ("lead", "released_by")
    date_hierarchy = "created_at"
    readonly_fields = ("lead", "rule", "rule_name", "reason", "until", "created_at", "released_at", "released_by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LeadRecycle)
class LeadRecycleAdmin(admin.ModelAdmin):
    """Read-only: each time a lead that went nowhere went back to routing (campaign → Recycling)."""

    list_display = ("lead", "cycle", "why", "detail", "from_status", "from_rep", "at")
    list_filter = ("why",)
    search_fields = ("detail",)
    list_select_related = ("lead", "from_rep__user")
    date_hierarchy = "at"
    readonly_fields = ("lead", "cycle", "why", "detail", "from_status", "from_rep", "at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
