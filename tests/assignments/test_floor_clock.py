"""The floor clock's second pass on an idle embedded floor: it runs when the database files changed or something it
handles fell due, and is skipped otherwise (floor_clock.SecondPassGate, selectors_live.second_pass_due)."""

import datetime as dt

import pytest
from django.utils.timezone import now

from assignments.management.commands.floor_clock import SecondPassGate
from assignments.models import Assignment, Callback, LeadHold
from assignments.selectors_live import second_pass_due
from tests.factories import AssignmentFactory, LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


def test_the_pass_runs_after_a_write_or_when_due_and_is_skipped_in_between(tmp_path, monkeypatch):
    from assignments.management.commands import floor_clock

    database = tmp_path / "leadcrm.sqlite3"
    database.write_bytes(b"x")
    clock = [now()]
    callback_due = clock[0] + dt.timedelta(minutes=5)
    due: list[dt.datetime | None] = [None]
    monkeypatch.setattr(floor_clock, "tz_now", lambda: clock[0])
    monkeypatch.setattr(floor_clock, "second_pass_due", lambda *, now: due[0])
    passes = []
    gate = SecondPassGate([str(database), f"{database}-wal"])

    assert gate.run_if_due(lambda: passes.append(1)) is True  # the first second always looks
    assert gate.run_if_due(lambda: passes.append(1)) is False  # nothing written, nothing timed
    due[0] = callback_due
    (tmp_path / "leadcrm.sqlite3-wal").write_bytes(b"a rep set a callback")
    assert gate.run_if_due(lambda: passes.append(1)) is True  # a write: look, and learn when the callback is due
    clock[0] += dt.timedelta(minutes=4)
    assert gate.run_if_due(lambda: passes.append(1)) is False  # not due yet
    clock[0] = callback_due
    assert gate.run_if_due(lambda: passes.append(1)) is True  # due: look
    assert len(passes) == 3


def test_a_pass_that_fails_is_retried_the_next_second(tmp_path):
    database = tmp_path / "leadcrm.sqlite3"
    database.write_bytes(b"x")
    gate = SecondPassGate([str(database)])

    def broken() -> None:
        raise RuntimeError("database is locked")

    with pytest.raises(RuntimeError):
        gate.run_if_due(broken)
    assert gate.run_if_due(lambda: None) is True


def test_on_postgresql_every_second_runs_the_pass():
    gate = SecondPassGate([])
    assert all(gate.run_if_due(lambda: None) for _ in range(3))


def test_due_now_while_an_offer_is_open_or_a_lead_awaits_its_first_contact():
    at = now()
    assert second_pass_due(now=at) is None  # an empty floor: nothing timed
    offer = AssignmentFactory()
    assert second_pass_due(now=at) == at
    Assignment.objects.filter(pk=offer.pk).update(status=Assignment.Status.DECLINED)
    assert second_pass_due(now=at) is None
    sla = RoutingRuleFactory(first_contact_seconds=300)
    AssignmentFactory(rule=sla, status=Assignment.Status.ACCEPTED, responded_at=at)
    assert second_pass_due(now=at) == at


def test_due_at_the_earliest_callback_of_an_owned_lead_or_timed_hold():
    at = now()
    rep = RepFactory()
    owned, unowned = LeadFactory(owner=rep.user), LeadFactory()
    # A lead nobody owns: nobody to tell, so its callback waits.
    Callback.objects.create(lead=unowned, created_by=rep.user, due_at=at + dt.timedelta(minutes=1))
    assert second_pass_due(now=at) is None
    Callback.objects.create(lead=owned, created_by=rep.user, due_at=at + dt.timedelta(minutes=30))
    Callback.objects.create(lead=owned, created_by=rep.user, due_at=at + dt.timedelta(minutes=5), done_at=at)
    assert second_pass_due(now=at) == at + dt.timedelta(minutes=30)
    LeadHold.objects.create(lead=LeadFactory(), rule_name="Cool-off", reason="", until=at + dt.timedelta(minutes=10))
    LeadHold.objects.create(lead=LeadFactory(), rule_name="Answers", reason="")  # until its answers: the queue pass
    assert second_pass_due(now=at) == at + dt.timedelta(minutes=10)
