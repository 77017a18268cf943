"""The routing drain: requests written with the change, one drain queued at a time, every request routed oldest
first with the reps' facts read once per batch, and nothing lost when a lead's routing fails or a drain dies."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils.timezone import now

from assignments import tasks
from assignments.models import Assignment, Rep, RouteDrain, RouteRequest
from assignments.services import queue, routing, routing_drain
from assignments.services.routing import FloorRead
from campaigns.models import Lead
from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The tasks enqueued (by name) instead of running them."""
    calls: list[str] = []
    monkeypatch.setattr(queue, "enqueue_on_commit", lambda task, *args, key=None: calls.append(task.__name__))
    return calls


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit, as the test database never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def rule(db):
    return RoutingRuleFactory(name="Everyone", strategy="least_busy")


def requested(committed, *leads: Lead) -> None:
    with committed():
        queue.leads_route_enqueue(lead_ids=[lead.pk for lead in leads])


def test_a_request_commits_or_rolls_back_with_the_change(queued, committed):
    lead = LeadFactory()
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        queue.lead_route_enqueue(lead_id=lead.pk)
        raise RuntimeError("the change failed")
    assert not RouteRequest.objects.exists() and queued == []
    with committed():
        queue.lead_route_enqueue(lead_id=lead.pk)
    assert list(RouteRequest.objects.values_list("lead_id", flat=True)) == [lead.pk]
    assert queued == ["route_drain_task"]


def test_one_drain_is_queued_until_a_drain_passes(queued, committed):
    first, second = LeadFactory(), LeadFactory()
    with committed():
        queue.lead_route_enqueue(lead_id=first.pk)
    with committed():
        queue.lead_route_enqueue(lead_id=second.pk)
        queue.lead_route_enqueue(lead_id=first.pk)  # requested again: keeps its first request
    assert queued == ["route_drain_task"]
    assert RouteRequest.objects.count() == 2
    queue.route_drain_passed()
    assert queue.route_drain_wake() is True
    assert queue.route_drain_wake() is False
    assert queued == ["route_drain_task", "route_drain_task"]


def test_a_drain_queued_long_ago_and_never_started_is_queued_again(queued):
    RouteDrain.objects.create(pk=1, queued_at=now() - dt.timedelta(seconds=queue.DRAIN_LOST_SECONDS - 5))
    assert queue.route_drain_wake() is False
    RouteDrain.objects.filter(pk=1).update(queued_at=now() - dt.timedelta(seconds=queue.DRAIN_LOST_SECONDS + 1))
    assert queue.route_drain_wake() is True
    assert queued == ["route_drain_task"]


def test_drain_routes_every_request_oldest_first_and_consumes_them(rule, queued, committed):
    reps = [RepFactory(capacity=2) for _ in range(2)]
    campaign = CampaignFactory()
    leads = [LeadFactory(campaign=campaign) for _ in range(5)]
    requested(committed, *reversed(leads))  # requested newest lead first: the request's order, not the lead's, counts
    assert tasks.route_drain_task() == {"offered": 4, "waiting": 1}
    assert not RouteRequest.objects.exists()
    assert RouteDrain.objects.get().queued_at is None
    statuses = dict(Lead.objects.values_list("pk", "status"))
    assert statuses[leads[0].pk] == Lead.Status.WAITING  # the last one requested found the reps full
    assert [statuses[lead.pk] for lead in leads[1:]] == [Lead.Status.OFFERED] * 4
    assert sorted(Rep.objects.values_list("load", flat=True)) == [2, 2]
    assert Assignment.objects.filter(rep__in=reps).count() == 4


def test_routing_through_intake_hooks_goes_through_the_drain(rule, django_capture_on_commit_callbacks):
    RepFactory()
    lead = LeadFactory()
    with django_capture_on_commit_callbacks(execute=True):
        queue.lead_route_enqueue(lead_id=lead.pk)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OFFERED and not RouteRequest.objects.exists()


def test_a_lead_whose_routing_fails_is_logged_and_the_others_are_routed(rule, queued, committed, monkeypatch,
                                                                       caplog):
    RepFactory(capacity=5)
    bad, good = LeadFactory(), LeadFactory()
    requested(committed, bad, good)
    route = routing_drain.lead_route_inside

    def failing(*, lead_id, **kwargs):
        if lead_id == bad.pk:
            raise ValueError("a broken rule")
        return route(lead_id=lead_id, **kwargs)

    monkeypatch.setattr(routing_drain, "lead_route_inside", failing)
    assert routing_drain.route_requests_drain() == {"failed": 1, "offered": 1}
    assert f"routing lead {bad.pk} failed" in caplog.text
    assert "a broken rule" in caplog.text
    bad.refresh_from_db()
    assert bad.status == Lead.Status.NEW and not RouteRequest.objects.exists()  # the reconcile sweep's now


def test_a_drain_that_dies_leaves_the_rest_for_the_next(rule, queued, committed, monkeypatch):
    RepFactory(capacity=5)
    leads = [LeadFactory() for _ in range(3)]
    requested(committed, *leads)
    route, routed = routing_drain.lead_route_inside, []

    def dies_on_the_second(**kwargs):
        if len(routed) == 1:
            raise KeyboardInterrupt  # not an Exception: the worker is going down, as on a SIGTERM
        routed.append(kwargs["lead_id"])
        return route(**kwargs)

    monkeypatch.setattr(routing_drain, "lead_route_inside", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        routing_drain.route_requests_drain()
    assert RouteRequest.objects.count() == 2  # the lead it died on kept its request
    monkeypatch.setattr(routing_drain, "lead_route_inside", route)
    assert routing_drain.route_requests_drain() == {"offered": 2}
    assert Lead.objects.filter(status=Lead.Status.OFFERED).count() == 3


def test_a_drain_past_its_slice_hands_over_to_a_fresh_one(rule, queued, committed):
    RepFactory(capacity=5)
    requested(committed, LeadFactory(), LeadFactory())
    queued.clear()
    assert routing_drain.route_requests_drain(slice_seconds=-1) == {}
    assert queued == ["route_drain_task"] and RouteRequest.objects.count() == 2


class TestFloorRead:
    @pytest.fixture
    def reads(self, monkeypatch) -> list[int]:
        counted: list[int] = []
        read = routing.rep_facts_for_routing

        def counting(**kwargs):
            counted.append(1)
            return read(**kwargs)

        monkeypatch.setattr(routing, "rep_facts_for_routing", counting)
        return counted

    def test_reads_once_per_batch_of_decisions(self, reads):
        RepFactory()
        floor = FloorRead(decisions=3, max_age_seconds=60)
        for _ in range(3):
            floor.reps()
        assert len(reads) == 1
        floor.reps()
        assert len(reads) == 2

    def test_an_offer_raises_the_reps_load_in_the_read(self, reads):
        rep = RepFactory(load=1)
        floor = FloorRead(decisions=10, max_age_seconds=60)
        floor.reps()
        at = now()
        floor.offered(rep_ids=[rep.pk], now=at)
        (seen,) = floor.reps()
        assert (seen.load, seen.last_offered_at) == (2, at) and len(reads) == 1

    def test_a_failed_claim_or_a_rep_with_a_daily_cap_makes_it_read_again(self, reads):
        plain, capped = RepFactory(), RepFactory(daily_cap=5)
        floor = FloorRead(decisions=10, max_age_seconds=60)
        floor.reps()
        floor.offered(rep_ids=[plain.pk], now=now())
        floor.reps()
        assert len(reads) == 1
        floor.offered(rep_ids=[capped.pk], now=now())
        floor.reps()
        assert len(reads) == 2
        floor.forget()
        floor.reps()
        assert len(reads) == 3

    def test_a_read_older_than_its_age_is_read_again(self, reads):
        RepFactory()
        floor = FloorRead(decisions=10, max_age_seconds=0)
        floor.reps()
        floor.reps()
        assert len(reads) == 2
