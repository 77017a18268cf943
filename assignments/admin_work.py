"""Admin for working a lead: the reason lists managers edit, a lead's notes, callbacks and stage moves, and
taking back a rep's leads."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from assignments import services
from assignments.models import Callback, FloorAlert, LeadNote, LeadStageChange, ReasonCode, Rep, Team
from campaigns.admin_common import ReadOnlyInline


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    """The lists reps pick from when a lead is lost or unqualified, or when they decline an offer."""

    list_display = ("label", "kind", "code", "position", "active")
    list_editable = ("position", "active")
    list_filter = ("kind", "active")
    search_fields = ("label", "code")
    ordering = ("kind", "position", "label")
    fields = ("kind", "code", "label", "position", "active")


class LeadNoteInline(ReadOnlyInline):
    model = LeadNote
    verbose_name_plural = "notes"
    fields = ("at", "author", "text")
    readonly_fields = fields
    show_change_link = False


class CallbackInline(ReadOnlyInline):
    model = Callback
    verbose_name_plural = "callbacks"
    fields = ("due_at", "note", "created_by", "created_at", "notified_at", "done_at")
    readonly_fields = fields
    show_change_link = False


class LeadStageChangeInline(ReadOnlyInline):
    model = LeadStageChange
    verbose_name_plural = "stage moves"
    fields = ("at", "from_status", "to_status", "reason", "by")
    readonly_fields = fields
    show_change_link = False


class TakeBackForm(forms.Form):
    """Where the rep's contacted leads go; offers and uncontacted leads always go back to routing."""

    to_rep = forms.ModelChoiceField(
        queryset=Rep.objects.filter(active=True, user__is_active=True).select_related("user")
        .order_by("user__username"), required=False, label="Contacted leads to this rep")
    to_team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False,
                                     label="or round robin over this team")

    def clean(self) -> dict[str, object] | None:
        data = super().clean() or {}
        if data.get("to_rep") and data.get("to_team"):
            raise forms.ValidationError("Pick a rep or a team, not both.")
        return data


def _take_back(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Rep], *,
               deactivate: bool) -> TemplateResponse | None:
    reps = list(queryset.select_related("user"))
    form = TakeBackForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        for rep in reps:
            result = services.rep_leads_take_back(rep=rep, by=request.user, deactivate=deactivate,
                                                  to_rep=form.cleaned_data["to_rep"],
                                                  to_team=form.cleaned_data["to_team"])
            done = "deactivated; " if deactivate else ""
            modeladmin.message_user(
                request, f"{rep.user.get_username()}: {done}{result.rerouted} lead(s) back to routing, "
                         f"{result.reassigned} reassigned, {result.kept} contacted lead(s) kept.", messages.SUCCESS)
            for problem in result.problems[:20]:
                modeladmin.message_user(request, problem, messages.WARNING)
        return None
    plans = [(rep, services.rep_take_back_plan(rep=rep)) for rep in reps]
    title = "Deactivate and take back their leads" if deactivate else "Take back all their leads"
    context = {**modeladmin.admin_site.each_context(request), "title": title, "form": form, "plans": plans,
               "deactivate": deactivate, "opts": modeladmin.model._meta,
               "action": "deactivate_and_take_back" if deactivate else "take_back_leads",
               "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME, "object_pks": [rep.pk for rep in reps],
               "submit_label": "Deactivate and move their leads" if deactivate else "Move their leads"}
    return TemplateResponse(request, "admin/assignments/take_back.html", context)


@admin.action(description="Take back all their leads (offers and uncalled leads re-routed)")
def take_back_leads(modeladmin: admin.ModelAdmin, request: HttpRequest,
                    queryset: QuerySet[Rep]) -> TemplateResponse | None:
    return _take_back(modeladmin, request, queryset, deactivate=False)


@admin.action(description="Deactivate and take back their leads")
def deactivate_and_take_back(modeladmin: admin.ModelAdmin, request: HttpRequest,
                             queryset: QuerySet[Rep]) -> TemplateResponse | None:
    return _take_back(modeladmin, request, queryset, deactivate=True)


@admin.register(FloorAlert)
class FloorAlertAdmin(admin.ModelAdmin):
    """Every alert raised to managers, newest first; read-only history."""

    list_display = ("at", "kind", "message", "lead", "rep")
    list_filter = ("kind",)
    date_hierarchy = "at"
    list_select_related = ("lead", "rep__user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class HistoryAdmin(admin.ModelAdmin):
    """Rows people write while working leads: listed for managers, changed only through the product."""

    list_select_related = ("lead",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LeadNote)
class LeadNoteAdmin(HistoryAdmin):
    list_display = ("at", "lead", "author", "text")
    search_fields = ("text", "author__username")
    date_hierarchy = "at"


@admin.register(Callback)
class CallbackAdmin(HistoryAdmin):
    list_display = ("due_at", "lead", "note", "created_by", "notified_at", "done_at")
    list_filter = (("done_at", admin.EmptyFieldListFilter),)
    search_fields = ("note", "created_by__username")
    date_hierarchy = "due_at"


@admin.register(LeadStageChange)
class LeadStageChangeAdmin(HistoryAdmin):
    list_display = ("at", "lead", "from_status", "to_status", "reason", "by")
    list_filter = ("to_status", "reason")
    search_fields = ("by__username",)
    date_hierarchy = "at"
