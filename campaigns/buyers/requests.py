"""What is sent to a buyer: the post body from the buyer's template, headers, the ping without personal data,
and the masked copy of both that the delivery log keeps (no database).

Templates: any JSON; in strings, "{{ name }}" is replaced by the lead's value (a string that is exactly one
placeholder keeps the value's type). Names: PLACEHOLDERS below, plus fields.<answer> for supplier extra answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from campaigns.buyers.filters import FIELDS_PREFIX, condition_fields

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")
PLACEHOLDERS = (
    "lead_id", "external_id", "first_name", "last_name", "full_name", "email", "phone", "country", "region",
    "postal_code", "postal_prefix", "language", "skill", "score", "campaign", "campaign_name", "received_at",
    "price", "test", "fields", "ping_token", "auth_token",
)
PERSONAL_KEYS = frozenset({"first_name", "last_name", "full_name", "name", "email", "phone", "mobile",
                           "address", "street", "birth_date", "dob", "ssn"})
POSTAL_PREFIX_LENGTH = 3
MASK = "***"
USER_AGENT = "LeadCRM-Buyers/1"


@dataclass(frozen=True)
class HttpRequestSpec:
    url: str
    body: object
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 3.0


def lead_view(lead) -> dict:
    """The lead as filters and price rules see it (no contact details)."""
    return {
        "campaign": lead.campaign.slug, "supplier": lead.supplier.name if lead.supplier_id else "",
        "country": lead.country, "region": lead.region, "postal_code": lead.postal_code,
        "language": lead.language, "skill": lead.skill, "score": lead.score,
        "fields": lead.fields if isinstance(lead.fields, dict) else {},
    }


def lead_context(lead, *, price: Decimal | None, test: bool = False, ping_token: str = "") -> dict:
    """Every placeholder value of a (possibly unsaved, test) lead for its post."""
    return {
        "lead_id": lead.pk, "external_id": lead.external_id, "first_name": lead.first_name,
        "last_name": lead.last_name, "full_name": lead.full_name, "email": lead.email, "phone": lead.phone,
        "country": lead.country, "region": lead.region, "postal_code": lead.postal_code,
        "postal_prefix": lead.postal_code[:POSTAL_PREFIX_LENGTH], "language": lead.language, "skill": lead.skill,
        "score": lead.score, "campaign": lead.campaign.slug, "campaign_name": lead.campaign.name,
        "received_at": lead.received_at.isoformat() if lead.received_at else None,
        "price": float(price) if price is not None else None, "test": test,
        "fields": lead.fields if isinstance(lead.fields, dict) else {}, "ping_token": ping_token,
    }


def default_body(context: Mapping[str, object]) -> dict:
    """The standard LeadCRM post body (a buyer without a template gets this)."""
    keys = ("lead_id", "campaign", "first_name", "last_name", "email", "phone", "country", "region", "postal_code",
            "language", "skill", "fields", "received_at", "price", "test")
    body = {key: context.get(key) for key in keys}
    if context.get("ping_token"):
        body["ping_token"] = context["ping_token"]
    return body


def _lookup(name: str, context: Mapping[str, object]) -> object:
    if name.startswith(FIELDS_PREFIX):
        extra = context.get("fields")
        return extra.get(name[len(FIELDS_PREFIX):]) if isinstance(extra, Mapping) else None
    return context.get(name)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def template_render(template: object, context: Mapping[str, object]) -> object:
    """The template with every placeholder replaced; dict keys are kept as written."""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template.strip())
        if whole:
            return _lookup(whole[1], context)
        return PLACEHOLDER.sub(lambda m: _text(_lookup(m[1], context)), template)
    if isinstance(template, Mapping):
        return {key: template_render(value, context) for key, value in template.items()}
    if isinstance(template, list):
        return [template_render(value, context) for value in template]
    return template


def template_problems(template: object) -> list[str]:
    """Placeholders a template uses that no lead has, for the admin (empty when valid)."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.extend(PLACEHOLDER.findall(value))
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(template)
    unknown = sorted({n for n in found if n not in PLACEHOLDERS
                      and not (n.startswith(FIELDS_PREFIX) and len(n) > len(FIELDS_PREFIX))})
    return [f"Unknown placeholder {{{{ {name} }}}}; use one of {', '.join(PLACEHOLDERS)} or fields.<name>."
            for name in unknown]


def headers_render(*, buyer, context: Mapping[str, object], extra: Mapping[str, str] | None = None) -> dict:
    """JSON content type, the buyer's headers (rendered) and its token as a Bearer unless a header places it."""
    values = {**context, "auth_token": buyer.auth_token}
    headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": USER_AGENT}
    places_token = False
    for name, value in (buyer.headers or {}).items() if isinstance(buyer.headers, Mapping) else []:
        places_token = places_token or "auth_token" in PLACEHOLDER.findall(str(value))
        headers[str(name)] = _text(template_render(str(value), values))
    if buyer.auth_token and not places_token:
        headers["Authorization"] = f"Bearer {buyer.auth_token}"
    headers.update(extra or {})
    return headers


def post_request(*, buyer, context: Mapping[str, object]) -> HttpRequestSpec:
    """The full lead for the buyer's endpoint, shaped by its template, with an idempotency key per (lead, buyer)."""
    template = buyer.request_template
    values = {**context, "auth_token": buyer.auth_token}
    body = template_render(template, values) if template not in (None, "", {}, []) else default_body(context)
    extra = {"Idempotency-Key": f"leadcrm-{context.get('lead_id') or 'test'}-{buyer.pk}"}
    if context.get("test"):
        extra["X-LeadCRM-Test"] = "1"
    return HttpRequestSpec(url=buyer.endpoint_url, body=body, timeout_s=buyer.timeout_ms / 1000,
                           headers=headers_render(buyer=buyer, context=context, extra=extra))


def ping_body(*, lead: Mapping[str, object], lead_ref: str, conditions: Mapping[str, object] | None,
              test: bool = False) -> dict:
    """A ping: campaign, country, region, postal prefix and only the other fields the buyer's filters read.

    Never a name, email, phone, full postal code or any PERSONAL_KEYS answer, whatever the filters say.
    """
    body = {"lead_ref": lead_ref, "campaign": lead.get("campaign"), "country": lead.get("country") or "",
            "region": lead.get("region") or "",
            "postal_prefix": str(lead.get("postal_code") or "")[:POSTAL_PREFIX_LENGTH], "test": test}
    fields = lead.get("fields")
    answers = fields if isinstance(fields, Mapping) else {}
    extra = {}
    for name in sorted(condition_fields(conditions)):
        if name.startswith(FIELDS_PREFIX):
            key = name[len(FIELDS_PREFIX):]
            if key not in PERSONAL_KEYS and key in answers:
                extra[key] = answers[key]
        elif name in ("language", "skill", "score"):
            body[name] = lead.get(name)
    if extra:
        body["fields"] = extra
    return body


def ping_request(*, buyer, body: Mapping[str, object], test: bool = False) -> HttpRequestSpec:
    """The ping to the buyer's ping URL, with its headers and token."""
    return HttpRequestSpec(url=buyer.ping_url, body=dict(body), timeout_s=buyer.timeout_ms / 1000,
                           headers=headers_render(buyer=buyer, context={"test": test},
                                                  extra={"X-LeadCRM-Test": "1"} if test else None))


def _masked(text: str) -> str:
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}{MASK}@{domain}"
    if text.startswith("+") and len(text) > 6:
        return f"{text[:4]}{MASK}{text[-2:]}"
    return f"{text[:1]}{MASK}"


def personal_values(lead) -> list[str]:
    """The lead's personal strings that must never reach a log (names, email, phone, postal code)."""
    values = [lead.first_name, lead.last_name, lead.full_name, lead.email, lead.phone, lead.postal_code]
    return sorted({v for v in values if v and len(v) >= 2}, key=len, reverse=True)


def pii_mask(value: object, *, secrets: list[str], key: str = "") -> object:
    """A copy with personal values and secrets masked wherever they appear (keys named like PII: always)."""
    if isinstance(value, Mapping):
        return {k: pii_mask(v, secrets=secrets, key=str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [pii_mask(v, secrets=secrets, key=key) for v in value]
    if not isinstance(value, str):
        return value
    if key.lower().replace("-", "_") in PERSONAL_KEYS and value:
        return _masked(value)
    masked = value
    for secret in secrets:
        if secret:
            masked = re.sub(re.escape(secret), _masked(secret), masked, flags=re.IGNORECASE)
    return masked


def request_masked(*, spec: HttpRequestSpec, secrets: list[str], auth_token: str = "") -> dict:
    """The request as the delivery log keeps it: headers with credentials hidden, body with PII masked."""
    hidden = {"authorization", "x-api-key", "api-key", "cookie"}
    headers = {}
    for name, value in spec.headers.items():
        if name.lower() in hidden or (auth_token and auth_token in value):
            headers[name] = MASK
        else:
            headers[name] = value
    body = pii_mask(spec.body, secrets=secrets)
    return {"url": spec.url, "headers": headers, "body": _token_hidden(body, auth_token) if auth_token else body}


def _token_hidden(value: object, token: str) -> object:
    if isinstance(value, Mapping):
        return {k: _token_hidden(v, token) for k, v in value.items()}
    if isinstance(value, list):
        return [_token_hidden(v, token) for v in value]
    return value.replace(token, MASK) if isinstance(value, str) else value
