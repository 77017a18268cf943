"""Admin for working a lead: the reason lists managers edit, and a lead's notes, callbacks and stage moves."""

from __future__ import annotations

from django.contrib import admin

from assignments.admin_inlines import ReadOnlyInline
from assignments.models import Callback, LeadNote, LeadStageChange, ReasonCode


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
