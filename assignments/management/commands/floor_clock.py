"""`manage.py floor_clock`: expire offers and send due callbacks on the second, re-offer waiting leads; safe to run
several."""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from assignments import services

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
        while not stopping:
            started = time.monotonic()
            try:
                services.floor_second_pass()
                if started - last_queue >= QUEUE_EVERY:
                    last_queue = started
                    services.floor_queue_pass()
            except Exception:  # a database hiccup must not stop the clock; the next tick retries
                log.exception("floor clock tick failed")
                close_old_connections()
            time.sleep(max(0.05, EXPIRE_EVERY - (time.monotonic() - started)))
