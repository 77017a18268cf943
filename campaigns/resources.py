"""django-import-export resources: suppression entries from CSV (normalised like intake), intake log export, the
lead list's export (formula-safe) and the columns of a lead import."""

import json

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field

from campaigns.models import IntakeAttempt, Lead, SuppressionEntry
from campaigns.services import suppression_value_normalise
from campaigns.services.lead_import import COLUMNS

KIND_ALIASES = {
    "phone": SuppressionEntry.Kind.PHONE, "tel": SuppressionEntry.Kind.PHONE,
    "email": SuppressionEntry.Kind.EMAIL, "e-mail": SuppressionEntry.Kind.EMAIL,
    "email_domain": SuppressionEntry.Kind.EMAIL_DOMAIN, "domain": SuppressionEntry.Kind.EMAIL_DOMAIN,
}


def suppression_kind_guess(value: str) -> str:
    """The kind a bare value most likely is: "a@b.c" email, "+1..."/digits phone, anything else a domain."""
    value = value.strip()
    if "@" in value.lstrip("@"):
        return SuppressionEntry.Kind.EMAIL
    if value and value[0] in "+(0123456789":
        return SuppressionEntry.Kind.PHONE
    return SuppressionEntry.Kind.EMAIL_DOMAIN


class SuppressionEntryResource(resources.ModelResource):
    """CSV columns: value (required), kind (phone, email, email_domain; guessed when blank), reason.

    Values are normalised as intake compares them (E.164 with +country code, lower-case); a row that cannot be
    is reported invalid with its message and nothing of it is saved. Re-importing a file changes nothing.
    """

    class Meta:
        model = SuppressionEntry
        fields = ("kind", "value", "reason")
        import_id_fields = ("kind", "value")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        # Headers in any case; a file of bare values (no kind or reason column) is fine too.
        dataset.headers = [str(header or "").strip().lower() for header in dataset.headers]
        for column in ("kind", "reason"):
            if column not in dataset.headers:
                dataset.append_col([""] * len(dataset), header=column)
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        value = str(row.get("value") or "").strip()
        if not value:
            raise ValidationError({"value": ["Empty value."]})
        raw_kind = str(row.get("kind") or "").strip().lower()
        kind = KIND_ALIASES.get(raw_kind) if raw_kind else suppression_kind_guess(value)
        if kind is None:
            raise ValidationError({"kind": [f"Unknown kind {raw_kind!r}: use phone, email or email_domain."]})
        try:
            row["value"] = suppression_value_normalise(kind=kind, value=value)
        except ValueError as exc:
            raise ValidationError({"value": [str(exc)]}) from None
        row["kind"] = str(kind)
        row["reason"] = str(row.get("reason") or "").strip()[:200]


class IntakeAttemptResource(resources.ModelResource):
    """The intake log as CSV (export only): one row per attempt with supplier, campaign and outcome."""

    supplier = Field(attribute="supplier__name", column_name="supplier")
    campaign = Field(attribute="campaign__slug", column_name="campaign")

    class Meta:
        model = IntakeAttempt
        fields = export_order = ("id", "received_at", "supplier", "campaign", "action", "outcome", "reason", "detail",
                                 "response_status", "lead", "duplicate_of", "idempotency_key", "external_id",
                                 "replays")

    def get_queryset(self):
        return super().get_queryset().select_related("supplier", "campaign")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, made plain text with a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class LeadExportResource(resources.ModelResource):
    """The lead list as CSV or XLSX (export only), in the changelist's filters; no cell can run as a formula."""

    campaign = Field(attribute="campaign__slug", column_name="campaign")
    supplier = Field(attribute="supplier__name", column_name="supplier")
    assigned_rep = Field(attribute="owner__username", column_name="assigned_rep")
    answers = Field(column_name="fields")
    consent_record = Field(column_name="consent")

    class Meta:
        model = Lead
        fields = export_order = ("id", "status", "campaign", "supplier", "external_id", "first_name", "last_name",
                                 "email", "phone", "country", "region", "postal_code", "language", "skill",
                                 "received_at", "assigned_rep", "first_contact_at", "answers", "consent_record",
                                 "erased_at")

    def dehydrate_answers(self, lead: Lead) -> str:
        return json.dumps(lead.fields, ensure_ascii=False, sort_keys=True) if lead.fields else ""

    def dehydrate_consent_record(self, lead: Lead) -> str:
        return json.dumps(lead.consent, ensure_ascii=False, sort_keys=True) if lead.consent else ""

    def export_field(self, field, instance, **kwargs):
        return formula_safe(super().export_field(field, instance, **kwargs))


class LeadImportResource(resources.Resource):
    """The columns of a lead import, shown on the import page: those the import reads (lead_import.COLUMNS), then
    the answers. Rows go through intake (services.lead_import), never saved by this resource."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields = {name: Field(column_name=name) for name in COLUMNS}
        self.fields["answers"] = Field(column_name="fields (a JSON object) or any other column: answers")

    @classmethod
    def get_display_name(cls) -> str:
        return "Leads (through intake)"
