"""A separate process for the relay tests: `setup` a rep and a rule, or `offer N` leads like a django-q2 worker.

Run as `python -m tests.assignments.relay_worker setup|offer N` with the server's environment (same database).
Prints one JSON line.
"""

import json
import os
import sys
import time


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadcrm.settings.local")
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from assignments import services
    from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory, SupplierFactory

    if argv[0] == "setup":
        if "--migrate" in argv:
            call_command("migrate", interactive=False, verbosity=0)
        RoutingRuleFactory(name="Everyone", offer_timeout_seconds=600)
        rep = RepFactory(capacity=100)
        token = Token.objects.create(user=rep.user).key
        print(json.dumps({"rep_id": rep.pk, "token": token}))
    elif argv[0] == "offer":
        campaign, supplier = CampaignFactory(slug="relay-test"), SupplierFactory(name="Relay test")
        sent = []
        for _ in range(int(argv[1])):
            lead = LeadFactory(campaign=campaign, supplier=supplier)
            started = time.time()
            result = services.lead_route(lead_id=lead.pk)
            sent.append({"lead_id": lead.pk, "action": result.action, "started": started, "committed": time.time()})
            time.sleep(float(argv[2]) if len(argv) > 2 else 0.02)
        print(json.dumps(sent))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
