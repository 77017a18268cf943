"""Admin forms of buyer distribution: buyer setup (token write-only, validated JSON), price rules, returns."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.timezone import now

from campaigns.buyers.filters import condition_persona_slugs, conditions_problems, schedule_problems
from campaigns.buyers.requests import template_problems
from campaigns.buyers.selectors import lead_return_problem
from campaigns.floor_hooks import floor
from campaigns.forms import BuyerAdminForm, PrettyJSONField
from campaigns.models import Buyer, LeadReturn, PriceRule


def _problems(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def persona_problems(conditions: object) -> list[str]:
    """The personas the conditions name that do not exist (personas are defined on the sales floor)."""
    named = condition_persona_slugs(conditions)
    unknown = sorted(named - floor().persona_slugs()) if named else []
    return [f"Unknown persona {slug!r}: add it under Personas first, or use an existing slug." for slug in unknown]


class BuyerSetupForm(BuyerAdminForm):
    """The buyer form with the auth token write-only: an empty field keeps the stored token."""

    auth_token = forms.CharField(
        required=False, strip=True, widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: type a new token to replace the stored one; leave empty to keep it.",
    )
    clear_auth_token = forms.BooleanField(required=False, label="Remove the stored token")
    request_template = PrettyJSONField(required=False, initial=dict,
                                       help_text=Buyer._meta.get_field("request_template").help_text)
    headers = PrettyJSONField(required=False, initial=dict, help_text=Buyer._meta.get_field("headers").help_text)
    schedule = PrettyJSONField(required=False, initial=dict, help_text=Buyer._meta.get_field("schedule").help_text)

    def clean_filters(self) -> dict:
        value = super().clean_filters()
        _problems(conditions_problems(value) or persona_problems(value))
        return value

    def _json(self, name: str) -> Any:
        """Field `name`'s parsed JSON; {} when it was left empty."""
        value = self.cleaned_data[name]
        return {} if value in (None, "") else value

    def clean_request_template(self) -> object:
        value = self._json("request_template")
        if not isinstance(value, (dict, list)):
            raise ValidationError("The template must be a JSON object or list.")
        _problems(template_problems(value))
        return value

    def clean_headers(self) -> dict:
        value = self._json("headers")
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValidationError('Headers must be a JSON object of text values, e.g. {"X-Source": "leadcrm"}.')
        _problems(template_problems(value))
        return value

    def clean_schedule(self) -> dict:
        value = self._json("schedule")
        _problems(schedule_problems(value))
        return value

    def clean_auth_token(self) -> str:
        typed = self.cleaned_data["auth_token"]
        if self.data.get(self.add_prefix("clear_auth_token")):
            return ""
        return typed or (self.instance.auth_token if self.instance.pk else "")


class PriceRuleForm(forms.ModelForm):
    conditions = PrettyJSONField(required=False, initial=dict,
                                 help_text=PriceRule._meta.get_field("conditions").help_text)

    class Meta:
        model = PriceRule
        fields = "__all__"

    def clean_conditions(self) -> dict:
        value = self.cleaned_data["conditions"]
        if value in (None, ""):
            return {}
        _problems(conditions_problems(value) or persona_problems(value))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns
        if cleaned.get("target") == PriceRule.Target.COST and cleaned.get("buyer"):
            self.add_error("buyer", "A supplier cost rule applies to the lead, not to a buyer: leave it empty.")
        if cleaned.get("operation") == PriceRule.Operation.MULTIPLY and (cleaned.get("amount") or 0) < 0:
            self.add_error("amount", "A multiplier cannot be negative.")
        return cleaned


class LeadReturnForm(forms.ModelForm):
    """Record a return: the lead and the buyer's reason; the service checks the sale and its window."""

    class Meta:
        model = LeadReturn
        fields = ("lead", "reason")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns
        lead = cleaned.get("lead")
        if lead is not None:
            problem = lead_return_problem(lead=lead, at=now())
            if problem:
                self.add_error("lead", problem)
        return cleaned

    def validate_unique(self) -> None:
        """The service refuses a second return with a clear message; skip the model's generic one."""
