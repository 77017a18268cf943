"""Database helpers every app may use: retrying a transaction that PostgreSQL chose as a deadlock victim."""

from __future__ import annotations

import functools
import logging
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
