"""Routing actions offered on the lead changelist; they call services and selectors only."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.timezone import now

from assignments import services
from assignments.selectors import lead_route_simulate


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
