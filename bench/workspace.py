"""The rep's workspace: "My leads" for a rep owning 5,000 leads, the timeline of a lead with 200 events, and the
open pool's listing with 5,000 leads in it.

Each figure stands beside its floor, the cheapest authenticated API call (GET /api/v1/me/) in the same process
and database, and the issue's goal. In-process Django test client on a fresh embedded SQLite file.
Run: .venv/bin/python -m bench.workspace   (also part of `make bench`)
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, embedded_django, emit, p50_ms, page_get, ratio  # noqa: E402

OWNED = 5_000
POOLED = 5_000
TIMELINE_EVENTS = 200
SAMPLES = 30


def rows() -> list[Row]:
    embedded_django("workspace", fast_passwords=True)
    from django.test import Client
    from django.utils.timezone import now

    from assignments.models import Assignment, Callback, ContactAttempt, LeadNote, LeadStageChange, RoutingRule
    from campaigns.models import Lead
    from tests.factories import CampaignFactory, RepFactory, RoutingRuleFactory, SupplierFactory

    rep = RepFactory(capacity=50)
    campaigns = [CampaignFactory() for _ in range(4)]
    supplier = SupplierFactory()
    at = now() - dt.timedelta(days=30)
    stages = ["assigned", "contacted", "qualified", "nurture", "unqualified", "won", "lost"]
    Lead.objects.bulk_create(
        Lead(campaign=campaigns[n % 4], supplier=supplier, first_name="Ada", last_name=f"Lovelace{n}",
             email=f"ada{n}@example.com", phone=f"+1415{n:07d}", country="US", language="en",
             status=stages[n % len(stages)], owner=rep.user, received_at=at + dt.timedelta(minutes=n),
             assigned_at=at, accepted_at=at)
        for n in range(OWNED))
    owned = list(Lead.objects.filter(owner=rep.user).values_list("pk", flat=True))
    Callback.objects.bulk_create(Callback(lead_id=pk, created_by=rep.user, due_at=now() + dt.timedelta(hours=n % 48))
                                 for n, pk in enumerate(owned[::3]))

    # The open pool: a free-pick rule and 5,000 leads in the pool, in four languages (the rep speaks one).
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    Lead.objects.bulk_create(
        Lead(campaign=campaigns[n % 4], supplier=supplier, first_name="Pia", last_name=f"Pool{n}",
             phone=f"+1628{n:07d}", country="US", language=("en", "es", "de", "fr")[n % 4], status="pool",
             received_at=at + dt.timedelta(minutes=n), pooled_at=at + dt.timedelta(minutes=n))
        for n in range(POOLED))

    busy = Lead.objects.get(pk=owned[0])
    offer = Assignment.objects.create(lead=busy, rep=rep, status="accepted", offered_at=at, responded_at=at,
                                      expires_at=at + dt.timedelta(minutes=2))
    per_kind = TIMELINE_EVENTS // 4
    ContactAttempt.objects.bulk_create(ContactAttempt(assignment=offer, lead=busy, rep=rep, channel="call",
                                                      outcome="no_answer", at=at + dt.timedelta(hours=n))
                                       for n in range(per_kind))
    LeadNote.objects.bulk_create(LeadNote(lead=busy, author=rep.user, text=f"note {n}", at=at + dt.timedelta(hours=n))
                                 for n in range(per_kind))
    Callback.objects.bulk_create(Callback(lead=busy, created_by=rep.user, due_at=now() + dt.timedelta(days=1),
                                          created_at=at + dt.timedelta(hours=n)) for n in range(per_kind))
    LeadStageChange.objects.bulk_create(LeadStageChange(lead=busy, from_status="contacted", to_status="nurture",
                                                        by=rep.user, at=at + dt.timedelta(hours=n))
                                        for n in range(per_kind))

    client = Client()
    client.force_login(rep.user)

    def get(path: str) -> Callable[[], object]:
        return page_get(client, path)

    floor = p50_ms(get("/api/v1/me/"), samples=SAMPLES)
    figures = [
        ("my leads API, rep owning 5,000 leads", get("/api/v1/my-leads/"), 150.0, "first page of 50"),
        ("my leads API, search by name", get("/api/v1/my-leads/?q=lovelace42"), 150.0, "q=lovelace42"),
        ("my leads API, filter by stage", get("/api/v1/my-leads/?stage=qualified"), 150.0, "stage=qualified"),
        ("rep workspace page (/rep/)", get("/rep/"), 150.0, "HTML of the page"),
        (f"timeline of a lead with {TIMELINE_EVENTS} events", get(f"/api/v1/leads/{busy.pk}/timeline/"), 50.0,
         "GET /api/v1/leads/{id}/timeline/"),
        (f"pool listing, {POOLED:,} leads in the pool", get("/api/v1/pool/"), 100.0,
         "GET /api/v1/pool/; the rep speaks 1 of the 4 languages"),
    ]
    out = []
    for metric, call, goal, note in figures:
        value = p50_ms(call, samples=SAMPLES)
        verdict = "meets" if value <= goal else "misses"
        out.append(Row(metric=metric, mode="embedded", value=f"p50 {value:.1f} ms", floor=f"{floor:.1f} ms",
                       ratio=ratio(value, floor, higher_is_better=False),
                       note=f"{note}; goal p50 <= {goal:.0f} ms ({verdict}); floor = GET /api/v1/me/"))
    return out


if __name__ == "__main__":
    emit(rows())
