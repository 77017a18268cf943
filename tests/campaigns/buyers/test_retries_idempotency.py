"""Retries only after failures the buyer could not have taken the lead in (no connection, 5xx), via a django-q2
schedule with backoff; never after a refusal; and a run or task executed twice never posts a buyer twice."""

import datetime as dt

import pytest
from django.db import connection
from django.utils.timezone import now
from django_q.models import Schedule

from campaigns.buyers import attempts, delivery, services
from campaigns.buyers.selectors import Candidate
from campaigns.buyers.services import lead_distribute
from campaigns.models import Buyer, BuyerDelivery, Lead, LeadDistribution
from campaigns.tasks_buyers import distribute_lead_task
from leadcrm.after_commit import task_path
from tests.campaigns.buyers.buyer_server import ACCEPT, ERROR_500, REFUSED_400, REJECT, refused_url, slow
from tests.campaigns.buyers.conftest import make_buyer, selling_lead


def run_with_commit(capture, lead, at=None):
    with capture(execute=True):
        return lead_distribute(lead_id=lead.pk, now=at)


@pytest.mark.django_db
def test_connection_refused_is_retried_later_and_then_delivered_once(
        server, campaign, supplier, django_capture_on_commit_callbacks):
    buyer = make_buyer(campaign, name="Down", url=refused_url())
    lead = selling_lead(campaign, supplier)
    t0 = now()

    first = run_with_commit(django_capture_on_commit_callbacks, lead, t0)

    assert first.action == "retrying"
    trip = LeadDistribution.objects.get(lead=lead)
    assert (trip.state, trip.runs) == ("retrying", 1)
    assert trip.next_run_at == t0 + dt.timedelta(seconds=services.BACKOFF_FIRST_SECONDS)
    scheduled = Schedule.objects.get(name=f"buyers-lead-{lead.pk}-run-2")
    assert (scheduled.func, scheduled.args, scheduled.next_run) == (task_path(distribute_lead_task), f"({lead.pk},)",
                                                                   trip.next_run_at)
    row = BuyerDelivery.objects.get(lead=lead, stage="post")
    assert (row.outcome, row.retryable, row.response_code) == ("error", True, None)
    assert "ConnectError" in row.error

    assert lead_distribute(lead_id=lead.pk, now=t0 + dt.timedelta(seconds=5)).reason == "the retry is not due yet"

    Buyer.objects.filter(pk=buyer.pk).update(endpoint_url=server.script("/up", ACCEPT))
    second = lead_distribute(lead_id=lead.pk, now=t0 + dt.timedelta(seconds=31))

    assert second.action == "sold"
    assert len(server.hits("/up")) == 1
    row.refresh_from_db()
    assert (row.outcome, row.attempt, len(row.history)) == ("accepted", 2, 1)
    assert "ConnectError" in row.history[0]["error"]


@pytest.mark.django_db
def test_a_5xx_is_retried_too(server, campaign, supplier, django_capture_on_commit_callbacks):
    make_buyer(campaign, name="Flaky", url=server.script("/flaky", ERROR_500))
    lead = selling_lead(campaign, supplier)

    assert run_with_commit(django_capture_on_commit_callbacks, lead).action == "retrying"


@pytest.mark.django_db
@pytest.mark.parametrize("reply", [REFUSED_400, REJECT], ids=["4xx", "reject-body"])
def test_no_retry_after_a_clear_refusal(server, campaign, supplier, django_capture_on_commit_callbacks, reply):
    make_buyer(campaign, name="Picky", url=server.script("/picky", reply))
    lead = selling_lead(campaign, supplier)

    assert run_with_commit(django_capture_on_commit_callbacks, lead).action == "unsold"
    assert not Schedule.objects.filter(name__startswith="buyers-lead-").exists()
    assert lead_distribute(lead_id=lead.pk).action == "skipped"
    assert len(server.hits("/picky")) == 1


@pytest.mark.django_db
def test_no_retry_of_a_post_that_timed_out(server, campaign, supplier, django_capture_on_commit_callbacks):
    """The buyer may have taken a post it did not answer in time: never post it again."""
    make_buyer(campaign, name="Slow", url=server.script("/slow", slow(1.0)), timeout_ms=200)
    lead = selling_lead(campaign, supplier)

    assert run_with_commit(django_capture_on_commit_callbacks, lead).action == "unsold"
    assert BuyerDelivery.objects.get(lead=lead).outcome == "timeout"


@pytest.mark.django_db
def test_retries_stop_after_the_last_run(campaign, supplier, django_capture_on_commit_callbacks):
    make_buyer(campaign, name="Down", url=refused_url())
    lead = selling_lead(campaign, supplier)
    at = now()
    actions = []
    for _ in range(services.MAX_RUNS):
        actions.append(run_with_commit(django_capture_on_commit_callbacks, lead, at).action)
        at += dt.timedelta(minutes=5)

    assert actions == ["retrying", "retrying", "unsold"]
    row = BuyerDelivery.objects.get(lead=lead, stage="post")
    assert (row.attempt, len(row.history)) == (3, 2)
    assert Schedule.objects.filter(name__startswith=f"buyers-lead-{lead.pk}-run-").count() == 2


@pytest.mark.django_db
def test_a_task_run_twice_posts_once(server, campaign, supplier):
    make_buyer(campaign, name="Taker", url=server.script("/take", ACCEPT))
    lead = selling_lead(campaign, supplier)

    assert distribute_lead_task(lead.pk) == "sold"
    assert distribute_lead_task(lead.pk) == "skipped: the lead is sold"
    assert len(server.hits("/take")) == 1


@pytest.mark.django_db
def test_a_run_in_progress_elsewhere_is_not_started_again(server, campaign, supplier):
    make_buyer(campaign, name="Taker", url=server.script("/take", ACCEPT))
    lead = selling_lead(campaign, supplier)
    LeadDistribution.objects.filter(lead=lead).update(state="running", runs=1,
                                                      lease_until=now() + dt.timedelta(minutes=5))

    assert lead_distribute(lead_id=lead.pk).reason == "another worker is running it"
    assert server.received == []
    # A lease that ran out means the worker died: the next call takes over.
    LeadDistribution.objects.filter(lead=lead).update(lease_until=now() - dt.timedelta(seconds=1))
    assert lead_distribute(lead_id=lead.pk).action == "sold"


@pytest.mark.django_db
def test_a_claimed_post_is_never_sent_again(server, campaign, supplier):
    """Another worker claimed (and maybe sent) the post: this one skips that buyer and moves on."""
    claimed = make_buyer(campaign, name="Claimed", url=server.script("/claimed", ACCEPT), priority=1)
    other = make_buyer(campaign, name="Other", url=server.script("/other", ACCEPT), priority=2)
    lead = selling_lead(campaign, supplier)
    BuyerDelivery.objects.create(lead=lead, buyer=claimed, stage="post", outcome="pending")

    assert lead_distribute(lead_id=lead.pk).buyer_id == other.pk
    assert server.hits("/claimed") == []


@pytest.mark.django_db
def test_buyer_post_twice_for_the_same_lead_sends_once(server, campaign, supplier):
    buyer = make_buyer(campaign, name="Once", url=server.script("/once", REJECT))
    lead = selling_lead(campaign, supplier)
    LeadDistribution.objects.filter(lead=lead).update(state="running", runs=1,
                                                      lease_until=now() + dt.timedelta(minutes=5))
    candidate = Candidate(buyer=buyer, price=buyer.price)

    first = attempts.buyer_post(lead=lead, candidate=candidate, price=buyer.price, run=1)
    second = attempts.buyer_post(lead=lead, candidate=candidate, price=buyer.price, run=1)

    assert (first.outcome, second.outcome) == ("rejected", "skipped")
    assert len(server.hits("/once")) == 1


@pytest.mark.django_db(transaction=True)
def test_http_never_runs_inside_a_transaction(server, campaign, supplier, monkeypatch):
    make_buyer(campaign, name="Pinged", url=server.script("/p", ACCEPT), ping_url=server.script("/ping", ACCEPT))
    lead = selling_lead(campaign, supplier)
    seen = []
    real = delivery.http_send_many

    def watched(specs):
        seen.append(connection.in_atomic_block)
        return real(specs)

    monkeypatch.setattr(attempts, "http_send_many", watched)
    monkeypatch.setattr(attempts, "http_send", lambda spec: watched([spec])[0])

    assert lead_distribute(lead_id=lead.pk).action == "sold"
    assert seen == [False, False]
    assert Lead.objects.get(pk=lead.pk).status == "sold"
