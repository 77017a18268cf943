"""`manage.py simulate --rate N --duration S`: demo traffic through the real API against a running LeadCRM."""

import logging
import os

from django.core.management.base import BaseCommand, CommandError

from leadcrm.demo import demo_seed
from leadcrm.simulate import Human, floor_simulate


class Command(BaseCommand):
    help = ("Post realistic demo leads at a given rate and let the demo reps work them with human delays: accept "
            "(some decline, some let offers expire), call, note, schedule and make callbacks, qualify or nurture, "
            "and close them as won or lost with a reason. Start the server first (make run).")

    def add_arguments(self, parser):
        default_url = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        parser.add_argument("--rate", type=float, default=0.5, help="Leads per second (default 0.5).")
        parser.add_argument("--duration", type=float, default=120, help="Seconds to post for (default 120).")
        parser.add_argument("--speed", type=float, default=1.0, help="Human delays divided by this (default 1).")
        parser.add_argument("--url", default=default_url, help=f"Server base URL (default {default_url}).")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, rate: float, duration: float, speed: float, url: str, seed: int, **options):
        if rate <= 0 or duration <= 0 or speed <= 0:
            raise CommandError("--rate, --duration and --speed must be positive.")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        demo = demo_seed()  # idempotent: makes sure the demo supplier key and rep logins work
        reps = [(rep["username"], rep["password"]) for rep in demo.reps]
        self.stdout.write(f"Simulating {rate:g} leads/s for {duration:g}s against {url} with {len(reps)} reps…")
        counts = floor_simulate(base_url=url, api_key=demo.suppliers[0]["api_key"], reps=reps, rate=rate,
                                duration=duration, human=Human(speed=speed), seed=seed)
        for key, value in sorted(counts.items()):
            self.stdout.write(f"  {key:16} {value}")
