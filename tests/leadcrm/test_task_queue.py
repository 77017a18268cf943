"""Tasks are enqueued through one django-q2 broker per process."""

import pytest
from django_q import tasks

from leadcrm import task_queue


@pytest.mark.django_db
def test_every_enqueue_goes_through_the_same_broker(monkeypatch):
    seen = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *args, **kwargs: seen.append((func, args, kwargs)) or "id")
    assert task_queue.task_enqueue("a.b", 1, task_name="one") == "id"
    task_queue.task_enqueue("a.c", 2)
    assert [(func, args) for func, args, _ in seen] == [("a.b", (1,)), ("a.c", (2,))]
    assert seen[0][2]["task_name"] == "one"
    assert seen[0][2]["broker"] is seen[1][2]["broker"] is task_queue.process_broker()
