"""Django's SQLite backend, with transactions queued on a lock file instead of on SQLite's busy handler.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps and tries again, with sleeps
growing to 100 ms, so under a steady stream of short write transactions (the routing drain's, one per lead) a
waiting writer keeps waking inside someone else's transaction and sleeping again: intake waited 600 ms at the
99th percentile while no transaction held the lock for more than about 10 ms. Here each transaction first takes
an exclusive flock on `<database>-writer`; the kernel keeps the waiters and wakes them when the holder commits,
rolls back or dies. Writes outside a transaction (autocommit) still meet SQLite's busy handler, as before.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_fd: int | None = None
        self._writer_held = False

    def _writer_lock(self) -> None:
        if self.is_in_memory_db():
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(f"{self.settings_dict['NAME']}-writer", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        self._writer_held = True

    def _writer_unlock(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            self._writer_held = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # a private hook the stubs leave out
        except BaseException:
            self._writer_unlock()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # a private hook the stubs leave out
        finally:
            self._writer_unlock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # a private hook the stubs leave out
        finally:
            self._writer_unlock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # a private hook the stubs leave out
        finally:
            self._writer_unlock()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
