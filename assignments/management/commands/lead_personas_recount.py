"""`manage.py lead_personas_recount --days N`: re-file the last N days' leads under today's persona conditions."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.timezone import now

from assignments.services.personas import lead_personas_recount


class Command(BaseCommand):
    help = ("Reports group a lead by the personas it was in when first scored. After changing a persona, re-file the "
            "leads received in the last N days: each one's personas are replaced by those its stored answers and "
            "score are in now (erased leads keep theirs). Older leads keep what was recorded.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, required=True, help="Leads received in the last DAYS days (1-3650).")

    def handle(self, *args, days: int, **options) -> None:
        if not 1 <= days <= 3650:
            raise CommandError("--days must be between 1 and 3650.")
        moment = now()
        result = lead_personas_recount(since=moment - dt.timedelta(days=days), now=moment)
        self.stdout.write(self.style.SUCCESS(
            f"Re-filed {result.leads} lead(s) received in the last {days} day(s): {result.memberships} persona "
            "membership(s)."))
