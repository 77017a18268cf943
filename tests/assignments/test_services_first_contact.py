"""The first-contact SLA: reminded half-way, then taken back (re-routed without the rep) or escalated, once."""

import datetime as dt

import pytest

from assignments import events, services
from assignments.models import Assignment, OutboxEvent, Rep
from assignments.services.first_contact import first_contact_sweep
from campaigns.models import Lead
from reporting.queries.scope import ReportParams
from reporting.queries.sla import sla_rows
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db
SLA = 600


def sent_since(mark: int) -> list[tuple[str, str]]:
    return list(OutboxEvent.objects.filter(pk__gt=mark).order_by("pk").values_list("group", "type"))


def mark() -> int:
    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def accepted(action: str) -> tuple[Assignment, Rep, Rep]:
    RoutingRuleFactory(name="Everyone", first_contact_seconds=SLA, no_contact_action=action)
    rep = RepFactory()
    lead = LeadFactory()
    offer = services.lead_route(lead_id=lead.pk).assignment_ids[0]
    services.assignment_accept(assignment_id=offer, rep=rep)
    other = RepFactory()
    return Assignment.objects.get(pk=offer), rep, other


def test_reminded_once_half_way_then_taken_back_and_rerouted_without_the_rep(django_capture_on_commit_callbacks):
    owned, rep, other = accepted("reroute")
    t0 = owned.responded_at
    assert first_contact_sweep(now=t0 + dt.timedelta(seconds=SLA / 2 - 1)) == {
        "reminded": 0, "taken_back": 0, "escalated": 0}
    before = mark()
    assert first_contact_sweep(now=t0 + dt.timedelta(seconds=SLA / 2))["reminded"] == 1
    assert first_contact_sweep(now=t0 + dt.timedelta(seconds=SLA / 2 + 5))["reminded"] == 0
    assert sent_since(before) == [(events.rep_group(rep.pk), events.REMINDER)]
    reminder = OutboxEvent.objects.get(type=events.REMINDER).payload
    assert reminder["contact_by"] == (t0 + dt.timedelta(seconds=SLA)).isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        assert first_contact_sweep(now=t0 + dt.timedelta(seconds=SLA))["taken_back"] == 1
    owned.refresh_from_db()
    assert (owned.status, owned.sat_at is not None) == ("taken_back", True)
    assert Rep.objects.get(pk=rep.pk).load == 0
    assert Assignment.objects.filter(lead_id=owned.lead_id, rep=other, status="offered").exists()
    assert first_contact_sweep(now=t0 + dt.timedelta(seconds=SLA * 2)) == {
        "reminded": 0, "taken_back": 0, "escalated": 0}
    by_rule = sla_rows(params=ReportParams(group_by="rule"))
    assert [(row["label"], row["accepted_and_sat"]) for row in by_rule] == [("Everyone", 1)]


def test_escalation_alerts_the_managers_once_and_leaves_the_lead(django_capture_on_commit_callbacks):
    owned, rep, _ = accepted("escalate")
    before = mark()
    at = owned.responded_at + dt.timedelta(seconds=SLA + 1)
    assert first_contact_sweep(now=at)["escalated"] == 1
    assert first_contact_sweep(now=at)["escalated"] == 0
    assert (events.FLOOR_GROUP, events.FLOOR_ALERT) in sent_since(before)
    alert = OutboxEvent.objects.get(type=events.FLOOR_ALERT).payload["alert"]
    assert (alert["kind"], alert["lead"], alert["rep"]["id"]) == ("accepted_and_sat", {"id": owned.lead_id}, rep.pk)
    owned.refresh_from_db()
    assert (owned.status, Lead.objects.get(pk=owned.lead_id).owner_id) == ("accepted", rep.user_id)


def test_a_contacted_lead_or_a_rule_without_the_sla_is_left_alone():
    owned, rep, _ = accepted("reroute")
    services.contact_log(assignment_id=owned.pk, rep=rep, channel="call", outcome="no_answer")
    assert first_contact_sweep(now=owned.responded_at + dt.timedelta(days=1)) == {
        "reminded": 0, "taken_back": 0, "escalated": 0}
    RoutingRuleFactory._meta.model.objects.update(first_contact_seconds=None)
    lead = LeadFactory()
    offer = services.lead_route(lead_id=lead.pk).assignment_ids[0]
    services.assignment_accept(assignment_id=offer, rep=Assignment.objects.get(pk=offer).rep)
    assert first_contact_sweep(now=owned.responded_at + dt.timedelta(days=1))["taken_back"] == 0
