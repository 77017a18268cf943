"""The one way to start work after the current transaction commits: a callback, a queued task, a scheduled task.

Side effects (a websocket push, a django-q2 task, HTTP to a buyer) must never happen for a write that rolls back,
so every service starts them through here and nowhere else calls `transaction.on_commit`. Callbacks are robust:
one that fails is logged and neither stops the others nor fails the request. Outside a transaction (autocommit)
they run at once. Tasks are named by their function, never by a dotted string typed by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

from leadcrm.task_queue import task_enqueue


def task_path(task: Callable[..., Any]) -> str:
    """The dotted path django-q2 stores for a task function (module-level functions only)."""
    if "." in task.__qualname__ or task.__qualname__ == "<lambda>":
        raise ValueError(f"{task!r} is not a module-level function; django-q2 could not import it")
    return f"{task.__module__}.{task.__qualname__}"


def after_commit(callback: Callable[[], object]) -> None:
    """Run callback() once the current transaction commits (at once outside one); never for a rollback."""
    transaction.on_commit(callback, robust=True)


def enqueue_now(task: Callable[..., Any], *args: Any, key: str | None = None) -> str:
    """Queue task(*args) on django-q2 at once; `key` names the queued task. Prefer enqueue_on_commit."""
    from django_q.conf import Conf

    if Conf.SYNC:  # the task runs inline then, and must not run inside a transaction of ours (buyers' HTTP)
        return task_enqueue(task_path(task), *args, task_name=key)
    # Inside a (tiny) transaction the ORM broker keeps this connection instead of closing it to reconnect.
    with transaction.atomic():
        return task_enqueue(task_path(task), *args, task_name=key)


def enqueue_on_commit(task: Callable[..., Any], *args: Any, key: str | None = None) -> None:
    """Queue task(*args) on django-q2 once the current transaction commits; `key` names the queued task."""
    after_commit(partial(enqueue_now, task, *args, key=key))


def schedule_at(task: Callable[..., Any], *args: Any, at: dt.datetime, key: str) -> None:
    """Once the current transaction commits, schedule task(*args) to run once at `at`.

    A database Schedule row named `key`, so any cluster process picks it up, and a restart does not lose it.
    """
    def schedule_once() -> None:
        from django_q.models import Schedule
        from django_q.tasks import schedule

        schedule(task_path(task), *args, schedule_type=Schedule.ONCE, next_run=at, repeats=-1, name=key)

    after_commit(schedule_once)
