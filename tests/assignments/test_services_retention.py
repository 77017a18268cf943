"""Retention: old closed leads anonymised, snapshots, unused rep profiles, outbox and intake log pruned in batches;
0 days keeps everything; what is recent or open stays."""

import datetime as dt

import pytest
from django.utils.timezone import now

from assignments.models import OutboxEvent
from assignments.models_lab import RepProfile, RoutingSnapshot
from assignments.services import outbox_prune, retention_run
from assignments.services.retention import rows_prune
from campaigns.models import IntakeAttempt, Lead
from tests.factories import (
    LeadFactory,
    OutboxEventFactory,
    RepProfileFactory,
    RoutingSnapshotFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def retain(settings, **days):
    settings.RETAIN_DAYS = {"closed_leads": 0, "snapshots": 0, "outbox": 0, "intake_attempts": 0, **days}


def test_nothing_goes_while_every_retention_is_zero(settings):
    retain(settings)
    RoutingSnapshotFactory(decided_at=now() - 1000 * DAY)
    OutboxEventFactory(created_at=now() - 1000 * DAY)
    LeadFactory(status=Lead.Status.WON, outcome="won", outcome_at=now() - 1000 * DAY)
    assert set(retention_run().values()) == {0}
    assert outbox_prune() == 0 and OutboxEvent.objects.count() == 1


def test_snapshots_go_in_batches_and_take_the_profiles_nobody_refers_to(settings):
    retain(settings, snapshots=30)
    used, orphan = RepProfileFactory(), RepProfileFactory()
    old = [RoutingSnapshotFactory(decided_at=now() - 31 * DAY, reps=[[1, orphan.pk, "available", 0, 5, 1, 0, 0.5,
                                                                       None]]) for _ in range(5)]
    kept = RoutingSnapshotFactory(decided_at=now() - 29 * DAY, reps=[[1, used.pk, "available", 0, 5, 1, 0, 0.5, None]])
    counts = retention_run(batch=2)
    assert (counts["snapshots"], counts["rep_profiles"]) == (len(old), 1)
    assert list(RoutingSnapshot.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(RepProfile.objects.values_list("pk", flat=True)) == [used.pk]


def test_outbox_and_intake_log_follow_their_own_retention(settings):
    retain(settings, outbox=1, intake_attempts=365)
    old_row, new_row = OutboxEventFactory(created_at=now() - 2 * DAY), OutboxEventFactory()
    supplier = SupplierFactory()
    for age in (400, 10):
        IntakeAttempt.objects.create(supplier=supplier, received_at=now() - age * DAY, outcome="invalid",
                                     response_status=400, response_body={})
    counts = retention_run()
    assert (counts["outbox"], counts["intake_attempts"]) == (1, 1)
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [new_row.pk] != [old_row.pk]
    assert IntakeAttempt.objects.get().received_at > now() - 11 * DAY


def test_closed_leads_are_anonymised_after_their_retention_and_open_ones_stay(settings):
    retain(settings, closed_leads=30)
    old_won = LeadFactory(status=Lead.Status.WON, outcome="won", outcome_at=now() - 40 * DAY, last_name="Oldwon")
    new_lost = LeadFactory(status=Lead.Status.LOST, outcome="lost", outcome_at=now() - 5 * DAY, last_name="Newlost")
    open_lead = LeadFactory(status=Lead.Status.CONTACTED, received_at=now() - 90 * DAY, last_name="Stillopen")
    assert retention_run()["leads_anonymised"] == 1
    old_won.refresh_from_db()
    assert old_won.erased_at is not None and old_won.last_name == "" and old_won.status == Lead.Status.WON
    assert Lead.objects.get(pk=new_lost.pk).last_name == "Newlost"
    assert Lead.objects.get(pk=open_lead.pk).last_name == "Stillopen"
    assert retention_run()["leads_anonymised"] == 0  # once


def test_rows_prune_deletes_exactly_what_is_older_than_the_cutoff():
    for age in (3, 2, 1):
        OutboxEventFactory(created_at=now() - age * DAY - dt.timedelta(minutes=1))
    assert rows_prune(model=OutboxEvent, field="created_at", now=now(), days=2, batch=1) == 2
    assert OutboxEvent.objects.count() == 1
