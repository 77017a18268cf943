"""Admin of the routing lab: drafts and promotion, replays, experiments, recorded decisions; actions call services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import now

from assignments.admin_inlines import RuleConditionInline, RuleRelaxationInline
from assignments.admin_tiers import DraftTierInline, RuleAdminMixin
from assignments.forms import ConditionForm
from assignments.lab import services
from assignments.lab.forms import ExperimentEndForm, ExperimentForm, ReplayForm, RulesetAddForm, VariantFormSet
from assignments.models import (
    DraftCondition,
    DraftRelaxation,
    DraftRule,
    Experiment,
    ExperimentVariant,
    ReplayRun,
    RepProfile,
    RoutingSnapshot,
    Ruleset,
)
from assignments.routing import describe_condition, describe_rule
from assignments.selectors import condition_from_model, rule_spec_from_model, rules_for_spec
from campaigns.admin_columns import json_block
from campaigns.admin_common import EMPTY, EventLogAdmin, ReadOnlyLogAdmin, RowsInline, badge, joined

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # a dev-only package: types, never imported at runtime


class RuleCount(TypedDict):
    """What RulesetAdmin.get_queryset adds to each ruleset."""

    _rules: int


def _log_live_change(modeladmin, request, change: services.LiveChange, why: str) -> None:
    """One LogEntry per live rule touched, so the rule's own history shows the promotion or undo."""
    for rule in change.updated:
        modeladmin.log_change(request, rule, f"Updated by {why}")
    for rule in change.created:
        modeladmin.log_change(request, rule, f"Created by {why}")
    for rule in change.deactivated:
        modeladmin.log_change(request, rule, f"Deactivated by {why} (kept for its history)")


def _change_text(change: services.LiveChange) -> str:
    parts = [f"{len(change.updated)} updated", f"{len(change.created)} created"]
    if change.deactivated:
        parts.append(f"{len(change.deactivated)} deactivated")
    if change.deleted:
        parts.append(f"{len(change.deleted)} removed ({', '.join(change.deleted)})")
    return ", ".join(parts)


@admin.action(description="Copy live rules into a draft")
def copy_live_rules_to_draft(modeladmin, request, queryset):
    """On the live rules list: the whole live set (not only the selection) goes into a new draft."""
    ruleset = services.ruleset_draft_from_live(name=f"Draft {now():%Y-%m-%d %H:%M}", user=request.user)
    modeladmin.log_addition(request, ruleset, "Copied from the live rules")
    modeladmin.message_user(request, f"Copied all {ruleset.rules.count()} live rules into draft '{ruleset}'; "
                                     "rename and edit it here.", messages.SUCCESS)
    return HttpResponseRedirect(reverse("admin:assignments_ruleset_change", args=[ruleset.pk]))


class EditableWhileInline(admin.options.InlineModelAdmin):
    """Base of an inline whose rows may be added, changed or deleted only while `_editable(parent)` holds (the
    parent is None on its add page); otherwise they are shown read-only. Each subclass says when."""

    def _editable(self, obj) -> bool:
        return obj is None  # only on the parent's add page, unless a subclass allows more

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class DraftRuleInline(EditableWhileInline, RowsInline):
    model = DraftRule
    fields = ("order", "name", "active", "strategy", "summary")
    readonly_fields = ("summary",)
    show_change_link = True
    ordering = ("order", "id")
    verbose_name_plural = "rules (open one to edit its teams, filters, conditions and relaxations)"

    def get_queryset(self, request):
        return rules_for_spec(super().get_queryset(request))

    @admin.display(description="in words")
    def summary(self, obj: DraftRule) -> str:
        return _rule_words(obj) if obj.pk else EMPTY

    def _editable(self, obj) -> bool:
        return obj is None or obj.kind == Ruleset.Kind.DRAFT


def _rule_words(rule: DraftRule) -> str:
    return describe_rule(rule_spec_from_model(rule), team_names={t.pk: t.name for t in rule.teams.all()})


@admin.register(Ruleset)
class RulesetAdmin(admin.ModelAdmin):
    """Drafts are edited freely and never route; backups are the live rules a promotion replaced (read-only)."""

    list_display = ("name", "kind_badge", "rule_count", "created_at", "created_by", "promoted_at", "restored_at")
    list_filter = ("kind",)
    search_fields = ("name", "note")
    list_select_related = ("created_by",)
    ordering = ("-created_at", "-id")
    list_per_page = 50
    inlines = [DraftRuleInline]
    actions = ["promote_to_live", "undo_last_promotion", "replay_draft"]
    readonly_fields = ("kind", "created_at", "created_by", "promoted_at", "replaced_by", "restored_at", "replays")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_rules=Count("rules", distinct=True))

    def get_form(self, request: HttpRequest, obj: Ruleset | None = None, change: bool = False,
                 **kwargs: Any) -> type[ModelForm[Any]]:
        if obj is None:
            kwargs["form"] = RulesetAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "note", "copy_live")
        return ("name", "note", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.kind == Ruleset.Kind.BACKUP:
            return ("name", "note", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.kind = Ruleset.Kind.DRAFT
        super().save_model(request, obj, form, change)
        if not change and form.cleaned_data.get("copy_live"):
            count = services.ruleset_live_copy(ruleset=obj)
            self.message_user(request, f"Copied {count} live rule(s) into the draft.", messages.INFO)

    @admin.display(description="kind", ordering="kind")
    def kind_badge(self, obj: Ruleset) -> SafeString:
        return badge(value="pending" if obj.kind == Ruleset.Kind.DRAFT else "revoked", label=obj.get_kind_display())

    @admin.display(description="rules", ordering="_rules")
    def rule_count(self, obj: WithAnnotations[Ruleset, RuleCount]) -> int:
        return obj._rules

    @admin.display(description="replays")
    def replays(self, obj: Ruleset) -> SafeString | str:
        runs = list(obj.replays.order_by("-created_at", "-id")[:10])
        if not runs:
            return "None yet: select this draft in the list and use the action “Replay this draft…”."
        return format_html("<ul style='margin:0;padding-left:1em'>{}</ul>", format_html_join(
            "", "<li><a href='{}'>Replay #{} ({} to {}): {}</a></li>",
            ((reverse("lab-replay", args=[r.pk]), r.pk, r.since, r.until, r.get_status_display()) for r in runs)))

    def _one(self, request, queryset) -> Ruleset | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one ruleset.", messages.ERROR)
            return None
        return queryset.get()

    @admin.action(description="Promote draft to live", permissions=["change"])
    def promote_to_live(self, request, queryset):
        ruleset = self._one(request, queryset)
        if ruleset is None:
            return None
        try:
            change = services.ruleset_promote(ruleset=ruleset, user=request.user)
        except services.LabError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.log_change(request, ruleset, f"Promoted to live: {_change_text(change)}")
        self.log_addition(request, change.backup, f"Saved the live rules replaced by '{ruleset}'")
        _log_live_change(self, request, change, f"promotion of draft '{ruleset}'")
        self.message_user(request, f"Draft '{ruleset}' is live ({_change_text(change)}). The previous rules are "
                                   f"saved as '{change.backup}'; “Undo last promotion” restores them.",
                          messages.SUCCESS)
        return None

    @admin.action(description="Undo last promotion", permissions=["change"])
    def undo_last_promotion(self, request, queryset):
        """The selection does not matter: the latest promotion not yet undone is reverted."""
        try:
            change = services.promotion_undo(user=request.user)
        except services.LabError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        draft = change.backup.replaced_by
        why = f"undo of the promotion of '{draft}'" if draft else "undo of a promotion"
        self.log_change(request, change.backup, f"Restored to live ({why}): {_change_text(change)}")
        _log_live_change(self, request, change, why)
        self.message_user(request, f"Restored the live rules from '{change.backup}' ({_change_text(change)}).",
                          messages.SUCCESS)
        return None

    @admin.action(description="Replay this draft…", permissions=["view"])
    def replay_draft(self, request, queryset):
        ruleset = self._one(request, queryset)
        if ruleset is None:
            return None
        form = ReplayForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = services.replay_run_start(ruleset=ruleset, since=data["since"], until=data["until"],
                                                seed=data["seed"], user=request.user)
            except services.LabError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            self.log_change(request, ruleset, f"Replay #{run.pk} queued ({run.since} to {run.until}, "
                                              f"{run.total} leads)")
            return HttpResponseRedirect(reverse("lab-replay", args=[run.pk]))
        context = {**self.admin_site.each_context(request), "title": f"Replay '{ruleset}'", "form": form,
                   "ruleset": ruleset, "opts": self.model._meta, "action": "replay_draft",
                   "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME, "object_pk": ruleset.pk,
                   "submit_label": "Start the replay"}
        return TemplateResponse(request, "assignments/lab/admin_replay_form.html", context)


class DraftConditionInline(RuleConditionInline):
    model = DraftCondition


class DraftRelaxationInline(RuleRelaxationInline):
    model = DraftRelaxation


class DraftPartAdmin(admin.ModelAdmin):
    """Editable only while the rule belongs to a draft, never inside a backup."""

    def _editable(self, obj) -> bool:
        ruleset = getattr(obj, "ruleset", None) or getattr(getattr(obj, "rule", None), "ruleset", None)
        return ruleset is None or ruleset.kind == Ruleset.Kind.DRAFT

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(DraftRule)
class DraftRuleAdmin(RuleAdminMixin, DraftPartAdmin):
    inlines = [DraftConditionInline, DraftTierInline, DraftRelaxationInline]
    list_display = ("ruleset", "order", "name", "active", "strategy", "summary")
    list_display_links = ("name",)
    list_filter = ("ruleset__kind", "strategy", "active")
    search_fields = ("name", "ruleset__name")
    autocomplete_fields = ("teams",)
    list_select_related = ("ruleset",)
    readonly_fields = ("source_rule_id", "summary", "ladder")
    ordering = ("ruleset", "order", "id")
    fieldsets = ((None, {"fields": ("ruleset", "name", "order", "active", "source_rule_id", "summary")}),
                 *RuleAdminMixin.SETTINGS_FIELDSETS)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "ruleset":
            kwargs["queryset"] = Ruleset.objects.filter(kind=Ruleset.Kind.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="in words")
    def summary(self, obj: DraftRule) -> str:
        return _rule_words(obj) if obj.pk else "Saved rules are summarised here."


@admin.register(DraftCondition)
class DraftConditionAdmin(DraftPartAdmin):
    form = ConditionForm
    list_display = ("rule", "field", "op", "value", "meaning")
    list_filter = ("op",)
    search_fields = ("rule__name", "field", "value")
    list_select_related = ("rule__ruleset",)
    ordering = ("rule__ruleset", "rule__order", "id")

    @admin.display(description="in words")
    def meaning(self, obj: DraftCondition) -> str:
        return describe_condition(condition_from_model(obj))


@admin.register(DraftRelaxation)
class DraftRelaxationAdmin(DraftPartAdmin):
    list_display = ("rule", "after_seconds", "drop")
    list_filter = ("drop",)
    search_fields = ("rule__name",)
    list_select_related = ("rule__ruleset",)
    ordering = ("rule__ruleset", "rule__order", "after_seconds")


@admin.register(ReplayRun)
class ReplayRunAdmin(ReadOnlyLogAdmin):
    """Runs are queued from a draft (“Replay this draft…”); the result page holds the comparison."""

    list_display = ("id", "ruleset_name", "since", "until", "status_badge", "progress", "created_at", "created_by",
                    "result_link")
    list_filter = ("status",)
    search_fields = ("ruleset_name",)
    list_select_related = ("created_by",)
    ordering = ("-created_at", "-id")
    list_per_page = 50
    fields = ("ruleset", "ruleset_name", "since", "until", "seed", "status_badge", "progress", "error",
              "created_by", "created_at", "started_at", "finished_at", "result_link")
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("assignments.delete_replayrun")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ReplayRun) -> SafeString:
        return badge(value={"done": "delivered", "failed": "failed", "running": "pending"}.get(obj.status, "new"),
                     label=obj.get_status_display())

    @admin.display(description="progress")
    def progress(self, obj: ReplayRun) -> str:
        return f"{obj.done:,} / {obj.total:,} leads ({obj.percent}%)"

    @admin.display(description="result")
    def result_link(self, obj: ReplayRun) -> SafeString:
        return format_html("<a href='{}'>Open the comparison</a>", reverse("lab-replay", args=[obj.pk]))


class ExperimentVariantInline(EditableWhileInline, admin.TabularInline):
    model = ExperimentVariant
    formset = VariantFormSet
    extra = 2
    fields = ("name", "share", "strategy", "require_language", "require_skill", "min_skill_level",
              "require_territory", "broadcast_count", "exploration_share", "teams")
    autocomplete_fields = ("teams",)

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == Experiment.Status.RUNNING

    def get_extra(self, request, obj=None, **kwargs):
        return 2 if obj is None else 0


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    """A/B test on one live rule; ending it (action) writes the chosen variant into the rule."""

    form = ExperimentForm
    inlines = [ExperimentVariantInline]
    list_display = ("name", "rule", "status_badge", "variant_names", "started_at", "ended_at", "winner",
                    "comparison")
    list_filter = ("status",)
    search_fields = ("name", "rule__name")
    autocomplete_fields = ("rule",)
    list_select_related = ("rule", "winner")
    readonly_fields = ("status", "started_at", "ended_at", "winner", "comparison")
    ordering = ("-started_at", "-id")
    list_per_page = 50
    actions = ["end_and_promote"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("variants")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "rule", "note")
        return ("name", "rule", "note", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == Experiment.Status.ENDED:
            return ("name", "rule", "note", *self.readonly_fields)
        if obj is not None:
            return ("rule", *self.readonly_fields)
        return ()

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Experiment) -> SafeString:
        return badge(value="pending" if obj.status == Experiment.Status.RUNNING else "completed",
                     label=obj.get_status_display())

    @admin.display(description="variants")
    def variant_names(self, obj: Experiment) -> str:
        return joined(f"{v.name} ({v.share}%)" for v in obj.variants.all())

    @admin.display(description="comparison")
    def comparison(self, obj: Experiment) -> SafeString | str:
        if obj.pk is None:
            return EMPTY
        return format_html("<a href='{}'>Compare the variants</a>", reverse("lab-experiment", args=[obj.pk]))

    @admin.action(description="End experiment and promote a variant…", permissions=["change"])
    def end_and_promote(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one experiment.", messages.ERROR)
            return None
        experiment = queryset.get()
        if experiment.status != Experiment.Status.RUNNING:
            self.message_user(request, f"Experiment '{experiment}' has already ended.", messages.ERROR)
            return None
        form = ExperimentEndForm(request.POST if "apply" in request.POST else None, experiment=experiment)
        if form.is_valid():
            variant = form.cleaned_data["variant"]
            try:
                rule = services.experiment_end(experiment=experiment, variant=variant)
            except services.LabError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            self.log_change(request, experiment, f"Ended; variant {variant.name} promoted into rule '{rule}'")
            self.log_change(request, rule, f"Settings of variant {variant.name} of experiment '{experiment}'")
            self.message_user(request, f"Experiment '{experiment}' ended; rule '{rule}' now routes like variant "
                                       f"{variant.name}.", messages.SUCCESS)
            return None
        context = {**self.admin_site.each_context(request), "title": f"End experiment '{experiment}'",
                   "form": form, "experiment": experiment, "opts": self.model._meta, "action": "end_and_promote",
                   "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME, "object_pk": experiment.pk,
                   "submit_label": "End and promote"}
        return TemplateResponse(request, "assignments/lab/admin_experiment_end.html", context)


@admin.register(ExperimentVariant)
class ExperimentVariantAdmin(admin.ModelAdmin):
    list_display = ("experiment", "name", "share", "strategy", "changes")
    list_filter = ("experiment__status", "strategy")
    search_fields = ("experiment__name", "name")
    autocomplete_fields = ("teams",)
    list_select_related = ("experiment",)
    ordering = ("experiment", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("teams")

    def has_change_permission(self, request, obj=None) -> bool:
        running = obj is None or obj.experiment.status == Experiment.Status.RUNNING
        return running and super().has_change_permission(request, obj)

    @admin.display(description="changes to the rule")
    def changes(self, obj: ExperimentVariant) -> str:
        overrides = obj.overrides()
        if "team_ids" in overrides:
            overrides["teams"] = ", ".join(t.name for t in obj.teams.all())
            del overrides["team_ids"]
        return joined(f"{k.replace('_', ' ')}: {v}" for k, v in overrides.items()) if overrides else "none (control)"


@admin.register(RoutingSnapshot)
class RoutingSnapshotAdmin(EventLogAdmin):
    """Every routing decision as the engine saw it; replays read these."""

    list_display = ("decided_at", "lead", "first", "action", "rule_name", "rep_ids", "variant", "rep_count")
    list_filter = ("first", "action")
    search_fields = ("rule_name",)
    list_select_related = ("lead", "variant__experiment")
    date_hierarchy = "decided_at"
    ordering = ("-decided_at", "-id")
    list_per_page = 50
    fields = ("lead", "decided_at", "first", "rule", "rule_name", "action", "reason", "rep_ids", "variant",
              "lead_pretty", "reps_pretty")
    readonly_fields = fields

    @admin.display(description="reps recorded")
    def rep_count(self, obj: RoutingSnapshot) -> int:
        return len(obj.reps or ())

    lead_pretty = json_block("lead_facts", "lead facts")
    reps_pretty = json_block("reps", "rep states")


@admin.register(RepProfile)
class RepProfileAdmin(ReadOnlyLogAdmin):
    list_display = ("id", "digest", "data")
    search_fields = ("digest",)
    ordering = ("-id",)
    fields = ("digest", "data_pretty")
    readonly_fields = fields

    data_pretty = json_block("data", "profile")

