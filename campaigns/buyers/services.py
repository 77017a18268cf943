"""Writes of buyer distribution: hand leads to buyers, run a distribution, sweep, price costs, returns, test sends.

A run (lead_distribute) is several short transactions by necessity: HTTP to buyers never runs inside one.
Leads with buyers have status "selling", which routing never touches.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.timezone import now as tz_now

from campaigns import tasks_buyers
from campaigns.buyers.attempts import LEASE, buyer_test_post, buyers_ping
from campaigns.buyers.methods import RunOutcome, auction_run, buyer_ping_tree_run, weighted_deliver
from campaigns.buyers.returns import BuyerReturnRefused, lead_return
from campaigns.buyers.selectors import Candidate, buyers_eligible, lead_cost_quote
from campaigns.floor_hooks import floor
from campaigns.lifecycle import OPEN_TO_FLOOR, lead_transition
from campaigns.models import Buyer, BuyerDelivery, Campaign, Lead, LeadDistribution, PriceRule
from leadcrm.after_commit import enqueue_now, enqueue_on_commit, schedule_at
from leadcrm.db import retry_on_deadlock

logger = logging.getLogger(__name__)

MAX_RUNS = 3
BACKOFF_FIRST_SECONDS = 30  # then 60 s before the third and last run
STALE_AFTER = dt.timedelta(minutes=2)
MOVABLE = OPEN_TO_FLOOR
BUYER_MODES = (Campaign.Distribution.BUYERS_ONLY, Campaign.Distribution.BUYERS_THEN_REPS,
               Campaign.Distribution.REPS_THEN_BUYERS)
LOST_HANDOVER_AFTER = dt.timedelta(seconds=10)
State = LeadDistribution.State

__all__ = [
    "BuyerReturnRefused", "DistributionResult", "buyer_test_send", "lead_cost_apply", "lead_distribute",
    "lead_distribution_enqueue", "lead_return", "leads_to_buyers_release",
]


@dataclass(frozen=True)
class DistributionResult:
    lead_id: int
    action: str  # sold, unsold, retrying or skipped
    buyer_id: int | None = None
    price: Decimal | None = None
    reason: str = ""


def _distribution_enqueue(lead_id: int) -> None:
    enqueue_on_commit(tasks_buyers.distribute_lead_task, lead_id, key=f"buyers-lead-{lead_id}")


def lead_cost_apply(*, lead_id: int) -> Decimal | None:
    """Apply the campaign's cost rules to a stored lead's supplier cost; returns the new cost, None if unchanged.

    One query when the campaign has no cost rule; the write is a single conditional UPDATE.
    """
    if not PriceRule.objects.filter(campaign__leads=lead_id, target=PriceRule.Target.COST, active=True).exists():
        return None
    lead = Lead.objects.select_related("campaign", "supplier").filter(pk=lead_id).first()
    if lead is None:
        return None
    quote = lead_cost_quote(lead=lead, base=lead.supplier.cost_per_lead)
    if not quote.applied or quote.amount == lead.cost:
        return None
    Lead.objects.filter(pk=lead_id, cost=lead.cost).update(cost=quote.amount)
    return quote.amount


@retry_on_deadlock
def lead_distribution_enqueue(*, lead_id: int, now: dt.datetime | None = None, force: bool = False) -> bool:
    """Hand a lead no rep holds to buyers: scored, status "selling", open offers revoked, a run queued after commit.

    A lead goes to buyers once; `force` (a manager) sends an unsold lead again. False when nothing changed.
    """
    now = now or tz_now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().select_related("campaign").filter(pk=lead_id).first()
        if lead is None:
            return False
        trip = LeadDistribution.objects.filter(lead_id=lead_id).first()
        movable = lead.status in MOVABLE or (force and lead.status == Lead.Status.SELLING)
        if not movable or (trip is not None and (not force or trip.state != State.UNSOLD)):
            return False
        floor().lead_offers_revoke(lead_id=lead_id)
        # Buyers' filters and price rules may test the score: score it as routing would (a buyers-first lead never
        # went through routing).
        floor().lead_score(lead_id=lead_id)
        lead_transition(lead_id=lead_id, to=Lead.Status.SELLING, waiting_reason="With buyers")
        if trip is None:
            LeadDistribution.objects.create(lead=lead, method=lead.campaign.buyer_method, created_at=now)
        else:
            LeadDistribution.objects.filter(pk=trip.pk).update(
                state=State.PENDING, method=lead.campaign.buyer_method, runs=0, lease_until=None, next_run_at=None,
                finished_at=None, created_at=now)
        _distribution_enqueue(lead_id)
        return True


def _run_claim(*, lead_id: int, now: dt.datetime) -> tuple[LeadDistribution | None, str]:
    with transaction.atomic():
        trip = (LeadDistribution.objects.select_related("lead__campaign", "lead__supplier")
                .filter(lead_id=lead_id).first())
        if trip is None:
            return None, "the lead was never handed to buyers"
        if trip.lead.status != Lead.Status.SELLING:
            return None, f"the lead is {trip.lead.status}"
        if trip.state in (State.SOLD, State.UNSOLD):
            return None, f"distribution already {trip.state}"
        if trip.state == State.RUNNING and trip.lease_until and trip.lease_until > now:
            return None, "another worker is running it"
        if trip.state == State.RETRYING and trip.next_run_at and trip.next_run_at > now:
            return None, "the retry is not due yet"
        if not LeadDistribution.objects.filter(pk=trip.pk, state=trip.state, runs=trip.runs).update(
                state=State.RUNNING, runs=trip.runs + 1, lease_until=now + LEASE, next_run_at=None):
            return None, "another worker took it"
        trip.runs += 1
        trip.state = State.RUNNING
        return trip, ""


def lead_distribute(*, lead_id: int, now: dt.datetime | None = None,
                    rng: random.Random | None = None) -> DistributionResult:
    """Run the campaign's buyer method once for a lead with buyers; idempotent (a second call is a no-op or a retry
    that never posts a buyer twice). Unsold: retried later after a transient failure, else back to reps unless
    the campaign is buyers only."""
    now = now or tz_now()
    trip, reason = _run_claim(lead_id=lead_id, now=now)
    if trip is None:
        return DistributionResult(lead_id, "skipped", reason=reason)
    lead = trip.lead
    eligibility = buyers_eligible(lead=lead, at=now)
    candidates = eligibility.candidates
    if trip.method == Campaign.BuyerMethod.AUCTION:
        outcome = auction_run(lead=lead, candidates=candidates, run=trip.runs)
    elif trip.method == Campaign.BuyerMethod.WEIGHTED:
        outcome = weighted_deliver(lead=lead, candidates=candidates, run=trip.runs, rng=rng or random.Random())
    else:
        outcome = buyer_ping_tree_run(lead=lead, candidates=candidates, run=trip.runs)
    outcome.notes.extend(f"{name}: {why}" for name, why in eligibility.excluded.items())
    if not candidates:
        outcome.notes.insert(0, "no eligible buyer")
    return _run_finish(trip=trip, outcome=outcome, now=now)


def _run_finish(*, trip: LeadDistribution, outcome: RunOutcome, now: dt.datetime) -> DistributionResult:
    lead = trip.lead
    summary = f"run {trip.runs}: " + ("; ".join(outcome.notes) or "nothing to do")
    with transaction.atomic():
        if outcome.sold_to is not None:
            LeadDistribution.objects.filter(pk=trip.pk).update(summary=summary[:1000])
            return DistributionResult(lead.pk, "sold", buyer_id=outcome.sold_to, price=outcome.price)
        mine = LeadDistribution.objects.filter(pk=trip.pk, state=State.RUNNING, runs=trip.runs)
        if outcome.stopped or not mine.exists():
            return DistributionResult(lead.pk, "skipped", reason="another run took over")
        if outcome.retryable and trip.runs < MAX_RUNS:
            next_at = now + dt.timedelta(seconds=BACKOFF_FIRST_SECONDS * 2 ** (trip.runs - 1))
            mine.update(state=State.RETRYING, next_run_at=next_at, lease_until=None, summary=summary[:1000])
            Lead.objects.filter(pk=lead.pk, status=Lead.Status.SELLING).update(
                waiting_reason=f"With buyers: retry at {next_at:%H:%M:%S} UTC"[:200])
            schedule_at(tasks_buyers.distribute_lead_task, lead.pk, at=next_at,
                        key=f"buyers-lead-{lead.pk}-run-{trip.runs + 1}")
            return DistributionResult(lead.pk, "retrying", reason=summary)
        mine.update(state=State.UNSOLD, finished_at=now, lease_until=None, summary=summary[:1000])
        if lead.campaign.distribution_mode == Campaign.Distribution.BUYERS_ONLY:
            Lead.objects.filter(pk=lead.pk, status=Lead.Status.SELLING).update(
                waiting_reason=f"No buyer took it ({summary})"[:200])
            return DistributionResult(lead.pk, "unsold", reason=summary)
        if lead_transition(lead_id=lead.pk, to=Lead.Status.NEW, sources=[Lead.Status.SELLING], waiting_reason=""):
            floor().leads_route_on_commit(lead_ids=[lead.pk])
        return DistributionResult(lead.pk, "unsold", reason=f"back to reps; {summary}")


def leads_to_buyers_release(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """The floor clock's sweep: held leads of buyer campaigns, new leads of buyers-first campaigns left behind, and
    reps-then-buyers leads unaccepted for N minutes go to buyers; runs lost with their worker are queued again.
    Returns leads handed to buyers."""
    now = now or tz_now()
    never_sold = Q(distribution__isnull=True)
    # A lead a delay rule holds waits for its release, then goes where its campaign sends new leads.
    held = (Lead.objects.filter(never_sold, status=Lead.Status.HELD, campaign__distribution_mode__in=BUYER_MODES,
                                delayed=False)
            .order_by("received_at").values_list("pk", flat=True)[:limit])
    moved = sum(lead_distribution_enqueue(lead_id=lead_id, now=now) for lead_id in list(held))
    # New leads of buyers-first campaigns whose hand-over after intake was lost (routing reconciles after 30 s).
    lost = (Lead.objects.filter(never_sold, status=Lead.Status.NEW, received_at__lte=now - LOST_HANDOVER_AFTER,
                                campaign__distribution_mode__in=Campaign.BUYERS_FIRST)
            .order_by("received_at").values_list("pk", flat=True)[:limit])
    moved += sum(lead_distribution_enqueue(lead_id=lead_id, now=now) for lead_id in list(lost))
    for campaign in Campaign.objects.filter(distribution_mode=Campaign.Distribution.REPS_THEN_BUYERS):
        cutoff = now - dt.timedelta(minutes=campaign.buyers_after_minutes)
        late = (Lead.objects.filter(never_sold, campaign=campaign, received_at__lte=cutoff,
                                    status__in=(Lead.Status.NEW, Lead.Status.WAITING, Lead.Status.OFFERED))
                .order_by("received_at").values_list("pk", flat=True)[:limit])
        moved += sum(lead_distribution_enqueue(lead_id=lead_id, now=now) for lead_id in list(late))
    stale = (LeadDistribution.objects.filter(lead__status=Lead.Status.SELLING)
             .filter(Q(state=State.PENDING, created_at__lt=now - STALE_AFTER)
                     | Q(state=State.RUNNING, lease_until__lt=now)
                     | Q(state=State.RETRYING, next_run_at__lt=now - STALE_AFTER))
             .values_list("lead_id", flat=True)[:limit])
    for lead_id in list(stale):  # committed runs whose task was lost: queue again now
        enqueue_now(tasks_buyers.distribute_lead_task, lead_id, key=f"buyers-lead-{lead_id}")
    return moved


def _test_lead(buyer: Buyer) -> Lead:
    """An unsaved lead that passes the buyer's plain filters where it can, for a test send."""
    campaign = buyer.campaigns.first() or Campaign(slug="test", name="Test")
    first = {}
    for key, value in (buyer.filters or {}).items():
        if "__" not in key:
            first[key] = value[0] if isinstance(value, list) and value else value
    plain = {k: str(first.pop(k)) for k in ("country", "region", "postal_code", "language", "skill") if k in first}
    plain.setdefault("postal_code", str(first.pop("postal_prefix", "")))
    return Lead(campaign=campaign, first_name="Test", last_name="Lead", email="test.lead@example.com",
                phone="+15555550100", **{"country": "US", **plain},
                fields={k.removeprefix("fields."): v for k, v in first.items()}, received_at=tz_now())


def buyer_test_send(*, buyer: Buyer) -> list[BuyerDelivery]:
    """Ping (if the buyer has a ping URL) and post a synthetic lead marked test; each logged, nothing sold."""
    lead = _test_lead(buyer)
    candidate = Candidate(buyer=buyer, price=buyer.price)
    sent = []
    if buyer.ping_url:
        buyers_ping(lead=lead, candidates=[candidate], run=1, test=True)
        sent.append(BuyerDelivery.objects.filter(buyer=buyer, stage="ping", test=True).latest("created_at", "id"))
    delivery, _ = buyer_test_post(lead=lead, candidate=candidate)
    return [*sent, delivery]
