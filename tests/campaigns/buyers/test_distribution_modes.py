"""Distribution modes end to end: intake hands leads to reps or buyers; reps-then-buyers after N minutes (and
outside office hours); buyers-then-reps sends unsold leads to the floor; stranded runs are picked up again."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.timezone import now

from assignments.models import Assignment, Rep
from campaigns.buyers.services import lead_distribution_enqueue, leads_to_buyers_release
from campaigns.models import Campaign, Lead, LeadDistribution, OfficeHours
from campaigns.services import lead_intake
from tests.campaigns.buyers.buyer_server import ACCEPT, REJECT
from tests.campaigns.buyers.conftest import make_buyer
from tests.factories import AssignmentFactory, LeadFactory, PriceRuleFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


def payload(**extra) -> dict:
    return {"campaign": "solar-sell", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
            "phone": "+14155550100", "country": "US", "region": "CA", **extra}


def intake(supplier, capture, **extra) -> Lead:
    with capture(execute=True):
        result = lead_intake(supplier=supplier, payload=payload(**extra))
    assert result.status_code == 201, result.body
    return Lead.objects.get(pk=result.lead_id)


def set_mode(campaign, mode, **extra):
    Campaign.objects.filter(pk=campaign.pk).update(distribution_mode=mode, **extra)
    campaign.refresh_from_db()


def held_outside_office_hours(server, campaign, posting, capture) -> Lead:
    """A lead posted to a reps-then-buyers campaign outside its office hours (open on another weekday only), with a
    buyer that accepts: the lead as intake left it."""
    set_mode(campaign, "reps_then_buyers")
    closed_day = (now().weekday() + 3) % 7
    OfficeHours.objects.create(campaign=campaign, weekday=closed_day, opens=dt.time(9), closes=dt.time(10))
    make_buyer(campaign, name="Night buyer", url=server.script("/night", ACCEPT))
    return intake(posting, capture)


@pytest.fixture
def posting(supplier, campaign):
    supplier.campaigns.add(campaign)
    return supplier


def test_buyers_only_intake_sells_without_routing(server, campaign, posting, django_capture_on_commit_callbacks):
    buyer = make_buyer(campaign, name="Taker", url=server.script("/take", ACCEPT), price="18.00")
    RoutingRuleFactory(name="Everyone")
    RepFactory()

    lead = intake(posting, django_capture_on_commit_callbacks)

    assert (lead.status, lead.revenue) == (Lead.Status.SOLD, Decimal("18.00"))
    assert lead.distribution.buyer == buyer
    assert not Assignment.objects.exists()
    assert len(server.hits("/take")) == 1


def test_reps_only_intake_routes_as_before(server, campaign, posting, django_capture_on_commit_callbacks):
    set_mode(campaign, "reps_only")
    make_buyer(campaign, name="Taker", url=server.script("/take", ACCEPT))
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory()

    lead = intake(posting, django_capture_on_commit_callbacks)

    assert lead.status == Lead.Status.OFFERED
    assert Assignment.objects.get(lead=lead).rep == rep
    assert server.received == [] and not LeadDistribution.objects.exists()


def test_buyers_then_reps_sends_an_unsold_lead_to_the_floor(server, campaign, posting,
                                                           django_capture_on_commit_callbacks):
    set_mode(campaign, "buyers_then_reps")
    make_buyer(campaign, name="No", url=server.script("/no", REJECT))
    RoutingRuleFactory(name="Everyone")
    RepFactory()

    lead = intake(posting, django_capture_on_commit_callbacks)

    assert lead.status == Lead.Status.OFFERED
    assert lead.distribution.state == "unsold"
    assert len(server.hits("/no")) == 1
    assert leads_to_buyers_release() == 0  # never back to buyers by itself


def test_reps_then_buyers_after_n_minutes_takes_back_the_offer(server, campaign, supplier,
                                                              django_capture_on_commit_callbacks):
    set_mode(campaign, "reps_then_buyers", buyers_after_minutes=10)
    make_buyer(campaign, name="Taker", url=server.script("/take", ACCEPT))
    rep = RepFactory()
    late = LeadFactory(campaign=campaign, supplier=supplier, status=Lead.Status.OFFERED,
                       received_at=now() - dt.timedelta(minutes=11), assigned_at=now())
    offer = AssignmentFactory(lead=late, rep=rep)
    Rep.objects.filter(pk=rep.pk).update(load=1)
    fresh = LeadFactory(campaign=campaign, supplier=supplier, status=Lead.Status.WAITING,
                        received_at=now() - dt.timedelta(minutes=5))
    accepted = LeadFactory(campaign=campaign, supplier=supplier, status=Lead.Status.ASSIGNED,
                           received_at=now() - dt.timedelta(minutes=30), assigned_at=now(), accepted_at=now())

    with django_capture_on_commit_callbacks(execute=True):
        assert leads_to_buyers_release() == 1

    late.refresh_from_db()
    offer.refresh_from_db()
    assert late.status == Lead.Status.SOLD and offer.status == Assignment.Status.REVOKED
    assert Rep.objects.get(pk=rep.pk).load == 0
    fresh.refresh_from_db()
    accepted.refresh_from_db()
    assert (fresh.status, accepted.status) == (Lead.Status.WAITING, Lead.Status.ASSIGNED)


def test_reps_then_buyers_outside_office_hours_goes_to_buyers(server, campaign, posting,
                                                             django_capture_on_commit_callbacks):
    lead = held_outside_office_hours(server, campaign, posting, django_capture_on_commit_callbacks)
    assert lead.status == Lead.Status.HELD

    with django_capture_on_commit_callbacks(execute=True):
        assert leads_to_buyers_release() == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SOLD


def test_held_reps_only_leads_stay_held(campaign, supplier):
    set_mode(campaign, "reps_only")
    lead = LeadFactory(campaign=campaign, supplier=supplier, status=Lead.Status.HELD)

    assert leads_to_buyers_release() == 0
    lead.refresh_from_db()
    assert lead.status == Lead.Status.HELD


def test_a_stranded_run_is_queued_again(server, campaign, supplier, django_capture_on_commit_callbacks):
    make_buyer(campaign, name="Taker", url=server.script("/take", ACCEPT))
    lead = LeadFactory(campaign=campaign, supplier=supplier, status=Lead.Status.SELLING)
    LeadDistribution.objects.create(lead=lead, method="ping_tree", created_at=now() - dt.timedelta(minutes=3))

    leads_to_buyers_release()

    lead.refresh_from_db()
    assert lead.status == Lead.Status.SOLD


def test_only_leads_no_rep_owns_go_to_buyers(campaign, supplier):
    owned = LeadFactory(campaign=campaign, supplier=supplier, status=Lead.Status.ASSIGNED, assigned_at=now(),
                        accepted_at=now())

    assert lead_distribution_enqueue(lead_id=owned.pk) is False
    assert not LeadDistribution.objects.exists()


def test_cost_and_price_rules_apply(server, campaign, posting, django_capture_on_commit_callbacks):
    PriceRuleFactory(campaign=campaign, name="CA costs double", target="cost", operation="multiply", amount="2",
                     conditions={"region": ["CA"]})
    PriceRuleFactory(campaign=campaign, name="CA homeowners pay more", target="price", operation="add", amount="7.5",
                     conditions={"region": ["CA"], "homeowner": True})
    PriceRuleFactory(campaign=campaign, name="Texas", target="price", operation="set", amount="1",
                     conditions={"region": ["TX"]})
    make_buyer(campaign, name="Taker", url=server.script("/take", ACCEPT), price="10.00")

    lead = intake(posting, django_capture_on_commit_callbacks, fields={"homeowner": True})

    assert (lead.cost, lead.revenue) == (Decimal("10.00"), Decimal("17.50"))
    assert server.hits("/take")[0].body["price"] == 17.5


def test_a_lost_hand_over_after_intake_is_caught_by_the_sweep(campaign, supplier):
    lost = LeadFactory(campaign=campaign, supplier=supplier, received_at=now() - dt.timedelta(seconds=20))
    young = LeadFactory(campaign=campaign, supplier=supplier, received_at=now() - dt.timedelta(seconds=2))

    assert leads_to_buyers_release() == 1

    assert Lead.objects.get(pk=lost.pk).status == Lead.Status.SELLING
    assert Lead.objects.get(pk=young.pk).status == Lead.Status.NEW


def test_the_sweep_is_scheduled_as_a_backstop_of_the_floor_clock():
    from django_q.models import Schedule

    from campaigns.tasks_buyers import buyers_release_task

    schedule = Schedule.objects.get(func="campaigns.tasks_buyers.buyers_release_task")
    assert (schedule.schedule_type, schedule.minutes) == ("I", 1)
    assert buyers_release_task() == 0


def test_the_minute_backstop_task_also_hands_held_leads_to_buyers(server, campaign, posting,
                                                                  django_capture_on_commit_callbacks):
    """With no floor clock running, the per-minute task must not release such a lead to the reps instead."""
    from assignments.tasks import floor_tick_task

    lead = held_outside_office_hours(server, campaign, posting, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        done = floor_tick_task()

    assert done["to_buyers"] == 1 and set(done) >= {"expired", "released", "reconciled", "offered", "set_away"}
    lead.refresh_from_db()
    assert lead.status == Lead.Status.SOLD
