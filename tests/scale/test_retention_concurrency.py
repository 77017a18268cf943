"""Retention on PostgreSQL while intake and routing go on: it deletes in short batches, so the floor's connections,
run with lock_timeout = 1 s, never wait that long on a lock (a longer wait fails them, and this test)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils.timezone import now

from assignments.models import OutboxEvent, RoutingRule
from assignments.models_lab import RoutingSnapshot
from assignments.services import lead_route, retention_run
from campaigns.models import IntakeAttempt, Lead
from campaigns.services import lead_intake
from tests.concurrency import run_all
from tests.factories import CampaignFactory, LeadFactory, RepFactory, SupplierFactory

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]

OLD_ROWS, LEADS = 3000, 40


def test_retention_prunes_in_batches_while_intake_and_routing_never_wait_a_second(settings):
    assert connection.vendor == "postgresql"
    settings.RETAIN_DAYS = {"closed_leads": 0, "snapshots": 30, "outbox": 1, "intake_attempts": 30}
    RoutingRule.objects.create(name="Everyone", offer_timeout_seconds=3600)
    for _ in range(4):
        RepFactory(capacity=LEADS)
    campaign, supplier = CampaignFactory(slug="busy"), SupplierFactory(rate_limit_per_second=100000)
    supplier.campaigns.add(campaign)
    old = now() - dt.timedelta(days=60)
    anchor = LeadFactory(campaign=campaign, supplier=supplier)
    RoutingSnapshot.objects.bulk_create(RoutingSnapshot(lead=anchor, decided_at=old, action="wait", lead_facts={})
                                        for _ in range(OLD_ROWS))
    OutboxEvent.objects.bulk_create(OutboxEvent(group="floor", type="floor.updated", payload={}, created_at=old)
                                    for _ in range(OLD_ROWS))
    IntakeAttempt.objects.bulk_create(IntakeAttempt(supplier=supplier, received_at=old, outcome="invalid",
                                                    response_status=400, response_body={}) for _ in range(OLD_ROWS))

    def floor_work(offset: int):
        def run() -> list[int]:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
            statuses = []
            for n in range(offset, LEADS, 2):
                result = lead_intake(supplier=supplier, payload={
                    "campaign": "busy", "first_name": "Busy", "last_name": f"Floor{n}", "country": "US",
                    "email": f"busy{n}@example.com", "phone": f"+1415557{n:04d}"})
                statuses.append(result.status_code)
                lead_route(lead_id=result.lead_id)
            return statuses
        return run

    def prune() -> dict:
        return retention_run(batch=200)

    intake_a, intake_b, counts = run_all([floor_work(0), floor_work(1), prune])

    assert intake_a + intake_b == [201] * LEADS
    assert (counts["snapshots"], counts["outbox"], counts["intake_attempts"]) == (OLD_ROWS, OLD_ROWS, OLD_ROWS)
    assert not RoutingSnapshot.objects.filter(decided_at__lt=now() - dt.timedelta(days=30)).exists()
    assert Lead.objects.filter(campaign=campaign, status=Lead.Status.OFFERED).count() == LEADS
