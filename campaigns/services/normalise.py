"""Validation and normalisation of a posted lead: structure errors (400) apart from business refusals (422)."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_slug
from django.db import models
from django.utils.timezone import now

from campaigns.models import Lead, SuppressionEntry
from campaigns.services.consent import consent_parse
from campaigns.services.iso639 import ISO_639_1
from leadcrm.errors import ServiceError

# ISO 3166-1 alpha-2 (249 codes): phonenumbers' regions without its three non-ISO ones (Ascension, Tristan da
# Cunha, Kosovo), plus the seven ISO territories that have no phone numbering plan of their own.
ISO_3166_ALPHA2 = frozenset((phonenumbers.SUPPORTED_REGIONS - {"AC", "TA", "XK"})
                            | {"AQ", "BV", "GS", "HM", "PN", "TF", "UM"})

STRING_FIELDS = ("campaign", "first_name", "last_name", "email", "phone", "country", "region", "postal_code",
                 "language", "skill", "external_id")
ALLOWED_FIELDS = frozenset(STRING_FIELDS + ("fields", "consent"))
CODE_FIELDS = frozenset({"country", "language"})
# A formatted phone ("+1 (415) 555-0100") is longer than its E.164 form, which is what the model stores.
PHONE_INPUT_MAX_LENGTH = 32
FIELDS_MAX_KEYS = 50
FIELDS_MAX_BYTES = 8 * 1024
FIELDS_KEY_MAX_LENGTH = 64
FIELDS_STRING_MAX_LENGTH = 1000
FIELDS_LIST_MAX_ITEMS = 20
UNKNOWN_FIELDS_LISTED = 20

REQUIRED = "This field is required."
NOT_A_STRING = "Must be a string."

_email_validator = EmailValidator()


def field_max_length(model: type[models.Model], name: str) -> int:
    """The max_length of one of the model's text fields."""
    model_field = model._meta.get_field(name)
    if not isinstance(model_field, models.Field) or model_field.max_length is None:
        raise LookupError(f"{model.__name__}.{name} is not a text field with a max_length.")
    return model_field.max_length


def max_length_of(name: str) -> int:
    """The longest accepted input for a top-level string field."""
    if name == "campaign":
        return 64
    if name == "phone":
        return PHONE_INPUT_MAX_LENGTH
    return field_max_length(Lead, name)


class LeadInvalid(ServiceError):
    """The post is malformed (the API's 400); errors maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("invalid", str(errors))
        self.errors = errors


class LeadRefused(ServiceError):
    """A well-formed lead a business rule refuses (the API's 422); `reason` is the code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(reason, f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class LeadInput:
    """A structurally valid lead: trimmed strings, upper-case country, lower-case language; contacts still raw."""

    campaign: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    country: str = ""
    region: str = ""
    postal_code: str = ""
    language: str = ""
    skill: str = ""
    external_id: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    consent: dict[str, str] | None = None

    def present(self, name: str) -> bool:
        return bool(getattr(self, name))


def shown(value: str, limit: int = 40) -> str:
    """A client-sent string safe to echo in an error message (and in a JSON column on any database)."""
    if value.isprintable() and len(value) <= limit:
        return value
    return ascii(value[:limit])[1:-1] + ("…" if len(value) > limit else "")


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored as text on every supported database, or None."""
    if "\x00" in value:
        return "Must not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid Unicode text (no lone surrogates)."
    return None


def lead_payload_parse(*, payload: object, at: dt.datetime | None = None) -> LeadInput:
    """The payload as a LeadInput, or LeadInvalid naming every malformed, unknown or oversized field.

    `at` (default now) is the moment the consent's given_at may not be after."""
    if not isinstance(payload, dict):
        raise LeadInvalid({"non_field_errors": ["Expected a JSON object with the lead's fields."]})
    errors: dict[str, list[str]] = {}
    unknown = [key for key in payload if key not in ALLOWED_FIELDS]
    for key in unknown[:UNKNOWN_FIELDS_LISTED]:
        errors[shown(str(key), 64)] = ["Unknown field. Put extra answers in \"fields\"."]
    if len(unknown) > UNKNOWN_FIELDS_LISTED:
        errors["non_field_errors"] = [f"{len(unknown) - UNKNOWN_FIELDS_LISTED} more unknown fields."]

    values: dict[str, str] = {}
    for name in STRING_FIELDS:
        raw = payload.get(name)
        if raw is None:
            values[name] = ""
            continue
        if not isinstance(raw, str):
            errors[name] = [NOT_A_STRING]
            continue
        value = raw.strip()
        problem = text_problem(value)
        if problem:
            errors[name] = [problem]
        elif len(value) > max_length_of(name) and name not in CODE_FIELDS:  # codes get a precise message below
            errors[name] = [f"Ensure this field has no more than {max_length_of(name)} characters."]
        else:
            values[name] = value
    if not values.get("campaign") and "campaign" not in errors:
        errors["campaign"] = [REQUIRED]

    _check_codes(values, errors)
    fields_value = payload.get("fields")
    fields_errors = fields_problems(fields_value)
    if fields_errors:
        errors["fields"] = fields_errors
    consent, consent_errors = consent_parse(value=payload.get("consent"), at=at or now())
    if consent_errors:
        errors["consent"] = consent_errors
    if errors:
        raise LeadInvalid(errors)
    # No problems means fields is absent, null or an object.
    return LeadInput(**values, fields=fields_value if isinstance(fields_value, dict) else {}, consent=consent)


def _check_codes(values: dict[str, str], errors: dict[str, list[str]]) -> None:
    country = values.get("country")
    if country:
        values["country"] = country = country.upper()
        if country not in ISO_3166_ALPHA2:
            errors["country"] = [f"'{shown(country)}' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)."]
    language = values.get("language")
    if language:
        values["language"] = language = language.lower()
        if language not in ISO_639_1:
            errors["language"] = [f"'{shown(language)}' is not an ISO 639-1 language code (e.g. en, es)."]
    skill = values.get("skill")
    if skill:
        try:
            validate_slug(skill)
        except ValidationError:
            errors["skill"] = ["Must be a slug: letters, numbers, underscores or hyphens."]


def fields_problems(value: object) -> list[str]:
    """What is wrong with a lead's extra answers: an object of <= 50 scalar or short-list values, <= 8 KB."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return ["Must be a JSON object of extra answers."]
    if len(value) > FIELDS_MAX_KEYS:
        return [f"At most {FIELDS_MAX_KEYS} keys, got {len(value)}."]
    problems = []
    for key, item in value.items():
        label = shown(key, FIELDS_KEY_MAX_LENGTH)
        if not key or len(key) > FIELDS_KEY_MAX_LENGTH or text_problem(key):
            problems.append(f"Key '{label}': keys must be 1 to {FIELDS_KEY_MAX_LENGTH} characters of text.")
        elif isinstance(item, list):
            if len(item) > FIELDS_LIST_MAX_ITEMS:
                problems.append(f"'{label}': lists may hold at most {FIELDS_LIST_MAX_ITEMS} items.")
            elif first_problem := next(filter(None, map(_scalar_problem, item)), None):
                problems.append(f"'{label}': " + first_problem)
        elif _scalar_problem(item):
            problems.append(f"'{label}': {_scalar_problem(item)}")
    if not problems:
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        if size > FIELDS_MAX_BYTES:
            problems.append(f"At most {FIELDS_MAX_BYTES} bytes of JSON, got {size}.")
    return problems


def _scalar_problem(value: object) -> str | None:
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "numbers must be finite."
    if isinstance(value, str):
        if len(value) > FIELDS_STRING_MAX_LENGTH:
            return f"text values may be at most {FIELDS_STRING_MAX_LENGTH} characters."
        return text_problem(value)
    return "values must be text, numbers, true/false, null or a short list of those."


def required_fields_missing(*, lead: LeadInput, required: list[str]) -> dict[str, list[str]]:
    """Errors for the campaign's required fields the lead leaves empty."""
    return {name: [REQUIRED] for name in required if name in STRING_FIELDS and not lead.present(name)}


def phone_normalise(*, raw: str, country: str) -> str:
    """The phone in E.164, read with the country as the default region; LeadRefused when it is not a real number."""
    region = country if country in phonenumbers.SUPPORTED_REGIONS else None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        where = f" for country {country}" if country else " (send it with +country code or send the country)"
        raise LeadRefused("invalid_contact", f"Phone '{shown(raw)}' is not a valid number{where}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_normalise(*, raw: str) -> str:
    """The address lower-cased; LeadRefused when its syntax is invalid."""
    try:
        _email_validator(raw)
    except ValidationError:
        raise LeadRefused("invalid_contact", f"Email '{shown(raw, 80)}' is not a valid address.") from None
    return raw.lower()


def lead_contacts_normalise(*, lead: LeadInput) -> tuple[str, str]:
    """(E.164 phone or "", lower-case email or ""); LeadRefused invalid_contact when neither is usable."""
    if not lead.phone and not lead.email:
        raise LeadRefused("invalid_contact", "A lead needs a phone number or an email address.")
    phone = phone_normalise(raw=lead.phone, country=lead.country) if lead.phone else ""
    email = email_normalise(raw=lead.email) if lead.email else ""
    return phone, email


def suppression_value_normalise(*, kind: str, value: str) -> str:
    """A suppression value in the form intake compares (E.164, lower-case); ValueError when it cannot be."""
    value = (value or "").strip()
    if kind == SuppressionEntry.Kind.PHONE:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValueError(f"'{shown(value)}' is not a valid phone number with +country code.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == SuppressionEntry.Kind.EMAIL:
        try:
            return email_normalise(raw=value)
        except LeadRefused as exc:
            raise ValueError(exc.detail) from None
    if kind == SuppressionEntry.Kind.EMAIL_DOMAIN:
        domain = value.lower().lstrip("@").rstrip(".")
        try:
            _email_validator(f"x@{domain}")
        except ValidationError:
            raise ValueError(f"'{shown(value)}' is not a valid email domain.") from None
        return domain
    raise ValueError(f"Unknown suppression kind '{shown(str(kind))}'.")
