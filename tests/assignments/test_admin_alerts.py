"""A team's alert settings in the admin: bad input is a form error (never a 500), the webhook URL stays secret."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignments.models import AlertDelivery, Team
from tests.factories import AssignmentFactory, ManagerFactory, TeamFactory

pytestmark = pytest.mark.django_db

SECRET_URL = "https://hooks.slack.com/services/T000/B000/s3cr3t-token"


@pytest.fixture
def web(client):
    client.force_login(ManagerFactory())
    return client


def team_post(**overrides) -> dict:
    data = {"name": "Solar desk", "description": "", "away_after_seconds": "", "alert_unseen_seconds": "60",
            "alert_email": "on", "chat_provider": "slack", "chat_webhook_url": SECRET_URL,
            "chat_unseen_offers": "on", "chat_waiting_too_long": "on", "chat_sla_breaches": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


ADD = reverse("admin:assignments_team_add")


def test_a_team_with_a_chat_webhook_is_saved_and_its_url_never_shown_again(web):
    response = web.post(ADD, team_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    team = Team.objects.get(name="Solar desk")
    assert (team.chat_provider, team.chat_webhook_url, team.alert_unseen_seconds) == ("slack", SECRET_URL, 60)
    listing = web.get(reverse("admin:assignments_team_changelist")).content.decode()
    assert "Slack: https://hooks.slack.com/••••" in listing and "s3cr3t" not in listing
    change = reverse("admin:assignments_team_change", args=[team.pk])
    assert "s3cr3t" not in web.get(change).content.decode()

    # Saved again with the URL left empty: the stored one is kept; "remove" clears it (and then the provider).
    assert web.post(change, team_post(chat_webhook_url="", alert_unseen_seconds="30")).status_code == 302
    team.refresh_from_db()
    assert (team.chat_webhook_url, team.alert_unseen_seconds) == (SECRET_URL, 30)
    removed = team_post(chat_webhook_url="", chat_provider="", chat_webhook_remove="on")
    assert web.post(change, removed).status_code == 302
    team.refresh_from_db()
    assert (team.chat_provider, team.chat_webhook_url) == ("", "")


@pytest.mark.parametrize("overrides,field,error", [
    ({"chat_webhook_url": "not a url"}, "chat_webhook_url", "Enter a valid URL."),
    ({"chat_webhook_url": "ftp://hooks.example.com/x"}, "chat_webhook_url", "Enter a valid URL."),
    ({"chat_provider": "irc"}, "chat_provider", "Select a valid choice. irc is not one of the available choices."),
    ({"alert_unseen_seconds": "-5"}, "alert_unseen_seconds", "Ensure this value is greater than or equal to 0."),
    ({"alert_unseen_seconds": "soon"}, "alert_unseen_seconds", "Enter a whole number."),
    ({"chat_provider": ""}, "chat_provider", "Choose the chat this webhook URL belongs to."),
    ({"chat_webhook_url": ""}, "chat_webhook_url", "Give the incoming-webhook URL of this chat."),
])
def test_bad_alert_settings_are_form_errors(web, overrides, field, error):
    response = web.post(ADD, team_post(**overrides))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [error]
    assert not Team.objects.exists()
    assert "s3cr3t" not in response.content.decode()


def test_alert_deliveries_are_read_only_and_filterable(web):
    team = TeamFactory(name="Desk", chat_provider="slack", chat_webhook_url=SECRET_URL)
    assignment = AssignmentFactory()
    AlertDelivery.objects.create(kind="offer", channel="chat", assignment=assignment, team=team,
                                 target=f"team:{team.pk}", recipient="Desk (Slack)", status="failed",
                                 attempts=6, last_error="HTTP 500: oops")
    listing = reverse("admin:assignments_alertdelivery_changelist")
    body = web.get(listing, {"status": "failed", "channel": "chat"}).content.decode()
    assert "HTTP 500: oops" in body and "Desk (Slack)" in body and "s3cr3t" not in body
    assert web.get(reverse("admin:assignments_alertdelivery_add")).status_code == 403
