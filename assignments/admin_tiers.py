"""A rule's tiers in the admin: the inline that edits the ladder, its whole-ladder checks, the ladder in words, and
what the live and draft rule admins share around it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from assignments.models import DraftRule, DraftTier, RoutingRule, RuleTier, TierBase
from assignments.routing import Tier, tier_errors
from assignments.routing.tiers import tier_opening_times
from assignments.selectors import rules_for_spec, tier_from_model
from campaigns.admin_common import RowsInline, seconds_humanised

TIERS_HELP = ("With tiers, the tiers choose the candidates and the rule's teams are not used. Tier 1 is offered "
              "first; each later tier joins once the lead has waited the earlier tiers' waits; a last tier may be "
              "everyone or the open pool.")


class TierForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") != TierBase.Kind.REPS and data.get("reps"):
            self.add_error("reps", "Only a tier of kind 'These reps' lists reps; clear them or change the kind.")
        return data


class TierFormSet(BaseInlineFormSet):
    """Checks the ladder as a whole: members chosen, waits set, the pool last, only the pool after everyone."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = sorted((f.cleaned_data for f in self.forms
                       if f.cleaned_data and not f.cleaned_data.get("DELETE")), key=lambda d: d["position"])
        errors = []  # two tiers in one position were refused above, by the unique constraint
        for n, data in enumerate(rows[:-1], start=1):
            if data.get("wait_seconds") is None:
                errors.append(f"Tier {n}: set how many seconds to wait before tier {n + 1} is added.")
        ladder = [Tier(name="", team_ids=frozenset([data["team"].pk]) if data.get("team") else frozenset(),
                       rep_ids=frozenset(rep.pk for rep in data.get("reps") or ()),
                       everyone=data["kind"] == TierBase.Kind.EVERYONE, pool=data["kind"] == TierBase.Kind.POOL,
                       wait_seconds=data.get("wait_seconds") or 0) for data in rows]
        if ladder:  # no tiers at all is fine: the rule offers to its teams
            errors += tier_errors(ladder)
        if errors:
            raise ValidationError(errors)


class TierInline(RowsInline):
    form = TierForm
    formset = TierFormSet
    fields = ("position", "kind", "team", "reps", "wait_seconds")
    autocomplete_fields = ("team", "reps")
    ordering = ("position",)
    verbose_name = "tier"
    verbose_name_plural = "tiers (a ladder of candidates that widens while a lead waits; none: the teams above)"


class RuleTierInline(TierInline):
    model = RuleTier


class DraftTierInline(TierInline):
    model = DraftTier


def tier_ladder(rule: RoutingRule | DraftRule) -> SafeString | str:
    """The rule's tiers (prefetched) as one numbered ladder: who, and how long until the next rung joins."""
    tiers = [tier_from_model(tier) for tier in rule.tiers.all()]
    if not tiers:
        return "No tiers: the rule offers to its teams."
    rungs = [(n, tier.name, f"after {seconds_humanised(at)} of waiting" if n > 1 else "from the start")
             for n, (tier, at) in enumerate(zip(tiers, tier_opening_times(tiers), strict=True), start=1)]
    return format_html("<ol class=\"tier-ladder\">{}</ol>", format_html_join(
        "", "<li>Tier {}: <strong>{}</strong>, {}</li>", rungs))


@admin.register(RuleTier, DraftTier)
class TierAdmin(admin.ModelAdmin):
    """Tier rows, to look up and filter; a ladder is edited as a whole on its rule, where it is checked."""

    list_display = ("rule", "position", "kind", "who", "wait")
    list_filter = ("kind",)
    search_fields = ("rule__name",)
    autocomplete_fields = ("rule", "team", "reps")
    list_select_related = ("rule", "team")
    ordering = ("rule", "position")

    @admin.display(description="who")
    def who(self, obj: TierBase) -> str:
        return obj.who()

    @admin.display(description="wait before the next tier", ordering="wait_seconds")
    def wait(self, obj: TierBase) -> str:
        return seconds_humanised(obj.wait_seconds) if obj.wait_seconds is not None else "(last tier)"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RuleAdminMixin:
    """What the live and draft rule admins share: the settings fieldsets (after the rule's own), the tier ladder
    in words, and the rule's parts prefetched as the engine reads them."""

    SETTINGS_FIELDSETS: tuple[Any, ...] = (  # Any: django-stubs types fieldsets with a stub-only TypedDict
        ("Who gets the lead", {"fields": ("teams", "ladder", "strategy", "broadcast_count", "exploration_share"),
                               "description": TIERS_HELP}),
        ("Hard filters", {"fields": ("require_language", "require_skill", "min_skill_level", "require_territory")}),
        ("SLA", {"fields": ("offer_timeout_seconds", "max_offers", "max_wait_seconds", "first_contact_seconds",
                            "no_contact_action")}),
        ("Open pool", {"fields": ("pool", "pool_after_seconds")}),
    )

    def get_queryset(self, request):
        return rules_for_spec(super().get_queryset(request))  # type: ignore[misc]

    @admin.display(description="tiers")
    def ladder(self, obj: RoutingRule | DraftRule) -> SafeString | str:
        return tier_ladder(obj) if obj.pk else "Tiers you add below show here as a ladder once saved."
