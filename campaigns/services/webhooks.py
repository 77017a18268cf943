"""Signed status webhooks to suppliers: one row per event, sent after commit, retried with backoff, logged."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

import httpx
from django.db import transaction
from django.utils.timezone import now

from campaigns import tasks
from campaigns.models import Lead, WebhookDelivery
from leadcrm.after_commit import enqueue_now, enqueue_on_commit, schedule_at

logger = logging.getLogger(__name__)

WEBHOOK_EVENTS = ("accepted", "assigned", "contacted", "converted", "returned")
SIGNATURE_HEADER = "X-LeadCRM-Signature"
TIMEOUT_SECONDS = 5.0
MAX_ATTEMPTS = 8
BACKOFF_FIRST_SECONDS = 30  # then doubles: 30 s, 1, 2, 4, 8, 16, 32 min (about an hour in all)
# A claimed attempt that has not finished by then is presumed lost with its worker and becomes due again.
LEASE_SECONDS = 60


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed) for a payload."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def webhook_signature(*, secret: str, body: bytes) -> str:
    """The X-LeadCRM-Signature value: "sha256=" + hex HMAC-SHA256 of the raw body keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_backoff(*, attempts: int) -> dt.timedelta:
    """Wait before the next try after `attempts` failed ones."""
    return dt.timedelta(seconds=BACKOFF_FIRST_SECONDS * 2 ** (attempts - 1))


def lead_status_webhook_enqueue(*, lead: Lead, event: str) -> WebhookDelivery | None:
    """Record a status event of the lead for its supplier's webhook and send it after commit.

    Call it from any service that changes a lead's status, inside that service's transaction.
    Returns None (and writes nothing) when the supplier has no webhook URL.
    """
    deliveries = leads_status_webhook_enqueue(leads=[lead], event=event)
    return deliveries[0] if deliveries else None


def leads_status_webhook_enqueue(*, leads: list[Lead], event: str) -> list[WebhookDelivery]:
    """lead_status_webhook_enqueue for many leads at once: one insert, one after-commit hand-off to the queue."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}; expected one of {', '.join(WEBHOOK_EVENTS)}")
    at = now()
    deliveries = [
        WebhookDelivery(supplier=lead.supplier, lead=lead, event=event, url=lead.supplier.webhook_url,
                        payload=_event_payload(lead=lead, event=event, at=at), next_attempt_at=at)
        for lead in leads if lead.supplier.webhook_url
    ]
    if not deliveries:
        return []
    if len(deliveries) == 1:
        deliveries[0].save(force_insert=True)
    else:
        WebhookDelivery.objects.bulk_create(deliveries)
    delivery_ids = [delivery.pk for delivery in deliveries]
    webhook_deliveries_enqueue(delivery_ids=delivery_ids)
    return deliveries


def _event_payload(*, lead: Lead, event: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "event": event,
        "occurred_at": at.isoformat(),
        "lead": {
            "id": lead.pk,
            "external_id": lead.external_id,
            "status": lead.status,
            "campaign": lead.campaign.slug,
        },
    }


def webhook_deliver_enqueue(*, delivery_id: int) -> None:
    """Queue the next attempt of a delivery once the current transaction commits (at once outside one)."""
    webhook_deliveries_enqueue(delivery_ids=[delivery_id])


def webhook_deliveries_enqueue(*, delivery_ids: list[int]) -> None:
    """Queue an attempt of each delivery once the current transaction commits (at once outside one)."""
    for delivery_id in delivery_ids:
        enqueue_on_commit(tasks.webhook_deliver_task, delivery_id, key=f"webhook-{delivery_id}")


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the next attempt of a due pending delivery; None when it is not due or another worker has it."""
    at = now()
    delivery = WebhookDelivery.objects.select_related("supplier").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != WebhookDelivery.State.PENDING:
        return None
    if delivery.next_attempt_at and delivery.next_attempt_at > at:
        return None
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, state=WebhookDelivery.State.PENDING, attempts=delivery.attempts,
    ).update(attempts=delivery.attempts + 1, next_attempt_at=at + dt.timedelta(seconds=LEASE_SECONDS))
    if not claimed:
        return None
    delivery.attempts += 1
    return delivery


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """POST a due pending delivery once, signed, and record the outcome.

    2xx: delivered. 3xx/4xx: failed, never retried. 5xx or a network error: retried with backoff up to
    MAX_ATTEMPTS, then failed. Returns the delivery, or None when there was nothing to do.
    """
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    body = webhook_body(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "LeadCRM-Webhook/1",
        SIGNATURE_HEADER: webhook_signature(secret=delivery.supplier.webhook_secret, body=body),
        "X-LeadCRM-Event": delivery.event,
        "X-LeadCRM-Delivery": str(delivery.pk),
    }
    started = time.monotonic()
    status, error = None, ""
    try:
        response = httpx.post(delivery.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        status = response.status_code
        if status >= 300:
            error = f"HTTP {status}: {response.text[:200]}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return _record(delivery=delivery, status=status, error=error, elapsed_ms=elapsed_ms)


@transaction.atomic
def _record(*, delivery: WebhookDelivery, status: int | None, error: str, elapsed_ms: int) -> WebhookDelivery:
    at = now()
    delivery.log = [*delivery.log, {"attempt": delivery.attempts, "at": at.isoformat(), "status": status,
                                    "error": error, "ms": elapsed_ms}]
    delivery.last_status = status
    delivery.last_error = error[:500]
    retry = status is None or status >= 500
    if status is not None and 200 <= status < 300:
        delivery.state = WebhookDelivery.State.DELIVERED
        delivery.delivered_at = at
        delivery.next_attempt_at = None
    elif retry and delivery.attempts < MAX_ATTEMPTS:
        delivery.next_attempt_at = at + webhook_backoff(attempts=delivery.attempts)
        schedule_at(tasks.webhook_deliver_task, delivery.pk, at=delivery.next_attempt_at,
                    key=f"webhook-{delivery.pk}-retry-{delivery.attempts + 1}")
    else:
        delivery.state = WebhookDelivery.State.FAILED
        delivery.next_attempt_at = None
    delivery.save(update_fields=["log", "last_status", "last_error", "state", "delivered_at", "next_attempt_at"])
    if error:
        logger.warning("webhook delivery %s attempt %s to %s failed: %s", delivery.pk, delivery.attempts,
                       delivery.url, error)
    return delivery


def webhook_deliveries_due_enqueue(*, deliveries: list[WebhookDelivery]) -> int:
    """Queue an attempt for each given (due, committed) delivery now: the sweep behind lost tasks; returns how many."""
    for delivery in deliveries:
        enqueue_now(tasks.webhook_deliver_task, delivery.pk, key=f"webhook-{delivery.pk}")
    return len(deliveries)
