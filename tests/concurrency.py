"""Real concurrency for tests: every job in its own thread, all released at once by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable

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
    assert [r for r in results if isinstance(r, BaseException)] == []
    return results
