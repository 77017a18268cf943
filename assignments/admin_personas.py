"""Admin of personas: their conditions, who names them, and how many recent leads they match."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from assignments.admin import ConditionAdmin, conditions_text
from assignments.admin_inlines import ConditionInline
from assignments.forms import PersonaConditionForm, PersonaForm
from assignments.models import Persona, PersonaCondition
from assignments.models_personas import LeadPersona
from assignments.selectors_personas import persona_recent_matches, persona_usage


class PersonaConditionInline(ConditionInline):
    model = PersonaCondition
    form = PersonaConditionForm
    verbose_name = "condition (all must hold)"
    verbose_name_plural = "conditions (all must hold; none: every lead). 'persona' names another persona by slug"


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    """Editing a persona changes every rule, buyer filter and price rule that names it (the history says who)."""

    form = PersonaForm
    inlines = [PersonaConditionInline]
    list_display = ("name", "slug", "when", "used_by")
    search_fields = ("name", "slug", "description")
    ordering = ("name",)
    readonly_fields = ("used_by_detail", "recent_matches", "in_reports", "updated_at")
    fields = ("name", "slug", "description", "used_by_detail", "recent_matches", "in_reports", "updated_at")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        # Who names each persona is read once per page (a few queries), not once per row.
        usage = persona_usage()
        used_by = Case(*(When(slug=slug, then=Value(u.total)) for slug, u in usage.items()), default=Value(0),
                       output_field=IntegerField()) if usage else Value(0, output_field=IntegerField())
        return super().get_queryset(request).annotate(_used_by=used_by).prefetch_related(
            Prefetch("conditions", queryset=PersonaCondition.objects.order_by("id")))

    @admin.display(description="when")
    def when(self, obj: Persona) -> str:
        return conditions_text(obj.conditions.all())

    @admin.display(description="used by", ordering="_used_by")
    def used_by(self, obj: Persona) -> int:
        return getattr(obj, "_used_by", 0)

    @admin.display(description="used by")
    def used_by_detail(self, obj: Persona) -> str:
        if obj.pk is None:
            return "Saved personas list the rules, buyers and price rules that name them here."
        usage = persona_usage().get(obj.slug)
        return usage.text() if usage else "not used"

    @admin.display(description="leads of the last 30 days in it")
    def recent_matches(self, obj: Persona) -> SafeString | str:
        if obj.pk is None:
            return "Saved personas show here how many recent leads they match, with examples."
        found = persona_recent_matches(slug=obj.slug)
        head = f"{found.matched} of {found.scanned} leads received in the last {found.days} days"
        if found.capped:
            head += f" (the newest {found.scanned} read)"
        if not found.examples:
            return head
        links = format_html_join(", ", '<a href="{}">#{}</a>', (
            (reverse("admin:campaigns_lead_change", args=[lead.pk]), lead.pk) for lead in found.examples))
        return format_html("{}; for example {}", head, links)

    @admin.display(description="in reports")
    def in_reports(self, obj: Persona) -> str:
        note = ("Reports group a lead by the personas it was in when first scored (its first routing, or when it went "
                "to buyers). Editing the conditions changes later leads only: leads already recorded stay where they "
                "are (manage.py lead_personas_recount --days N re-files recent ones); deleting the persona drops its "
                "rows.")
        if obj.pk is None:
            return note
        count = obj.memberships.count()
        return f"{count} lead{'' if count == 1 else 's'} recorded in it. {note}"

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and (usage := persona_usage().get(obj.slug)) is not None and usage.total:
            return False  # a rule naming a deleted persona would silently match nothing
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion is one by one, so a persona in use cannot go
        return actions


@admin.register(PersonaCondition)
class PersonaConditionAdmin(ConditionAdmin):
    form = PersonaConditionForm
    list_display = ("persona", "field", "op", "value", "meaning")
    search_fields = ("persona__name", "field", "value")
    autocomplete_fields = ("persona",)
    list_select_related = ("persona",)
    ordering = ("persona__name", "id")


@admin.register(LeadPersona)
class LeadPersonaAdmin(admin.ModelAdmin):
    """Read-only: the personas each lead was in when first scored, which reports group by."""

    list_display = ("lead", "persona", "at")
    list_filter = ("persona",)
    search_fields = ("persona__name", "persona__slug")
    list_select_related = ("lead", "persona")
    date_hierarchy = "at"
    readonly_fields = ("lead", "persona", "at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
