"""Real concurrency for tests: every job in its own thread, all released at once by a barrier."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
from django.db import connection


def run_all(jobs: list[Callable[[], object]]) -> list:
    """Run every job from its own thread (own database connection), all at once; their results in order.

    Fails the test if any job raised.
    """
    results: list = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def work(index: int) -> None:
        try:
            start.wait()
            results[index] = jobs[index]()
        except BaseException as error:  # surfaced by the assertion below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, f"{len(failures)} of {len(jobs)} jobs raised; the first: {failures[0]!r}" if failures else ""
    return results


# --- Races on a SQLite *file*: the in-memory test database cannot be shared by threads, so such a test runs
# again in a child pytest whose test database is a file (tests.campaigns.sqlite_file_settings).

SQLITE_FILE_SKIP = "runs in the child pytest of test_sqlite_file_child_run (needs a SQLite file database)"


def on_sqlite_file() -> bool:
    """True inside the child run: the test database is a SQLite file."""
    return connection.vendor == "sqlite" and not connection.is_in_memory_db()


def sqlite_file_child_run(*, test: str, database: str, scenarios: int) -> None:
    """Run `test` (a node id) in a child pytest on a SQLite file database and require `scenarios` passes.

    Skips unless this run is on in-memory SQLite (on PostgreSQL the races run in the scale pass instead).
    """
    from django.conf import settings

    if settings.DATABASE_ENGINE != "sqlite" or on_sqlite_file():
        pytest.skip("only from an in-memory SQLite run")
    env = {**os.environ, "LEADCRM_TEST_SQLITE_FILE": database}
    env.pop("DATABASE_URL", None)
    child = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider",
         "--ds", "tests.campaigns.sqlite_file_settings"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert child.returncode == 0, child.stdout[-4000:] + child.stderr[-2000:]
    assert f"{scenarios} passed" in child.stdout
