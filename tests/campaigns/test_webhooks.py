"""Status webhooks against a real local HTTP server: signed, retried after a 5xx, never after a 4xx."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.utils.timezone import now
from django_q.models import Schedule

from campaigns.models import WebhookDelivery
from campaigns.services import lead_intake, lead_status_webhook_enqueue
from campaigns.services.webhooks import MAX_ATTEMPTS, webhook_backoff
from campaigns.tasks import webhook_deliver_due_task, webhook_deliver_task
from tests.factories import LeadFactory, SupplierFactory
from tests.httpkit import Receiver

from .conftest import lead_payload


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hooked(supplier, receiver):
    supplier.webhook_url = receiver.url
    supplier.save()
    return supplier


def make_due(delivery_id):
    WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=now() - dt.timedelta(seconds=1))


def test_accepted_lead_is_posted_signed(hooked, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = lead_intake(supplier=hooked, payload=lead_payload(external_id="acme-9"))
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    expected = "sha256=" + hmac.new(hooked.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-LeadCRM-Signature"] == expected
    assert headers["X-LeadCRM-Event"] == "accepted"
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["event"] == "accepted"
    assert payload["lead"] == {"id": result.body["id"], "external_id": "acme-9", "status": "new",
                               "campaign": "solar-us"}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.log[0]["status"] == 200


def test_a_500_is_retried_with_backoff(hooked, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [500]
    lead = LeadFactory(supplier=hooked)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = lead_status_webhook_enqueue(lead=lead, event="assigned")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
    assert delivery.last_error.startswith("HTTP 500")
    retry = Schedule.objects.get(func="campaigns.tasks.webhook_deliver_task")
    assert retry.args == f"({delivery.pk},)" and retry.schedule_type == Schedule.ONCE
    assert abs((retry.next_run - delivery.next_attempt_at).total_seconds()) < 1
    assert 29 <= (delivery.next_attempt_at - now()).total_seconds() <= 31

    assert webhook_deliver_task(delivery.pk) == "skipped"  # not due yet: a duplicate run sends nothing
    make_due(delivery.pk)
    assert webhook_deliver_task(delivery.pk) == "delivered after 2 attempt(s)"
    first_body, second_body = (body for _, body in receiver.requests)
    assert first_body == second_body
    delivery.refresh_from_db()
    assert [entry["status"] for entry in delivery.log] == [500, 200]


def test_a_4xx_is_never_retried(hooked, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [410]
    with django_capture_on_commit_callbacks(execute=True):
        delivery = lead_status_webhook_enqueue(lead=LeadFactory(supplier=hooked), event="contacted")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 1, 410)
    assert not Schedule.objects.filter(func="campaigns.tasks.webhook_deliver_task").exists()
    make_due(delivery.pk)
    assert webhook_deliver_task(delivery.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_network_error_is_retried_and_gives_up_after_max_attempts(hooked, receiver):
    lead = LeadFactory(supplier=hooked)
    hooked.webhook_url = "http://127.0.0.1:9/closed"  # nothing listens on the discard port
    hooked.save()
    delivery = lead_status_webhook_enqueue(lead=lead, event="converted")
    for _ in range(MAX_ATTEMPTS):
        make_due(delivery.pk)
        webhook_deliver_task(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", MAX_ATTEMPTS, None)
    assert delivery.last_error.startswith("ConnectError")
    assert len(delivery.log) == MAX_ATTEMPTS


def test_sweep_requeues_overdue_deliveries(hooked, receiver):
    delivery = lead_status_webhook_enqueue(lead=LeadFactory(supplier=hooked), event="returned")
    assert webhook_deliver_due_task() == 0  # just created: its own task is on the way
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now() - dt.timedelta(minutes=3))
    assert webhook_deliver_due_task() == 1  # sync test cluster: sent right away
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


def test_no_url_no_delivery(supplier):
    assert lead_status_webhook_enqueue(lead=LeadFactory(supplier=supplier), event="accepted") is None
    assert not WebhookDelivery.objects.exists()


def test_unknown_event_is_a_programming_error(hooked):
    with pytest.raises(ValueError, match="unknown webhook event 'won'"):
        lead_status_webhook_enqueue(lead=LeadFactory(supplier=hooked), event="won")


def test_backoff_doubles():
    assert [webhook_backoff(attempts=n).total_seconds() for n in (1, 2, 3, 7)] == [30, 60, 120, 1920]


def test_each_supplier_has_its_own_secret(supplier):
    other = SupplierFactory()
    assert len(supplier.webhook_secret) == 64 and supplier.webhook_secret != other.webhook_secret


def test_the_sweep_is_scheduled(db):
    sweep = Schedule.objects.get(func="campaigns.tasks.webhook_deliver_due_task")
    assert (sweep.schedule_type, sweep.minutes, sweep.repeats) == (Schedule.MINUTES, 5, -1)
