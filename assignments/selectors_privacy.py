"""Subject access: everything stored about a person, found by their email or phone, as one JSON-ready document."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.timezone import now as tz_now

from assignments.selectors_work import lead_timeline
from campaigns.models import BuyerDelivery, IntakeAttempt, Lead, WebhookDelivery
from campaigns.selectors import leads_of_person

LEAD_SKIPPED = frozenset({"owner", "erased_by"})  # shown by username below


def person_export(*, email: str = "", phone: str = "") -> dict[str, Any]:
    """Every lead stored with this email or phone, each with its fields, consent, the intake log of it, its
    timeline (offers, contacts with notes, notes, callbacks, stages), buyer deliveries and webhooks."""
    leads = leads_of_person(email=email, phone=phone).select_related("campaign", "supplier", "owner", "erased_by")
    return {"query": {"email": email, "phone": phone}, "exported_at": tz_now(),
            "leads": [_lead_export(lead) for lead in leads]}


def _lead_export(lead: Lead) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in Lead._meta.concrete_fields:
        if field.name in LEAD_SKIPPED:
            continue
        value = getattr(lead, field.attname)
        row[field.name] = str(value) if isinstance(field, models.DecimalField) and value is not None else value
    row["campaign"], row["supplier"] = lead.campaign.slug, lead.supplier.name
    row["owner"] = lead.owner.get_username() if lead.owner else None
    row["erased_by"] = lead.erased_by.get_username() if lead.erased_by else None
    row["intake_log"] = list(IntakeAttempt.objects.filter(lead=lead).order_by("received_at", "pk").values(
        "received_at", "action", "outcome", "reason", "detail", "response_status", "response_body"))
    row["timeline"] = lead_timeline(lead=lead)
    row["buyer_deliveries"] = list(BuyerDelivery.objects.filter(lead=lead).order_by("created_at", "pk").values(
        "created_at", "buyer__name", "stage", "outcome", "response_code", "price"))
    for delivery in row["buyer_deliveries"]:
        delivery["price"] = str(delivery["price"]) if delivery["price"] is not None else None
    row["webhooks"] = list(WebhookDelivery.objects.filter(lead=lead).order_by("created_at", "pk").values(
        "created_at", "event", "state", "delivered_at", "payload"))
    return row
