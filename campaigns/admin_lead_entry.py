"""Leads entered by a manager: "Add lead", the CSV/XLSX import (dry run, confirm, progress) and the lead list's
export. Every lead goes through intake; these views only read the form and call the services."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm

from campaigns.admin_columns import choice_badge
from campaigns.forms import PrettyJSONField
from campaigns.models import Campaign, IntakeAttempt, Lead, LeadImport, Supplier
from campaigns.models_import import OUTCOMES
from campaigns.resources import LeadExportResource, LeadImportResource, formula_safe
from campaigns.services.lead_entry import HOUSE_SUPPLIER_NAME, lead_enter
from campaigns.services.lead_import import (
    BACKGROUND_ABOVE_ROWS,
    IMPORT_MAX_BYTES,
    lead_import_cancel,
    lead_import_confirm,
    lead_import_create,
    lead_import_resume,
)
from leadcrm.errors import ServiceError
from leadcrm.roles import is_manager

ENTRY_FIELDS = ("first_name", "last_name", "email", "phone", "country", "region", "postal_code", "language",
                "skill", "external_id", "fields")
PREVIEW_PAGE_ROWS = 200


def lead_admin_url(lead_id: int) -> str:
    return reverse("admin:campaigns_lead_change", args=[lead_id])


def lead_link(lead_id: int | None) -> SafeString | str:
    return format_html('<a href="{}">lead #{}</a>', lead_admin_url(lead_id), lead_id) if lead_id else ""


class LeadEntryForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.order_by("name"))
    supplier = forms.ModelChoiceField(
        queryset=Supplier.objects.order_by("name"), required=False,
        empty_label=f"{HOUSE_SUPPLIER_NAME} (a phone call, a walk-in)",
        help_text="Who sent the lead. Leave it for a lead that no supplier sent: reports count those apart.")
    first_name = forms.CharField(required=False)
    last_name = forms.CharField(required=False)
    email = forms.CharField(required=False)
    phone = forms.CharField(required=False, help_text="Any format; with +country code or a country below.")
    country = forms.CharField(required=False, help_text="ISO 3166-1 alpha-2, e.g. US, DE.")
    region = forms.CharField(required=False)
    postal_code = forms.CharField(required=False)
    language = forms.CharField(required=False, help_text="ISO 639-1, e.g. en, es.")
    skill = forms.CharField(required=False)
    external_id = forms.CharField(required=False, help_text="The supplier's own id for the lead, if it has one.")
    # The extra answers; the form's metaclass moves declared fields off the class, so this does not shadow
    # BaseForm.fields (the stubs cannot know that).
    fields = PrettyJSONField(  # type: ignore[assignment]
        required=False, initial=dict, label="Extra answers (fields)", help_text='A JSON object, e.g. {"roof": "tile"}.')
    create_anyway = forms.BooleanField(
        required=False, label="Create anyway",
        help_text="Managers only: store this lead although it has the same phone or email as the earlier one.")


class LeadImportForm(ImportForm):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.order_by("name"),
                                      help_text="The supplier the rows come from: its campaigns, caps and "
                                                "external_ids apply.")
    field_order = ["resource", "supplier", "import_file", "format"]


class LeadEntryAdminMixin(ImportExportMixin):
    """For the Lead admin: "Add lead" through intake, the import through intake with a dry run, the export."""

    resource_classes = [LeadExportResource]
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    import_form_class = LeadImportForm

    def get_import_resource_classes(self, request: HttpRequest) -> list[Any]:
        return [LeadImportResource]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request)

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        manager = is_manager(request.user)
        form = LeadEntryForm(request.POST or None)
        duplicate_of = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            result = lead_enter(campaign=data["campaign"], supplier=data["supplier"],
                                lead={name: data[name] for name in ENTRY_FIELDS},
                                allow_duplicate=bool(data["create_anyway"]) and manager)
            if result.outcome == IntakeAttempt.Outcome.ACCEPTED and not result.replayed and result.lead_id:
                lead = Lead.objects.get(pk=result.lead_id)
                note = "Entered by hand" + (" (created anyway, same phone or email as an earlier lead)"
                                            if data["create_anyway"] and manager else "")
                self.log_addition(request, lead, note)
                routed = lead.status == Lead.Status.NEW
                messages.success(request, f"Lead #{lead.pk} entered and sent to routing." if routed
                                 else f"Lead #{lead.pk} entered: {lead.get_status_display()}.")
                return redirect(lead_admin_url(lead.pk))
            duplicate_of = self._intake_refusal(form, result)
        context = {
            **self.admin_site.each_context(request),
            "title": "Add lead", "form": form, "opts": self.opts,
            "duplicate_of": duplicate_of, "may_create_anyway": manager and duplicate_of is not None,
        }
        return TemplateResponse(request, "admin/campaigns/lead/add_lead.html", context)

    @staticmethod
    def _intake_refusal(form: LeadEntryForm, result) -> int | None:
        """Put intake's answer on the form; the earlier lead's id when it is a duplicate by phone or email."""
        body = result.body
        if result.replayed and result.lead_id:
            form.add_error("external_id", format_html(
                "This supplier already sent a lead with this external_id: {}.", lead_link(result.lead_id)))
            return None
        if result.outcome == IntakeAttempt.Outcome.INVALID:
            for name, problems in body.get("errors", {}).items():
                known = name in ENTRY_FIELDS or name == "campaign"
                form.add_error(name if known else None,
                               [problem if known else f"{name}: {problem}" for problem in problems])
            return None
        if result.outcome == IntakeAttempt.Outcome.DUPLICATE:
            earlier = body.get("duplicate_of")
            form.add_error(None, format_html(
                "Duplicate: {} has the same phone, email or external_id ({}).", lead_link(earlier),
                "create anyway below, if this is another enquiry" if earlier else "nothing stored"))
            return earlier if isinstance(earlier, int) else None
        form.add_error(None, f"Rejected ({body.get('reason', result.outcome)}): {body.get('detail', '')}")
        return None

    def import_action(self, request: HttpRequest, **kwargs: Any):
        if not self.has_import_permission(request):
            raise PermissionDenied
        formats = self.get_import_formats()
        form = self.create_import_form(request)
        if request.method == "POST" and form.is_valid():
            file_format = "xlsx" if formats[int(form.cleaned_data["format"])] is XLSX else "csv"
            upload = form.cleaned_data["import_file"]
            if upload.size > IMPORT_MAX_BYTES:
                form.add_error("import_file", f"The file is {upload.size / 1e6:.1f} MB; at most "
                                              f"{IMPORT_MAX_BYTES // (1024 * 1024)} MB per import.")
            else:
                try:
                    lead_import = lead_import_create(
                        supplier=form.cleaned_data["supplier"],
                        user=request.user if isinstance(request.user, User) else None, file_name=upload.name,
                        content=upload.read(), file_format=file_format)
                except ServiceError as error:
                    form.add_error(error.field if error.field in form.fields else None, str(error))
                else:
                    return redirect(reverse("admin:campaigns_leadimport_change", args=[lead_import.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import leads", "form": form, "opts": self.model._meta,
            "media": self.media + form.media,
            "fields_list": [(resource.get_display_name(), [f.column_name for f in resource().get_user_visible_fields()])
                            for resource in self.get_import_resource_classes(request)],
            "import_error_display": self.import_error_display,
            "background_above_rows": BACKGROUND_ABOVE_ROWS,
        }
        return TemplateResponse(request, ["admin/campaigns/lead/import.html"], context)


def results_csv(*, lead_import: LeadImport, preview: bool) -> str:
    """Every row's outcome as CSV (formula-safe), for the import's download."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["row", "outcome", "reason", "detail", "lead", "duplicate_of", "earlier_row", "external_id"]
    writer.writerow(columns)
    for result in lead_import.preview if preview else lead_import.results:
        writer.writerow([formula_safe(result.get(column)) if result.get(column) is not None else ""
                         for column in columns])
    return out.getvalue()


@admin.register(LeadImport)
class LeadImportAdmin(admin.ModelAdmin):
    """Imports start from the lead list's Import button; here a manager reads the dry run, confirms or cancels,
    watches the progress and downloads every row's outcome."""

    list_display = ("created_at", "file_name", "supplier", "status_badge", "progress", "accepted", "duplicate",
                    "rejected", "invalid", "created_by")
    list_filter = ("status", "supplier")
    search_fields = ("file_name", "supplier__name")
    list_select_related = ("supplier", "created_by")
    ordering = ("-created_at", "-id")
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest):
        # The rows and outcomes are read on the import's own page only.
        return super().get_queryset(request).defer("rows", "preview", "results")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LeadImport | None = None) -> bool:
        return obj is None or obj.status not in (LeadImport.Status.CHECKING, LeadImport.Status.IMPORTING)

    status_badge = choice_badge("status")

    @admin.display(description="progress")
    def progress(self, obj: LeadImport) -> str:
        return f"{obj.done}/{obj.total}"

    def get_urls(self):
        def view(name: str, function):
            return path(f"<int:pk>/{name}/", self.admin_site.admin_view(function),
                        name=f"campaigns_leadimport_{name}")

        return [view("confirm", self.confirm_view), view("cancel", self.cancel_view),
                view("resume", self.resume_view), view("download", self.download_view), *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        lead_import = get_object_or_404(LeadImport.objects.select_related("supplier", "created_by"),
                                        pk=object_id)
        if not self.has_view_permission(request, lead_import):
            raise PermissionDenied
        preview = lead_import.status in (LeadImport.Status.CHECKING, LeadImport.Status.CHECKED,
                                         LeadImport.Status.CANCELLED)
        outcome = request.GET.get("outcome", "")
        results = lead_import.preview if preview else lead_import.results
        shown_results = [result for result in results if not outcome or result["outcome"] == outcome]
        page = Paginator(shown_results, PREVIEW_PAGE_ROWS).get_page(request.GET.get("page"))
        payloads = {row["row"]: row["payload"] for row in lead_import.rows} if page.object_list else {}
        rows = [{**result, "payload": payloads.get(result["row"], {})} for result in page.object_list]
        totals = lead_import.preview_totals if preview else lead_import.counts
        context = {
            **self.admin_site.each_context(request), "title": f"Import: {lead_import.file_name}",
            "opts": self.opts, "original": lead_import, "lead_import": lead_import, "preview": preview,
            "rows": rows, "page": page, "outcome": outcome, "outcomes": OUTCOMES,
            "totals": [(name, totals.get(name, 0)) for name in OUTCOMES],
            "accounted": sum(totals.values()),
            "running": lead_import.status in (LeadImport.Status.CHECKING, LeadImport.Status.IMPORTING),
            "percent": int(100 * lead_import.done / lead_import.total) if lead_import.total else 0,
            "may_confirm": lead_import.status == LeadImport.Status.CHECKED and is_manager(request.user),
        }
        return TemplateResponse(request, "admin/campaigns/leadimport/detail.html", context)

    def _post_only(self, request: HttpRequest, pk: int) -> LeadImport:
        if request.method != "POST" or not is_manager(request.user):
            raise PermissionDenied
        return get_object_or_404(LeadImport, pk=pk)

    def _back(self, pk: int) -> HttpResponseRedirect:
        return redirect(reverse("admin:campaigns_leadimport_change", args=[pk]))

    def confirm_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead_import = self._post_only(request, pk)
        try:
            done = lead_import_confirm(lead_import_id=lead_import.pk,
                                       user=request.user if isinstance(request.user, User) else None)
        except ServiceError as error:
            messages.error(request, str(error))
            return self._back(pk)
        if done.status == LeadImport.Status.DONE:
            messages.success(request, f"Imported: {done.accepted} accepted, {done.duplicate} duplicate, "
                                      f"{done.rejected} rejected, {done.invalid} invalid.")
        else:
            messages.info(request, f"Importing {done.total} rows in the background; this page follows it.")
        return self._back(pk)

    def _act(self, request: HttpRequest, pk: int, service: Callable[..., object], done: str) -> HttpResponse:
        """POST by a manager only: `service(lead_import_id=pk)`, then back to the import's page saying `done`, or
        why the service refused."""
        lead_import = self._post_only(request, pk)
        try:
            service(lead_import_id=lead_import.pk)
            messages.info(request, done)
        except ServiceError as error:
            messages.error(request, str(error))
        return self._back(pk)

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._act(request, pk, lead_import_cancel, "Import cancelled: nothing was imported.")

    def resume_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._act(request, pk, lead_import_resume, "Queued again: it goes on from the last row done.")

    def download_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        lead_import = get_object_or_404(LeadImport, pk=pk)
        if not self.has_view_permission(request, lead_import):
            raise PermissionDenied
        preview = request.GET.get("preview") == "1" or not lead_import.results
        response = HttpResponse(results_csv(lead_import=lead_import, preview=preview),
                                content_type="text/csv; charset=utf-8")
        name = f"import-{lead_import.pk}-{'dry-run' if preview else 'result'}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
