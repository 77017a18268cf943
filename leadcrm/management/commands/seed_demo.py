"""`manage.py seed_demo [--json PATH]`: load the demo floor (idempotent) and optionally write its logins."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from leadcrm.demo import demo_seed


class Command(BaseCommand):
    help = "Create or refresh the demo manager, reps, campaigns, suppliers (with API keys) and buyer."

    def add_arguments(self, parser):
        parser.add_argument("--json", metavar="PATH", help="Write the demo logins and API keys to this file.")

    def handle(self, *args, **options):
        data = demo_seed()
        if options["json"]:
            path = Path(options["json"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data.as_json(), indent=2) + "\n")
            self.stdout.write(f"Demo logins written to {path}")
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready: manager {data.manager['username']}, {len(data.reps)} reps, "
            f"{len(data.campaigns)} campaigns, {len(data.suppliers)} suppliers."
        ))
