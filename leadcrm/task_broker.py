"""The task queue's broker for the embedded default: django-q2's ORM broker, cheap to poll while idle.

Named by Q_CLUSTER["broker_class"] (settings), so django-q2 loads it in every cluster and web process; nothing
imports it directly (it imports django_q's models, which need the app registry ready).
"""

from __future__ import annotations

import time
from typing import Any

from django_q.brokers.orm import ORM
from django_q.conf import Conf

from leadcrm.db import files_stamp, sqlite_files

# On a SQLite file an empty queue is read again only when the database files changed, or at least this often.
IDLE_DEQUEUE_SECONDS = 1.0


class QuietOrmBroker(ORM):
    """django-q2's ORM broker that, on a SQLite file, skips the empty-queue query while the database files have not
    changed since the last one (a stat costs microseconds; a query, a thread's wake-up and a lock, much more). A
    task enqueued by any process changes the files, so it is dequeued at the next poll as before; a task whose
    lock (retry) runs out with nothing written waits at most IDLE_DEQUEUE_SECONDS more. On PostgreSQL it is the
    ORM broker unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._files: list[str] | None = None
        self._stamp: tuple[tuple[int, int], ...] | None = None
        self._queried_at = 0.0

    def dequeue(self) -> Any:
        if self._files is None:
            self._files = sqlite_files()
        stamp, now = files_stamp(self._files), time.monotonic()
        if stamp is not None and stamp == self._stamp and now - self._queried_at < IDLE_DEQUEUE_SECONDS:
            time.sleep(Conf.POLL)
            return None
        self._stamp, self._queried_at = stamp, now
        return super().dequeue()
