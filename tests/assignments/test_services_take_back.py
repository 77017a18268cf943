"""Taking back a rep's leads: offers and uncontacted leads go back to routing (never to that rep again), contacted
leads go to a chosen rep or round robin over a team, and nothing of the rep's capacity leaks."""

import pytest

from assignments import events, services
from assignments.models import Assignment, OutboxEvent, Rep
from assignments.selectors_work import lead_timeline
from campaigns.models import Lead
from tests.factories import LeadFactory, ManagerFactory, RepFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaving(django_capture_on_commit_callbacks):
    """A rep holding an offer, an accepted lead not yet called, and two contacted leads; nobody else is available."""
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory(capacity=10)
    offered = LeadFactory()
    services.lead_route(lead_id=offered.pk)
    uncontacted = LeadFactory()
    services.assignment_accept(assignment_id=services.lead_route(lead_id=uncontacted.pk).assignment_ids[0], rep=rep)
    contacted = []
    for _ in range(2):
        lead = LeadFactory()
        offer = services.lead_route(lead_id=lead.pk).assignment_ids[0]
        services.assignment_accept(assignment_id=offer, rep=rep)
        services.contact_log(assignment_id=offer, rep=rep, channel="call", outcome="connected")
        contacted.append(lead)
    assert Rep.objects.get(pk=rep.pk).load == 2  # the offer and the uncontacted lead
    return rep, offered, uncontacted, contacted


def test_the_plan_names_what_will_move(leaving):
    rep, offered, uncontacted, contacted = leaving
    plan = services.rep_take_back_plan(rep=rep)
    assert [a.lead_id for a in plan.offers] == [offered.pk]
    assert [a.lead_id for a in plan.uncontacted] == [uncontacted.pk]
    assert [a.lead_id for a in plan.contacted] == [lead.pk for lead in contacted]


def test_take_back_reroutes_without_the_rep_and_spreads_contacted_leads_over_a_team(leaving,
                                                                                    django_capture_on_commit_callbacks):
    rep, offered, uncontacted, contacted = leaving
    team = TeamFactory()
    first, second = RepFactory(teams=[team]), RepFactory(teams=[team])
    mark = OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.rep_leads_take_back(rep=rep, by=ManagerFactory(), to_team=team)
    assert (result.rerouted, result.reassigned, result.kept, result.problems) == (2, 2, 0, [])
    assert Rep.objects.get(pk=rep.pk).load == 0
    assert not Assignment.objects.filter(rep=rep, status__in=["offered", "accepted"]).exists()
    assert set(Assignment.objects.filter(rep=rep, status="taken_back").values_list("lead_id", flat=True)) == {
        offered.pk, uncontacted.pk}
    for lead in (offered, uncontacted):  # routed again, to someone else
        offers = Assignment.objects.filter(lead=lead, status="offered")
        assert offers.exists() and not offers.filter(rep=rep).exists()
    assert sorted(Lead.objects.get(pk=lead.pk).owner_id for lead in contacted) == sorted(
        [first.user_id, second.user_id])
    revoked = OutboxEvent.objects.filter(pk__gt=mark, type=events.REVOKED, group=events.rep_group(rep.pk))
    assert revoked.count() == 4
    timeline = lead_timeline(lead=Lead.objects.select_related("campaign").get(pk=uncontacted.pk))
    assert [e["type"] for e in timeline][:5] == ["received", "offered", "accepted", "taken_back", "offered"]


def test_a_taken_back_lead_never_returns_to_that_rep(leaving, django_capture_on_commit_callbacks):
    rep, offered, uncontacted, _ = leaving
    with django_capture_on_commit_callbacks(execute=True):
        services.rep_leads_take_back(rep=rep, by=ManagerFactory())
    for lead in (offered, uncontacted):
        assert Lead.objects.get(pk=lead.pk).status == "waiting"  # only that rep was available
        assert not Assignment.objects.filter(lead=lead, status="offered").exists()


def test_without_a_receiver_contacted_leads_stay_and_deactivating_stops_new_leads(leaving):
    rep, _, _, contacted = leaving
    result = services.rep_leads_take_back(rep=rep, by=ManagerFactory(), deactivate=True)
    assert (result.reassigned, result.kept) == (0, 2)
    assert Rep.objects.get(pk=rep.pk).active is False
    assert all(Lead.objects.get(pk=lead.pk).owner_id == rep.user_id for lead in contacted)


def test_to_a_chosen_rep_and_never_to_the_rep_themself(leaving):
    rep, _, _, contacted = leaving
    chosen = RepFactory()
    result = services.rep_leads_take_back(rep=rep, by=ManagerFactory(), to_rep=chosen)
    assert result.reassigned == 2
    assert {Lead.objects.get(pk=lead.pk).owner_id for lead in contacted} == {chosen.user_id}
    again = services.rep_leads_take_back(rep=chosen, by=ManagerFactory(), to_rep=chosen)
    assert (again.reassigned, again.kept) == (0, 2)
