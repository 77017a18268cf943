"""The managers' live board (/live/) with 2,000 leads waiting: its first paint (the server's render of the page), with
and without filters, and the waiting list's live refresh (?fragment=waiting).

Each figure stands beside its floor, a cheap authenticated API call (a manager's GET /api/v1/leads/{id}/) in the same
process and database, and the issue's goal (p50 <= 300 ms). In-process Django test client on a fresh embedded SQLite
file. Run: .venv/bin/python -m bench.live_board   (also part of `make bench`)
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, embedded_django, emit, p50_ms, page_get, ratio  # noqa: E402

WAITING = 2_000
REPS = 30
OFFERS = 300
ALERTS = 40
SAMPLES = 20
GOAL_MS = 300.0
LANGUAGES = ["en", "es", "de", "fr", "it"]


def rows() -> list[Row]:
    embedded_django("live-board", fast_passwords=True)
    from django.test import Client
    from django.utils.timezone import now

    from assignments.models import Assignment, FloorAlert
    from campaigns.models import Lead
    from tests.factories import (
        CampaignFactory,
        ManagerFactory,
        RepFactory,
        RoutingRuleFactory,
        RuleConditionFactory,
        SupplierFactory,
    )

    campaigns = [CampaignFactory() for _ in range(4)]
    supplier = SupplierFactory()
    rules = []
    for n, language in enumerate(LANGUAGES[:4]):
        rule = RoutingRuleFactory(name=f"{language} desk", order=n)
        RuleConditionFactory(rule=rule, field="language", op="eq", value=language)
        rules.append(rule)
    reps = [RepFactory(capacity=10) for _ in range(REPS)]
    at = now() - dt.timedelta(hours=6)
    Lead.objects.bulk_create(
        Lead(campaign=campaigns[n % 4], supplier=supplier, first_name="Wait", last_name=f"Er{n}", country="US",
             email=f"w{n}@example.com", phone=f"+1415{n:07d}", language=LANGUAGES[n % len(LANGUAGES)],
             status=Lead.Status.WAITING, waiting_reason="No available rep speaks the lead's language.",
             received_at=at + dt.timedelta(seconds=10 * n))
        for n in range(WAITING))
    offered = Lead.objects.bulk_create(
        Lead(campaign=campaigns[n % 4], supplier=supplier, first_name="Off", last_name=f"Ered{n}", country="US",
             email=f"o{n}@example.com", phone=f"+1416{n:07d}", language="en", status=Lead.Status.OFFERED,
             received_at=at + dt.timedelta(seconds=n), assigned_at=at + dt.timedelta(seconds=n))
        for n in range(OFFERS))
    statuses = ["offered", "accepted", "declined", "expired"]
    Assignment.objects.bulk_create(
        Assignment(lead=lead, rep=reps[n % REPS], status=statuses[n % 4], offered_at=lead.received_at,
                   expires_at=lead.received_at + dt.timedelta(minutes=2))
        for n, lead in enumerate(offered))
    waiting_ids = list(Lead.objects.filter(status=Lead.Status.WAITING).values_list("pk", flat=True)[:ALERTS])
    FloorAlert.objects.bulk_create(
        FloorAlert(kind="waiting_too_long", key=f"w{pk}", message=f"Lead #{pk} has waited too long.", lead_id=pk,
                   at=now() - dt.timedelta(minutes=n))
        for n, pk in enumerate(waiting_ids))

    client = Client()
    client.force_login(ManagerFactory())

    def get(path: str) -> Callable[[], object]:
        return page_get(client, path)

    floor = p50_ms(get(f"/api/v1/leads/{waiting_ids[0]}/"), samples=SAMPLES)
    slug = campaigns[1].slug
    figures = [
        (f"/live/ first paint, {WAITING:,} leads waiting", get("/live/"), "first page of 50, oldest first"),
        ("/live/ first paint, filter by campaign, newest first", get(f"/live/?campaign={slug}&sort=newest"),
         "campaign=<slug>&sort=newest"),
        ("/live/ first paint, filter by rule", get(f"/live/?rule={rules[2].pk}&page=3"),
         "rule=<id>&page=3: the engine's match over every waiting lead"),
        ("/live/ waiting list refresh (fragment)", get("/live/?fragment=waiting"),
         "?fragment=waiting: what the board fetches when the floor changes"),
    ]
    out = []
    for metric, call, note in figures:
        value = p50_ms(call, samples=SAMPLES)
        verdict = "meets" if value <= GOAL_MS else "misses"
        out.append(Row(metric=metric, mode="embedded", value=f"p50 {value:.1f} ms", floor=f"{floor:.1f} ms",
                       ratio=ratio(value, floor, higher_is_better=False),
                       note=f"{note}; goal p50 <= {GOAL_MS:.0f} ms ({verdict}); floor = a manager's GET "
                            f"/api/v1/leads/{{id}}/; {REPS} reps, {OFFERS} offers, {ALERTS} alerts"))
    return out


if __name__ == "__main__":
    emit(rows())
