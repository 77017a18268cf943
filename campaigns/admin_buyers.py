"""Admin of buyer distribution: buyers (token write-only, "send test lead"), price rules, the delivery log,
distributions and returns, and the lead page's buyer trail. campaigns/admin.py imports it for the campaign page's
price rules and distribution settings; it imports nothing from there."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Prefetch

from campaigns.admin_columns import choice_badge, json_block
from campaigns.admin_common import URL_OVERRIDES, EventLogAdmin, RowsInline, filters_compact, joined
from campaigns.buyers.forms import BuyerSetupForm, LeadReturnForm, PriceRuleForm
from campaigns.buyers.services import BuyerReturnRefused, buyer_test_send, lead_distribution_enqueue, lead_return
from campaigns.models import Buyer, BuyerDelivery, Campaign, LeadDistribution, LeadReturn, PriceRule

TEST_SEND_MAX = 5
RESPONSE_SHOWN = 300


def _answer_text(delivery: BuyerDelivery) -> str:
    code = f"HTTP {delivery.response_code}" if delivery.response_code else "no HTTP answer"
    detail = delivery.error or delivery.response_body
    return f"{delivery.stage} {delivery.get_outcome_display().lower()} ({code}, {delivery.latency_ms} ms)" + (
        f": {detail[:RESPONSE_SHOWN]}" if detail else "")


@admin.register(Buyer)
class BuyerAdmin(admin.ModelAdmin):
    form = BuyerSetupForm
    formfield_overrides = URL_OVERRIDES
    actions = ["send_test_lead"]
    list_display = ("name", "active", "priority", "weight", "price", "campaign_names", "filters_text", "caps",
                    "ping_stage", "timeout_ms", "endpoint_url")
    list_filter = ("active", "campaigns")
    search_fields = ("name", "endpoint_url")
    autocomplete_fields = ("campaigns",)
    readonly_fields = ("created_at",)
    ordering = ("priority", "name")
    fieldsets = (
        (None, {"fields": ("name", "active", "campaigns", "endpoint_url", "created_at")}),
        ("Delivery", {"fields": ("filters", "price", "weight", "priority")}),
        ("Caps", {"fields": ("cap_per_hour", "cap_per_day", "cap_per_month")}),
        ("Request", {"fields": ("ping_url", "timeout_ms", "request_template", "headers", "auth_token",
                                "clear_auth_token"),
                     "description": "How leads are sent. Placeholders: {{ first_name }}, {{ email }}, "
                                    "{{ fields.<answer> }}, {{ price }}, {{ ping_token }} ..."}),
        ("Schedule and returns", {"fields": ("schedule", "return_window_hours")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("campaigns", queryset=Campaign.objects.only("id", "name")))

    @admin.display(description="campaigns")
    def campaign_names(self, obj: Buyer) -> str:
        return joined(c.name for c in obj.campaigns.all())

    @admin.display(description="filters")
    def filters_text(self, obj: Buyer) -> str:
        return filters_compact(obj.filters)

    @admin.display(description="caps")
    def caps(self, obj: Buyer) -> str:
        parts = [f"{n}/{unit}" for n, unit in ((obj.cap_per_hour, "h"), (obj.cap_per_day, "day"),
                                               (obj.cap_per_month, "month")) if n is not None]
        return ", ".join(parts) or "none"

    @admin.display(description="ping", boolean=True)
    def ping_stage(self, obj: Buyer) -> bool:
        return bool(obj.ping_url)

    @admin.action(description="Send a test lead (marked test) and show the answer", permissions=["change"])
    def send_test_lead(self, request, queryset) -> None:
        buyers = list(queryset[:TEST_SEND_MAX + 1])
        if len(buyers) > TEST_SEND_MAX:
            self.message_user(request, f"Select at most {TEST_SEND_MAX} buyers to test at once.", messages.ERROR)
            return
        for buyer in buyers:
            for delivery in buyer_test_send(buyer=buyer):
                level = messages.SUCCESS if delivery.outcome in ("accepted", "bid") else messages.WARNING
                self.message_user(request, f"{buyer.name}: {_answer_text(delivery)}", level)


class PriceRuleInline(RowsInline):
    model = PriceRule
    form = PriceRuleForm
    fields = ("order", "name", "active", "target", "buyer", "conditions", "operation", "amount")


@admin.register(PriceRule)
class PriceRuleAdmin(admin.ModelAdmin):
    form = PriceRuleForm
    list_display = ("name", "campaign", "buyer", "active", "target", "conditions_text", "operation", "amount", "order")
    list_filter = ("active", "target", "campaign")
    search_fields = ("name", "campaign__name", "buyer__name")
    list_select_related = ("campaign", "buyer")
    autocomplete_fields = ("campaign", "buyer")
    ordering = ("campaign__name", "order", "id")

    @admin.display(description="when")
    def conditions_text(self, obj: PriceRule) -> str:
        return filters_compact(obj.conditions)


# The campaign page's buyer settings, shown after its own (campaigns/admin.py), with PriceRuleInline.
CAMPAIGN_DISTRIBUTION_FIELDS = ("distribution_mode", "buyers_after_minutes", "buyer_method", "ping_tree_order",
                                "floor_price")


@admin.register(BuyerDelivery)
class BuyerDeliveryAdmin(EventLogAdmin):
    """Every ping and post to a buyer, with the masked request and the answer."""

    list_display = ("created_at", "buyer", "lead", "stage", "outcome_badge", "bid", "price", "response_code",
                    "latency_ms", "attempt", "test")
    list_filter = ("stage", "outcome", "test", "buyer")
    search_fields = ("buyer__name", "error", "lead__id")
    list_select_related = ("buyer", "lead")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = ("created_at", "buyer", "lead", "stage", "test", "run", "attempt", "outcome", "retryable", "bid",
              "price", "response_code", "latency_ms", "error", "request_pretty", "response_body", "history_pretty")
    readonly_fields = fields

    outcome_badge = choice_badge("outcome")
    request_pretty = json_block("request", "request (personal data masked)")
    history_pretty = json_block("history", "earlier tries")


@admin.register(LeadDistribution)
class LeadDistributionAdmin(EventLogAdmin):
    list_display = ("created_at", "lead", "method", "state_badge", "runs", "buyer", "price", "sold_at", "next_run_at")
    list_filter = ("state", "method", "buyer")
    search_fields = ("lead__id", "buyer__name", "summary")
    list_select_related = ("lead", "buyer")
    ordering = ("-created_at", "-id")
    fields = ("lead", "method", "state", "runs", "buyer", "price", "sold_at", "summary", "created_at",
              "lease_until", "next_run_at", "finished_at")
    readonly_fields = fields

    state_badge = choice_badge("state")


@admin.register(LeadReturn)
class LeadReturnAdmin(admin.ModelAdmin):
    """Returns are recorded here (add) through the return service; a recorded return is read-only."""

    form = LeadReturnForm
    list_display = ("at", "lead", "buyer", "reason", "amount", "created_by")
    list_filter = ("buyer",)
    search_fields = ("reason", "buyer__name", "lead__id")
    list_select_related = ("lead", "buyer", "created_by")
    autocomplete_fields = ("lead",)
    ordering = ("-at", "-id")

    def get_fields(self, request, obj=None):
        return ("lead", "reason") if obj is None else ("lead", "buyer", "reason", "amount", "at", "created_by")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def save_model(self, request, obj, form, change) -> None:
        try:
            recorded = lead_return(lead_id=obj.lead_id, reason=obj.reason, user=request.user)
        except BuyerReturnRefused as refused:  # lost a race with another manager after the form was checked
            recorded = LeadReturn.objects.get(lead_id=obj.lead_id)
            self.message_user(request, str(refused), messages.ERROR)
        obj.pk, obj.buyer_id, obj.amount, obj.at = recorded.pk, recorded.buyer_id, recorded.amount, recorded.at
        obj._state.adding = False


class ReadOnlyRowsInline(admin.options.InlineModelAdmin):
    """Base of an inline of rows written only by services: shown, never added, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LeadDistributionInline(ReadOnlyRowsInline, admin.StackedInline):
    model = LeadDistribution
    verbose_name = "buyer distribution"
    verbose_name_plural = "buyer distribution"
    fields = ("method", "state", "runs", "buyer", "price", "sold_at", "next_run_at", "summary")
    readonly_fields = fields


class BuyerDeliveryInline(ReadOnlyRowsInline, admin.TabularInline):
    model = BuyerDelivery
    fk_name = "lead"
    verbose_name_plural = "buyer trail (every ping and post)"
    fields = ("created_at", "buyer", "stage", "run", "attempt", "outcome", "bid", "price", "response_code",
              "latency_ms", "error")
    readonly_fields = fields
    ordering = ("created_at", "id")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("buyer")


class LeadReturnInline(ReadOnlyRowsInline, admin.TabularInline):
    model = LeadReturn
    fields = ("at", "buyer", "reason", "amount", "created_by")
    readonly_fields = fields


@admin.action(description="Send to buyers now (takes back open offers; an unsold lead is offered again)")
def send_to_buyers(modeladmin, request, queryset) -> None:
    sent: list[int] = []
    refused: list[int] = []
    for lead_id in queryset.values_list("pk", flat=True):
        (sent if lead_distribution_enqueue(lead_id=lead_id, force=True) else refused).append(lead_id)
    if sent:
        modeladmin.message_user(request, f"Sending {len(sent)} lead(s) to buyers.", messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request, f"Not sent (owned by a rep, sold, already with buyers or finished): "
                     f"{', '.join(f'#{pk}' for pk in refused[:20])}.", messages.WARNING)


