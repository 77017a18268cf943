"""Admin forms of the lead market: checkbox required fields, pretty JSON, normalised contact values."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from campaigns.models import LEAD_FIELD_CHOICES, Buyer, Campaign, Lead, SuppressionEntry, known_timezones
from campaigns.services import suppression_value_normalise
from campaigns.services.iso639 import ISO_639_1
from campaigns.services.normalise import ISO_3166_ALPHA2, fields_problems

_FIELD_ORDER = [name for name, _ in LEAD_FIELD_CHOICES]


def timezone_choices() -> list[tuple[str, str]]:
    """Every known IANA zone, sorted, as form choices."""
    return [(name, name) for name in sorted(known_timezones())]


def country_code_clean(value: str) -> str:
    """A country field's value, upper-cased; ValidationError unless blank or an ISO 3166-1 alpha-2 code."""
    country = value.strip().upper()
    if country and country not in ISO_3166_ALPHA2:
        raise ValidationError(f"{country!r} is not an ISO 3166-1 alpha-2 country code (e.g. US, DE).")
    return country


def language_code_clean(value: str) -> str:
    """A language field's value, lower-cased; ValidationError unless blank or an ISO 639-1 code."""
    language = value.strip().lower()
    if language and language not in ISO_639_1:
        raise ValidationError(f"{language!r} is not an ISO 639-1 language code (e.g. en, es).")
    return language


def https_formfield(db_field, **kwargs):
    """Model form fields where a URL typed without a scheme means https (Django 6 behaviour)."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class PrettyJSONField(forms.JSONField):
    """A JSON textarea that shows its value indented and sorted."""

    widget = forms.Textarea(attrs={"rows": 8, "cols": 60, "style": "font-family:monospace"})

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, cls=self.encoder)


class CampaignAdminForm(forms.ModelForm):
    required_fields = forms.MultipleChoiceField(
        choices=LEAD_FIELD_CHOICES, widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Lead fields a supplier must send for this campaign.",
    )
    timezone = forms.ChoiceField(choices=timezone_choices, initial="UTC",
                                 help_text="Office hours below are in this time zone.")

    recycle_lost_reasons = forms.CharField(
        required=False, label="Recycle lost reasons",
        help_text="Lost reason codes, comma-separated (e.g. no_answer, wrong_time): a lead lost for one of them goes "
                  "back to routing. The codes are listed under Reason codes.")

    class Meta:
        model = Campaign
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["recycle_lost_reasons"] = ", ".join(self.instance.recycle_lost_reasons or [])

    def clean_required_fields(self) -> list[str]:
        chosen = set(self.cleaned_data["required_fields"])
        return [name for name in _FIELD_ORDER if name in chosen]

    def clean_recycle_lost_reasons(self) -> list[str]:
        codes = [code.strip() for code in (self.cleaned_data["recycle_lost_reasons"] or "").split(",") if code.strip()]
        bad = [code for code in codes if not re.fullmatch(r"[-a-zA-Z0-9_]{1,40}", code)]
        if bad:
            raise forms.ValidationError(f"Not a reason code: {', '.join(bad)} (letters, digits, - and _).")
        return list(dict.fromkeys(codes))


class BuyerAdminForm(forms.ModelForm):
    filters = PrettyJSONField(
        required=False, initial=dict,
        help_text='Lead conditions, e.g. {"country": ["US"], "region": ["CA", "NV"]}. Empty: every lead.',
    )

    class Meta:
        model = Buyer
        fields = "__all__"
        formfield_callback = https_formfield

    def clean_filters(self) -> dict:
        value = self.cleaned_data["filters"]
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError("Filters must be a JSON object such as {\"country\": [\"US\"]}.")
        for key, allowed in value.items():
            if not isinstance(allowed, (str, int, float, list)) or (
                isinstance(allowed, list) and not all(isinstance(v, (str, int, float)) for v in allowed)
            ):
                raise ValidationError(f"Filter {key!r} must be a value or a list of values.")
        return value


class LeadAdminForm(forms.ModelForm):
    # Lead.fields, the extra answers. The form's metaclass moves declared fields off the class, so this does not
    # shadow BaseForm.fields; the stubs cannot know that.
    fields = PrettyJSONField(  # type: ignore[assignment]
        required=False, initial=dict, help_text="Extra answers sent by the supplier.")

    class Meta:
        model = Lead
        fields = "__all__"

    """Contact values are stored exactly as intake stores them, so dedup and suppression keep matching."""

    def _normalised(self, kind: str, name: str) -> str:
        value = self.cleaned_data[name].strip()
        if not value:
            return ""
        try:
            return suppression_value_normalise(kind=kind, value=value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean_email(self) -> str:
        return self._normalised(SuppressionEntry.Kind.EMAIL, "email")

    def clean_phone(self) -> str:
        return self._normalised(SuppressionEntry.Kind.PHONE, "phone")

    def clean_country(self) -> str:
        return country_code_clean(self.cleaned_data["country"])

    def clean_language(self) -> str:
        return language_code_clean(self.cleaned_data["language"])

    def clean_fields(self) -> dict:
        value = self.cleaned_data["fields"]
        if value in (None, ""):
            return {}
        problems = fields_problems(value)
        if problems:
            raise ValidationError(problems)
        return value


class SuppressionEntryAdminForm(forms.ModelForm):
    """Stores the value the way intake compares it (E.164 phone, lower-case email or domain)."""

    class Meta:
        model = SuppressionEntry
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind and value is not None:
            try:
                cleaned["value"] = suppression_value_normalise(kind=kind, value=value)
            except ValueError as exc:
                self.add_error("value", str(exc))
        return cleaned
