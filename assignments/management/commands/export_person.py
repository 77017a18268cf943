"""`manage.py export_person`: everything stored about a person, found by email or phone, as JSON (subject access)."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from assignments.selectors_privacy import person_export


class Command(BaseCommand):
    help = ("Print everything LeadCRM stores about a person (every lead with this email or phone: fields, consent, "
            "intake log, timeline, buyer deliveries, webhooks) as JSON, for a subject access request.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default="", help="The person's email address.")
        parser.add_argument("--phone", default="", help="The person's phone, with its +country code.")

    def handle(self, *args, email: str, phone: str, **options) -> None:
        if not (email.strip() or phone.strip()):
            raise CommandError("Name the person: --email ADDRESS or --phone NUMBER.")
        self.stdout.write(json.dumps(person_export(email=email, phone=phone), cls=DjangoJSONEncoder, indent=2,
                                     ensure_ascii=False))
