"""Leads routed for a test, through the real routing and offer services (a rule must be in place)."""

from assignments import services
from assignments.models import Assignment, Rep
from campaigns.models import Lead


def first_offer(lead: Lead) -> Assignment:
    """Route `lead` now: the first offer it got."""
    return Assignment.objects.get(pk=services.lead_route(lead_id=lead.pk).assignment_ids[0])


def accepted_offer(lead: Lead, rep: Rep) -> Assignment:
    """Route `lead` and have `rep` accept its first offer: the rep owns the lead, not contacted yet."""
    offer = first_offer(lead)
    services.assignment_accept(assignment_id=offer.pk, rep=rep)
    offer.refresh_from_db()
    return offer
