"""`manage.py erase_person`: erase a person's leads everywhere (CONTRACT 6.5), found by lead id, email or phone."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assignments import services
from campaigns.models import Lead
from campaigns.selectors import leads_of_person


class Command(BaseCommand):
    help = ("Erase the person of the given leads, or of every lead with this email or phone: names, contacts, "
            "answers and notes are blanked everywhere; timings and counts stay for reports. Lists what it would "
            "erase unless --yes is given. --suppress keeps the person out of later intake (salted hashes).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lead", type=int, action="append", default=[], help="A lead id (repeatable).")
        parser.add_argument("--email", default="", help="Every lead with this email address.")
        parser.add_argument("--phone", default="", help="Every lead with this phone (with its +country code).")
        parser.add_argument("--suppress", action="store_true", help="Also refuse this person at intake from now on.")
        parser.add_argument("--yes", action="store_true", help="Erase (without it, only list the leads).")

    def handle(self, *args, lead: list[int], email: str, phone: str, suppress: bool, yes: bool, **options) -> None:
        if not (lead or email or phone):
            raise CommandError("Name the person: --lead ID, --email ADDRESS or --phone NUMBER.")
        found = {found.pk: found for found in leads_of_person(email=email, phone=phone)}
        found |= {found.pk: found for found in Lead.objects.filter(pk__in=lead)}
        missing = sorted(set(lead) - set(found))
        if missing:
            raise CommandError(f"No lead with id {', '.join(map(str, missing))}.")
        if not found:
            self.stdout.write("No lead matches: nothing to erase.")
            return
        for match in sorted(found.values(), key=lambda item: item.pk):
            state = f"erased {match.erased_at:%Y-%m-%d %H:%M}" if match.erased_at else match.status
            self.stdout.write(f"lead #{match.pk} ({match.campaign_id and match.campaign.slug}, {state})")
        if not yes:
            self.stdout.write(f"{len(found)} lead(s) would be erased; run again with --yes to erase them.")
            return
        for lead_id in sorted(found):
            services.lead_erase(lead_id=lead_id, by=None, suppress=suppress)
        self.stdout.write(self.style.SUCCESS(f"Erased {len(found)} lead(s)"
                                             f"{' and suppressed the person' if suppress else ''}."))
