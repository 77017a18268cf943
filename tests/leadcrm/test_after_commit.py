"""Work after commit starts one way: callbacks, queued tasks and scheduled tasks only for committed writes."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.timezone import now
from django_q import tasks as q_tasks
from django_q.models import Schedule

from assignments import tasks as floor_tasks
from assignments.handoffs import SalesFloor
from campaigns import floor_hooks
from leadcrm import after_commit


def test_task_path_names_module_level_functions_and_refuses_the_rest():
    assert after_commit.task_path(floor_tasks.route_lead_task) == "assignments.tasks.route_lead_task"

    def nested() -> None: ...

    with pytest.raises(ValueError, match="not a module-level function"):
        after_commit.task_path(nested)
    with pytest.raises(ValueError, match="not a module-level function"):
        after_commit.task_path(lambda: None)


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(q_tasks, "async_task", lambda func, *args, **kwargs: calls.append((func, args,
                                                                                         kwargs["task_name"])))
    return calls


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_queues_after_the_commit_and_never_for_a_rollback(queued):
    with transaction.atomic():
        after_commit.enqueue_on_commit(floor_tasks.route_lead_task, 7, key="route-lead-7")
        assert queued == []
    assert queued == [("assignments.tasks.route_lead_task", (7,), "route-lead-7")]

    with pytest.raises(RuntimeError), transaction.atomic():
        after_commit.enqueue_on_commit(floor_tasks.route_lead_task, 8, key="route-lead-8")
        raise RuntimeError("rolled back")
    assert [args for _, args, _ in queued] == [(7,)]

    after_commit.enqueue_on_commit(floor_tasks.route_waiting_task)  # autocommit: at once
    assert queued[-1] == ("assignments.tasks.route_waiting_task", (), None)


@pytest.mark.django_db(transaction=True)
def test_a_failing_callback_neither_stops_the_others_nor_the_caller():
    ran = []

    def boom() -> None:
        raise RuntimeError("broker down")

    with transaction.atomic():
        after_commit.after_commit(boom)
        after_commit.after_commit(lambda: ran.append("second"))
    assert ran == ["second"]


@pytest.mark.django_db(transaction=True)
def test_schedule_at_writes_one_schedule_row_after_the_commit():
    at = now() + dt.timedelta(minutes=5)
    with transaction.atomic():
        after_commit.schedule_at(floor_tasks.route_lead_task, 9, at=at, key="route-lead-9-later")
        assert not Schedule.objects.filter(name="route-lead-9-later").exists()
    row = Schedule.objects.get(name="route-lead-9-later")
    assert (row.func, row.args, row.next_run, row.schedule_type) == (
        "assignments.tasks.route_lead_task", "(9,)", at, Schedule.ONCE)


def test_the_sales_floor_registers_its_hand_offs_and_a_missing_floor_is_named(monkeypatch):
    assert isinstance(floor_hooks.floor(), SalesFloor)
    monkeypatch.setattr(floor_hooks, "_floor", None)
    with pytest.raises(ImproperlyConfigured, match="No sales floor registered"):
        floor_hooks.floor()
