"""Admin of the lead market: campaigns, suppliers and keys, buyers, leads, the intake log, suppression."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin, messages
from django.db.models import Count, Prefetch, Q
from django.utils.safestring import SafeString
from import_export.admin import ExportMixin, ImportMixin

# Also registers the buyer admin pages (the buyers' own, price rules, deliveries, distributions, returns).
from campaigns.admin_buyers import CAMPAIGN_DISTRIBUTION_FIELDS, PriceRuleInline
from campaigns.admin_columns import choice_badge, json_block
from campaigns.admin_common import (
    URL_OVERRIDES,
    EventLogAdmin,
    ReadOnlyInline,
    ReadOnlyLogAdmin,
    RowsInline,
    badge,
    joined,
)
from campaigns.admin_lead_entry import LeadImportAdmin  # noqa: F401  (registers the lead imports' pages)
from campaigns.forms import CampaignAdminForm, SuppressionEntryAdminForm
from campaigns.models import (
    LEAD_FIELD_CHOICES,
    Campaign,
    CapCounter,
    IntakeAttempt,
    OfficeHours,
    Supplier,
    SupplierApiKey,
    SuppressionEntry,
    WebhookDelivery,
)
from campaigns.resources import IntakeAttemptResource, SuppressionEntryResource
from campaigns.services import supplier_api_key_create, supplier_api_key_revoke

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # a dev-only package: types, never imported at runtime

_FIELD_LABELS = dict(LEAD_FIELD_CHOICES)
CAP_FIELDS = ("cap_per_hour", "cap_per_day", "cap_total")


class _SupplierCount(TypedDict):
    """What CampaignAdmin.get_queryset adds to each campaign."""

    _suppliers: int


class _ActiveKeys(TypedDict):
    """What SupplierAdmin.get_queryset adds to each supplier."""

    _active_keys: int


def caps_text(obj) -> str:
    caps = [f"{n}/{unit}" for n, unit in ((obj.cap_per_hour, "h"), (obj.cap_per_day, "day"),
                                          (getattr(obj, "cap_total", None), "total")) if n is not None]
    return ", ".join(caps) or "none"


class OfficeHoursInline(RowsInline):
    model = OfficeHours


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    inlines = [OfficeHoursInline, PriceRuleInline]
    list_display = ("name", "slug", "active", "timezone", "outside_hours", "required_fields_text",
                    "price_per_lead", "caps", "supplier_count", "created_at")
    list_filter = ("active", "outside_hours")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "active", "price_per_lead", "created_at")}),
        ("Intake", {"fields": ("required_fields", "dedup_window_hours")}),
        ("Consent", {"fields": ("consent_required", "consent_max_age_days")}),
        ("Office hours", {"fields": ("timezone", "outside_hours")}),
        ("Calling hours (in the lead's local time)", {"fields": ("calling_starts", "calling_ends",
                                                                 "outside_calling_hours")}),
        ("Caps", {"fields": CAP_FIELDS}),
        ("Distribution", {"fields": CAMPAIGN_DISTRIBUTION_FIELDS}),
        ("Recycling (leads that went nowhere go back to routing)", {"fields": (
            "recycle_after_attempts", "recycle_after_idle_hours", "recycle_lost_reasons", "recycle_max_cycles")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_suppliers=Count("suppliers", distinct=True))

    @admin.display(description="required fields")
    def required_fields_text(self, obj: Campaign) -> str:
        return joined(_FIELD_LABELS.get(name, name) for name in obj.required_fields or [])

    @admin.display(description="caps")
    def caps(self, obj: Campaign) -> str:
        return caps_text(obj)

    @admin.display(description="suppliers", ordering="_suppliers")
    def supplier_count(self, obj: WithAnnotations[Campaign, _SupplierCount]) -> int:
        return obj._suppliers


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ("campaign", "weekday", "opens", "closes")
    list_filter = ("weekday", "campaign")
    search_fields = ("campaign__name", "campaign__slug")
    autocomplete_fields = ("campaign",)
    list_select_related = ("campaign",)
    ordering = ("campaign__name", "weekday", "opens")


class SupplierApiKeyInline(ReadOnlyInline):
    model = SupplierApiKey
    verbose_name_plural = "API keys (create one with the 'Create a new API key' action on the supplier list)"
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    inlines = [SupplierApiKeyInline]
    formfield_overrides = URL_OVERRIDES
    list_display = ("name", "active", "campaign_names", "active_keys", "cost_per_lead", "rate_limit_per_second",
                    "caps", "contact_email", "created_at")
    list_filter = ("active", "campaigns")
    search_fields = ("name", "contact_email")
    autocomplete_fields = ("campaigns",)
    readonly_fields = ("created_at", "webhook_secret")
    ordering = ("name",)
    actions = ["create_api_key"]
    fieldsets = (
        (None, {"fields": ("name", "active", "campaigns", "contact_email", "created_at")}),
        ("Money and limits", {"fields": ("cost_per_lead", "rate_limit_per_second")}),
        ("Caps", {"fields": CAP_FIELDS}),
        ("Status webhooks", {"fields": ("webhook_url", "webhook_secret")}),
    )

    def get_queryset(self, request):
        return (super().get_queryset(request)
                .annotate(_active_keys=Count("api_keys", filter=Q(api_keys__revoked_at__isnull=True), distinct=True))
                .prefetch_related(Prefetch("campaigns", queryset=Campaign.objects.only("id", "name"))))

    @admin.display(description="campaigns")
    def campaign_names(self, obj: Supplier) -> str:
        return joined(c.name for c in obj.campaigns.all())

    @admin.display(description="active keys", ordering="_active_keys")
    def active_keys(self, obj: WithAnnotations[Supplier, _ActiveKeys]) -> int:
        return obj._active_keys

    @admin.display(description="caps")
    def caps(self, obj: Supplier) -> str:
        return caps_text(obj)

    @admin.action(description="Create a new API key", permissions=["change"])
    def create_api_key(self, request, queryset) -> None:
        for supplier in queryset:
            created = supplier_api_key_create(supplier=supplier, name="admin")
            self.log_change(request, supplier, f"Created API key {created.key.prefix}…")
            # A plain str: the messages template escapes it.
            self.message_user(
                request,
                f"New API key for {supplier.name}: {created.raw_key} — Copy it now: it will not be shown again.",
                messages.SUCCESS,
            )


@admin.register(SupplierApiKey)
class SupplierApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "supplier", "name", "state", "created_at", "last_used_at", "revoked_at")
    list_filter = ("supplier", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "name", "supplier__name")
    list_select_related = ("supplier",)
    fields = ("supplier", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("supplier", "prefix", "created_at", "last_used_at", "revoked_at")
    ordering = ("-created_at",)
    actions = ["revoke_keys"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="state", ordering="revoked_at")
    def state(self, obj: SupplierApiKey) -> SafeString:
        return badge(value="accepted", label="active") if obj.is_active else badge(value="revoked", label="revoked")

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request, queryset) -> None:
        keys = list(queryset)
        for key in keys:
            supplier_api_key_revoke(key=key)
            self.log_change(request, key.supplier, f"Revoked API key {key.prefix}…")
        self.message_user(request, f"Revoked {len(keys)} key(s); they no longer authenticate.", messages.SUCCESS)


@admin.register(IntakeAttempt)
class IntakeAttemptAdmin(ExportMixin, EventLogAdmin):
    resource_classes = [IntakeAttemptResource]
    list_display = ("received_at", "supplier", "campaign", "action", "outcome_badge", "reason", "response_status",
                    "lead", "duplicate_of", "external_id", "replays")
    list_filter = ("action", "outcome", "reason", "supplier", "campaign")
    search_fields = ("external_id", "idempotency_key", "detail", "supplier__name")
    list_select_related = ("supplier", "campaign", "lead", "duplicate_of")
    date_hierarchy = "received_at"
    ordering = ("-received_at", "-id")
    fields = ("received_at", "supplier", "campaign", "action", "outcome", "reason", "detail", "lead", "duplicate_of",
              "idempotency_key", "external_id", "response_status", "response", "replays")
    readonly_fields = fields

    outcome_badge = choice_badge("outcome")
    response = json_block("response_body", "response body")


@admin.register(CapCounter)
class CapCounterAdmin(ReadOnlyLogAdmin):
    list_display = ("scope", "window", "window_start", "count")
    list_filter = ("window",)
    search_fields = ("scope",)
    ordering = ("-window_start", "scope")


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(ImportMixin, admin.ModelAdmin):
    resource_classes = [SuppressionEntryResource]
    form = SuppressionEntryAdminForm
    list_display = ("value", "kind", "reason", "created_at")
    list_filter = ("kind",)
    search_fields = ("value", "reason")
    readonly_fields = ("created_at",)
    ordering = ("kind", "value")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(EventLogAdmin):
    """Status events sent to suppliers; written and retried by the webhook service."""

    list_display = ("created_at", "supplier", "lead", "event", "state_badge", "attempts", "last_status",
                    "next_attempt_at", "delivered_at")
    list_filter = ("state", "event", "supplier")
    search_fields = ("url", "event", "last_error", "supplier__name")
    list_select_related = ("supplier", "lead")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = ("supplier", "lead", "event", "url", "state", "created_at", "attempts", "last_status", "last_error",
              "next_attempt_at", "delivered_at", "payload_pretty", "log_pretty")
    readonly_fields = fields

    state_badge = choice_badge("state")
    payload_pretty = json_block("payload", "payload")
    log_pretty = json_block("log", "attempt log")
