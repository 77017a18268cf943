"""django-import-export resources: suppression entries from CSV (normalised like intake), intake log export."""

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field

from campaigns.models import IntakeAttempt, SuppressionEntry
from campaigns.services import suppression_value_normalise

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
        fields = export_order = ("id", "received_at", "supplier", "campaign", "outcome", "reason", "detail",
                                 "response_status", "lead", "duplicate_of", "idempotency_key", "external_id",
                                 "replays")

    def get_queryset(self):
        return super().get_queryset().select_related("supplier", "campaign")
