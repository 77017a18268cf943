"""Routing lab: replay speed (leads/s) over 100,000 recorded leads, end to end and in memory.

A month of history is simulated with the real engine (round robin, language ignored) and stored as routing
snapshots in a fresh embedded SQLite file; a draft (least busy, language and territory required) is then replayed
through the same service and chunked task steps a manager's "Replay this draft..." runs.

Run: .venv/bin/python -m bench.replay [--leads N]   (also part of `make bench`)
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assignments.lab.codec import lead_to_json, rep_profile, rep_rows  # noqa: E402
from assignments.lab.replay import Recorded, replay_tally  # noqa: E402
from assignments.routing import LeadFacts, RepFacts, RuleSpec, Territory, WorkingWindow, decide  # noqa: E402
from bench.common import Row, embedded_django, emit  # noqa: E402

START = dt.datetime(2030, 3, 1, tzinfo=dt.UTC)
DAYS = 30
REPS = 20
LANGS = ["en", "es", "de", "fr"]
COUNTRIES = ["US", "CA", "MX"]
LIVE = [RuleSpec(id=1, name="Everyone", order=1, active=True, conditions=(), team_ids=frozenset({1}),
                 strategy="round_robin", require_language=False)]


def synthetic_reps(rng: random.Random) -> list[RepFacts]:
    always = tuple(WorkingWindow(weekday=d, start=dt.time(0), end=dt.time(0)) for d in range(7))
    return [
        RepFacts(id=i, active=True, status="available", timezone="America/New_York", working_hours=always,
                 days_off=frozenset(), load=0, capacity=8, languages=frozenset(rng.sample(LANGS, 2)),
                 skills={"solar": rng.randint(1, 5)}, territories=(Territory(country=rng.choice(COUNTRIES)),),
                 team_ids=frozenset({1}), last_offered_at=None, weight=rng.randint(1, 3), performance=rng.random())
        for i in range(1, REPS + 1)
    ]


def simulate(count: int, rng: random.Random):
    """(lead facts, reps as seen, decision, decided_at) for `count` leads, the floor's state evolving as it goes."""
    import dataclasses

    reps = {r.id: r for r in synthetic_reps(rng)}
    step = dt.timedelta(seconds=DAYS * 86_400 / count)
    for n in range(count):
        at = START + step * n
        for rep_id in rng.sample(sorted(reps), 3):  # some reps finish leads, some step away or come back
            rep = reps[rep_id]
            reps[rep_id] = dataclasses.replace(rep, load=max(0, rep.load - 1),
                                               status="away" if rng.random() < 0.1 else "available")
        lead = LeadFacts(id=n + 1, campaign="solar", supplier="bench", country=rng.choice(COUNTRIES), region="",
                         postal_code="", language=rng.choice(LANGS), skill="solar", fields={}, score=0,
                         waiting_since=at)
        seen = tuple(reps.values())
        decision = decide(lead=lead, reps=seen, rules=LIVE, now=at, rng=rng)
        for rep_id in decision.rep_ids:
            rep = reps[rep_id]
            reps[rep_id] = dataclasses.replace(rep, load=rep.load + 1, last_offered_at=at)
        yield lead, seen, decision, at


def store_history(count: int) -> list[Recorded]:
    """Write `count` leads and their first-decision snapshots; returns the same history in memory."""
    from assignments.models import RepProfile, RoutingSnapshot
    from campaigns.models import Lead
    from tests.factories import CampaignFactory, SupplierFactory

    campaign, supplier = CampaignFactory(slug="solar"), SupplierFactory(name="bench")
    rng = random.Random(11)
    profile_ids: dict[str, int] = {}
    recorded, leads, snapshots = [], [], []

    def flush() -> None:
        created = Lead.objects.bulk_create(leads, batch_size=2000)
        for lead, snapshot in zip(created, snapshots, strict=True):
            snapshot.lead_id = lead.pk
            snapshot.lead_facts["id"] = lead.pk
        RoutingSnapshot.objects.bulk_create(snapshots, batch_size=2000)
        leads.clear()
        snapshots.clear()

    for facts, reps, decision, at in simulate(count, rng):
        for rep in reps:
            profile, digest = rep_profile(rep)
            if digest not in profile_ids:
                profile_ids[digest] = RepProfile.objects.create(digest=digest, data=profile).pk
        leads.append(Lead(campaign=campaign, supplier=supplier, country=facts.country, language=facts.language,
                          skill=facts.skill, received_at=at, status=Lead.Status.OFFERED))
        snapshots.append(RoutingSnapshot(
            decided_at=at, first=True, rule_name=decision.rule_name, action=decision.action, reason=decision.reason,
            rep_ids=list(decision.rep_ids), lead_facts=lead_to_json(facts),
            reps=rep_rows(reps=reps, profile_ids=profile_ids, now=at)))
        recorded.append(Recorded(lead=facts, reps=reps, decided_at=at, action=decision.action,
                                 reason=decision.reason, rule_name=decision.rule_name, rep_ids=decision.rep_ids))
        if len(leads) >= 10_000:
            flush()
    flush()
    return recorded


def draft_rules() -> list[RuleSpec]:
    return [RuleSpec(id=1, name="Language first", order=1, active=True, conditions=(), team_ids=frozenset({1}),
                     strategy="least_busy", require_language=True, require_territory=True)]


def measure(count: int) -> list[Row]:
    embedded_django("replay")
    from assignments.lab import services
    from assignments.models import DraftRule, Ruleset

    started = time.perf_counter()
    history = store_history(count)
    stored_s = time.perf_counter() - started

    started = time.perf_counter()
    tally = replay_tally(recorded=history, rules=draft_rules(), seed=0)
    core_rate = count / (time.perf_counter() - started)

    draft = Ruleset.objects.create(name="Language first")
    DraftRule.objects.create(ruleset=draft, name="Language first", order=1, strategy="least_busy",
                             require_language=True, require_territory=True)
    started = time.perf_counter()
    run = services.replay_run_start(ruleset=draft, since=START.date(), until=(START + dt.timedelta(days=DAYS)).date())
    steps = 0
    while services.replay_run_step(run_id=run.pk) == "running":
        steps += 1
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    result = run.state["result"]
    assert run.status == "done" and result["leads"] == count, (run.status, run.error)
    assert result["changed"] == tally.result()["changed"], "the service and the core disagree"
    note = (f"{REPS} reps; {result['changed']:,} leads would move; snapshots load + decode + decide + tally, "
            f"{steps + 1} task steps; storing the history took {stored_s:.0f} s")
    return [
        Row(metric=f"replay leads/s ({count:,} recorded leads)", mode="embedded",
            value=f"{count / elapsed:,.0f} leads/s ({elapsed:.1f} s)", note=note),
        Row(metric=f"replay core leads/s ({count:,} leads in memory)", mode="engine",
            value=f"{core_rate:,.0f} leads/s", note="decide() over recorded reps + tally, no database"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    emit(measure(args.leads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
