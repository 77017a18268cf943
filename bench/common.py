"""What every bench module shares: the row shape, JSON hand-off to `make bench`, a process's peak RSS, and an
embedded Django on a fresh database."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

MARK = "BENCH-ROWS "


@dataclass
class Row:
    metric: str
    mode: str  # "embedded" or "scale-out" or "engine"
    value: str
    floor: str = ""
    ratio: str = ""
    note: str = ""
    goal: str = ""  # issue 22's goal for this figure and whether this run met it (goal_verdict)


def options_parser(doc: str, **numbers: tuple[float, str]) -> argparse.ArgumentParser:
    """A bench's command line: the first line of doc describes it, and each name=(default, help) adds an option
    --name (underscores as dashes) of the default's type, its help ending in "(default N)"."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, (default, text) in numbers.items():
        shown = default if isinstance(default, int) else f"{default:g}"
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default,
                            help=f"{text} (default {shown})")
    return parser


def goal_verdict(goal: str, met: bool) -> str:
    """A goal beside its verdict: "p50 <= 50 ms: met"."""
    return f"{goal}: {'met' if met else 'missed'}"


def ratio(value: float, floor: float, *, higher_is_better: bool = True) -> str:
    """value as a share of its floor ("0.62x floor"), oriented so 1.00x means as good as the floor."""
    if not floor or not value:
        return ""
    share = value / floor if higher_is_better else floor / value
    return f"{share:.2f}x floor"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of values (share 0.99: p99)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def peak_rss_mb(*, children: bool = False) -> float:
    """Peak resident memory of this process (or of its waited-for children) in MiB."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_maxrss / 1024


def emit(rows: list[Row]) -> None:
    """Print rows for a person, then one machine-readable line for the aggregator."""
    for row in rows:
        print(f"{row.metric:48} {row.mode:10} {row.value:34} {row.ratio:14} {row.goal} {row.note}".rstrip())
    print(MARK + json.dumps([asdict(row) for row in rows]))
    sys.stdout.flush()


def embedded_django(name: str, *, fast_passwords: bool = False) -> None:
    """Set Django up in embedded mode (local settings, no DATABASE_URL) on a freshly migrated database in a new
    temporary folder named leadcrm-bench-<name>-*; fast_passwords: MD5 hashing, for benches that sign people in."""
    os.environ.update(LEADCRM_VAR_DIR=tempfile.mkdtemp(prefix=f"leadcrm-bench-{name}-"),
                      DJANGO_SETTINGS_MODULE="leadcrm.settings.local")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if fast_passwords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)


def p50_ms(call: Callable[[], object], *, samples: int) -> float:
    """The median wall time of `call` in ms over `samples` runs, after one warm-up run (query plans, templates)."""
    call()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def page_get(client: Any, path: str) -> Callable[[], object]:
    """A call that GETs `path` with the Django test client and insists on a 200 (for p50_ms)."""
    def call() -> object:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response
    return call
