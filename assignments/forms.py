"""Admin forms of the sales floor: conditions checked by the routing engine, normalised rep attributes.

A form without a Meta serves the ModelAdmin or inline that names it, which builds it on its own model and fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from assignments.models import Persona, PersonaCondition, Rep, Team
from assignments.routing import PERSONA_FIELD, Condition, condition_errors, persona_slugs
from assignments.selectors_personas import persona_loop, persona_usage
from campaigns.forms import country_code_clean, language_code_clean, timezone_choices


class ConditionForm(forms.ModelForm):
    """A condition row of any kind (routing, scoring, draft, delay, persona); refuses a condition the engine could
    not evaluate (unknown field, non-numeric bound, empty value)."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what BaseForm.clean() returns (typed `dict | None` by django-stubs)
        field, op = cleaned.get("field"), cleaned.get("op")
        if field and op:
            cleaned["field"] = field = field.strip()
            cleaned["value"] = value = (cleaned.get("value") or "").strip()
            errors = condition_errors(Condition(field=field, op=op, value=value))
            for error in errors:
                self.add_error("value" if field_is_known(field) else "field", error)
            if field == PERSONA_FIELD and not errors:
                cleaned["value"] = ",".join(persona_slugs(value))
                self.persona_check(slugs=persona_slugs(value))
        return cleaned

    def persona_check(self, *, slugs: tuple[str, ...]) -> None:
        """Refuse a persona condition that names a persona that does not exist."""
        known = set(Persona.objects.filter(slug__in=slugs).values_list("slug", flat=True)) | self.own_slugs()
        for slug in slugs:
            if slug not in known:
                self.add_error("value", f"Unknown persona '{slug}': add it under Personas first, or use an "
                                        "existing slug.")

    def own_slugs(self) -> set[str]:
        return set()


class PersonaConditionForm(ConditionForm):
    """A condition of a persona; it may name other personas, but never in a loop back to its own."""

    class Meta:
        model = PersonaCondition
        fields = "__all__"

    def _persona(self) -> Persona | None:
        persona = self.cleaned_data.get("persona")  # inline: the persona being saved, even before its first save
        return persona if isinstance(persona, Persona) else None

    def own_slugs(self) -> set[str]:
        persona = self._persona()
        return {persona.slug.lower()} if persona is not None and persona.slug else set()

    def persona_check(self, *, slugs: tuple[str, ...]) -> None:
        super().persona_check(slugs=slugs)
        persona = self._persona()
        if persona is None or not persona.slug:
            return
        loop = persona_loop(slug=persona.slug.lower(), names=slugs)
        if loop:
            self.add_error("value", f"A persona cannot be in itself: {' -> '.join(loop)}.")


def field_is_known(field: str) -> bool:
    return field == PERSONA_FIELD or not condition_errors(Condition(field=field, op="exists"))


class PersonaForm(forms.ModelForm):
    class Meta:
        model = Persona
        fields = "__all__"

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"]).lower()
        old = self.instance.slug if self.instance.pk else ""
        if old and slug != old and (usage := persona_usage().get(old)) is not None and usage.total:
            raise ValidationError(f"Rules name this persona by its slug ({usage.text()}): change them first, or "
                                  "keep the slug.")
        return slug


class RepAdminForm(forms.ModelForm):
    timezone = forms.ChoiceField(choices=timezone_choices, initial="UTC",
                                 help_text="Working hours and days off are in this time zone.")

    class Meta:
        model = Rep
        fields = "__all__"


class RepLanguageForm(forms.ModelForm):
    def clean_code(self) -> str:
        return language_code_clean(self.cleaned_data["code"])


class RepTerritoryForm(forms.ModelForm):
    def clean_country(self) -> str:
        return country_code_clean(self.cleaned_data["country"])


class WebhookURLField(forms.URLField):
    default_validators = [URLValidator(schemes=["http", "https"])]


class TeamAdminForm(forms.ModelForm):
    """A team's alert settings; the chat webhook URL is a secret, so the form never shows it back.

    Left empty on a change, the stored URL is kept; "remove" clears it.
    """

    chat_webhook_url = WebhookURLField(
        label="Chat webhook URL", required=False, max_length=500, assume_scheme="https",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "size": 80}),
        help_text="The incoming-webhook URL the chat gave you (https://...). A secret: never shown again, never "
                  "logged. Leave empty to keep the one set.")
    chat_webhook_remove = forms.BooleanField(label="Remove the webhook URL", required=False)

    class Meta:
        model = Team
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        stored = self.instance.chat_webhook_url if self.instance.pk else ""
        if cleaned.get("chat_webhook_remove"):
            cleaned["chat_webhook_url"] = ""
        elif not cleaned.get("chat_webhook_url") and "chat_webhook_url" not in self.errors:
            cleaned["chat_webhook_url"] = stored
        provider, url = cleaned.get("chat_provider"), cleaned.get("chat_webhook_url")
        if url and not provider and "chat_provider" not in self.errors:
            self.add_error("chat_provider", "Choose the chat this webhook URL belongs to.")
        if provider and not url and "chat_webhook_url" not in self.errors:
            self.add_error("chat_webhook_url", "Give the incoming-webhook URL of this chat.")
        return cleaned
