"""The lead's consent record as a supplier posts it: what the person agreed to, when, from where, and its proof.

Stored on the lead as posted, normalised: `given_at` in UTC (ISO 8601), `ip` in its canonical form, blanks left
out. A campaign may require it and may bound its age (the intake service's rules `consent_missing`,
`consent_too_old`); here only its shape is judged.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_datetime

CONSENT_KEYS = ("text", "given_at", "ip", "page_url", "certificate_url")
CONSENT_REQUIRED_KEYS = ("text", "given_at")
CONSENT_TEXT_MAX_LENGTH = 5000
CONSENT_URL_MAX_LENGTH = 2000
# Suppliers' clocks drift: a given_at this far ahead of ours still counts as now.
CONSENT_CLOCK_SKEW = dt.timedelta(minutes=5)

_http_url = URLValidator(schemes=["http", "https"])


def _text(value: object, *, limit: int) -> tuple[str, str | None]:
    if not isinstance(value, str):
        return "", "must be a string."
    value = value.strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "", "must be valid Unicode text (no lone surrogates)."
    if "\x00" in value:
        return "", "must not contain NUL characters."
    if len(value) > limit:
        return "", f"must be at most {limit} characters."
    return value, None


def _given_at(value: str, *, at: dt.datetime) -> tuple[str, str | None]:
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        return "", "must be an ISO 8601 date and time, e.g. 2026-12-07T14:05:00+01:00."
    if parsed.tzinfo is None:
        return "", "needs its UTC offset (e.g. +01:00 or Z)."
    if parsed > at + CONSENT_CLOCK_SKEW:
        return "", "is in the future."
    return parsed.astimezone(dt.UTC).isoformat(), None


def _ip(value: str) -> tuple[str, str | None]:
    try:
        return str(ipaddress.ip_address(value)), None
    except ValueError:
        return "", "is not an IPv4 or IPv6 address."


def _url(value: str) -> tuple[str, str | None]:
    try:
        _http_url(value)
    except ValidationError:
        return "", "must be an http:// or https:// URL."
    return value, None


def consent_parse(*, value: object, at: dt.datetime) -> tuple[dict[str, str] | None, list[str]]:
    """(the consent to store, problems): (None, []) when absent or null; problems name the key at fault."""
    if value is None:
        return None, []
    if not isinstance(value, dict):
        return None, ["Must be an object: {\"text\", \"given_at\", \"ip\", \"page_url\", \"certificate_url\"}."]
    problems = [f"Unknown key '{str(key)[:40]}': expected {', '.join(CONSENT_KEYS)}." for key in value
                if key not in CONSENT_KEYS]
    stored: dict[str, str] = {}
    for key in CONSENT_KEYS:
        raw = value.get(key)
        if raw is None or raw == "":
            if key in CONSENT_REQUIRED_KEYS:
                problems.append(f"{key}: this field is required.")
            continue
        text, problem = _text(raw, limit=CONSENT_TEXT_MAX_LENGTH if key == "text" else CONSENT_URL_MAX_LENGTH)
        if problem is None and key == "given_at":
            text, problem = _given_at(text, at=at)
        elif problem is None and key == "ip":
            text, problem = _ip(text)
        elif problem is None and key.endswith("_url"):
            text, problem = _url(text)
        if problem is not None:
            problems.append(f"{key}: {problem}")
        elif text:
            stored[key] = text
    return (None if problems else stored), problems


def consent_age(*, consent: dict[str, str], at: dt.datetime) -> dt.timedelta:
    """How long before `at` the consent was given (a stored consent, from consent_parse)."""
    return at - dt.datetime.fromisoformat(consent["given_at"])
