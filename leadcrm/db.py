"""Database helpers every app may use: retrying a transaction that PostgreSQL chose as a deadlock victim, and
seeing that a SQLite database changed without querying it."""

from __future__ import annotations

import functools
import logging
import os
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
ATTEMPTS = 4


def _retryable(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def retry_on_deadlock(service: Callable[P, R]) -> Callable[P, R]:
    """Run a service that opens its own transaction again when PostgreSQL aborts it as a deadlock victim.

    Several transactions update the same reps' rows (claims, releases) in an order set by routing; when two
    wait on each other PostgreSQL aborts one, and running it again is the documented remedy. Nothing of the
    aborted attempt remains: its writes rolled back and its after-commit work never ran. Inside an outer
    transaction the error propagates (only the outermost block can be retried).
    """
    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return service(*args, **kwargs)
            except OperationalError as error:
                if attempt == ATTEMPTS or connection.in_atomic_block or not _retryable(error):
                    raise
                log.warning("%s: deadlock victim, attempt %s of %s; retrying", service.__name__, attempt, ATTEMPTS)
                time.sleep(random.uniform(0.005, 0.05) * attempt)
        raise AssertionError("unreachable")
    return run


def sqlite_files() -> list[str]:
    """The files commits to the default SQLite database change (the database and its write-ahead log); [] for
    another engine or an in-memory database, whose changes cannot be seen from outside."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return []
    return [name, f"{name}-wal"]


def files_stamp(paths: list[str]) -> tuple[tuple[int, int], ...] | None:
    """(size, mtime_ns) of each path ((0, 0) when missing): a commit changes it; None when `paths` is empty."""
    if not paths:
        return None
    stamp = []
    for path in paths:
        try:
            info = os.stat(path)
            stamp.append((info.st_size, info.st_mtime_ns))
        except OSError:
            stamp.append((0, 0))
    return tuple(stamp)
