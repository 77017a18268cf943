"""Admin of the sales floor: skills, teams, reps and what they can take, scoring and routing rules, history."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypedDict

from django.contrib import admin, messages
from django.db.models import Count, Prefetch
from django.utils.safestring import SafeString

from assignments import (
    admin_history,  # noqa: F401  (registers the offer/contact/outbox history)
    admin_leads,  # noqa: F401  (registers the lead, with its offers and routing actions)
)
from assignments.admin_alerts import masked_webhook  # also registers the alert deliveries
from assignments.admin_inlines import (
    DayOffInline,
    RepLanguageInline,
    RepSkillInline,
    RepTerritoryInline,
    RuleConditionInline,
    RuleRelaxationInline,
    ScoringConditionInline,
    WorkingHoursInline,
)
from assignments.admin_lab import copy_live_rules_to_draft  # also registers the routing lab
from assignments.admin_tiers import RuleAdminMixin, RuleTierInline  # also registers the tier rows
from assignments.admin_work import deactivate_and_take_back, take_back_leads
from assignments.forms import ConditionForm, RepAdminForm, RepLanguageForm, RepTerritoryForm, TeamAdminForm
from assignments.models import (
    DayOff,
    Rep,
    RepLanguage,
    RepSkill,
    RepTerritory,
    RoutingRule,
    RuleCondition,
    RuleRelaxation,
    ScoringCondition,
    ScoringRule,
    Skill,
    Team,
    WorkingHours,
)
from assignments.routing import describe_condition, describe_rule
from assignments.selectors import (
    condition_from_model,
    leads_taken_today,
    leads_today_count,
    rule_spec_from_model,
)
from assignments.services import rep_status_set
from campaigns.admin_common import EMPTY, badge, joined, seconds_humanised

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # a dev-only package: types, never imported at runtime

REP_RELATED = ("rep__user",)


class RepCount(TypedDict):
    """What RepCountAdmin.get_queryset adds to each row."""

    _reps: int


class RepCountAdmin(admin.ModelAdmin):
    """Lists each row with its number of reps, counted through `reps_path` in the list's one query."""

    reps_path: str

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_reps=Count(self.reps_path, distinct=True))

    @admin.display(description="reps", ordering="_reps")
    def rep_count(self, obj: WithAnnotations[Skill, RepCount] | WithAnnotations[Team, RepCount]) -> int:
        return obj._reps


@admin.register(Skill)
class SkillAdmin(RepCountAdmin):
    reps_path = "rep_skills"
    list_display = ("name", "slug", "rep_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("name",)


@admin.register(Team)
class TeamAdmin(RepCountAdmin):
    reps_path = "reps"
    form = TeamAdminForm
    list_display = ("name", "description", "rep_count", "away_after_seconds", "alert_unseen_seconds", "alert_email",
                    "chat")
    fieldsets = (
        (None, {"fields": ("name", "description", "away_after_seconds")}),
        ("Alerts away from the page: browser first, then email and chat", {"fields": (
            "alert_unseen_seconds", "alert_email", "chat_provider", "chat_webhook_url", "chat_webhook_remove",
            "chat_unseen_offers", "chat_waiting_too_long", "chat_sla_breaches")}),
    )
    search_fields = ("name", "description")
    ordering = ("name",)

    @admin.display(description="chat webhook")
    def chat(self, obj: Team) -> str:
        """The provider and the webhook's host only: the URL is a secret."""
        return masked_webhook(provider=obj.get_chat_provider_display(), url=obj.chat_webhook_url)


@admin.register(Rep)
class RepAdmin(admin.ModelAdmin):
    """Status changes go through the actions (rep_status_set), so status_changed_at stays true."""

    form = RepAdminForm
    inlines = [RepLanguageInline, RepSkillInline, RepTerritoryInline, WorkingHoursInline, DayOffInline]
    # Today's count (each rep's own day, in their time zone) comes with the list's one query: leads_today_count.
    list_display = ("username", "full_name", "status_badge", "active", "load_capacity", "today_daily_cap",
                    "team_names", "language_codes", "conversion", "median_response", "last_offered_at")
    list_filter = ("status", "active", "teams")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ("user", "teams")
    list_select_related = ("user",)
    readonly_fields = ("status_badge", "status_changed_at", "load_capacity", "today_daily_cap", "last_offered_at",
                       "conversion", "median_response", "stats_updated_at")
    ordering = ("user__username",)
    actions = ["set_available", "set_away", take_back_leads, deactivate_and_take_back]
    fieldsets = (
        (None, {"fields": ("user", "active", "teams", "timezone", "alert_channels")}),
        ("Status", {"fields": ("status_badge", "status_changed_at")}),
        ("Capacity and share", {"fields": ("capacity", "load_capacity", "daily_cap", "today_daily_cap", "weight",
                                           "last_offered_at")}),
        ("Performance (recomputed by a scheduled task)", {"fields": ("conversion", "median_response",
                                                                      "stats_updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("teams", queryset=Team.objects.only("id", "name")),
            Prefetch("languages", queryset=RepLanguage.objects.order_by("code")),
        ).annotate(_leads_today=leads_today_count(timezones=Rep.objects.values_list("timezone", flat=True)))

    @admin.display(description="username", ordering="user__username")
    def username(self, obj: Rep) -> str:
        return obj.user.username

    @admin.display(description="name", ordering="user__last_name")
    def full_name(self, obj: Rep) -> str:
        return obj.user.get_full_name() or EMPTY

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Rep) -> SafeString:
        return badge(value=obj.status, label=obj.get_status_display())

    @admin.display(description="load / capacity", ordering="load")
    def load_capacity(self, obj: Rep | None) -> str:
        """Open offers + owned leads not contacted yet, against the capacity."""
        if obj is None or obj.pk is None:
            return EMPTY
        return f"{obj.load} / {obj.capacity}"

    @admin.display(description="new today / daily cap")
    def today_daily_cap(self, obj: Rep | None) -> str:
        """New leads today in the rep's time zone (offers open or taken), against the daily cap."""
        if obj is None or obj.pk is None:
            return EMPTY
        today = getattr(obj, "_leads_today", None)
        if today is None:
            today = leads_taken_today(rep_id=obj.pk, timezone=obj.timezone)
        return f"{today} / {obj.daily_cap}" if obj.daily_cap is not None else f"{today} (no daily cap)"

    @admin.display(description="teams")
    def team_names(self, obj: Rep) -> str:
        return joined(team.name for team in obj.teams.all())

    @admin.display(description="languages")
    def language_codes(self, obj: Rep) -> str:
        return joined(language.code for language in obj.languages.all())

    @admin.display(description="conversion rate", ordering="conversion_rate")
    def conversion(self, obj: Rep) -> str:
        return f"{obj.conversion_rate * 100:.1f} %"

    @admin.display(description="median response", ordering="median_response_seconds")
    def median_response(self, obj: Rep) -> str:
        return seconds_humanised(obj.median_response_seconds)

    def _status_set(self, request, queryset, status: str) -> None:
        reps = list(queryset)
        label = Rep.Status(status).label
        for rep in reps:
            rep_status_set(rep=rep, status=status)
            self.log_change(request, rep, f"Status set to {label}")
        self.message_user(request, f"{len(reps)} rep(s) set to {label}.", messages.SUCCESS)

    @admin.action(description="Set available", permissions=["change"])
    def set_available(self, request, queryset) -> None:
        self._status_set(request, queryset, Rep.Status.AVAILABLE)

    @admin.action(description="Set away", permissions=["change"])
    def set_away(self, request, queryset) -> None:
        self._status_set(request, queryset, Rep.Status.AWAY)


class RepPartAdmin(admin.ModelAdmin):
    """One kind of rep attribute across every rep."""

    autocomplete_fields: ClassVar[tuple[str, ...]] = ("rep",)
    list_select_related: ClassVar[tuple[str, ...]] = REP_RELATED
    search_fields: ClassVar[tuple[str, ...]] = ("rep__user__username", "rep__user__first_name", "rep__user__last_name")


@admin.register(RepLanguage)
class RepLanguageAdmin(RepPartAdmin):
    form = RepLanguageForm
    list_display = ("rep", "code")
    list_filter = ("code",)
    search_fields = (*RepPartAdmin.search_fields, "code")
    ordering = ("rep__user__username", "code")


@admin.register(RepSkill)
class RepSkillAdmin(RepPartAdmin):
    list_display = ("rep", "skill", "level")
    list_filter = ("skill", "level")
    autocomplete_fields = ("rep", "skill")
    list_select_related = (*REP_RELATED, "skill")
    search_fields = (*RepPartAdmin.search_fields, "skill__name", "skill__slug")
    ordering = ("rep__user__username", "skill__name")


@admin.register(RepTerritory)
class RepTerritoryAdmin(RepPartAdmin):
    form = RepTerritoryForm
    list_display = ("rep", "country", "region", "postal_prefix")
    list_filter = ("country",)
    search_fields = (*RepPartAdmin.search_fields, "country", "region", "postal_prefix")
    ordering = ("rep__user__username", "country", "region")


@admin.register(WorkingHours)
class WorkingHoursAdmin(RepPartAdmin):
    list_display = ("rep", "weekday", "starts", "ends")
    list_filter = ("weekday",)
    ordering = ("rep__user__username", "weekday", "starts")


@admin.register(DayOff)
class DayOffAdmin(RepPartAdmin):
    list_display = ("rep", "date", "note")
    date_hierarchy = "date"
    search_fields = (*RepPartAdmin.search_fields, "note")
    ordering = ("-date",)


def conditions_text(conditions) -> str:
    return " and ".join(describe_condition(condition_from_model(c)) for c in conditions) or "any lead"


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    inlines = [ScoringConditionInline]
    list_display = ("name", "active", "points_text", "when")
    list_filter = ("active",)
    search_fields = ("name",)
    ordering = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("conditions", queryset=ScoringCondition.objects.order_by("id")))

    @admin.display(description="points", ordering="points")
    def points_text(self, obj: ScoringRule) -> str:
        return f"{obj.points:+d}"

    @admin.display(description="when")
    def when(self, obj: ScoringRule) -> str:
        return conditions_text(obj.conditions.all())


class ConditionAdmin(admin.ModelAdmin):
    """A rule's condition rows, each with its meaning in words; saved through ConditionForm (the engine's checks)."""

    form = ConditionForm
    list_display: tuple[str, ...] = ("rule", "field", "op", "value", "meaning")
    list_filter: ClassVar[tuple[str, ...]] = ("op",)
    search_fields = ("rule__name", "field", "value")
    autocomplete_fields = ("rule",)
    list_select_related = ("rule",)
    ordering: ClassVar[tuple[str, ...]] = ("rule__name", "id")

    @admin.display(description="in words")
    def meaning(self, obj) -> str:
        return describe_condition(condition_from_model(obj))


admin.site.register(ScoringCondition, ConditionAdmin)


@admin.register(RoutingRule)
class RoutingRuleAdmin(RuleAdminMixin, admin.ModelAdmin):
    inlines = [RuleConditionInline, RuleTierInline, RuleRelaxationInline]
    list_display = ("order", "name", "active", "strategy", "team_names", "timeout", "summary")
    list_display_links = ("name",)
    list_editable = ("order", "active")
    list_filter = ("active", "strategy", "teams")
    search_fields = ("name",)
    autocomplete_fields = ("teams",)
    readonly_fields = ("summary", "ladder")
    ordering = ("order", "id")
    actions = [copy_live_rules_to_draft]
    fieldsets = ((None, {"fields": ("name", "order", "active", "summary")}), *RuleAdminMixin.SETTINGS_FIELDSETS)

    @admin.display(description="teams")
    def team_names(self, obj: RoutingRule) -> str:
        return joined(team.name for team in obj.teams.all()) if obj.pk else EMPTY

    @admin.display(description="offer timeout", ordering="offer_timeout_seconds")
    def timeout(self, obj: RoutingRule) -> str:
        return seconds_humanised(obj.offer_timeout_seconds)

    @admin.display(description="summary")
    def summary(self, obj: RoutingRule) -> str:
        if obj.pk is None:
            return "Saved rules are summarised here."
        return describe_rule(rule_spec_from_model(obj), team_names={t.pk: t.name for t in obj.teams.all()})


@admin.register(RuleCondition)
class RuleConditionAdmin(ConditionAdmin):
    ordering = ("rule__order", "rule__id", "id")


@admin.register(RuleRelaxation)
class RuleRelaxationAdmin(admin.ModelAdmin):
    list_display = ("rule", "after", "drop")
    list_filter = ("drop",)
    search_fields = ("rule__name",)
    autocomplete_fields = ("rule",)
    list_select_related = ("rule",)
    ordering = ("rule__order", "after_seconds")

    @admin.display(description="after", ordering="after_seconds")
    def after(self, obj: RuleRelaxation) -> str:
        return seconds_humanised(obj.after_seconds)


# Registered last: they need ConditionAdmin above.
from assignments import admin_delays, admin_personas  # noqa: E402,F401
