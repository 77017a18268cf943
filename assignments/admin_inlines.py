"""Inlines of the sales floor admin, including the read-only offer and contact history shown on a lead."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

from assignments.forms import ConditionForm, RepLanguageForm, RepTerritoryForm
from assignments.models import (
    Assignment,
    ConditionBase,
    ContactAttempt,
    DayOff,
    RelaxationBase,
    RepLanguage,
    RepSkill,
    RepTerritory,
    RuleCondition,
    RuleRelaxation,
    ScoringCondition,
    WorkingHours,
)
from assignments.selectors_work import explanation_summary
from campaigns.admin_common import EMPTY, ReadOnlyInline, RowsInline, badge, json_pre, json_pretty, seconds_humanised


def explanation_html(explanation: object) -> SafeString | str:
    """A routing decision in words: its stored summary, else the Decision's own summary, else escaped JSON."""
    if not explanation:
        return EMPTY
    if not isinstance(explanation, Mapping):
        return json_pre(explanation)
    summary = explanation_summary(explanation)
    if not summary:
        return json_pre(explanation)
    return format_html(
        '<p style="margin:0">{}</p><details><summary>Details</summary>'
        '<pre style="white-space:pre-wrap;margin:0">{}</pre></details>',
        summary, json_pretty(explanation),
    )


class OfferColumns:
    """An offer's status badge, response time and routing decision, as the offer list and a lead's offers show
    them."""

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Assignment) -> SafeString:
        return badge(value=obj.status, label=obj.get_status_display())

    @admin.display(description="responded after")
    def response_time(self, obj: Assignment) -> str:
        if obj.responded_at is None:
            return EMPTY
        return seconds_humanised((obj.responded_at - obj.offered_at).total_seconds())

    @admin.display(description="routing decision")
    def decision(self, obj: Assignment) -> SafeString | str:
        return explanation_html(obj.explanation)


class LeadAssignmentInline(OfferColumns, ReadOnlyInline):
    model = Assignment
    verbose_name = "offer"
    verbose_name_plural = "offers and routing decisions"
    fields = ("rep", "rule", "status_badge", "offered_at", "expires_at", "responded_at", "response_time",
              "decline_reason", "decision")
    readonly_fields = fields
    ordering = ("offered_at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rep__user", "rule")


class LeadContactInline(ReadOnlyInline):
    model = ContactAttempt
    verbose_name = "contact attempt"
    fields = ("at", "rep", "channel", "outcome", "notes")
    readonly_fields = fields
    ordering = ("at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("rep__user")


class RepLanguageInline(RowsInline):
    model = RepLanguage
    form = RepLanguageForm


class RepSkillInline(RowsInline):
    model = RepSkill
    autocomplete_fields = ("skill",)


class RepTerritoryInline(RowsInline):
    model = RepTerritory
    form = RepTerritoryForm


class WorkingHoursInline(RowsInline):
    model = WorkingHours


class DayOffInline(RowsInline):
    model = DayOff


class RuleRelaxationInline(RowsInline):
    model: type[RelaxationBase] = RuleRelaxation  # a draft rule's are shown alike (DraftRelaxationInline)


class ConditionInline(RowsInline):
    """A rule's conditions, each checked by the routing engine as it is saved."""

    form = ConditionForm


class RuleConditionInline(ConditionInline):
    model: type[ConditionBase] = RuleCondition  # a draft rule's are shown alike (DraftConditionInline)
    verbose_name = "condition (all must hold)"
    verbose_name_plural = "conditions (all must hold; none: any lead)"


class ScoringConditionInline(ConditionInline):
    model = ScoringCondition
    verbose_name_plural = "conditions (all must hold)"
