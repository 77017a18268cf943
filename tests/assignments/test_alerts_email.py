"""Alerts by email against a real SMTP server (aiosmtpd): offers to reps away from the page, the ladder after N
unseen seconds, retries while the server is down, due callbacks and manager alerts; each sent at most once."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from django.utils.timezone import now
from django_q.models import Schedule

from assignments import services, tasks
from assignments.models import AlertDelivery, Assignment, Callback, Rep, RoutingRule
from assignments.services.alerts import floor_alert_raise
from assignments.services.first_contact import first_contact_sweep
from assignments.services.notify import offers_unseen_escalate
from campaigns.models import Lead
from tests.factories import (
    AssignmentFactory,
    CampaignFactory,
    LeadFactory,
    ManagerFactory,
    RepFactory,
    RoutingRuleFactory,
    TeamFactory,
    supplier_with_key,
)

from .alerts_kit import SmtpServer, parts

pytestmark = pytest.mark.django_db

BASE_URL = "https://crm.example.test"
LEAD = {"campaign": "solar-us", "first_name": "Grace", "last_name": "Hopper", "email": "grace.hopper@example.org",
        "phone": "+14155550199", "country": "US", "region": "CA", "language": "en"}
PERSONAL = ("Grace", "Hopper", "grace.hopper", "5550199")


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail(settings, smtp):
    """Django's SMTP backend pointed at the real server, as EMAIL_URL=smtp://127.0.0.1:<port> would set it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 3
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_ENABLED = True
    settings.DEFAULT_FROM_EMAIL = "LeadCRM <alerts@crm.example.test>"
    settings.LEADCRM_BASE_URL = BASE_URL
    return smtp


@pytest.fixture
def floor():
    """A campaign, a supplier key, one rule with long offers, and one rep in Berlin with no tab open."""
    campaign = CampaignFactory(slug="solar-us", name="Solar quotes (US)")
    _, key = supplier_with_key(campaigns=[campaign])
    RoutingRuleFactory(name="Everyone", offer_timeout_seconds=600)
    team = TeamFactory(name="English desk", alert_unseen_seconds=60)
    rep = RepFactory(user__username="alice", user__first_name="Alice", timezone="Europe/Berlin", teams=[team])
    return {"key": key, "rep": rep, "team": team}


def post_lead(api_client, floor, capture, **overrides) -> Assignment:
    """Post a lead as the supplier and run what the commit queues (routing, then alerts) as a worker would."""
    with capture(execute=True):
        response = api_client.post("/api/v1/leads/", {**LEAD, **overrides}, format="json",
                                   HTTP_AUTHORIZATION=f"Api-Key {floor['key']}")
    assert response.status_code == 201, response.content
    return Assignment.objects.select_related("lead").get(lead_id=response.json()["id"])


def test_an_offer_to_a_rep_with_no_tab_open_is_emailed_within_10_seconds(
        api_client, mail, floor, django_capture_on_commit_callbacks):
    assignment = post_lead(api_client, floor, django_capture_on_commit_callbacks)
    assert assignment.status == Assignment.Status.OFFERED and assignment.rep == floor["rep"]

    (arrived, recipients, message), = mail.wait_for(1, within=10)
    assert arrived - assignment.offered_at.timestamp() < 10
    assert recipients == ["alice@example.com"] and message["To"] == "alice@example.com"
    assert message["From"] == "LeadCRM <alerts@crm.example.test>"
    assert message["Subject"] == "New lead offer: Solar quotes (US) (CA, US)"
    bodies = parts(message)
    assert set(bodies) == {"text/plain", "text/html"}
    expires = assignment.expires_at.astimezone(ZoneInfo("Europe/Berlin"))
    for body in bodies.values():
        assert f"{BASE_URL}/rep/?offer={assignment.pk}" in body
        assert "Solar quotes (US)" in body and "CA, US" in body
        assert f"{expires:%H:%M} (Europe/Berlin)" in body
        for secret in PERSONAL:
            assert secret not in body
    delivery = AlertDelivery.objects.get()
    assert (delivery.kind, delivery.channel, delivery.status, delivery.attempts, delivery.recipient) == (
        "offer", "email", "sent", 1, "alice@example.com")


def test_the_link_opens_the_offer_in_the_queue_after_signing_in(client, floor):
    path = "/rep/?offer=1"
    response = client.get(path)
    assert response.status_code == 302 and response.url == "/accounts/login/?next=/rep/%3Foffer%3D1"
    client.force_login(floor["rep"].user)
    assert client.get(path).status_code == 200


def test_with_the_smtp_server_down_the_offer_works_and_the_email_goes_once_it_is_back(
        api_client, mail, floor, django_capture_on_commit_callbacks, caplog):
    mail.stop()
    assignment = post_lead(api_client, floor, django_capture_on_commit_callbacks)
    assert assignment.status == Assignment.Status.OFFERED
    assert Lead.objects.get(pk=assignment.lead_id).status == Lead.Status.OFFERED
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error.startswith("ConnectionRefusedError")
    assert dt.timedelta(seconds=4) < delivery.next_attempt_at - now() <= dt.timedelta(seconds=5)
    retry = Schedule.objects.get(func="assignments.tasks.alert_deliver_task")
    assert (retry.args, retry.schedule_type, retry.name) == (f"({delivery.pk},)", Schedule.ONCE,
                                                             f"alert-{delivery.pk}-retry-2")
    assert "failed" in caplog.text and "alice@example.com" not in caplog.text

    assert tasks.alert_deliver_task(delivery.pk) == "skipped"  # not due yet: the schedule runs it on time
    mail.start()
    AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now())  # its time has come
    assert tasks.alert_deliver_task(delivery.pk) == "sent after 2 attempt(s)"
    (_, recipients, message), = mail.wait_for(1, within=10)
    assert recipients == ["alice@example.com"] and f"/rep/?offer={assignment.pk}" in parts(message)["text/plain"]
    assert tasks.alert_deliver_task(delivery.pk) == "skipped"
    assert len(mail.messages) == 1

    accepted = services.assignment_accept(assignment_id=assignment.pk, rep=floor["rep"])
    assert accepted.status == Assignment.Status.ACCEPTED


def test_a_lost_retry_is_queued_again_by_the_floor_pass(api_client, mail, floor, django_capture_on_commit_callbacks):
    mail.stop()
    post_lead(api_client, floor, django_capture_on_commit_callbacks)
    mail.start()
    Schedule.objects.all().delete()  # the retry's schedule is lost
    AlertDelivery.objects.update(next_attempt_at=now() - dt.timedelta(seconds=59))
    assert services.alert_deliveries_overdue_enqueue() == 0  # the schedule may still run it
    AlertDelivery.objects.update(next_attempt_at=now() - dt.timedelta(seconds=61))
    assert services.alert_deliveries_overdue_enqueue() == 1
    assert AlertDelivery.objects.get().status == "sent" and len(mail.wait_for(1, within=10)) == 1


def test_an_alert_for_an_offer_answered_meanwhile_is_cancelled(api_client, mail, floor,
                                                              django_capture_on_commit_callbacks):
    mail.stop()
    assignment = post_lead(api_client, floor, django_capture_on_commit_callbacks)
    services.assignment_decline(assignment_id=assignment.pk, rep=floor["rep"])
    mail.start()
    delivery = AlertDelivery.objects.get()
    AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now())
    assert tasks.alert_deliver_task(delivery.pk) == "cancelled after 2 attempt(s)"
    assert mail.messages == []


def test_a_rep_who_saw_the_offer_on_the_page_gets_no_email(api_client, mail, floor,
                                                           django_capture_on_commit_callbacks):
    rep = floor["rep"]
    services.rep_presence_connect(rep_id=rep.pk)
    assignment = post_lead(api_client, floor, django_capture_on_commit_callbacks)
    assert not AlertDelivery.objects.exists()  # a tab is open: the browser goes first
    assert services.assignment_seen(assignment_id=assignment.pk, rep=rep)
    with django_capture_on_commit_callbacks(execute=True):
        assert offers_unseen_escalate(now=assignment.offered_at + dt.timedelta(minutes=5)) == 0
    time.sleep(0.5)
    assert mail.messages == [] and not AlertDelivery.objects.exists()


def test_an_offer_unseen_for_the_teams_seconds_is_emailed_once(api_client, mail, floor,
                                                               django_capture_on_commit_callbacks):
    rep = floor["rep"]
    services.rep_presence_connect(rep_id=rep.pk)
    assignment = post_lead(api_client, floor, django_capture_on_commit_callbacks)
    t0 = assignment.offered_at
    with django_capture_on_commit_callbacks(execute=True):
        assert offers_unseen_escalate(now=t0 + dt.timedelta(seconds=59)) == 0
        assert offers_unseen_escalate(now=t0 + dt.timedelta(seconds=61)) == 1
        assert offers_unseen_escalate(now=t0 + dt.timedelta(seconds=62)) == 0
    assert len(mail.wait_for(1, within=10)) == 1
    assert services.offer_alerts_send(assignment_id=assignment.pk, unseen=True) == []  # raced again: no second
    assert Assignment.objects.get(pk=assignment.pk).escalated_at == t0 + dt.timedelta(seconds=61)
    time.sleep(0.3)
    assert len(mail.messages) == 1 and AlertDelivery.objects.count() == 1


@pytest.mark.parametrize("change", ["browser_only", "off_shift", "team_email_off", "email_not_configured"])
def test_the_ladder_stays_quiet(mail, floor, settings, change, django_capture_on_commit_callbacks):
    rep = floor["rep"]
    if change == "browser_only":
        Rep.objects.filter(pk=rep.pk).update(alert_channels=Rep.AlertChannels.BROWSER)
    elif change == "off_shift":
        local = now().astimezone(ZoneInfo("Europe/Berlin"))
        rep.working_hours.all().delete()
        rep.working_hours.create(weekday=(local.weekday() + 3) % 7, starts=dt.time(9), ends=dt.time(17))
    elif change == "team_email_off":
        type(floor["team"]).objects.filter(pk=floor["team"].pk).update(alert_email=False)
    else:
        settings.EMAIL_ENABLED = False
    assignment = AssignmentFactory(rep=rep, offered_at=now() - dt.timedelta(minutes=2),
                                   expires_at=now() + dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        offers_unseen_escalate()
    assert services.offer_alerts_send(assignment_id=assignment.pk, unseen=True) == []
    assert not AlertDelivery.objects.exists() and mail.messages == []


def test_a_due_callback_emails_its_owner_when_no_tab_is_open(mail, floor, django_capture_on_commit_callbacks):
    rep = floor["rep"]
    lead = LeadFactory(campaign__slug="solar-us", status=Lead.Status.CONTACTED, owner=rep.user)
    callback = Callback.objects.create(lead=lead, created_by=rep.user, due_at=now() - dt.timedelta(seconds=1),
                                       note="Call about the roof")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.callbacks_due_send() == 1
    (_, recipients, message), = mail.wait_for(1, within=10)
    assert recipients == ["alice@example.com"]
    assert message["Subject"] == f"Callback due: lead #{lead.pk} (Solar quotes (US))"
    body = parts(message)["text/plain"]
    assert f"{BASE_URL}/rep/leads/{lead.pk}/" in body and "Call about the roof" in body
    assert AlertDelivery.objects.get().callback == callback


def test_manager_alerts_are_emailed_to_every_manager(mail, floor, django_capture_on_commit_callbacks):
    ManagerFactory(username="morgan", email="morgan@example.com")
    ManagerFactory(username="nomail", email="")
    lead = LeadFactory(campaign__slug="solar-us")
    with django_capture_on_commit_callbacks(execute=True):
        assert floor_alert_raise(kind="waiting_too_long", key=f"waiting_too_long:lead:{lead.pk}", lead_id=lead.pk,
                                 message=f"Lead #{lead.pk} (solar-us) has waited 400 s, more than its rule's 300 s.")
    (_, recipients, message), = mail.wait_for(1, within=10)
    assert recipients == ["morgan@example.com"]
    assert message["Subject"] == "Floor alert: Waiting longer than its rule allows"
    assert f"{BASE_URL}/live/" in parts(message)["text/plain"]
    assert lead.phone not in parts(message)["text/plain"]


def test_an_email_that_cannot_be_built_fails_at_once_with_its_reason(mail, floor):
    assignment = AssignmentFactory(rep=floor["rep"], lead__campaign__name="Solar\nquotes")
    (delivery,) = services.offer_alerts_send(assignment_id=assignment.pk, unseen=False)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 1, None)
    assert delivery.last_error.startswith("BadHeaderError") and mail.messages == []


def test_the_first_contact_reminder_is_emailed_to_the_rep_once(api_client, mail, floor,
                                                               django_capture_on_commit_callbacks):
    RoutingRule.objects.update(first_contact_seconds=600)
    assignment = post_lead(api_client, floor, django_capture_on_commit_callbacks)
    mail.wait_for(1, within=10)  # the offer's own email (no tab open)
    services.assignment_accept(assignment_id=assignment.pk, rep=floor["rep"])
    assignment.refresh_from_db()
    halfway = assignment.responded_at + dt.timedelta(seconds=301)
    with django_capture_on_commit_callbacks(execute=True):
        assert first_contact_sweep(now=halfway)["reminded"] == 1
        assert first_contact_sweep(now=halfway)["reminded"] == 0
    (_, recipients, message), = mail.wait_for(2, within=10)[1:]
    contact_by = (assignment.responded_at + dt.timedelta(seconds=600)).astimezone(ZoneInfo("Europe/Berlin"))
    assert recipients == ["alice@example.com"]
    assert message["Subject"] == (f"Call lead #{assignment.lead_id} (Solar quotes (US)) by "
                                  f"{contact_by:%H:%M} (Europe/Berlin)")
    assert f"{BASE_URL}/rep/leads/{assignment.lead_id}/" in parts(message)["text/plain"]
    assert AlertDelivery.objects.filter(kind="reminder", assignment=assignment).count() == 1
