"""Alerts away from the page: email (EMAIL_URL) and teams' chat webhooks, each sent at most once, in the background.

The ladder: the browser first (the offer pops up on /rep/); a rep with no /rep/ tab open gets the email at once;
an offer still not seen on the page after the team's `alert_unseen_seconds` goes by email and to the team chat,
as the rep's `alert_channels` preference allows, and never outside the rep's working hours. Due callbacks email
their owner when no tab is open; manager alerts (FloorAlert) email every manager and go to the chat of the teams
concerned. Each (offer, callback or alert; channel; recipient) is one AlertDelivery row, unique in the database,
so racing workers send it once. Sending is a django-q2 task after the commit, retried with back-off on SMTP or
HTTP failure; routing never waits for it. Errors are stored without passwords or webhook URLs, and nothing about
the lead's person (name, phone, email) is ever written into an alert before the lead is the rep's.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Min, Q, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.timezone import now as tz_now

from assignments import tasks
from assignments.models import AlertDelivery, Assignment, Callback, FloorAlert, Rep, RoutingRule, Team
from assignments.routing import is_on_shift
from assignments.selectors import rep_facts_for_routing, wait_limits
from assignments.services.chat_formats import chat_payload
from assignments.services.presence import PRESENCE_STALE_SECONDS
from campaigns.models import Lead
from leadcrm.after_commit import enqueue_now, enqueue_on_commit, schedule_at

logger = logging.getLogger(__name__)

Kind = AlertDelivery.Kind
Channel = AlertDelivery.Channel
Status = AlertDelivery.Status
Prefs = Rep.AlertChannels

MAX_ATTEMPTS = 6
BACKOFF_FIRST_SECONDS = 5  # then doubles: 5, 10, 20, 40, 80 s; an offer's alert is useless once the offer is gone
LEASE_SECONDS = 60  # a claimed attempt not finished by then is presumed lost with its worker
CHAT_TIMEOUT_SECONDS = 5.0
UNSEEN_SCAN_LIMIT = 200
EMAIL_PREFS = (Prefs.EMAIL, Prefs.EMAIL_AND_CHAT)
CHAT_PREFS = (Prefs.CHAT, Prefs.EMAIL_AND_CHAT)


@dataclass(frozen=True)
class AlertMessage:
    """One alert in every form a channel needs."""

    subject: str
    text: str
    html: str
    chat_text: str
    link_url: str
    link_title: str

    @classmethod
    def rendered(cls, template: str, context: Mapping[str, object], *, subject: str, chat_text: str, link_url: str,
                 link_title: str) -> AlertMessage:
        """The alert whose email bodies are assignments/email/<template>.txt and .html rendered with `context`."""
        return cls(subject=subject, text=render_to_string(f"assignments/email/{template}.txt", context),
                   html=render_to_string(f"assignments/email/{template}.html", context), chat_text=chat_text,
                   link_url=link_url, link_title=link_title)


# --- Hooks the floor's services call inside their transactions (work starts after the commit) --------------------


def rep_has_open_tab(*, rep: Rep, now: dt.datetime) -> bool:
    """True when one of the rep's /rep/ tabs is connected and was heard from lately (presence)."""
    fresh = rep.last_seen_at is not None and rep.last_seen_at >= now - dt.timedelta(seconds=PRESENCE_STALE_SECONDS)
    return rep.connections > 0 and fresh


def offers_away_alert_enqueue(*, assignments: list[Assignment], now: dt.datetime) -> int:
    """After the commit, email each offered rep with no tab open (as their preference allows); returns how many
    were queued. `assignment.rep` must be loaded (its connections); costs no query."""
    if not settings.EMAIL_ENABLED:
        return 0
    queued = 0
    for assignment in assignments:
        rep = assignment.rep
        if rep.alert_channels in EMAIL_PREFS and not rep_has_open_tab(rep=rep, now=now):
            enqueue_on_commit(tasks.offer_alert_task, assignment.pk, False, key=f"alert-offer-{assignment.pk}")
            queued += 1
    return queued


def callback_alert_enqueue(*, callback_id: int) -> None:
    """After the commit, email the owner of a callback that fell due if none of their tabs is open."""
    if settings.EMAIL_ENABLED:
        enqueue_on_commit(tasks.callback_alert_task, callback_id, key=f"alert-callback-{callback_id}")


def reminder_alert_enqueue(*, assignment_id: int) -> None:
    """After the commit, email the rep half-way through the first-contact SLA of a lead they accepted."""
    if settings.EMAIL_ENABLED:
        enqueue_on_commit(tasks.reminder_alert_task, assignment_id, key=f"alert-reminder-{assignment_id}")


def floor_alert_notify_enqueue(*, alert_id: int) -> None:
    """After the commit, send a manager alert by email to the managers and to the chat of the teams concerned."""
    enqueue_on_commit(tasks.floor_alert_notify_task, alert_id, key=f"alert-floor-{alert_id}")


def offers_unseen_escalate(*, now: dt.datetime | None = None, limit: int = UNSEEN_SCAN_LIMIT) -> int:
    """Move each open offer not seen on the page within its rep's teams' `alert_unseen_seconds` (the smallest;
    ALERT_UNSEEN_SECONDS for a rep in no team) on to email and chat, once. Returns how many offers escalated."""
    now = now or tz_now()
    if not settings.EMAIL_ENABLED and not Team.objects.exclude(chat_provider="").exclude(chat_webhook_url="").exists():
        return 0
    candidates = (Assignment.objects.filter(status=Assignment.Status.OFFERED, seen_at__isnull=True,
                                            escalated_at__isnull=True, expires_at__gt=now)
                  .exclude(rep__alert_channels=Prefs.BROWSER).order_by()
                  .annotate(after=Coalesce(Min("rep__teams__alert_unseen_seconds"),
                                           Value(settings.ALERT_UNSEEN_SECONDS)))
                  .values_list("pk", "offered_at", "after")[:limit])
    escalated = 0
    for pk, offered_at, after in list(candidates):
        if offered_at + dt.timedelta(seconds=after) > now:
            continue
        with transaction.atomic():
            if Assignment.objects.filter(pk=pk, escalated_at__isnull=True, seen_at__isnull=True,
                                         status=Assignment.Status.OFFERED).update(escalated_at=now):
                enqueue_on_commit(tasks.offer_alert_task, pk, True, key=f"alert-offer-unseen-{pk}")
                escalated += 1
    return escalated


# --- Task bodies: decide who gets what, write the deliveries, send them -----------------------------------------


def offer_alerts_send(*, assignment_id: int, unseen: bool, now: dt.datetime | None = None) -> list[AlertDelivery]:
    """Email (and, once `unseen`, team chat) about an open offer its rep has not seen, as the ladder allows.

    Without `unseen` only a rep with no tab open is emailed. Returns the deliveries attempted now.
    """
    now = now or tz_now()
    assignment = (Assignment.objects.with_payload().filter(pk=assignment_id, status=Assignment.Status.OFFERED,
                                                           seen_at__isnull=True).first())
    if assignment is None or assignment.expires_at <= now:
        return []
    rep = assignment.rep
    if rep.alert_channels == Prefs.BROWSER or not _on_shift(rep_id=rep.pk, now=now):
        return []
    if not unseen and rep_has_open_tab(rep=rep, now=now):
        return []
    teams = list(rep.teams.all())
    deliveries = []
    if rep.alert_channels in EMAIL_PREFS and (not teams or any(team.alert_email for team in teams)):
        deliveries += _email_deliveries(kind=Kind.OFFER, subject={"assignment": assignment},
                                        users=[rep.user], now=now)
    if unseen and rep.alert_channels in CHAT_PREFS:
        deliveries += _chat_deliveries(kind=Kind.OFFER, subject={"assignment": assignment},
                                       teams=[team for team in teams if team.chat_unseen_offers], now=now)
    return _attempt_all(deliveries=deliveries, now=now)


def callback_alerts_send(*, callback_id: int, now: dt.datetime | None = None) -> list[AlertDelivery]:
    """Email the owner of a due, open callback when none of their tabs is open and they are on shift."""
    now = now or tz_now()
    callback = Callback.objects.select_related("lead").filter(pk=callback_id, done_at__isnull=True).first()
    if callback is None or callback.lead.owner_id is None:
        return []
    rep = Rep.objects.select_related("user").filter(user_id=callback.lead.owner_id).first()
    if (rep is None or rep.alert_channels not in EMAIL_PREFS or rep_has_open_tab(rep=rep, now=now)
            or not _on_shift(rep_id=rep.pk, now=now)):
        return []
    teams = list(rep.teams.all())
    if teams and not any(team.alert_email for team in teams):
        return []
    deliveries = _email_deliveries(kind=Kind.CALLBACK, subject={"callback": callback}, users=[rep.user], now=now)
    return _attempt_all(deliveries=deliveries, now=now)


def reminder_alerts_send(*, assignment_id: int, now: dt.datetime | None = None) -> list[AlertDelivery]:
    """Email the rep of an accepted, not yet contacted lead its first-contact reminder, as their preference and
    shift allow (an open tab shows it live as well: the reminder matters either way)."""
    now = now or tz_now()
    assignment = Assignment.objects.with_payload().filter(pk=assignment_id).first()
    if assignment is None or assignment.status != Assignment.Status.ACCEPTED or assignment.lead.first_contact_at:
        return []
    rep = assignment.rep
    if rep.alert_channels not in EMAIL_PREFS or not _on_shift(rep_id=rep.pk, now=now):
        return []
    deliveries = _email_deliveries(kind=Kind.REMINDER, subject={"assignment": assignment}, users=[rep.user], now=now)
    return _attempt_all(deliveries=deliveries, now=now)


def floor_alert_notify(*, alert_id: int, now: dt.datetime | None = None) -> list[AlertDelivery]:
    """Email a manager alert to every manager with an address, and post waiting-too-long and SLA-breach alerts to
    the chat of the teams concerned (the lead's rule's teams, or the rep's)."""
    now = now or tz_now()
    alert = FloorAlert.objects.select_related("rep").filter(pk=alert_id).first()
    if alert is None:
        return []
    deliveries = []
    if settings.EMAIL_ENABLED:
        deliveries += _email_deliveries(kind=Kind.FLOOR_ALERT, subject={"floor_alert": alert},
                                        users=_managers_with_email(), now=now)
    deliveries += _chat_deliveries(kind=Kind.FLOOR_ALERT, subject={"floor_alert": alert},
                                   teams=_teams_for_alert(alert=alert, now=now), now=now)
    return _attempt_all(deliveries=deliveries, now=now)


def _on_shift(*, rep_id: int, now: dt.datetime) -> bool:
    facts = rep_facts_for_routing(rep_ids=[rep_id])
    return bool(facts) and is_on_shift(rep=facts[0], now=now)


def _managers_with_email() -> list[Any]:
    managers = (get_user_model().objects.filter(is_active=True, is_staff=True)
                .filter(Q(is_superuser=True) | Q(groups__name=settings.MANAGERS_GROUP)).exclude(email=""))
    return list(managers.distinct().order_by("pk"))


def _teams_for_alert(*, alert: FloorAlert, now: dt.datetime) -> list[Team]:
    chat = Team.objects.exclude(chat_provider="").exclude(chat_webhook_url="")
    if alert.kind == FloorAlert.Kind.WAITING_TOO_LONG and alert.lead_id is not None:
        lead = Lead.objects.select_related("campaign", "supplier").filter(pk=alert.lead_id).first()
        if lead is None:
            return []
        rule_id, _ = wait_limits().for_lead(lead=lead, now=now)
        rule_teams = [pk for pk in RoutingRule.objects.filter(pk=rule_id or 0).values_list("teams", flat=True) if pk]
        chat = chat.filter(chat_waiting_too_long=True)
        # No rule, or a rule with no teams, offers to every rep: every team hears of it.
        return list(chat.filter(pk__in=rule_teams) if rule_teams else chat)
    if alert.kind == FloorAlert.Kind.ACCEPTED_AND_SAT and alert.rep_id is not None:
        return list(chat.filter(chat_sla_breaches=True, reps=alert.rep_id))
    return []


def _email_deliveries(*, kind: str, subject: dict[str, Any], users: list[Any],
                      now: dt.datetime) -> list[AlertDelivery]:
    if not settings.EMAIL_ENABLED:
        return []
    return [delivery for user in users if user.email
            for delivery in [_delivery_create(kind=kind, channel=Channel.EMAIL, subject=subject, user=user,
                                              target=f"user:{user.pk}", recipient=user.email, now=now)]
            if delivery is not None]


def _chat_deliveries(*, kind: str, subject: dict[str, Any], teams: list[Team],
                     now: dt.datetime) -> list[AlertDelivery]:
    return [delivery for team in teams if team.chat_provider and team.chat_webhook_url
            for delivery in [_delivery_create(kind=kind, channel=Channel.CHAT, subject=subject, team=team,
                                              target=f"team:{team.pk}",
                                              recipient=f"{team.name} ({team.get_chat_provider_display()})",
                                              now=now)]
            if delivery is not None]


def _delivery_create(*, kind: str, channel: str, subject: dict[str, Any], target: str, recipient: str,
                     now: dt.datetime, user: Any = None, team: Team | None = None) -> AlertDelivery | None:
    """The new pending delivery, or None when this alert already went (or goes) to this recipient this way."""
    try:
        with transaction.atomic():
            return AlertDelivery.objects.create(kind=kind, channel=channel, target=target, recipient=recipient[:254],
                                                user=user, team=team, next_attempt_at=now, created_at=now,
                                                **subject)
    except IntegrityError:
        return None


def _attempt_all(*, deliveries: list[AlertDelivery], now: dt.datetime) -> list[AlertDelivery]:
    return [attempted for delivery in deliveries
            if (attempted := alert_delivery_attempt(delivery_id=delivery.pk, now=now)) is not None]


# --- One attempt of one delivery ----------------------------------------------------------------------------------


def alert_backoff(*, attempts: int) -> dt.timedelta:
    """Wait before the next try after `attempts` failed ones."""
    return dt.timedelta(seconds=BACKOFF_FIRST_SECONDS * 2 ** (attempts - 1))


def alert_delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> AlertDelivery | None:
    """Send a due pending delivery once and record the outcome; None when it is not due or another worker has it.

    Sent: done. Not needed any more (the offer was seen, answered or expired; the callback done): cancelled.
    A network error, a timeout, an SMTP 4xx or an HTTP 5xx/408/429: retried with back-off up to MAX_ATTEMPTS.
    """
    now = now or tz_now()
    delivery = _claim(delivery_id=delivery_id, now=now)
    if delivery is None:
        return None
    if delivery.attempts > MAX_ATTEMPTS:  # earlier attempts died with their workers before recording an outcome
        return _record(delivery=delivery, now=now, status=Status.FAILED, error="no attempt finished")
    try:
        message = _message_for(delivery=delivery, now=now)
        if message is None:
            return _record(delivery=delivery, now=now, status=Status.CANCELLED, error="")
        if delivery.channel == Channel.EMAIL:
            error, retry = _email_send(delivery=delivery, message=message)
        else:
            error, retry = _chat_send(delivery=delivery, message=message)
    except Exception as exc:  # a bug or bad data (e.g. a newline in a subject): recorded, not retried forever
        secrets = [*_email_secrets(), delivery.team.chat_webhook_url if delivery.team else ""]
        error, retry = _scrubbed(f"{type(exc).__name__}: {exc}", secrets=secrets), False
    if not error:
        return _record(delivery=delivery, now=now, status=Status.SENT, error="")
    logger.warning("alert delivery %s (%s by %s) attempt %s failed: %s", delivery.pk, delivery.kind,
                   delivery.channel, delivery.attempts, error)
    if retry and delivery.attempts < MAX_ATTEMPTS:
        return _record(delivery=delivery, now=now, status=Status.PENDING, error=error,
                       next_attempt_at=now + alert_backoff(attempts=delivery.attempts))
    return _record(delivery=delivery, now=now, status=Status.FAILED, error=error)


def alert_deliveries_overdue_enqueue(*, now: dt.datetime | None = None, overdue_seconds: int = 60) -> int:
    """Queue an attempt of each pending delivery overdue by `overdue_seconds`: the net under tasks a broker lost
    or a worker died with (its lease ran out). Returns how many."""
    now = now or tz_now()
    due = list(AlertDelivery.objects.filter(status=Status.PENDING,
                                            next_attempt_at__lte=now - dt.timedelta(seconds=overdue_seconds))
               .order_by("next_attempt_at").values_list("pk", flat=True)[:200])
    for pk in due:
        enqueue_now(tasks.alert_deliver_task, pk, key=f"alert-{pk}")
    return len(due)


def _claim(*, delivery_id: int, now: dt.datetime) -> AlertDelivery | None:
    delivery = AlertDelivery.objects.select_related("team").filter(pk=delivery_id, status=Status.PENDING).first()
    if delivery is None or (delivery.next_attempt_at is not None and delivery.next_attempt_at > now):
        return None
    if not AlertDelivery.objects.filter(pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts).update(
            attempts=delivery.attempts + 1, next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS)):
        return None
    delivery.attempts += 1
    return delivery


@transaction.atomic
def _record(*, delivery: AlertDelivery, now: dt.datetime, status: str, error: str,
            next_attempt_at: dt.datetime | None = None) -> AlertDelivery:
    delivery.status, delivery.last_error, delivery.next_attempt_at = status, error[:300], next_attempt_at
    if status == Status.SENT:
        delivery.sent_at = now
    delivery.save(update_fields=["status", "last_error", "next_attempt_at", "sent_at"])
    if next_attempt_at is not None:
        schedule_at(tasks.alert_deliver_task, delivery.pk, at=next_attempt_at,
                    key=f"alert-{delivery.pk}-retry-{delivery.attempts + 1}")
    return delivery


def _email_send(*, delivery: AlertDelivery, message: AlertMessage) -> tuple[str, bool]:
    """("", _) when sent, else (the reason without secrets, whether a retry may help)."""
    email = EmailMultiAlternatives(subject=message.subject, body=message.text, from_email=settings.DEFAULT_FROM_EMAIL,
                                   to=[delivery.recipient])
    email.attach_alternative(message.html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        return _scrubbed(f"recipient refused: {exc}", secrets=_email_secrets()), False
    except smtplib.SMTPResponseException as exc:
        return _scrubbed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", secrets=_email_secrets()), exc.smtp_code < 500
    except (smtplib.SMTPException, OSError) as exc:
        return _scrubbed(f"{type(exc).__name__}: {exc}", secrets=_email_secrets()), True
    return "", False


def _chat_send(*, delivery: AlertDelivery, message: AlertMessage) -> tuple[str, bool]:
    team = delivery.team
    if team is None or not team.chat_provider or not team.chat_webhook_url:
        return "the team's chat webhook is no longer set", False
    secrets = [team.chat_webhook_url]
    try:
        body = chat_payload(provider=team.chat_provider, text=message.chat_text, link_url=message.link_url,
                            link_title=message.link_title)
        response = httpx.post(team.chat_webhook_url, json=body, timeout=CHAT_TIMEOUT_SECONDS,
                              headers={"User-Agent": "LeadCRM-Alerts/1"})
    except ValueError as exc:
        return str(exc), False
    except httpx.HTTPError as exc:
        return _scrubbed(f"{type(exc).__name__}: {exc}", secrets=secrets), True
    if response.status_code < 300:
        return "", False
    retry = response.status_code >= 500 or response.status_code in (408, 429)
    return _scrubbed(f"HTTP {response.status_code}: {response.text[:120]}", secrets=secrets), retry


def _email_secrets() -> list[str]:
    return [str(getattr(settings, "EMAIL_HOST_PASSWORD", ""))]


def _scrubbed(text: str, *, secrets: list[str]) -> str:
    """The text with every secret (a password, a webhook URL and its path) replaced by ***."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, "***")
        path = httpx.URL(secret).path if "://" in secret else ""
        if len(path) > 1:
            text = text.replace(path, "/***")
    return text[:300]


# --- What each alert says ----------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.LEADCRM_BASE_URL.rstrip('/')}{path}"


def _local(at: dt.datetime, timezone: str) -> str:
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError, OSError):
        zone, timezone = ZoneInfo("UTC"), "UTC"
    return f"{at.astimezone(zone):%H:%M} ({timezone})"


def _place(lead: Lead) -> str:
    return ", ".join(part for part in (lead.region, lead.country) if part) or "location not given"


def _message_for(*, delivery: AlertDelivery, now: dt.datetime) -> AlertMessage | None:
    """What to send, read fresh; None when the alert is not needed any more."""
    if delivery.kind == Kind.REMINDER:
        reminded = (Assignment.objects.with_payload().select_related("rule")
                    .filter(pk=delivery.assignment_id or 0).first())
        if (reminded is None or reminded.status != Assignment.Status.ACCEPTED
                or reminded.lead.first_contact_at is not None):
            return None
        return _reminder_message(assignment=reminded)
    if delivery.assignment_id is not None:
        assignment = Assignment.objects.with_payload().filter(pk=delivery.assignment_id).first()
        if (assignment is None or assignment.status != Assignment.Status.OFFERED or assignment.seen_at is not None
                or assignment.expires_at <= now):
            return None
        return _offer_message(assignment=assignment, now=now)
    if delivery.callback_id is not None:
        callback = Callback.objects.select_related("lead__campaign").filter(pk=delivery.callback_id).first()
        if callback is None or callback.done_at is not None or callback.lead.owner_id is None:
            return None
        rep = Rep.objects.select_related("user").filter(user_id=callback.lead.owner_id).first()
        return None if rep is None else _callback_message(callback=callback, rep=rep)
    if delivery.floor_alert_id is not None:
        alert = FloorAlert.objects.filter(pk=delivery.floor_alert_id).first()
        return None if alert is None else _floor_alert_message(alert=alert)
    return None


def _offer_message(*, assignment: Assignment, now: dt.datetime) -> AlertMessage:
    lead, rep = assignment.lead, assignment.rep
    context = {
        "rep_name": rep.user.first_name or rep.user.username, "campaign": lead.campaign.name, "place": _place(lead),
        "skill": lead.skill, "language": lead.language, "expires": _local(assignment.expires_at, rep.timezone),
        "link": _absolute(f"{reverse('rep')}?offer={assignment.pk}"),
    }
    waited = int((now - assignment.offered_at).total_seconds())
    return AlertMessage.rendered(
        "offer", context, subject=f"New lead offer: {lead.campaign.name} ({_place(lead)})",
        chat_text=(f"Offer to {rep.user.username} not seen for {waited} s: {lead.campaign.name} ({_place(lead)}), "
                   f"expires {_local(assignment.expires_at, 'UTC')}."),
        link_url=_absolute(reverse("live")), link_title="Live board")


def _reminder_message(*, assignment: Assignment) -> AlertMessage:
    lead, rep = assignment.lead, assignment.rep
    link = _absolute(reverse("rep-lead", args=[lead.pk]))
    window = dt.timedelta(seconds=(assignment.rule.first_contact_seconds or 0) if assignment.rule else 0)
    contact_by = (assignment.responded_at or assignment.offered_at) + window
    context = {"rep_name": rep.user.first_name or rep.user.username, "campaign": lead.campaign.name,
               "lead_id": lead.pk, "contact_by": _local(contact_by, rep.timezone), "link": link}
    return AlertMessage.rendered(
        "reminder", context, subject=f"Call lead #{lead.pk} ({lead.campaign.name}) by {context['contact_by']}",
        chat_text=f"Lead #{lead.pk} ({lead.campaign.name}) accepted by {rep.user.username}, not called yet.",
        link_url=link, link_title="Open the lead")


def _callback_message(*, callback: Callback, rep: Rep) -> AlertMessage:
    lead = callback.lead
    link = _absolute(reverse("rep-lead", args=[lead.pk]))
    context = {
        "rep_name": rep.user.first_name or rep.user.username, "campaign": lead.campaign.name, "lead_id": lead.pk,
        "due": _local(callback.due_at, rep.timezone), "note": callback.note, "link": link,
    }
    return AlertMessage.rendered(
        "callback", context, subject=f"Callback due: lead #{lead.pk} ({lead.campaign.name})",
        chat_text=f"Callback due on lead #{lead.pk} ({lead.campaign.name}).",
        link_url=link, link_title="Open the lead")


def _floor_alert_message(*, alert: FloorAlert) -> AlertMessage:
    link = _absolute(reverse("live"))
    context = {"kind": alert.get_kind_display(), "message": alert.message, "at": _local(alert.at, "UTC"),
               "link": link}
    return AlertMessage.rendered(
        "floor_alert", context, subject=f"Floor alert: {alert.get_kind_display()}",
        chat_text=f"{alert.get_kind_display()}: {alert.message}", link_url=link, link_title="Live board")
