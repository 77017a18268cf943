"""Recycling (issue 23): a lead that went nowhere goes back to routing, never to a rep who had it, up to the cap;
each cycle is on the timeline; with nobody left it falls to the open pool."""

import datetime as dt

import pytest
from django.utils.timezone import now

from assignments import services
from assignments.models import Assignment, Callback, LeadRecycle, ReasonCode, Rep
from assignments.selectors_work import lead_timeline
from assignments.services.recycling import leads_recycle
from campaigns.models import Campaign, Lead
from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    RoutingRuleFactory(name="Everyone")
    return CampaignFactory(slug="recycle-me", recycle_after_attempts=2, recycle_max_cycles=2)


def owned_by_first_rep(campaign, django_capture_on_commit_callbacks) -> tuple[Lead, Rep, Assignment]:
    lead = LeadFactory(campaign=campaign)
    result = services.lead_route(lead_id=lead.pk)
    offer = Assignment.objects.select_related("rep").get(pk=result.assignment_ids[0])
    services.assignment_accept(assignment_id=offer.pk, rep=offer.rep)
    return lead, offer.rep, offer


def miss(offer: Assignment, times: int, outcome: str = "no_answer") -> None:
    for _ in range(times):
        services.contact_log(assignment_id=offer.pk, rep=offer.rep, channel="call", outcome=outcome)


def test_after_n_misses_the_lead_goes_to_another_rep_never_back_to_the_first(campaign,
                                                                             django_capture_on_commit_callbacks):
    reps = [RepFactory() for _ in range(3)]
    lead, first_rep, offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    miss(offer, 1)
    assert leads_recycle() == 0
    miss(offer, 1)
    Callback.objects.create(lead=lead, created_by=first_rep.user, due_at=now() + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert leads_recycle() == 1
    lead.refresh_from_db()
    assert (lead.status, lead.recycled, lead.owner_id) == (Lead.Status.OFFERED, 1, None)
    assert Assignment.objects.get(pk=offer.pk).status == Assignment.Status.TAKEN_BACK
    new_offer = Assignment.objects.filter(lead=lead, status="offered").get()
    assert new_offer.rep_id != first_rep.pk and new_offer.rep_id in {r.pk for r in reps} | {first_rep.pk}
    assert not Callback.objects.filter(lead=lead, done_at__isnull=True).exists()
    cycle = LeadRecycle.objects.get(lead=lead)
    assert (cycle.cycle, cycle.why, cycle.from_rep_id, cycle.from_status) == (1, "attempts", first_rep.pk, "contacted")
    recycled = [e for e in lead_timeline(lead=lead) if e["type"] == "recycled"]
    assert recycled == [{"type": "recycled", "at": cycle.at, "by": None, "cycle": 1,
                         "why": "2 attempts without reaching", "rep": first_rep.user.username}]


def test_reaching_the_person_resets_the_count_and_the_cap_stops_recycling(campaign,
                                                                          django_capture_on_commit_callbacks):
    RepFactory(), RepFactory()
    lead, _, offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    miss(offer, 1)
    miss(offer, 1, outcome="connected")
    miss(offer, 1)
    assert leads_recycle() == 0  # one miss since they last reached the person
    Lead.objects.filter(pk=lead.pk).update(recycled=2)
    miss(offer, 2)
    assert leads_recycle() == 0  # at the cap


def test_a_lead_lost_for_a_recycling_reason_goes_back(campaign, django_capture_on_commit_callbacks):
    Campaign.objects.filter(pk=campaign.pk).update(recycle_after_attempts=None, recycle_lost_reasons=["no_budget"])
    ReasonCode.objects.get_or_create(kind="lost", code="no_budget", defaults={"label": "No budget"})
    ReasonCode.objects.get_or_create(kind="lost", code="bought_elsewhere", defaults={"label": "Bought elsewhere"})
    RepFactory()
    recycled, _, offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    kept, _, kept_offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    for lead, assignment, reason in ((recycled, offer, "no_budget"), (kept, kept_offer, "bought_elsewhere")):
        miss(assignment, 1, outcome="connected")
        services.lead_stage_set(lead_id=lead.pk, user=assignment.rep.user, stage="lost", reason=reason)
    with django_capture_on_commit_callbacks(execute=True):
        assert leads_recycle() == 1
    assert Lead.objects.get(pk=recycled.pk).recycled == 1
    assert Lead.objects.get(pk=kept.pk).status == Lead.Status.LOST
    assert LeadRecycle.objects.get(lead=recycled).detail == "lost (no_budget)"


def test_an_idle_lead_goes_back_but_one_with_a_callback_ahead_does_not(campaign, django_capture_on_commit_callbacks):
    Campaign.objects.filter(pk=campaign.pk).update(recycle_after_attempts=None, recycle_after_idle_hours=24)
    RepFactory()
    idle, _, idle_offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    planned, planned_rep, planned_offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    for assignment in (idle_offer, planned_offer):
        miss(assignment, 1, outcome="connected")
    later = now() + dt.timedelta(hours=25)
    Callback.objects.create(lead=planned, created_by=planned_rep.user, due_at=later + dt.timedelta(days=1))
    Callback.objects.filter(lead=planned).update(created_at=now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert leads_recycle(now=later) == 1
    assert Lead.objects.get(pk=idle.pk).recycled == 1 and Lead.objects.get(pk=planned.pk).recycled == 0


def test_a_recycled_lead_nobody_is_left_for_goes_to_the_pool(campaign, django_capture_on_commit_callbacks):
    RepFactory()  # the only rep: once they had it, nobody is left
    lead, _, offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    miss(offer, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert leads_recycle() == 1
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.POOL


def test_the_campaign_report_counts_recycled_leads_and_what_became_of_them(campaign,
                                                                            django_capture_on_commit_callbacks):
    from reporting.queries.scope import ReportParams
    from reporting.selectors import campaign_rows

    RepFactory(), RepFactory()
    won, _, won_offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    still, _, still_offer = owned_by_first_rep(campaign, django_capture_on_commit_callbacks)
    owned_by_first_rep(campaign, django_capture_on_commit_callbacks)  # never recycled
    for offer in (won_offer, still_offer):
        miss(offer, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert leads_recycle() == 2
    Lead.objects.filter(pk=won.pk).update(status=Lead.Status.WON, outcome="won")
    row = next(r for r in campaign_rows(params=ReportParams()) if r["key"] == campaign.slug)
    assert (row["leads"], row["recycled"], row["recycled_won"], row["recycled_open"]) == (3, 2, 1, 1)
