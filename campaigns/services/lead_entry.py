"""A lead a manager types in (a phone call, a walk-in): the same intake as a supplier's post."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns.models import Campaign, Supplier
from campaigns.services.intake import IntakeResult, lead_intake

HOUSE_SUPPLIER_NAME = "Entered by hand"


@transaction.atomic
def house_supplier_for(*, campaign: Campaign) -> Supplier:
    """The supplier of leads entered by hand (created on first use, no API key, no cost), allowed to post to
    `campaign` from now on, so reports count these leads apart from every real supplier's."""
    supplier, _ = Supplier.objects.get_or_create(
        name=HOUSE_SUPPLIER_NAME, defaults={"contact_email": "", "active": True})
    supplier.campaigns.add(campaign)
    return supplier


def lead_enter(*, campaign: Campaign, supplier: Supplier | None, lead: dict[str, Any],
               allow_duplicate: bool = False) -> IntakeResult:
    """One lead entered by hand, taken through lead_intake as `supplier` (None: the house supplier) into `campaign`.

    `lead` holds the intake fields other than campaign. allow_duplicate: a manager's "create anyway" after a
    same phone or email duplicate (the caller checks that the user is a manager).
    """
    supplier = supplier or house_supplier_for(campaign=campaign)
    payload = {**{key: value for key, value in lead.items() if value not in ("", None, {})}, "campaign": campaign.slug}
    return lead_intake(supplier=supplier, payload=payload, allow_duplicate=allow_duplicate)
