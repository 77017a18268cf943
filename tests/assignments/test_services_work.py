"""Revenue counts only what was sold: a rep's win earns the campaign's price; nothing else on the floor does."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils.timezone import now

from assignments import services
from assignments.services.work import stage_move
from campaigns.models import Campaign, Lead
from tests.assignments.routed import accepted_offer
from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned():
    RoutingRuleFactory(name="Everyone")
    campaign = CampaignFactory(price_per_lead=Decimal("30.00"))
    return accepted_offer(LeadFactory(campaign=campaign), RepFactory())


def test_a_won_lead_earns_its_campaigns_price_at_the_time_it_is_won(owned):
    assert Lead.objects.get(pk=owned.lead_id).revenue == Decimal("0")
    Campaign.objects.filter(leads=owned.lead_id).update(price_per_lead=Decimal("35.00"))
    services.lead_outcome_set(assignment_id=owned.pk, rep=owned.rep, outcome="won")
    lead = Lead.objects.get(pk=owned.lead_id)
    assert (lead.status, lead.revenue) == (Lead.Status.WON, Decimal("35.00"))


def test_a_lost_lead_earns_nothing(owned):
    services.lead_outcome_set(assignment_id=owned.pk, rep=owned.rep, outcome="lost")
    assert Lead.objects.get(pk=owned.lead_id).revenue == Decimal("0")


def test_a_lead_that_moved_on_meanwhile_earns_nothing():
    lead = LeadFactory(status=Lead.Status.CONTACTED, campaign=CampaignFactory(price_per_lead=Decimal("9")))
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.LOST)  # another request closed it first
    assert not stage_move(lead=lead, to=Lead.Status.WON, by=None, now=now())
    assert Lead.objects.get(pk=lead.pk).revenue == Decimal("0")


def test_the_data_migration_keeps_revenue_of_sold_and_won_leads_only():
    migration = importlib.import_module("campaigns.migrations.0017_revenue_only_when_sold_or_won")
    kept = {status: LeadFactory(status=status, revenue=Decimal("12.00"), phone=f"+1415555010{i}")
            for i, status in enumerate((Lead.Status.SOLD, Lead.Status.WON))}
    cleared = [LeadFactory(status=status, revenue=Decimal("25.00"), phone=f"+1415555020{i}")
               for i, status in enumerate((Lead.Status.NEW, Lead.Status.LOST, Lead.Status.SELLING))]
    migration.revenue_only_when_sold_or_won(apps, None)
    assert {Lead.objects.get(pk=lead.pk).revenue for lead in kept.values()} == {Decimal("12.00")}
    assert {Lead.objects.get(pk=lead.pk).revenue for lead in cleared} == {Decimal("0")}
