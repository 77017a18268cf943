"""Team chat webhooks against a real local HTTP server: each provider's JSON, unseen offers, waiting leads and SLA
breaches, a timeout and a 500 retried; the webhook URL (a secret) never reaches an error or a log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.timezone import now

from assignments import tasks
from assignments.models import AlertDelivery, Rep
from assignments.services import notify
from assignments.services.alerts import floor_alert_raise
from assignments.services.chat_formats import chat_payload
from assignments.services.notify import offers_unseen_escalate
from campaigns.models import Lead
from tests.factories import AssignmentFactory, LeadFactory, RepFactory, RoutingRuleFactory, TeamFactory

from .alerts_kit import ChatEndpoint

pytestmark = pytest.mark.django_db

BASE_URL = "https://crm.example.test"


@pytest.fixture
def endpoint():
    server = ChatEndpoint()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def no_email(settings):
    settings.EMAIL_ENABLED = False
    settings.LEADCRM_BASE_URL = BASE_URL


def team_with_chat(endpoint, provider="slack", **fields):
    return TeamFactory(name=f"{provider} desk", chat_provider=provider, chat_webhook_url=endpoint.url,
                       alert_unseen_seconds=30, **fields)


def unseen_offer(team, capture):
    rep = RepFactory(user__username="alice", teams=[team], alert_channels=Rep.AlertChannels.CHAT)
    assignment = AssignmentFactory(rep=rep, lead__region="CA", lead__first_name="Grace", lead__last_name="Hopper",
                                   lead__campaign__name="Solar quotes (US)",
                                   offered_at=now() - dt.timedelta(seconds=31),
                                   expires_at=now() + dt.timedelta(minutes=5))
    with capture(execute=True):
        assert offers_unseen_escalate() == 1
    return assignment


TEXT = "Offer to alice not seen for 31 s: Solar quotes (US) (CA, US), expires"
LIVE = f"{BASE_URL}/live/"


@pytest.mark.parametrize("provider", ["slack", "mattermost", "teams", "google_chat"])
def test_each_provider_gets_its_own_json_about_an_unseen_offer(endpoint, provider,
                                                             django_capture_on_commit_callbacks):
    assignment = unseen_offer(team_with_chat(endpoint, provider), django_capture_on_commit_callbacks)
    (body,) = endpoint.received
    if provider in ("slack", "google_chat"):
        assert set(body) == {"text"}
        assert body["text"].startswith(TEXT) and body["text"].endswith(f"<{LIVE}|Live board>")
    elif provider == "mattermost":
        assert set(body) == {"text", "username"} and body["username"] == "LeadCRM"
        assert body["text"].startswith(TEXT) and body["text"].endswith(f"[Live board]({LIVE})")
    else:
        assert set(body) == {"type", "attachments"} and body["type"] == "message"
        (attachment,) = body["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
        assert card["body"][0]["type"] == "TextBlock" and card["body"][0]["text"].startswith(TEXT)
        assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Live board", "url": LIVE}]
    assert "Grace" not in str(body) and "Hopper" not in str(body) and assignment.lead.phone not in str(body)
    delivery = AlertDelivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.recipient) == ("chat", "sent", f"{provider} desk "
                                                                       f"({delivery.team.get_chat_provider_display()})")


def test_an_unknown_provider_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown chat provider 'irc'"):
        chat_payload(provider="irc", text="x", link_url="https://x", link_title="x")


def test_a_500_is_retried_and_the_url_never_shows(endpoint, django_capture_on_commit_callbacks, caplog):
    endpoint.statuses = [500]
    unseen_offer(team_with_chat(endpoint), django_capture_on_commit_callbacks)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "HTTP 500: ok")
    AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now())
    assert tasks.alert_deliver_task(delivery.pk) == "sent after 2 attempt(s)"
    assert len(endpoint.received) == 2
    assert "s3cr3t-token" not in caplog.text and endpoint.url not in caplog.text


def test_a_4xx_is_not_retried(endpoint, django_capture_on_commit_callbacks):
    endpoint.statuses = [404]
    unseen_offer(team_with_chat(endpoint), django_capture_on_commit_callbacks)
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 1, None)


def test_a_chat_that_hangs_times_out_and_is_retried(endpoint, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(notify, "CHAT_TIMEOUT_SECONDS", 0.3)
    endpoint.delay = 1.0
    started = now()
    unseen_offer(team_with_chat(endpoint), django_capture_on_commit_callbacks)
    assert now() - started < dt.timedelta(seconds=1)
    delivery = AlertDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_error.startswith("ReadTimeout")
    assert "s3cr3t" not in delivery.last_error
    endpoint.delay = 0
    AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now())
    assert tasks.alert_deliver_task(delivery.pk) == "sent after 2 attempt(s)"


def test_a_dead_endpoint_gives_up_after_the_last_attempt(endpoint, django_capture_on_commit_callbacks):
    team = team_with_chat(endpoint)
    endpoint.close()
    unseen_offer(team, django_capture_on_commit_callbacks)
    delivery = AlertDelivery.objects.get()
    for _ in range(notify.MAX_ATTEMPTS - 1):
        AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now())
        tasks.alert_deliver_task(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", notify.MAX_ATTEMPTS)
    assert delivery.last_error.startswith("ConnectError") and "s3cr3t" not in delivery.last_error


def test_reps_preferring_email_only_do_not_reach_the_chat(endpoint, django_capture_on_commit_callbacks):
    team = team_with_chat(endpoint)
    rep = RepFactory(teams=[team], alert_channels=Rep.AlertChannels.EMAIL)
    AssignmentFactory(rep=rep, offered_at=now() - dt.timedelta(seconds=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert offers_unseen_escalate() == 1
    assert endpoint.received == [] and not AlertDelivery.objects.exists()


def test_leads_waiting_too_long_go_to_the_chat_of_the_rules_teams(endpoint, django_capture_on_commit_callbacks):
    desk = team_with_chat(endpoint)
    team_with_chat(endpoint, "mattermost", chat_waiting_too_long=False)
    other = team_with_chat(endpoint, "google_chat")
    rule = RoutingRuleFactory(name="Desk", max_wait_seconds=60)
    rule.teams.add(desk)
    lead = LeadFactory(status=Lead.Status.WAITING, received_at=now() - dt.timedelta(seconds=90))
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_waiting() == 1
    (body,) = endpoint.received
    assert body["text"].startswith(f"Waiting longer than its rule allows: Lead #{lead.pk} ")
    assert AlertDelivery.objects.get().team == desk
    rule.teams.clear()  # a rule without teams offers to everyone: every team with the toggle on hears of it
    LeadFactory(status=Lead.Status.WAITING, received_at=now() - dt.timedelta(seconds=90))
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_waiting() == 1
    assert set(AlertDelivery.objects.values_list("team", flat=True)) == {desk.pk, other.pk}


def notify_waiting() -> int:
    from assignments.services.alerts import waiting_leads_alert

    return waiting_leads_alert()


def test_sla_breaches_go_to_the_reps_teams_once(endpoint, django_capture_on_commit_callbacks):
    team = team_with_chat(endpoint)
    team_with_chat(endpoint, "teams", chat_sla_breaches=False).reps.add(rep := RepFactory(teams=[team]))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            floor_alert_raise(kind="accepted_and_sat", key="accepted_and_sat:assignment:1", rep=rep, lead_id=None,
                              message=f"{rep.user.username} accepted lead #1 and has not contacted it.")
    (body,) = endpoint.received
    assert body["text"].startswith(f"Accepted and not called in time: {rep.user.username} accepted lead #1")
    assert AlertDelivery.objects.get().team == team
