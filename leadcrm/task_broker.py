"""The task queue's broker for the embedded default: django-q2's ORM broker, cheap to poll while idle.

Named by Q_CLUSTER["broker_class"] (settings), so django-q2 loads it in every cluster and web process; nothing
imports it directly (it imports django_q's models, which need the app registry ready).
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf

from leadcrm.after_commit import after_commit
from leadcrm.db import files_stamp, sqlite_files
from leadcrm.doorbell import Doorbell, ring

# On a SQLite file an empty queue is read again only when the database files changed, or at least this often.
IDLE_DEQUEUE_SECONDS = 1.0
DOORBELL = "tasks"


class QuietOrmBroker(ORM):
    """django-q2's ORM broker that, on a SQLite file, skips the empty-queue query while the database files have not
    changed since the last one (a stat costs microseconds; a query, a thread's wake-up and a lock, much more). A
    task enqueued by any process changes the files, so it is dequeued at the next poll as before; a task whose
    lock (retry) runs out with nothing written waits at most IDLE_DEQUEUE_SECONDS more.

    Between polls the dequeuing process (the cluster's pusher) sleeps on a doorbell (leadcrm.doorbell) that every
    enqueue rings once its row is committed, instead of waking every Conf.POLL to look: an idle cluster then wakes
    once a second, and a new task is taken at once. On PostgreSQL every poll asks the database, and an empty queue
    is waited on at the same doorbell for at most Conf.POLL instead of sleeping it out: a task enqueued on this
    machine is taken at once, one enqueued on another machine at the next poll as before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._files: list[str] | None = None
        self._stamp: tuple[tuple[int, int], ...] | None = None
        self._queried_at = 0.0
        self._doorbell: Doorbell | None = None

    def enqueue(self, task: Any) -> Any:
        pk = super().enqueue(task)
        after_commit(partial(ring, DOORBELL))  # a no-op where nobody listens (PostgreSQL)
        return pk

    def dequeue(self) -> Any:
        if self._files is None:
            self._files = sqlite_files()
            self._doorbell = Doorbell.listen(DOORBELL)
        if not self._files:
            return self._dequeue_or_wait()
        stamp, now = files_stamp(self._files), time.monotonic()
        if stamp is not None and stamp == self._stamp and now - self._queried_at < IDLE_DEQUEUE_SECONDS:
            if self._doorbell is not None:
                self._doorbell.wait(IDLE_DEQUEUE_SECONDS - (now - self._queried_at))
            else:
                time.sleep(Conf.POLL)
            return None
        self._stamp, self._queried_at = stamp, now
        return super().dequeue()

    def _dequeue_or_wait(self) -> Any:
        if self.get_connection().filter(key=self.list_key, lock__lt=timezone.now()).exists():
            return super().dequeue()
        if self._doorbell is not None:
            self._doorbell.wait(Conf.POLL)
        else:
            time.sleep(Conf.POLL)
        return None
