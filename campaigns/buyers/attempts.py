"""One buyer, one lead: pings (logged) and the post (claimed before the HTTP call, so it is never sent twice).

Each write is its own short transaction; the HTTP call runs between them, never inside one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.timezone import now as tz_now

from campaigns.buyers.caps import buyer_caps_claim, buyer_caps_release
from campaigns.buyers.delivery import Answer, HttpResult, answer_read, http_send, http_send_many
from campaigns.buyers.requests import (
    lead_context,
    lead_view,
    personal_values,
    pii_mask,
    ping_body,
    ping_request,
    post_request,
    request_masked,
)
from campaigns.buyers.selectors import Candidate
from campaigns.lifecycle import lead_transition
from campaigns.models import BuyerDelivery, Lead, LeadDistribution
from campaigns.services.caps import CapReached, CapWindow

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
Outcome = BuyerDelivery.Outcome


@dataclass(frozen=True)
class PostResult:
    outcome: str  # accepted, rejected, timeout, error; or skipped, capped, lost (nothing was sent)
    retryable: bool = False
    reason: str = ""



def _row_fields(result: HttpResult, answer: Answer, secrets: list[str]) -> dict:
    return {"response_code": result.status, "latency_ms": result.latency_ms,
            "response_body": pii_mask(result.text, secrets=secrets), "error": (answer.reason or result.error)[:300]}


def _log(stage: str, lead_id: int | None, buyer_id: int, answer: Answer, result: HttpResult) -> None:
    logger.info("buyer %s %s lead %s: %s (HTTP %s, %d ms)%s", buyer_id, stage, lead_id or "test", answer.outcome,
                result.status, result.latency_ms, f" bid {answer.bid}" if answer.bid is not None else "")


def buyers_ping(*, lead: Lead, candidates: Sequence[Candidate], run: int, test: bool = False) -> dict[int, Answer]:
    """Ping every candidate with a ping URL at once (no personal data) and log each; answers by buyer id."""
    view = lead_view(lead)
    pinged = [(c, ping_request(buyer=c.buyer, test=test,
                               body=ping_body(lead=view, lead_ref=str(lead.pk or "test"), conditions=c.buyer.filters,
                                              test=test)))
              for c in candidates if c.buyer.ping_url]
    results = http_send_many([spec for _, spec in pinged])
    secrets = personal_values(lead)
    answers, rows = {}, []
    for (candidate, spec), result in zip(pinged, results, strict=True):
        answer = answer_read(result)
        answers[candidate.buyer.pk] = answer
        outcome = Outcome.BID if answer.outcome == "accepted" and answer.bid is not None else answer.outcome
        rows.append(BuyerDelivery(
            lead=lead if lead.pk else None, buyer=candidate.buyer, stage=BuyerDelivery.Stage.PING, test=test, run=run,
            outcome=outcome, retryable=answer.retryable, bid=answer.bid,
            request=request_masked(spec=spec, secrets=secrets, auth_token=candidate.buyer.auth_token),
            **_row_fields(result, answer, secrets),
        ))
        _log("ping", lead.pk, candidate.buyer.pk, answer, result)
    with transaction.atomic():
        BuyerDelivery.objects.bulk_create(rows)
    return answers


def buyer_post(*, lead: Lead, candidate: Candidate, price: Decimal, run: int, ping_token: str = "",
               at: dt.datetime | None = None) -> PostResult:
    """Post the full lead to one buyer at most once; on acceptance the lead is sold to it at `price`.

    The post row and the buyer's cap are claimed first in one transaction (the unique (lead, buyer) post row
    decides between racing workers); only a post that failed before the buyer could take it is tried again.
    """
    at = at or tz_now()
    buyer = candidate.buyer
    spec = post_request(buyer=buyer, context=lead_context(lead, price=price, ping_token=ping_token))
    secrets = personal_values(lead)
    masked = request_masked(spec=spec, secrets=secrets, auth_token=buyer.auth_token)
    claim = _post_claim(lead=lead, candidate=candidate, price=price, run=run, request=masked, at=at)
    if isinstance(claim, PostResult):
        return claim
    delivery, windows = claim
    result = http_send(spec)
    answer = answer_read(result)
    _log("post", lead.pk, buyer.pk, answer, result)
    return _post_record(delivery=delivery, windows=windows, lead=lead, candidate=candidate, price=price,
                        result=result, answer=answer, secrets=secrets)


def _post_claim(*, lead: Lead, candidate: Candidate, price: Decimal, run: int, request: dict,
                at: dt.datetime) -> tuple[BuyerDelivery, list[CapWindow]] | PostResult:
    buyer = candidate.buyer
    try:
        with transaction.atomic():
            # Only the run that holds the lead's distribution may post; this also extends its lease.
            if not LeadDistribution.objects.filter(lead_id=lead.pk, state=LeadDistribution.State.RUNNING,
                                                   runs=run).update(lease_until=at + LEASE):
                return PostResult("lost", reason="another run took over this lead")
            existing = BuyerDelivery.objects.filter(lead=lead, buyer=buyer, stage=BuyerDelivery.Stage.POST,
                                                    test=False).first()
            if existing is None:
                delivery = BuyerDelivery.objects.create(lead=lead, buyer=buyer, stage=BuyerDelivery.Stage.POST,
                                                        run=run, price=price, request=request, created_at=at)
            elif existing.outcome == Outcome.ERROR and existing.retryable:
                earlier = {"attempt": existing.attempt, "at": existing.created_at.isoformat(),
                           "code": existing.response_code, "error": existing.error, "ms": existing.latency_ms}
                if not BuyerDelivery.objects.filter(pk=existing.pk, outcome=Outcome.ERROR, retryable=True,
                                                    attempt=existing.attempt).update(
                        outcome=Outcome.PENDING, retryable=False, attempt=existing.attempt + 1, run=run,
                        price=price, request=request, response_code=None, response_body="", error="",
                        latency_ms=None, created_at=at, history=[*existing.history, earlier]):
                    return PostResult("skipped", reason="another worker is posting it")
                delivery = BuyerDelivery.objects.get(pk=existing.pk)
            else:
                return PostResult("skipped", reason=f"already posted ({existing.outcome})")
            windows = buyer_caps_claim(buyer=buyer, at=at)
            if windows is None:
                raise CapReached
    except IntegrityError:
        return PostResult("skipped", reason="another worker claimed this post")
    except CapReached:
        return PostResult("capped", reason="cap reached")
    return delivery, windows


@transaction.atomic
def _post_record(*, delivery: BuyerDelivery, windows: list[CapWindow], lead: Lead, candidate: Candidate,
                 price: Decimal, result: HttpResult, answer: Answer, secrets: list[str]) -> PostResult:
    at = tz_now()
    BuyerDelivery.objects.filter(pk=delivery.pk).update(outcome=answer.outcome, retryable=answer.retryable,
                                                        **_row_fields(result, answer, secrets))
    if answer.outcome != "accepted":
        buyer_caps_release(windows=windows)
        return PostResult(answer.outcome, retryable=answer.retryable, reason=answer.reason)
    if not lead_transition(lead_id=lead.pk, to=Lead.Status.SOLD, revenue=price, waiting_reason=""):
        logger.warning("lead %s accepted by buyer %s but was no longer with buyers", lead.pk, candidate.buyer.pk)
    LeadDistribution.objects.filter(lead_id=lead.pk).update(
        state=LeadDistribution.State.SOLD, buyer=candidate.buyer, price=price, sold_at=at, finished_at=at,
        lease_until=None, next_run_at=None)
    return PostResult("accepted")


def buyer_test_post(*, lead: Lead, candidate: Candidate) -> tuple[BuyerDelivery, Answer]:
    """Post a synthetic test lead (unsaved, marked test) to the buyer and log it; no cap, no sale."""
    spec = post_request(buyer=candidate.buyer, context=lead_context(lead, price=candidate.price, test=True))
    secrets = personal_values(lead)
    result = http_send(spec)
    answer = answer_read(result)
    _log("test post", None, candidate.buyer.pk, answer, result)
    with transaction.atomic():
        delivery = BuyerDelivery.objects.create(
            lead=None, buyer=candidate.buyer, stage=BuyerDelivery.Stage.POST, test=True, outcome=answer.outcome,
            retryable=answer.retryable, bid=answer.bid, price=candidate.price,
            request=request_masked(spec=spec, secrets=secrets, auth_token=candidate.buyer.auth_token),
            **_row_fields(result, answer, secrets))
    return delivery, answer
