"""The lead in the admin, assembled where both apps are visible: the market's lead with the floor's offers,
contacts and routing actions. Actions call services and selectors only."""

from __future__ import annotations

import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import DurationField, ExpressionWrapper, F
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString
from django.utils.timezone import now

from assignments import services
from assignments.admin_inlines import LeadAssignmentInline, LeadContactInline
from assignments.admin_work import CallbackInline, LeadNoteInline, LeadStageChangeInline
from assignments.models import Rep
from assignments.selectors import lead_route_simulate
from campaigns.admin_buyers import BuyerDeliveryInline, LeadDistributionInline, LeadReturnInline, send_to_buyers
from campaigns.admin_columns import choice_badge
from campaigns.admin_common import EMPTY, json_pre, seconds_humanised
from campaigns.admin_lead_entry import LeadEntryAdminMixin
from campaigns.forms import LeadAdminForm
from campaigns.models import Lead
from leadcrm.errors import ServiceError


@admin.action(description="Re-route now (take back open offers and route again)")
def reroute_now(modeladmin, request, queryset):
    outcomes = {lead.pk: services.lead_reroute(lead_id=lead.pk) for lead in queryset}
    rerouted = [pk for pk, outcome in outcomes.items() if outcome == "re-routing"]
    if rerouted:
        modeladmin.message_user(request, f"Re-routing {len(rerouted)} lead(s).", messages.SUCCESS)
    for pk, outcome in outcomes.items():
        if outcome != "re-routing":
            modeladmin.message_user(request, f"Lead #{pk}: {outcome}.", messages.WARNING)


@admin.action(description="Simulate routing (show who would get them and why; changes nothing)")
def simulate_routing(modeladmin, request, queryset):
    at = now()
    rows = [{"lead": lead, "decision": lead_route_simulate(lead=lead, now=at)}
            for lead in queryset.select_related("campaign", "supplier")[:50]]
    context = {**modeladmin.admin_site.each_context(request), "title": "Routing simulation", "rows": rows,
               "at": at, "opts": modeladmin.model._meta}
    return TemplateResponse(request, "admin/assignments/simulate.html", context)


def _form_page(modeladmin, request, *, title: str, form: forms.Form, leads: list[Lead], action: str, template: str,
               submit_label: str) -> TemplateResponse:
    """The page of a lead action that needs a form first (admin_action_form.html): the leads, the form, a submit."""
    context = {**modeladmin.admin_site.each_context(request), "title": title, "form": form, "leads": leads,
               "opts": modeladmin.model._meta, "action": action, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
               "object_pks": [lead.pk for lead in leads], "submit_label": submit_label}
    return TemplateResponse(request, template, context)


class RepChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Rep) -> str:
        return f"{obj.user.get_username()} ({obj.load}/{obj.capacity}, {obj.status})"


class AssignForm(forms.Form):
    rep = RepChoiceField(
        queryset=Rep.objects.filter(active=True, user__is_active=True).select_related("user")
        .order_by("user__username"),
        help_text="Active reps; load/capacity and status in brackets.")


def _asks_first(form_class: type[forms.Form], *, title: str, template: str, submit_label: str):
    """Make `act(modeladmin, request, leads, data)` a lead action that first shows its form on a page (_form_page);
    once that page is sent back with a valid form, `act` runs with the form's cleaned data and the list shows
    again."""

    def decorate(act):
        @functools.wraps(act)
        def action(modeladmin, request, queryset):
            form = form_class(request.POST if "apply" in request.POST else None)
            leads = list(queryset.select_related("campaign"))
            if form.is_valid():
                act(modeladmin, request, leads, form.cleaned_data)
                return None
            return _form_page(modeladmin, request, title=title, form=form, leads=leads, action=act.__name__,
                              template=template, submit_label=submit_label)

        return action

    return decorate


@admin.action(description="Assign to a rep (now, past capacity if need be)")
@_asks_first(AssignForm, title="Assign to a rep", template="admin/assignments/assign.html", submit_label="Assign")
def assign_to_rep(modeladmin, request, leads, data):
    rep = data["rep"]
    assigned, refused = [], []
    for lead in leads:
        try:
            services.lead_assign(lead_id=lead.pk, rep=rep, by=request.user)
            assigned.append(lead.pk)
        except ServiceError as error:
            refused.append(f"#{lead.pk}: {error}")
    if assigned:
        modeladmin.message_user(request, f"{len(assigned)} lead(s) assigned to {rep.user.get_username()}.",
                                messages.SUCCESS)
    for line in refused[:20]:
        modeladmin.message_user(request, line, messages.WARNING)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(label="Erase these people", help_text="This cannot be undone.")
    suppress = forms.BooleanField(required=False, label="Also keep them out of later intake",
                                  help_text="Keeps salted hashes of their phone and email on the suppression list.")


@admin.action(description="Erase personal data (a person asked to be forgotten)")
@_asks_first(EraseForm, title="Erase personal data", template="admin/assignments/erase.html", submit_label="Erase")
def erase_personal_data(modeladmin, request, leads, data):
    for lead in leads:
        services.lead_erase(lead_id=lead.pk, by=request.user, suppress=data["suppress"])
    modeladmin.message_user(request, f"Erased the people of {len(leads)} lead(s).", messages.SUCCESS)


SPEED_TO_LEAD = ExpressionWrapper(F("first_contact_at") - F("received_at"), output_field=DurationField())


@admin.register(Lead)
class LeadAdmin(LeadEntryAdminMixin, admin.ModelAdmin):
    """Leads arrive through intake (here too: "Add lead", import); contact details may be corrected, history is
    read-only; the list exports as CSV or XLSX."""

    form = LeadAdminForm
    inlines = [LeadAssignmentInline, LeadContactInline, LeadNoteInline, CallbackInline, LeadStageChangeInline,
               LeadDistributionInline, BuyerDeliveryInline, LeadReturnInline]
    actions = [assign_to_rep, reroute_now, simulate_routing, send_to_buyers, erase_personal_data]
    list_display = ("id", "name", "campaign", "supplier", "status_badge", "owner", "received_at",
                    "first_contact_at", "speed_to_lead")
    list_display_links = ("id", "name")
    list_filter = ("status", "campaign", "supplier", "country", "language")
    search_fields = ("first_name", "last_name", "email", "phone", "external_id")
    list_select_related = ("campaign", "supplier", "owner")
    date_hierarchy = "received_at"
    ordering = ("-received_at", "-id")
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = ("campaign", "supplier", "external_id", "score", "status_badge", "waiting_reason", "owner",
                       "outcome", "cost", "revenue", "received_at", "assigned_at", "accepted_at",
                       "first_contact_at", "outcome_at", "speed_to_lead", "timezone", "consent_shown", "erased_at")
    fieldsets = (
        ("Contact", {"fields": ("first_name", "last_name", "email", "phone", "country", "region", "postal_code",
                                "language", "skill", "fields")}),
        ("Source", {"fields": ("campaign", "supplier", "external_id", "score", "cost", "revenue")}),
        ("Consent and privacy", {"fields": ("consent_shown", "timezone", "erased_at")}),
        ("State", {"fields": ("status_badge", "waiting_reason", "owner", "outcome")}),
        ("Timeline", {"fields": ("received_at", "assigned_at", "accepted_at", "first_contact_at", "outcome_at",
                                 "speed_to_lead")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign", "supplier", "owner")

    @admin.display(description="name", ordering="last_name")
    def name(self, obj: Lead) -> str:
        return obj.full_name or "(no name)"

    status_badge = choice_badge("status")

    @admin.display(description="consent")
    def consent_shown(self, obj: Lead) -> SafeString | str:
        return json_pre(obj.consent) if obj.consent else "(none sent)"

    @admin.display(description="speed to lead", ordering=SPEED_TO_LEAD)
    def speed_to_lead(self, obj: Lead) -> str:
        if obj.first_contact_at is None:
            return EMPTY
        return seconds_humanised((obj.first_contact_at - obj.received_at).total_seconds())
