"""Returns: a buyer sends a sold lead back within its window; revenue is reversed and the supplier is told."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.timezone import now as tz_now

from campaigns.buyers.selectors import lead_return_problem
from campaigns.models import Lead, LeadDistribution, LeadReturn
from campaigns.services.normalise import field_max_length
from campaigns.services.webhooks import lead_status_webhook_enqueue
from leadcrm.errors import ServiceError

REASON_MAX = field_max_length(LeadReturn, "reason")


class BuyerReturnRefused(ServiceError):
    """The lead cannot be returned; the message says why."""

    def __init__(self, message: str):
        super().__init__("return_refused", message)


def lead_return(*, lead_id: int, reason: str, at: dt.datetime | None = None, user=None) -> LeadReturn:
    """Record the return of a sold lead by its buyer inside the return window, in one transaction: the sale price
    is taken off the lead's revenue, the lead stays "sold" (with its return), the supplier gets "returned"."""
    at = at or tz_now()
    reason = (reason or "").strip()
    if not reason:
        raise BuyerReturnRefused("Give the buyer's reason for the return.")
    if len(reason) > REASON_MAX:
        raise BuyerReturnRefused(f"The reason is at most {REASON_MAX} characters.")
    try:
        with transaction.atomic():
            lead = (Lead.objects.select_for_update().select_related("campaign", "supplier")
                    .filter(pk=lead_id).first())
            if lead is None:
                raise BuyerReturnRefused(f"No lead {lead_id}.")
            problem = lead_return_problem(lead=lead, at=at)
            if problem:
                raise BuyerReturnRefused(problem)
            sale = LeadDistribution.objects.select_related("buyer").get(lead_id=lead.pk)
            if sale.buyer is None or sale.price is None:  # a sold sale has both (a check constraint)
                raise BuyerReturnRefused("This lead was not sold to a buyer.")
            returned = LeadReturn.objects.create(lead=lead, buyer=sale.buyer, reason=reason, amount=sale.price, at=at,
                                                 created_by=user)
            Lead.objects.filter(pk=lead.pk).update(revenue=F("revenue") - sale.price)
            lead.refresh_from_db(fields=["revenue"])
            lead_status_webhook_enqueue(lead=lead, event="returned")
            return returned
    except IntegrityError as exc:  # a concurrent return of the same lead won
        raise BuyerReturnRefused("This lead was already returned.") from exc
