"""Routing services on the database: offers, capacity, waiting, expiry, decline, reconcile, held leads."""

import datetime as dt

import pytest
from django.utils.timezone import now

from assignments import services
from assignments.models import Assignment, OutboxEvent, Rep, RuleRelaxation, ScoringRule
from campaigns.models import Lead, OfficeHours
from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(db):
    """A catch-all round-robin rule over every rep, 60 s offers, 3 offers per lead."""
    return RoutingRuleFactory(name="Everyone", strategy="round_robin", offer_timeout_seconds=60, max_offers=3)


def open_offers(lead) -> list[Assignment]:
    return list(lead.assignments.filter(status=Assignment.Status.OFFERED))


def test_lead_offered_to_eligible_rep_with_load_claimed_and_explained(rule, django_capture_on_commit_callbacks):
    rep = RepFactory(languages=["en"])
    RepFactory(languages=["de"])
    lead = LeadFactory(language="en")
    result = services.lead_route(lead_id=lead.pk)
    assert result.action == "offered"
    offer = Assignment.objects.get(pk=result.assignment_ids[0])
    assert offer.rep == rep and offer.status == "offered" and offer.rule == rule
    assert (offer.expires_at - offer.offered_at) == dt.timedelta(seconds=60)
    assert "Everyone" in offer.explanation["summary"]
    lead.refresh_from_db()
    rep.refresh_from_db()
    assert lead.status == Lead.Status.OFFERED and lead.assigned_at == offer.offered_at
    assert rep.load == 1 and rep.last_offered_at == offer.offered_at


def test_offer_writes_outbox_events_for_the_rep_and_the_floor(rule):
    rep = RepFactory()
    result = services.lead_route(lead_id=LeadFactory().pk)
    events = OutboxEvent.objects.filter(type="assignment.offered")
    assert sorted(e.group for e in events) == ["floor", f"rep.{rep.pk}"]
    payload = events[0].payload["assignment"]
    assert payload["id"] == result.assignment_ids[0] and payload["status"] == "offered"
    assert {"id", "status", "lead", "offered_at", "expires_at"} <= set(payload)


def test_routing_twice_is_idempotent(rule):
    RepFactory()
    lead = LeadFactory()
    services.lead_route(lead_id=lead.pk)
    again = services.lead_route(lead_id=lead.pk)
    assert again.action == "skipped"
    assert lead.assignments.count() == 1 and Rep.objects.get().load == 1


def test_no_eligible_rep_parks_the_lead_with_a_reason(rule):
    RepFactory(languages=["de"])
    lead = LeadFactory(language="es")
    result = services.lead_route(lead_id=lead.pk)
    lead.refresh_from_db()
    assert result.action == "waiting" and lead.status == Lead.Status.WAITING
    assert "language" in lead.waiting_reason
    assert not Assignment.objects.exists()


def test_no_rule_parks_the_lead():
    RepFactory()
    lead = LeadFactory()
    assert services.lead_route(lead_id=lead.pk).action == "waiting"
    lead.refresh_from_db()
    assert lead.waiting_reason


def test_capacity_is_never_exceeded(rule):
    rep = RepFactory(capacity=2)
    results = [services.lead_route(lead_id=LeadFactory().pk).action for _ in range(4)]
    assert results == ["offered", "offered", "waiting", "waiting"]
    rep.refresh_from_db()
    assert rep.load == 2


def test_claim_falls_through_to_the_next_rep_when_the_first_filled_up_meanwhile(rule, monkeypatch):
    first, second = RepFactory(capacity=1), RepFactory()
    Rep.objects.filter(pk=second.pk).update(last_offered_at=now())
    stale_facts = services.routing.rep_facts_for_routing()  # read while first still had room
    assert services.rep_claim(rep_id=first.pk, now=now())  # another worker takes first's only slot
    monkeypatch.setattr(services.routing, "rep_facts_for_routing", lambda **_: stale_facts)
    result = services.lead_route(lead_id=LeadFactory().pk)
    assert Assignment.objects.get(pk=result.assignment_ids[0]).rep == second
    assert Rep.objects.get(pk=first.pk).load == 1


def test_decline_reroutes_to_someone_else_and_frees_capacity(rule, django_capture_on_commit_callbacks):
    a, b = RepFactory(), RepFactory()
    lead = LeadFactory()
    first = Assignment.objects.get(pk=services.lead_route(lead_id=lead.pk).assignment_ids[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_decline(assignment_id=first.pk, rep=first.rep, reason="busy")
    first.refresh_from_db()
    assert first.status == "declined" and first.decline_reason == "busy" and first.responded_at
    [second] = open_offers(lead)
    assert second.rep != first.rep
    assert Rep.objects.get(pk=first.rep_id).load == 0
    assert {a.pk, b.pk} == {first.rep_id, second.rep_id}


def test_expired_offer_reroutes_excluding_the_rep_who_let_it_expire(rule, django_capture_on_commit_callbacks):
    RepFactory(), RepFactory()
    lead = LeadFactory()
    first = Assignment.objects.get(pk=services.lead_route(lead_id=lead.pk).assignment_ids[0])
    assert services.offers_expire(now=first.expires_at - dt.timedelta(seconds=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.offers_expire(now=first.expires_at) == 1
    first.refresh_from_db()
    assert first.status == "expired"
    [second] = open_offers(lead)
    assert second.rep_id != first.rep_id
    assert OutboxEvent.objects.filter(type="assignment.revoked", group=f"rep.{first.rep_id}").exists()


def test_after_max_offers_the_lead_waits(rule, django_capture_on_commit_callbacks):
    rule.max_offers = 1
    rule.save()
    RepFactory(), RepFactory()
    lead = LeadFactory()
    offer = Assignment.objects.get(pk=services.lead_route(lead_id=lead.pk).assignment_ids[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_decline(assignment_id=offer.pk, rep=offer.rep)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.WAITING and "1 offers made" in lead.waiting_reason


def test_accept_makes_the_rep_owner(rule):
    RepFactory()
    lead = LeadFactory()
    offer = Assignment.objects.get(pk=services.lead_route(lead_id=lead.pk).assignment_ids[0])
    services.assignment_accept(assignment_id=offer.pk, rep=offer.rep)
    lead.refresh_from_db()
    offer.refresh_from_db()
    assert offer.status == "accepted" and offer.responded_at
    assert lead.status == Lead.Status.ASSIGNED and lead.owner == offer.rep.user and lead.accepted_at


def test_accept_after_expiry_is_refused_and_expires_the_offer(rule):
    RepFactory()
    offer = Assignment.objects.get(pk=services.lead_route(lead_id=LeadFactory().pk).assignment_ids[0])
    with pytest.raises(services.OfferError) as error:
        services.assignment_accept(assignment_id=offer.pk, rep=offer.rep, now=offer.expires_at)
    assert error.value.code == "expired"
    offer.refresh_from_db()
    assert offer.status == "expired" and Rep.objects.get().load == 0


def test_another_reps_offer_cannot_be_accepted(rule):
    RepFactory()
    intruder = RepFactory(languages=["de"])
    offer = Assignment.objects.get(pk=services.lead_route(lead_id=LeadFactory().pk).assignment_ids[0])
    with pytest.raises(services.OfferError) as error:
        services.assignment_accept(assignment_id=offer.pk, rep=intruder)
    assert error.value.code == "not_found"
    offer.refresh_from_db()
    assert offer.status == "offered"


def test_broadcast_first_accept_wins_and_the_others_are_revoked():
    RoutingRuleFactory(strategy="broadcast", broadcast_count=3)
    reps = [RepFactory() for _ in range(3)]
    lead = LeadFactory()
    result = services.lead_route(lead_id=lead.pk)
    assert len(result.assignment_ids) == 3
    offers = list(Assignment.objects.filter(pk__in=result.assignment_ids))
    services.assignment_accept(assignment_id=offers[1].pk, rep=offers[1].rep)
    with pytest.raises(services.OfferError) as error:
        services.assignment_accept(assignment_id=offers[0].pk, rep=offers[0].rep)
    assert error.value.code == "not_offered"
    statuses = sorted(Assignment.objects.filter(lead=lead).values_list("status", flat=True))
    assert statuses == ["accepted", "revoked", "revoked"]
    assert sorted(Rep.objects.filter(pk__in=[r.pk for r in reps]).values_list("load", flat=True)) == [0, 0, 1]


def test_waiting_lead_is_offered_when_a_rep_becomes_available(rule, django_capture_on_commit_callbacks):
    rep = RepFactory(status=Rep.Status.AWAY)
    lead = LeadFactory()
    assert services.lead_route(lead_id=lead.pk).action == "waiting"
    with django_capture_on_commit_callbacks(execute=True):
        services.rep_status_set(rep=rep, status=Rep.Status.AVAILABLE)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OFFERED and open_offers(lead)[0].rep == rep


def test_waiting_leads_go_highest_score_then_oldest_first(rule):
    rep = RepFactory(capacity=1, status=Rep.Status.AWAY)
    ScoringRule.objects.create(name="Wants a call now", points=50).conditions.create(
        field="fields.contact_now", op="eq", value="yes")
    old = LeadFactory(received_at=now() - dt.timedelta(minutes=5))
    hot = LeadFactory(fields={"contact_now": "YES"})
    for lead in (old, hot):
        services.lead_route(lead_id=lead.pk)
    hot.refresh_from_db()
    assert hot.score == 50
    Rep.objects.filter(pk=rep.pk).update(status=Rep.Status.AVAILABLE)
    assert services.waiting_leads_route() == 1
    assert Assignment.objects.get().lead == hot


def test_freed_capacity_offers_the_waiting_lead(rule, django_capture_on_commit_callbacks):
    rep = RepFactory(capacity=1)
    first, second = LeadFactory(), LeadFactory()
    offer = Assignment.objects.get(pk=services.lead_route(lead_id=first.pk).assignment_ids[0])
    assert services.lead_route(lead_id=second.pk).action == "waiting"
    services.assignment_accept(assignment_id=offer.pk, rep=rep)
    with django_capture_on_commit_callbacks(execute=True):
        services.contact_log(assignment_id=offer.pk, rep=rep, channel="call", outcome="won")
    second.refresh_from_db()
    assert second.status == Lead.Status.OFFERED


def test_reconcile_routes_a_lead_whose_task_was_lost(rule, django_capture_on_commit_callbacks):
    RepFactory()
    stale = LeadFactory(received_at=now() - dt.timedelta(minutes=2))
    fresh = LeadFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.leads_reconcile() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Lead.Status.OFFERED and fresh.status == Lead.Status.NEW


def test_reconcile_leaves_alone_a_lead_a_worker_offered_after_it_was_listed(rule, monkeypatch,
                                                                            django_capture_on_commit_callbacks):
    RepFactory()
    lead = LeadFactory(received_at=now() - dt.timedelta(minutes=2))
    real = Lead.objects.select_for_update
    raced = []

    def worker_wins_the_race(*args, **kwargs):
        if not raced:  # the lead is offered after reconcile listed it as stranded, before it locks it
            raced.append(None)
            raced[0] = services.lead_route(lead_id=lead.pk)
        return real(*args, **kwargs)

    monkeypatch.setattr(Lead.objects, "select_for_update", worker_wins_the_race)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.leads_reconcile() == 0
    lead.refresh_from_db()
    assert raced[0].action == "offered" and lead.status == Lead.Status.OFFERED  # not flipped back to new
    assert lead.assignments.count() == 1


def test_lead_of_a_closed_campaign_is_held_then_released_when_it_opens(rule, django_capture_on_commit_callbacks):
    RepFactory()
    campaign = CampaignFactory(timezone="America/New_York")
    OfficeHours.objects.create(campaign=campaign, weekday=0, opens=dt.time(9), closes=dt.time(17))
    lead = LeadFactory(campaign=campaign)
    sunday_night = dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC)  # 18:00 Sunday in New York
    assert services.lead_route(lead_id=lead.pk, now=sunday_night).action == "held"
    assert services.held_leads_release(now=sunday_night) == 0
    monday_morning = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)  # 09:30 Monday in New York
    with django_capture_on_commit_callbacks() as enqueued:
        assert services.held_leads_release(now=monday_morning) == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NEW and len(enqueued) == 1  # routing enqueued after commit
    assert services.lead_route(lead_id=lead.pk, now=monday_morning).action == "offered"


def test_relaxation_drops_the_language_after_the_wait(rule):
    RuleRelaxation.objects.create(rule=rule, after_seconds=120, drop="language")
    rep = RepFactory(languages=["de"])
    lead = LeadFactory(language="fr", received_at=now() - dt.timedelta(seconds=30))
    assert services.lead_route(lead_id=lead.pk).action == "waiting"
    later = lead.received_at + dt.timedelta(seconds=121)
    assert services.lead_route(lead_id=lead.pk, now=later).action == "offered"
    assert open_offers(lead)[0].rep == rep


def test_team_rules_send_leads_to_their_team():
    spanish = TeamFactory(name="Spanish")
    rule = RoutingRuleFactory(name="Spanish", order=1)
    rule.teams.set([spanish])
    rule.conditions.create(field="language", op="eq", value="es")
    RoutingRuleFactory(name="Rest", order=2)
    carla = RepFactory(languages=["es", "en"], teams=[spanish])
    RepFactory(languages=["es", "en"])
    result = services.lead_route(lead_id=LeadFactory(language="es").pk)
    assert Assignment.objects.get(pk=result.assignment_ids[0]).rep == carla


def test_rep_stats_are_smoothed_toward_the_floor_rate():
    veteran, newcomer = RepFactory(), RepFactory()
    accepted = now() - dt.timedelta(days=1)
    for i in range(20):
        LeadFactory(owner=veteran.user, assigned_at=accepted, accepted_at=accepted,
                    outcome="won" if i < 10 else "lost", first_contact_at=accepted + dt.timedelta(seconds=60),
                    received_at=accepted - dt.timedelta(seconds=i))
    assert services.rep_stats_recompute() == 2
    veteran.refresh_from_db()
    newcomer.refresh_from_db()
    assert newcomer.conversion_rate == pytest.approx(0.5)  # the floor rate, not 0
    assert veteran.conversion_rate == pytest.approx((10 + 10 * 0.5) / (20 + 10))
    assert veteran.median_response_seconds == pytest.approx(69.5)
    assert newcomer.median_response_seconds is None


def test_suppliers_hear_assigned_contacted_converted(rule):
    from campaigns.models import WebhookDelivery

    rep = RepFactory()
    lead = LeadFactory(supplier__webhook_url="http://127.0.0.1:9/hook")
    offer = Assignment.objects.get(pk=services.lead_route(lead_id=lead.pk).assignment_ids[0])
    services.assignment_accept(assignment_id=offer.pk, rep=rep)
    services.contact_log(assignment_id=offer.pk, rep=rep, channel="call", outcome="no_answer")
    services.contact_log(assignment_id=offer.pk, rep=rep, channel="call", outcome="won")
    events = list(WebhookDelivery.objects.filter(lead=lead).order_by("id").values_list("event", flat=True))
    assert events == ["assigned", "contacted", "converted"]


def test_an_offer_with_the_routing_memo_warm_costs_eleven_queries(rule, settings):
    """A guard against query creep on the hottest path (no timing: a count). With the configuration memoised,
    an offer reads the lead, its past offers, its campaign's hours, the reps, the rep profiles; writes the
    snapshot, the rep's claim, the offer, the lead's move and the outbox, and reads the rep for the payload (the
    test's own transaction hides BEGIN and COMMIT)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assignments.config_cache import config_cache_clear

    settings.ROUTING_CONFIG_CACHE_SECONDS = 60
    config_cache_clear()
    RepFactory(capacity=10)
    warm, lead = LeadFactory(), LeadFactory()
    assert services.lead_route(lead_id=warm.pk).action == "offered"
    with CaptureQueriesContext(connection) as queries:
        assert services.lead_route(lead_id=lead.pk).action == "offered"
    config_cache_clear()
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= 11, "\n".join(s[:100] for s in statements)
