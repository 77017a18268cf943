"""`manage.py run`: migrate, load the demo, then serve HTTP + websockets and run the task cluster until Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from leadcrm.demo import demo_seed

STOP_GRACE_SECONDS = 10
MAX_RESTARTS = 5  # per minute, per child
# Tells each child's settings which process it is (leadcrm/settings/base.py: the cluster and the clock keep their
# database connection, web processes borrow from a pool).
ROLE_VARIABLE = "LEADCRM_PROCESS_ROLE"
# The children's log level (leadcrm/settings/base.py reads it): warnings and errors unless asked for more, so the
# terminal shows the banner and what needs attention, not a line for every scheduled task every 30 s.
LOG_LEVEL_VARIABLE = "LOG_LEVEL"
QUIET_LEVEL = "WARNING"
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
# Where alert emails link to (leadcrm/settings/base.py reads it).
BASE_URL_VARIABLE = "LEADCRM_BASE_URL"


@dataclass
class Child:
    """A process `run` keeps alive."""

    name: str
    argv: list[str]
    role: str
    process: subprocess.Popen
    restarts: list[float] = field(default_factory=list)
    log_level: str = ""  # empty: as in our environment
    base_url: str = ""  # LEADCRM_BASE_URL for the child; empty: as in our environment

    def may_restart(self) -> bool:
        now = time.monotonic()
        self.restarts = [at for at in self.restarts if now - at < 60]
        if len(self.restarts) >= MAX_RESTARTS:
            return False
        self.restarts.append(now)
        return True


def child_env(role: str, log_level: str = "", base_url: str = "") -> dict[str, str]:
    """The environment of a child: ours, with its process role (web, tasks or clock), log level and base URL."""
    return {**os.environ, ROLE_VARIABLE: role, **({LOG_LEVEL_VARIABLE: log_level} if log_level else {}),
            **({BASE_URL_VARIABLE: base_url} if base_url else {})}


def _reachable(host: str) -> str:
    """A host a browser can open: the loopback address for a server listening on every interface."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def log_level_for(*, verbose: bool) -> str:
    """INFO with --verbose; else LOG_LEVEL if set; else only warnings and errors."""
    if verbose:
        return "INFO"
    level = os.environ.get(LOG_LEVEL_VARIABLE, "").strip().upper() or QUIET_LEVEL
    if level not in LOG_LEVELS:
        raise CommandError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {level!r}).")
    return level


def _start(argv: list[str], role: str, log_level: str = "", base_url: str = "") -> subprocess.Popen:
    # Each child leads its own process group: a terminal's Ctrl-C reaches only `run`, which then signals each child
    # exactly once (a django-q2 cluster hit by a second signal while stopping can hang for good), and a child that
    # does not stop in time is killed with everything under it.
    return subprocess.Popen(argv, cwd=settings.BASE_DIR, process_group=0, env=child_env(role, log_level, base_url))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = ("Start LeadCRM: the ASGI web server (uvicorn), the django-q2 task cluster and the floor clock, "
            "as child processes.")
    log_level = ""  # the children's, set by handle(): empty = as in our environment
    base_url = ""  # the children's LEADCRM_BASE_URL, set by handle()

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not load the demo data.")
        parser.add_argument("--web-only", action="store_true", help="Do not start the task cluster and floor clock.")
        parser.add_argument("--web-workers", type=int, default=1,
                            help="uvicorn worker processes (scale-out: needs REDIS_URL so they share websockets).")
        parser.add_argument("--clusters", type=int, default=1, help="django-q2 clusters to start.")
        parser.add_argument("--verbose", action="store_true",
                            help="Log every background task and server event (INFO); by default only warnings and "
                                 "errors are printed (or the level LOG_LEVEL names).")

    def handle(self, *args, host: str, port: int, no_seed: bool, web_only: bool, web_workers: int, clusters: int,
               verbose: bool = False, **options):
        if web_workers > 1 and not settings.REDIS_URL:
            raise CommandError("Several web workers need REDIS_URL: the in-process channel layer cannot reach "
                               "websockets held by another process.")
        if web_workers < 1 or clusters < 0:
            raise CommandError("--web-workers must be at least 1 and --clusters at least 0.")
        self.log_level = log_level_for(verbose=verbose)
        # A SIGTERM to `run` (a service manager) stops the children like Ctrl-C instead of orphaning them.
        signal.signal(signal.SIGTERM, _interrupt)
        # Links in alert emails lead here unless LEADCRM_BASE_URL says otherwise (the children read it).
        self.base_url = os.environ.get(BASE_URL_VARIABLE) or f"http://{_reachable(host)}:{port}"
        call_command("migrate", interactive=False, verbosity=0)
        demo = None if no_seed else demo_seed()
        self._banner(host, port, demo)
        children = [self._spawn("web", "web", [sys.executable, "-m", "uvicorn", "leadcrm.asgi:application",
                                                "--host", host, "--port", str(port), "--ws", "websockets",
                                                "--lifespan", "auto", "--no-access-log", "--ws-max-size", "65536",
                                                "--workers", str(web_workers),
                                                "--log-level", self.log_level.lower()])]
        if not web_only:
            children += [self._spawn(f"tasks-{n + 1}", "tasks", [sys.executable, "manage.py", "qcluster"])
                         for n in range(clusters)]
            children.append(self._spawn("clock", "clock", [sys.executable, "manage.py", "floor_clock"]))
        code = self._supervise(children)
        sys.exit(code)

    def _spawn(self, name: str, role: str, argv: list[str]) -> Child:
        return Child(name=name, argv=argv, role=role, process=_start(argv, role, self.log_level, self.base_url),
                     base_url=self.base_url,
                     log_level=self.log_level)

    def _supervise(self, children: list[Child]) -> int:
        """Restart a child that dies (at most MAX_RESTARTS a minute) until Ctrl-C, then stop them all."""
        code = 0
        try:
            while True:
                for child in children:
                    if child.process.poll() is None:
                        continue
                    if not child.may_restart():
                        self.stderr.write(f"The {child.name} process keeps stopping (exit {child.process.returncode});"
                                          " stopping LeadCRM.")
                        code = child.process.returncode or 1
                        raise StopIteration
                    self.stderr.write(f"The {child.name} process stopped (exit {child.process.returncode}); "
                                      "restarting it.")
                    child.process = _start(child.argv, child.role, child.log_level, child.base_url)
                time.sleep(0.5)
        except (KeyboardInterrupt, StopIteration):
            pass
        for child in children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                # The whole tree: killing only a qcluster's main process orphaned its workers and pusher.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.stdout.write("LeadCRM stopped.")
        return code

    def _banner(self, host: str, port: int, demo) -> None:
        base = f"http://{host}:{port}"
        mode = "scale-out (PostgreSQL)" if settings.DATABASE_ENGINE == "postgresql" else "embedded (SQLite)"
        lines = [
            "",
            f"LeadCRM is starting in {mode} mode at {base}/",
            f"  Sign in        {base}/accounts/login/",
            f"  Admin          {base}/admin/",
            f"  Rep queue      {base}/rep/",
            f"  Live board     {base}/live/",
            f"  Reports        {base}/reports/",
            f"  API docs       {base}/api/docs/",
            "",
            f"Alerts by email: {settings.EMAIL_DESCRIPTION}",
        ]
        if demo is not None:
            lines += ["", f"Demo logins (password for all: {demo.manager['password']})",
                      f"  manager        {demo.manager['username']}  (staff: admin, /live/, /reports/)",
                      "  reps           " + ", ".join(rep["username"] for rep in demo.reps)]
            supplier = demo.suppliers[0]
            lines += ["", f"Supplier API key ({supplier['name']}): {supplier['api_key']}",
                      f"  curl -X POST {base}/api/v1/leads/ -H 'Authorization: Api-Key {supplier['api_key']}' \\",
                      "       -H 'Content-Type: application/json' -d '{\"campaign\": \"solar-us\", "
                      "\"first_name\": \"Ada\", \"last_name\": \"Lovelace\", \"email\": \"ada@example.com\", "
                      "\"phone\": \"+14155550123\", \"country\": \"US\"}'"]
            lines += ["", "A working floor to watch on /live/ and /reports/: in another terminal run",
                      f"  .venv/bin/python manage.py simulate --rate 1 --duration 600 --url {base}"]
        if self.log_level in ("WARNING", "ERROR", "CRITICAL"):
            lines += ["", f"Only {self.log_level.lower()} log lines and worse are shown; every background task and "
                          "server event: manage.py run --verbose (or LOG_LEVEL=INFO)."]
        lines += ["", "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
