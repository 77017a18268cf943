"""`manage.py floor_clock`: expire offers and send due callbacks on the second, re-offer waiting leads; safe to run
several.

On a SQLite file (embedded) an idle floor costs next to nothing: the second pass is skipped while the database
files are unchanged since the last pass and nothing it handles falls due before then (selectors_live.
second_pass_due). Every change is a write, and every write changes the files, so nothing waits longer than a
second. On PostgreSQL every second runs the pass.
"""

import datetime as dt
import logging
import signal
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.timezone import now as tz_now

from assignments import services
from assignments.selectors_live import second_pass_due
from leadcrm.db import files_stamp, sqlite_files

log = logging.getLogger(__name__)

EXPIRE_EVERY = 1.0
QUEUE_EVERY = settings.FLOOR_QUEUE_SECONDS


class Command(BaseCommand):
    help = ("Every second expire offers past their SLA and send callbacks that fell due; every 15 s release held "
            "leads, reconcile lost work and offer waiting leads (so timed relaxations apply). The per-minute "
            "django-q2 schedule is the backstop.")

    def handle(self, *args, **options):
        if settings.PROCESS_ROLE != "clock":
            # Settings are read before a command runs, so only the environment can say what this process is.
            self.stderr.write("LEADCRM_PROCESS_ROLE is not 'clock', so this floor clock is set up like a web "
                              "process and does not keep its database connection between ticks. Start it as "
                              "`LEADCRM_PROCESS_ROLE=clock manage.py floor_clock` (`manage.py run` does).")
        stopping = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopping.append(True))
        last_queue = 0.0
        gate = SecondPassGate(sqlite_files())
        while not stopping:
            started = time.monotonic()
            try:
                gate.run_if_due(services.floor_second_pass)
                if started - last_queue >= QUEUE_EVERY:
                    last_queue = started
                    services.floor_queue_pass()
            except Exception:  # a database hiccup must not stop the clock; the next tick retries
                log.exception("floor clock tick failed")
                close_old_connections()
            time.sleep(max(0.05, EXPIRE_EVERY - (time.monotonic() - started)))


class SecondPassGate:
    """Runs the second pass only when it may have work: the database files changed since the last pass, or its
    next due moment came; always when `files` is empty (not a SQLite file)."""

    def __init__(self, files: list[str]) -> None:
        self.files = files
        self.stamp: tuple[tuple[int, int], ...] | None = None
        self.due: dt.datetime | None = None

    def run_if_due(self, second_pass: Callable[[], object]) -> bool:
        """Call second_pass() if it may have work; True when it was called."""
        stamp, now = files_stamp(self.files), tz_now()
        if stamp is not None and stamp == self.stamp and (self.due is None or now < self.due):
            return False
        self.stamp = None  # a pass that fails is retried next second
        second_pass()
        if stamp is not None:
            self.due = second_pass_due(now=now)
            self.stamp = stamp  # taken before the pass: whatever was written since makes the next second look again
        return True
