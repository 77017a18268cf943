"""The three ways a run sells a lead: ping tree, ping-post auction, weighted split. Each returns what happened;
the sale itself is written by the accepted post (attempts.buyer_post)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from campaigns.buyers.attempts import buyer_post, buyers_ping
from campaigns.buyers.ranking import Bid, auction_rank, ping_tree_order, weighted_pick
from campaigns.buyers.selectors import Candidate
from campaigns.models import Lead

TRANSIENT = ("timeout", "error")


@dataclass
class RunOutcome:
    sold_to: int | None = None
    price: Decimal | None = None
    retryable: bool = False  # a buyer failed in a way a later run may get past (no answer, 5xx, no connection)
    stopped: bool = False  # another run took the lead over
    notes: list[str] = field(default_factory=list)


def _offer(*, lead: Lead, candidate: Candidate, run: int, outcome: RunOutcome) -> bool:
    """Ping (when the buyer has a ping URL) then post one buyer; True when it bought the lead."""
    name, price, token = candidate.buyer.name, candidate.price, ""
    if candidate.buyer.ping_url:
        answer = buyers_ping(lead=lead, candidates=[candidate], run=run)[candidate.buyer.pk]
        if answer.outcome != "accepted":
            outcome.notes.append(f"{name}: ping {answer.outcome}")
            outcome.retryable |= answer.outcome in TRANSIENT
            return False
        price, token = answer.bid if answer.bid is not None else price, answer.token
    return _post(lead=lead, candidate=candidate, price=price, run=run, token=token, outcome=outcome)


def _post(*, lead: Lead, candidate: Candidate, price: Decimal, run: int, token: str, outcome: RunOutcome) -> bool:
    posted = buyer_post(lead=lead, candidate=candidate, price=price, run=run, ping_token=token)
    outcome.notes.append(f"{candidate.buyer.name}: post {posted.outcome} at {price}"
                         + (f" ({posted.reason})" if posted.reason and posted.outcome != "accepted" else ""))
    outcome.retryable |= posted.retryable
    outcome.stopped = posted.outcome == "lost"
    if posted.outcome == "accepted":
        outcome.sold_to, outcome.price = candidate.buyer.pk, price
        return True
    return False


def buyer_ping_tree_run(*, lead: Lead, candidates: Sequence[Candidate], run: int) -> RunOutcome:
    """Offer the lead to one buyer after another (priority, or price if the campaign says so); first to accept wins."""
    outcome = RunOutcome()
    ordered = ping_tree_order(buyers=list(candidates), by_price=lead.campaign.ping_tree_order == "price",
                              price_of=lambda c: c.price, priority_of=lambda c: c.buyer.priority,
                              name_of=lambda c: c.buyer.name)
    for candidate in ordered:
        if _offer(lead=lead, candidate=candidate, run=run, outcome=outcome) or outcome.stopped:
            break
    return outcome


def auction_run(*, lead: Lead, candidates: Sequence[Candidate], run: int) -> RunOutcome:
    """Ping every buyer at once without personal data; the highest bid at or above the floor gets the full lead,
    then the next bid if that post fails. A buyer without a ping URL bids its price."""
    outcome = RunOutcome()
    answers = buyers_ping(lead=lead, candidates=candidates, run=run)
    bids, tokens, by_id = [], {}, {c.buyer.pk: c for c in candidates}
    for candidate in candidates:
        amount = candidate.price
        answer = answers.get(candidate.buyer.pk)
        if answer is not None:
            if answer.outcome != "accepted":
                outcome.notes.append(f"{candidate.buyer.name}: ping {answer.outcome}")
                outcome.retryable |= answer.outcome in TRANSIENT
                continue
            amount, tokens[candidate.buyer.pk] = answer.bid if answer.bid is not None else amount, answer.token
        bids.append(Bid(buyer_id=candidate.buyer.pk, amount=amount, priority=candidate.buyer.priority))
    ranked = auction_rank(bids=bids, floor=lead.campaign.floor_price)
    for low in (b for b in bids if b not in ranked):
        outcome.notes.append(f"{by_id[low.buyer_id].buyer.name}: bid {low.amount} below floor "
                             f"{lead.campaign.floor_price}")
    for bid in ranked:
        if _post(lead=lead, candidate=by_id[bid.buyer_id], price=bid.amount, run=run,
                 token=tokens.get(bid.buyer_id, ""), outcome=outcome) or outcome.stopped:
            break
    return outcome


def weighted_deliver(*, lead: Lead, candidates: Sequence[Candidate], run: int, rng: random.Random) -> RunOutcome:
    """Give the lead to a buyer drawn by weight; if it does not take it, draw again among the others."""
    outcome = RunOutcome()
    remaining = list(candidates)
    while remaining:
        candidate = weighted_pick(items=[(c, c.buyer.weight) for c in remaining], rng=rng)
        if candidate is None:
            outcome.notes.append("no remaining buyer has a weight above 0")
            break
        remaining.remove(candidate)
        if _offer(lead=lead, candidate=candidate, run=run, outcome=outcome) or outcome.stopped:
            break
    return outcome
