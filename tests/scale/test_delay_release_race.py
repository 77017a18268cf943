"""A delay rule's release raced on PostgreSQL with real threads: the floor clock releases held leads whose cap fell
due while the supplier's answers meet their release condition. Each lead is released once and routed once."""

import datetime as dt
import json
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.utils.timezone import now

from assignments.models import Assignment, DelayCondition, DelayRule, LeadHold, RoutingRule
from assignments.services import lead_route
from assignments.services.delays import delayed_leads_release
from campaigns.models import Lead
from tests.concurrency import run_all
from tests.factories import CampaignFactory, LeadFactory, RepFactory, supplier_with_key

pytestmark = [pytest.mark.scale, pytest.mark.django_db(transaction=True)]

LEADS = 20


def test_the_clock_and_a_patch_releasing_together_route_each_lead_once(settings):
    assert connection.vendor == "postgresql"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}  # the release's routing runs in the releasing thread
    campaign = CampaignFactory(slug="nurtured")
    supplier, key = supplier_with_key(campaigns=[campaign])
    RoutingRule.objects.create(name="Everyone", offer_timeout_seconds=3600)
    for _ in range(3):
        RepFactory(capacity=LEADS)
    rule = DelayRule.objects.create(campaign=campaign, name="Nurture", kind="condition", max_hold_days=1)
    DelayCondition.objects.create(rule=rule, purpose="releases", field="fields.nurture_done", op="eq", value="yes")
    received = now() - dt.timedelta(days=1, seconds=-2)  # the cap falls due in 2 s
    leads = [LeadFactory(campaign=campaign, supplier=supplier, received_at=received) for _ in range(LEADS)]
    for lead in leads:
        assert lead_route(lead_id=lead.pk).action == "held"

    def clock() -> int:
        released = 0
        for _ in range(40):
            released += delayed_leads_release(now=now() + dt.timedelta(seconds=5))
        return released

    def supplier_patches() -> list[int]:
        client = Client()
        return [client.patch(f"/api/v1/leads/{lead.pk}/", data=json.dumps({"fields": {"nurture_done": "yes"}}),
                             content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code
                for lead in leads]

    released, statuses = run_all([clock, supplier_patches])

    assert statuses == [200] * LEADS
    assert LeadHold.objects.filter(released_at__isnull=True).count() == 0
    assert Counter(Assignment.objects.values_list("lead_id", flat=True)) == {lead.pk: 1 for lead in leads}
    assert set(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("status", "delayed")) == {
        (Lead.Status.OFFERED, False)}
    assert released <= LEADS
