"""Migration 0008: existing leads get the earliest seen_at of their offers as first_seen_at, in batches."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from campaigns.models import Lead
from tests.factories import AssignmentFactory, LeadFactory

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_backfill_takes_the_earliest_seen_offer_and_leaves_unseen_leads_null(monkeypatch):
    migration = importlib.import_module("campaigns.migrations.0008_lead_first_seen_at")
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches for three leads
    seen_twice, unseen, no_offer = LeadFactory(), LeadFactory(), LeadFactory()
    AssignmentFactory(lead=seen_twice, offered_at=T0, seen_at=T0 + dt.timedelta(seconds=9))
    AssignmentFactory(lead=seen_twice, offered_at=T0, seen_at=T0 + dt.timedelta(seconds=3))
    AssignmentFactory(lead=unseen, offered_at=T0)
    migration.first_seen_backfill(apps, SimpleNamespace(connection=connection))
    assert dict(Lead.objects.values_list("pk", "first_seen_at")) == {
        seen_twice.pk: T0 + dt.timedelta(seconds=3), unseen.pk: None, no_offer.pk: None}
