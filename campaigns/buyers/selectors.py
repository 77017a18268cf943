"""Reads of buyer distribution: who may buy a lead now and at what price, the trail, returns."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.utils.timezone import now as tz_now

from campaigns.buyers.caps import buyers_at_cap
from campaigns.buyers.filters import conditions_failed, names_persona, schedule_open
from campaigns.buyers.pricing import COST, PRICE, PriceQuote, PriceRuleSpec, price_apply
from campaigns.buyers.ranking import weighted_pick
from campaigns.buyers.requests import lead_view
from campaigns.floor_hooks import floor
from campaigns.models import Buyer, BuyerDelivery, Lead, LeadDistribution, LeadReturn, PriceRule


@dataclass(frozen=True)
class Candidate:
    """A buyer that may receive the lead now, with its price for it after price rules."""

    buyer: Buyer
    price: Decimal
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Eligibility:
    candidates: list[Candidate]
    excluded: dict[str, str] = field(default_factory=dict)  # buyer name -> why not


def price_rules_for(*, campaign_id: int) -> list[PriceRuleSpec]:
    """The campaign's active price rules as pure specs."""
    return [PriceRuleSpec(id=r.pk, name=r.name, target=r.target, operation=r.operation, amount=r.amount,
                          conditions=r.conditions or {}, buyer_id=r.buyer_id, order=r.order)
            for r in PriceRule.objects.filter(campaign_id=campaign_id, active=True)]


def lead_match_view(*, lead: Lead, conditions: list[object]) -> dict:
    """The lead as these filters and price rules' conditions see it: with its personas when one names a persona
    (the sales floor says which; an unsaved test lead is in none)."""
    view = lead_view(lead)
    if any(names_persona(c) for c in conditions):
        view["persona"] = floor().lead_personas(lead=lead) if lead.pk else []
    return view


def lead_cost_quote(*, lead: Lead, base: Decimal) -> PriceQuote:
    """The supplier cost of the lead after the campaign's cost rules."""
    rules = price_rules_for(campaign_id=lead.campaign_id)
    view = lead_match_view(lead=lead, conditions=[r.conditions for r in rules if r.target == COST])
    return price_apply(base=base, rules=rules, lead=view, target=COST)


def buyers_done_for(*, lead_id: int) -> set[int]:
    """Buyers this lead was posted to for good (accepted, refused, possibly received): never posted again."""
    return set(BuyerDelivery.objects.filter(lead_id=lead_id, stage=BuyerDelivery.Stage.POST, test=False)
               .exclude(outcome=BuyerDelivery.Outcome.ERROR, retryable=True)
               .values_list("buyer_id", flat=True))


def buyers_eligible(*, lead: Lead, at: dt.datetime | None = None) -> Eligibility:
    """Active buyers of the lead's campaign whose filters, schedule and caps allow it now, and not done with it."""
    at = at or tz_now()
    buyers = list(Buyer.objects.filter(active=True, campaigns=lead.campaign_id).order_by("priority", "name"))
    done = buyers_done_for(lead_id=lead.pk) if lead.pk else set()
    full = buyers_at_cap(buyers=buyers, at=at)
    rules = price_rules_for(campaign_id=lead.campaign_id)
    view = lead_match_view(lead=lead, conditions=[*(b.filters for b in buyers), *(r.conditions for r in rules)])
    candidates, excluded = [], {}
    for buyer in buyers:
        failed = conditions_failed(conditions=buyer.filters, lead=view)
        if buyer.pk in done:
            excluded[buyer.name] = "already posted this lead"
        elif failed:
            excluded[buyer.name] = f"filters: {', '.join(failed)}"
        elif not schedule_open(schedule=buyer.schedule, at=at, default_timezone=settings.TIME_ZONE):
            excluded[buyer.name] = "outside its schedule"
        elif buyer.pk in full:
            excluded[buyer.name] = "cap reached"
        else:
            quote = price_apply(base=buyer.price, rules=rules, lead=view, target=PRICE, buyer_id=buyer.pk)
            candidates.append(Candidate(buyer=buyer, price=quote.amount, rules=quote.applied))
    return Eligibility(candidates=candidates, excluded=excluded)


def buyer_weighted_choose(*, lead: Lead, rng: random.Random, at: dt.datetime | None = None,
                          exclude: frozenset[int] = frozenset()) -> Candidate | None:
    """The buyer weighted delivery would give the lead to now (filters, schedules and caps honoured); no writes."""
    candidates = [c for c in buyers_eligible(lead=lead, at=at).candidates if c.buyer.pk not in exclude]
    return weighted_pick(items=[(c, c.buyer.weight) for c in candidates], rng=rng)


def lead_return_problem(*, lead: Lead, at: dt.datetime) -> str:
    """Why the lead cannot be returned now (empty when it can): it must be sold, not returned, inside the window."""
    sale = LeadDistribution.objects.select_related("buyer").filter(lead_id=lead.pk).first()
    if (lead.status != Lead.Status.SOLD or sale is None or sale.state != LeadDistribution.State.SOLD
            or sale.buyer is None or sale.sold_at is None):  # a sale has both
        return "This lead was not sold to a buyer."
    if LeadReturn.objects.filter(lead_id=lead.pk).exists():
        return "This lead was already returned."
    hours = sale.buyer.return_window_hours
    if at > sale.sold_at + dt.timedelta(hours=hours):
        return f"The return window of {sale.buyer.name} ({hours} h after the sale) has passed."
    return ""


def returns_by_supplier(*, since: dt.datetime | None = None, until: dt.datetime | None = None) -> dict[int, dict]:
    """Per supplier id: leads sold and leads returned (by sale time), for supplier quality reports."""
    window = Q()
    if since:
        window &= Q(sold_at__gte=since)
    if until:
        window &= Q(sold_at__lt=until)
    rows = (LeadDistribution.objects.filter(window, state=LeadDistribution.State.SOLD)
            .values("lead__supplier_id")
            .annotate(sold=Count("id"), returned=Count("lead__buyer_return")))
    return {row["lead__supplier_id"]: {"sold": row["sold"], "returned": row["returned"]} for row in rows}
