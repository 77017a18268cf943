"""Erasing a person from what intake and the buyers' side stored: the lead, the intake log, buyer and webhook logs,
imports; and keeping them out of later intake by the salted hashes of their phone and email.

The floor's side (offers, contacts, notes, outbox, routing snapshots) is erased by assignments.services.erasure,
which calls `lead_intake_side_erase` in the same transaction. Timings, statuses, counts and money stay, so
reports do not change.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from campaigns.models import (
    BuyerDelivery,
    IntakeAttempt,
    Lead,
    LeadDistribution,
    LeadReturn,
    SuppressionEntry,
    WebhookDelivery,
)
from campaigns.models_import import LeadImport
from campaigns.person_hash import person_hash

ERASED = "[erased]"
# Keys that hold a person's data wherever a lead is copied into JSON (messages, snapshots, buyer requests).
PERSONAL_KEYS = frozenset({"name", "first_name", "last_name", "full_name", "email", "phone", "postal_code",
                           "fields", "ip"})
NEEDLE_MIN_LENGTH = 3  # a shorter name ("Al") would blank unrelated text; it is erased from the lead's own columns


@dataclass(frozen=True)
class Person:
    """What identifies the person of a lead in text: the strings to find and blank wherever they were copied."""

    lead_id: int
    needles: tuple[str, ...]

    @classmethod
    def of(cls, lead: Lead) -> Person:
        values = {lead.email, lead.phone, lead.phone.lstrip("+"), lead.first_name, lead.last_name, lead.full_name,
                  lead.postal_code, *_strings(lead.fields), (lead.consent or {}).get("ip", "")}
        needles = sorted({v.strip() for v in values if len(v.strip()) >= NEEDLE_MIN_LENGTH}, key=len, reverse=True)
        return cls(lead_id=lead.pk, needles=tuple(needles))

    def text(self, value: str, limit: int | None = None) -> str:
        """The text with every occurrence of the person blanked (case-insensitive), cut to `limit` characters
        (the column's length: the marker may be longer than a short needle)."""
        if not value or not self.needles:
            return value
        return re.sub("|".join(map(re.escape, self.needles)), ERASED, value, flags=re.IGNORECASE)[:limit]

    def json(self, value: Any, *, about_lead: bool = False) -> Any:
        """The JSON with the person blanked: the personal keys of any object about this lead (its "id" or
        "lead_id" is the lead's, or `about_lead` for the outermost one), and any string holding a needle."""
        if isinstance(value, dict):
            about_lead = about_lead or value.get("id") == self.lead_id or value.get("lead_id") == self.lead_id
            return {key: (_blank(item) if about_lead and key in PERSONAL_KEYS else self.json(item))
                    for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def _blank(value: Any) -> Any:
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    return "" if isinstance(value, str) else None


def lead_intake_side_erase(*, lead: Lead, person: Person, at: dt.datetime, by_id: int | None,
                           suppress: bool) -> None:
    """Blank the person on the lead and in every intake-side record of it; with `suppress`, add the salted
    hashes of their phone and email to the suppression list. Precondition: in a transaction, the lead locked."""
    if suppress:
        for kind, value in ((SuppressionEntry.Kind.PHONE_HASH, lead.phone), (SuppressionEntry.Kind.EMAIL_HASH,
                                                                              lead.email)):
            if value:
                SuppressionEntry.objects.get_or_create(kind=kind, value=person_hash(value=value),
                                                       defaults={"reason": f"Erased lead #{lead.pk}"})
    consent = {key: value for key, value in (lead.consent or {}).items() if key != "ip"} or None
    Lead.objects.filter(pk=lead.pk).update(first_name="", last_name="", email="", phone="", postal_code="",
                                           fields={}, consent=consent, erased_at=at, erased_by_id=by_id)
    for attempt in IntakeAttempt.objects.filter(Q(lead=lead) | Q(duplicate_of=lead)):
        IntakeAttempt.objects.filter(pk=attempt.pk).update(detail=person.text(attempt.detail, 500),
                                                           response_body=person.json(attempt.response_body))
    for delivery in BuyerDelivery.objects.filter(lead=lead):
        BuyerDelivery.objects.filter(pk=delivery.pk).update(
            request=person.json(delivery.request), response_body=person.text(delivery.response_body),
            history=person.json(delivery.history), error=person.text(delivery.error, 300))
    for distribution in LeadDistribution.objects.filter(lead=lead):
        LeadDistribution.objects.filter(pk=distribution.pk).update(summary=person.text(distribution.summary, 1000))
    for returned in LeadReturn.objects.filter(lead=lead):
        LeadReturn.objects.filter(pk=returned.pk).update(reason=person.text(returned.reason, 200))
    for hook in WebhookDelivery.objects.filter(lead=lead):
        WebhookDelivery.objects.filter(pk=hook.pk).update(payload=person.json(hook.payload), log=person.json(hook.log),
                                                          last_error=person.text(hook.last_error, 500))
    _imports_erase(person=person)
    lead_type = ContentType.objects.get_for_model(Lead)
    LogEntry.objects.filter(content_type=lead_type, object_id=str(lead.pk)).update(object_repr=f"#{lead.pk} {ERASED}")
    for entry in LogEntry.objects.filter(content_type=lead_type, object_id=str(lead.pk)):
        LogEntry.objects.filter(pk=entry.pk).update(change_message=person.text(entry.change_message))


def _imports_erase(*, person: Person) -> None:
    """Blank the person in the rows, preview and results kept by CSV imports (which name no lead by key)."""
    ascii_needles = [needle for needle in person.needles if needle.isascii()]
    if not ascii_needles:
        return
    # JSON text escapes non-ASCII differently per engine; the email and phone are ASCII and find the import.
    found = Q()
    for needle in ascii_needles:
        found |= Q(as_text__icontains=needle)
    for column in ("rows", "preview", "results"):
        for row in LeadImport.objects.annotate(as_text=Cast(column, TextField())).filter(found).only("pk", column):
            LeadImport.objects.filter(pk=row.pk).update(**{column: person.json(getattr(row, column))})
