"""Routing speed: engine decision time vs number of reps, and leads routed per second through the service.

Run: .venv/bin/python -m bench.routing   (also part of `make bench`)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assignments.routing import LeadFacts, RepFacts, RuleSpec, Territory, Tier, WorkingWindow, decide  # noqa: E402
from bench.common import Row, emit, goal_verdict, ratio  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
LANGS = ["en", "es", "de", "fr"]


def synthetic_reps(count: int, rng: random.Random) -> list[RepFacts]:
    always = tuple(WorkingWindow(weekday=d, start=dt.time(0), end=dt.time(0)) for d in range(7))
    return [
        RepFacts(id=i, active=True, status="available" if rng.random() < 0.8 else "away", timezone="America/New_York",
                 working_hours=always, days_off=frozenset(), load=rng.randint(0, 5), capacity=5,
                 languages=frozenset(rng.sample(LANGS, 2)), skills={"solar": rng.randint(1, 5)},
                 territories=(Territory(country="US"),), team_ids=frozenset({1 + i % 3}),
                 last_offered_at=NOW - dt.timedelta(seconds=rng.randint(1, 10_000)), weight=1,
                 performance=rng.random())
        for i in range(1, count + 1)
    ]


# Three teams, the third opening after 3 minutes; the leads have waited 0-5 minutes, so most decisions see all
# three tiers open (the costliest case) and some see two.
TIERS = (Tier(name="Closers", team_ids=frozenset({1}), wait_seconds=60),
         Tier(name="Desk", team_ids=frozenset({2}), wait_seconds=120),
         Tier(name="Overflow", team_ids=frozenset({3})))


def decision_times(rep_count: int, *, decisions: int = 200, strategy: str = "round_robin",
                   tiers: tuple[Tier, ...] = ()) -> dict:
    """p50/p99 milliseconds of decide() over rep_count reps in three teams: one rule over all three teams, or
    the same teams as three tiers."""
    rng = random.Random(rep_count)
    reps = synthetic_reps(rep_count, rng)
    rule = RuleSpec(id=1, name="All", order=1, active=True, conditions=(), team_ids=frozenset({1, 2, 3}),
                    strategy=strategy, require_skill=True, tiers=tiers)
    samples = []
    for n in range(decisions):
        waited = dt.timedelta(seconds=(n * 37) % 300)
        lead = LeadFacts(id=n, campaign="solar-us", supplier="s", country="US", region="", postal_code="",
                         language=LANGS[n % 4], skill="solar", fields={}, score=0, waiting_since=NOW - waited)
        started = time.perf_counter()
        decide(lead=lead, reps=reps, rules=[rule], now=NOW, rng=rng)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"reps": rep_count, "p50_ms": statistics.median(samples),
            "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))]}


def routed_per_second(*, leads: int = 400, reps: int = 50) -> float:
    """Leads/s through services.lead_route on a fresh embedded SQLite file (facts loaded from the DB each time)."""
    tmp = tempfile.mkdtemp(prefix="leadcrm-bench-")
    os.environ.update(LEADCRM_VAR_DIR=tmp, DJANGO_SETTINGS_MODULE="leadcrm.settings.local")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # set-up cost, not measured

    call_command("migrate", verbosity=0)
    from assignments import services
    from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory, SupplierFactory

    RoutingRuleFactory(name="Everyone", strategy="least_busy")
    for _ in range(reps):
        RepFactory(capacity=leads)
    campaign, supplier = CampaignFactory(), SupplierFactory()
    lead_ids = [LeadFactory(campaign=campaign, supplier=supplier).pk for _ in range(leads)]
    started = time.perf_counter()
    for lead_id in lead_ids:
        services.lead_route(lead_id=lead_id)
    return leads / (time.perf_counter() - started)


def rows() -> list[Row]:
    """Decision time at 100 / 1,000 / 10,000 reps, and routed leads/s through the service."""
    out = []
    for count in (100, 1_000, 10_000):
        t = decision_times(count, decisions=200 if count < 10_000 else 60)
        out.append(Row(metric=f"routing decision, {count:,} reps", mode="engine",
                       value=f"p50 {t['p50_ms']:.2f} ms, p99 {t['p99_ms']:.2f} ms",
                       note="pure engine: rule match, 7 filters, round robin"))
    # Side by side in one run: the same 1,000 reps as one rule over three teams (the floor) and as three tiers.
    plain, tiered = decision_times(1_000, decisions=400), decision_times(1_000, decisions=400, tiers=TIERS)
    out.append(Row(metric="routing decision, 3 tiers, 1,000 reps", mode="engine",
                   value=f"p50 {tiered['p50_ms']:.2f} ms, p99 {tiered['p99_ms']:.2f} ms",
                   floor=f"untiered p50 {plain['p50_ms']:.2f} ms",
                   ratio=ratio(tiered["p50_ms"], plain["p50_ms"], higher_is_better=False),
                   goal=goal_verdict("p50 <= 2 ms (issue 20)", tiered["p50_ms"] <= 2)))
    out.append(Row(metric="routed leads/s (lead_route, 50 reps)", mode="embedded",
                   value=f"{routed_per_second():.0f} leads/s", note="facts from DB + decide + claim + offer + outbox"))
    return out


if __name__ == "__main__":
    emit(rows())
