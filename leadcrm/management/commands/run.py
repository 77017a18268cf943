"""`manage.py run`: migrate, load the demo, then serve HTTP + websockets and run the task cluster until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from leadcrm.demo import demo_seed

STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Start LeadCRM: the ASGI web server (uvicorn), the django-q2 task cluster and the floor clock, as child processes."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="Do not load the demo data.")
        parser.add_argument("--web-only", action="store_true", help="Do not start the task cluster and floor clock.")
        parser.add_argument("--web-workers", type=int, default=1,
                            help="uvicorn worker processes (scale-out: needs REDIS_URL so they share websockets).")
        parser.add_argument("--clusters", type=int, default=1, help="django-q2 clusters to start.")

    def handle(self, *args, host: str, port: int, no_seed: bool, web_only: bool, web_workers: int, clusters: int,
               **options):
        if web_workers > 1 and not settings.REDIS_URL:
            raise CommandError("Several web workers need REDIS_URL: the in-process channel layer cannot reach "
                               "websockets held by another process.")
        if web_workers < 1 or clusters < 0:
            raise CommandError("--web-workers must be at least 1 and --clusters at least 0.")
        call_command("migrate", interactive=False, verbosity=0)
        demo = None if no_seed else demo_seed()
        self._banner(host, port, demo)
        children = [self._spawn("web", [sys.executable, "-m", "uvicorn", "leadcrm.asgi:application",
                                         "--host", host, "--port", str(port), "--ws", "websockets",
                                         "--lifespan", "auto", "--no-access-log",
                                         "--workers", str(web_workers)])]
        if not web_only:
            children += [self._spawn(f"tasks-{n + 1}", [sys.executable, "manage.py", "qcluster"])
                         for n in range(clusters)]
            children.append(self._spawn("clock", [sys.executable, "manage.py", "floor_clock"]))
        code = self._supervise(children)
        sys.exit(code)

    def _spawn(self, name: str, argv: list[str]) -> tuple[str, subprocess.Popen]:
        return name, subprocess.Popen(argv, cwd=settings.BASE_DIR)

    def _supervise(self, children: list[tuple[str, subprocess.Popen]]) -> int:
        """Wait until Ctrl-C or a child dies, then stop every child; the exit code says which happened."""
        code = 0
        try:
            while True:
                for name, proc in children:
                    if proc.poll() is not None:
                        self.stderr.write(f"The {name} process stopped (exit {proc.returncode}); stopping LeadCRM.")
                        code = proc.returncode or 1
                        raise StopIteration
                time.sleep(0.5)
        except (KeyboardInterrupt, StopIteration):
            pass
        for _, proc in children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _, proc in children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
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
        ]
        if demo is not None:
            lines += ["", "Demo logins (password for all: {0})".format(demo.manager["password"]),
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
        lines += ["", "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
