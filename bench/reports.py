"""Report speed on a large lead table: each report's query time on N leads with realistic timestamps.

SQLite (default): N = 200,000 leads in a temporary file. PostgreSQL (--postgres): N = 1,000,000 leads in a
scratch database `leadcrm_bench_reports` on the scale-out server (tests/scale_env.py), dropped and rebuilt.
Rows are made by one INSERT ... SELECT per table (a recursive CTE on SQLite, generate_series on PostgreSQL):
~1.25 offers and ~1.15 intake attempts per lead, 88 % contacted, a heavy tail of slow contacts, 1-6 contact
attempts per contacted lead (~2.2 on average), declines with a reason code, legacy free text or none.

Run: .venv/bin/python -m bench.reports [--leads N] [--postgres]   (also part of `make bench`)
`rows(engine=..., leads=...)` runs one measurement in a child process and returns (metric, value, note) rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_LEADS = {"sqlite": 200_000, "postgresql": 1_000_000}
BENCH_DB = "leadcrm_bench_reports"
CAMPAIGNS, SUPPLIERS, TEAMS, REPS, RULES = 20, 30, 10, 100, 5
DAYS = 90
# Issue 22, goal 4, on 1M PostgreSQL leads (ms): speed-to-lead by any group; business hours, SLA and follow-up.
GOALS_MS = {
    **dict.fromkeys(["speed-to-lead by campaign", "speed-to-lead by rep", "speed-to-lead by team",
                     "speed-to-lead by hour (America/New_York)"], 300),
    **dict.fromkeys(["speed-to-lead by campaign, business hours (New York)", "SLA by rule", "follow-up by rep",
                     "follow-up by campaign", "follow-up by campaign, business hours (New York)"], 1000),
}
WORKER_MARK = "REPORT-BENCH "


def rows(*, engine: str = "sqlite", leads: int | None = None) -> list[tuple[str, str, str, str]]:
    """(metric, value, note, goal) per report, measured in a child process on a fresh database of `engine`."""
    leads = leads or DEFAULT_LEADS[engine]
    done = subprocess.run([sys.executable, "-m", "bench.reports", "--worker", "--engine", engine,
                           "--leads", str(leads)], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    for line in done.stdout.splitlines():
        if line.startswith(WORKER_MARK):
            return [tuple(row) for row in json.loads(line[len(WORKER_MARK):])]
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    raise RuntimeError(f"report bench failed (exit {done.returncode}): {tail[0]}")


# --- worker: runs inside the child process ---------------------------------------------------------------


def _configure(engine: str) -> None:
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "leadcrm.settings.local"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    tmp = tempfile.mkdtemp(prefix="leadcrm-bench-reports-")
    os.environ["LEADCRM_VAR_DIR"] = tmp
    if engine == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(Path(tmp) / "reports.sqlite3")
        return
    import psycopg

    from tests.scale_env import database_url

    server = database_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = f"{server}/{BENCH_DB}"


def _filler(model, given: dict[str, str]) -> tuple[list[str], list[str], list]:
    """Columns, SQL values and params for an INSERT ... SELECT: `given` SQL per column, defaults for the rest."""
    from django.db import connection

    columns, values, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in given:
            values.append(given[f.column])
            continue
        default = f.get_default() if f.has_default() else (None if f.null else "")
        values.append("%s")
        params.append(f.get_db_prep_save(default, connection))
    return columns, values, params


def _series(engine: str, count: int) -> str:
    if engine == "sqlite":
        return (f"WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {count - 1}) "
                "SELECT {values} FROM s")
    return f"SELECT {{values}} FROM generate_series(0::bigint, {count - 1}) AS s(n)"


def _build(engine: str, count: int) -> dict:
    """Dimensions through the ORM, then leads, offers and attempts by bulk INSERT ... SELECT."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils.timezone import now

    from assignments.models import Assignment, ContactAttempt, ReasonCode, Rep, RoutingRule, Team
    from campaigns.models import Campaign, IntakeAttempt, Lead, Supplier

    campaigns = Campaign.objects.bulk_create(Campaign(slug=f"c{i}", name=f"Campaign {i}") for i in range(CAMPAIGNS))
    suppliers = Supplier.objects.bulk_create(Supplier(name=f"Supplier {i}") for i in range(SUPPLIERS))
    teams = Team.objects.bulk_create(Team(name=f"Team {i}") for i in range(TEAMS))
    users = get_user_model().objects.bulk_create(get_user_model()(username=f"rep{i}") for i in range(REPS))
    reps = Rep.objects.bulk_create(Rep(user=u, weight=1 + i % 3) for i, u in enumerate(users))
    for i, rep in enumerate(reps):
        rep.teams.add(teams[i % TEAMS])
    strategies = ["round_robin", "weighted", "least_busy", "broadcast", "top_performer"]
    ReasonCode.objects.bulk_create(ReasonCode(kind="decline", code=code, label=code.title())
                                   for code in ("busy", "wrong-language", "not-my-skill"))
    rules = RoutingRule.objects.bulk_create(RoutingRule(name=f"Rule {i}", order=i, strategy=strategies[i])
                                            for i in range(RULES))
    for i, rule in enumerate(rules):
        rule.teams.set(teams[2 * i:2 * i + 2])
    c0, s0, r0, ru0 = campaigns[0].pk, suppliers[0].pk, reps[0].pk, rules[0].pk
    u0 = users[0].pk
    assert [c.pk for c in campaigns] == list(range(c0, c0 + CAMPAIGNS)) and \
        [r.pk for r in reps] == list(range(r0, r0 + REPS)) and [u.pk for u in users] == list(range(u0, u0 + REPS))

    pg = engine == "postgresql"

    def ts(expr: str) -> str:
        return f"to_timestamp({expr})" if pg else f"datetime({expr}, 'unixepoch')"

    def h(k: int, mod: int, of: str = "n") -> str:
        # A deterministic scramble of the row number: same data on both engines.
        return f"((({of} * 1103515245 + {k * 12345}) %% 2147483647) %% {mod})"

    span = DAYS * 86_400
    start = int(now().timestamp()) - span
    received = f"({start} + (n * {span}) / {count})"
    offered = f"({received} + 1 + {h(1, 30)} + CASE WHEN {h(2, 100)} < 3 THEN 600 ELSE 0 END)"
    accepted_if = f"{h(3, 100)} < 90"
    contacted_if = f"{h(3, 100)} < 88"
    accepted = f"({offered} + 3 + {h(4, 120)})"
    contact = (f"({accepted} + ({h(5, 60)} * {h(5, 60)}) / 2 + CASE WHEN {h(6, 100)} < 5 THEN {h(7, 172800)} "
               f"ELSE 0 END)")
    won_if, lost_if = f"{h(8, 100)} < 12", f"{h(8, 100)} < 50"
    cursor = connection.cursor()
    started = time.perf_counter()

    lead_values = {
        "campaign_id": f"{c0} + {h(9, CAMPAIGNS)}", "supplier_id": f"{s0} + {h(10, SUPPLIERS)}",
        "received_at": ts(received), "assigned_at": ts(offered),
        "accepted_at": f"CASE WHEN {accepted_if} THEN {ts(accepted)} END",
        # What assignment_seen() stamps: the first offer's seen_at (below), the only offer ever seen.
        "first_seen_at": ts(f"{offered} + 1 + {h(14, 3)}"),
        "first_contact_at": f"CASE WHEN {contacted_if} THEN {ts(contact)} END",
        "owner_id": f"CASE WHEN {accepted_if} THEN {u0} + {h(11, REPS)} END",
        "outcome": f"CASE WHEN NOT ({contacted_if}) THEN '' WHEN {won_if} THEN 'won' WHEN {lost_if} THEN 'lost' "
                   "ELSE '' END",
        "status": f"CASE WHEN NOT ({accepted_if}) THEN 'waiting' WHEN NOT ({contacted_if}) THEN 'assigned' "
                  f"WHEN {won_if} THEN 'won' WHEN {lost_if} THEN 'lost' ELSE 'contacted' END",
        "cost": "10", "revenue": "25", "last_name": "'Bench'",
    }
    cols, values, params = _filler(Lead, lead_values)
    cursor.execute(f"INSERT INTO {Lead._meta.db_table} ({', '.join(cols)}) "
                   + _series(engine, count).format(values=", ".join(values)), params)

    # Offers: the first one (accepted by the owner, or expired), and for 25 % a declined one to another rep.
    lead_epoch = ("EXTRACT(EPOCH FROM l.assigned_at)::bigint" if pg
                  else "CAST(strftime('%%s', l.assigned_at) AS INTEGER)")
    ln = "l.id"
    first = {
        "lead_id": "l.id", "rep_id": f"COALESCE((SELECT r.id FROM assignments_rep r WHERE r.user_id = l.owner_id), "
                                      f"{r0} + {h(12, REPS, ln)})",
        "rule_id": f"{ru0} + {h(13, RULES, ln)}",
        "status": "CASE WHEN l.accepted_at IS NULL THEN 'expired' ELSE 'accepted' END",
        "offered_at": "l.assigned_at", "expires_at": ts(f"{lead_epoch} + 120"),
        "seen_at": "l.first_seen_at", "responded_at": "l.accepted_at",
    }
    mixed = f"({ln} * 31)"  # a scramble of its own: reasons, attempts and outcomes independent of the rest
    declined = {**first, "rep_id": f"{r0} + {h(15, REPS, ln)}", "status": "'declined'", "seen_at": "NULL",
                "responded_at": ts(f"{lead_epoch} + 5"),
                "decline_reason": f"CASE {h(23, 5, mixed)} WHEN 0 THEN 'busy' WHEN 1 THEN 'wrong-language' "
                                  "WHEN 2 THEN 'not-my-skill' WHEN 3 THEN 'On a call' ELSE '' END"}
    for given, where in ((first, ""), (declined, f" WHERE {h(16, 100, ln)} < 25")):
        cols, values, params = _filler(Assignment, given)
        cursor.execute(f"INSERT INTO {Assignment._meta.db_table} ({', '.join(cols)}) SELECT {', '.join(values)} "
                       f"FROM {Lead._meta.db_table} l{where}", params)

    # Contact attempts of the contacted leads (all accepted, by the owner's accepted offer): the k-th of n at
    # first_contact_at + (k - 1) * gap; the last one closes won / lost leads, some earlier ones connect.
    contact_epoch = ("EXTRACT(EPOCH FROM l.first_contact_at)::bigint" if pg
                     else "CAST(strftime('%%s', l.first_contact_at) AS INTEGER)")
    share = h(21, 100, mixed)
    tries = (f"CASE WHEN {share} < 40 THEN 1 WHEN {share} < 65 THEN 2 WHEN {share} < 80 THEN 3 "
             f"WHEN {share} < 90 THEN 4 WHEN {share} < 95 THEN 5 ELSE 6 END")
    each = "(l.id * 37 + k.k * 101)"
    contact_values = {
        "assignment_id": "a.id", "lead_id": "l.id", "rep_id": "a.rep_id", "channel": "'call'",
        "outcome": f"CASE WHEN k.k = {tries} AND l.outcome <> '' THEN l.outcome WHEN {h(24, 100, each)} < 25 "
                   f"THEN 'connected' WHEN {h(24, 100, each)} < 40 THEN 'voicemail' ELSE 'no_answer' END",
        "at": ts(f"{contact_epoch} + (k.k - 1) * (600 + {h(22, 86400, mixed)})"),
    }
    cols, values, params = _filler(ContactAttempt, contact_values)
    numbers = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(1, 7))
    cursor.execute(f"INSERT INTO {ContactAttempt._meta.db_table} ({', '.join(cols)}) SELECT {', '.join(values)} "
                   f"FROM {Lead._meta.db_table} l JOIN {Assignment._meta.db_table} a ON a.lead_id = l.id "
                   f"AND a.status = 'accepted' JOIN ({numbers}) k ON k.k <= {tries} "
                   "WHERE l.first_contact_at IS NOT NULL", params)

    attempt = {"supplier_id": "l.supplier_id", "campaign_id": "l.campaign_id", "received_at": "l.received_at",
               "outcome": "'accepted'", "lead_id": "l.id", "response_status": "201"}
    cols, values, params = _filler(IntakeAttempt, attempt)
    cursor.execute(f"INSERT INTO {IntakeAttempt._meta.db_table} ({', '.join(cols)}) SELECT {', '.join(values)} "
                   f"FROM {Lead._meta.db_table} l", params)
    refused = {"supplier_id": f"{s0} + {h(17, SUPPLIERS)}", "campaign_id": f"{c0} + {h(18, CAMPAIGNS)}",
               "received_at": ts(f"({start} + (n * {span}) / {max(1, count * 15 // 100)})"),
               "outcome": f"CASE WHEN {h(19, 3)} = 0 THEN 'duplicate' ELSE 'rejected' END",
               "reason": f"CASE WHEN {h(19, 3)} = 0 THEN '' WHEN {h(20, 2)} = 0 THEN 'suppressed' "
                         "ELSE 'invalid_contact' END", "response_status": "422"}
    cols, values, params = _filler(IntakeAttempt, refused)
    cursor.execute(f"INSERT INTO {IntakeAttempt._meta.db_table} ({', '.join(cols)}) "
                   + _series(engine, max(1, count * 15 // 100)).format(values=", ".join(values)), params)
    cursor.execute("VACUUM ANALYZE" if pg else "ANALYZE")  # steady state: visibility map set, statistics fresh
    return {"build_seconds": time.perf_counter() - started, "offers": Assignment.objects.count(),
            "attempts": IntakeAttempt.objects.count(), "contacts": ContactAttempt.objects.count()}


def _measure(engine: str, count: int) -> list[tuple[str, str, str, str]]:
    from dataclasses import replace

    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command

    # The tables straight from the models (what the migrations build, without replaying each step).
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)
    built = _build(engine, count)
    from bench.common import goal_verdict
    from reporting import selectors
    from reporting.queries.scope import ReportParams

    base = ReportParams()
    cases = [
        ("speed-to-lead by campaign", selectors.speed_to_lead_rows, replace(base, group_by="campaign")),
        ("speed-to-lead by rep", selectors.speed_to_lead_rows, replace(base, group_by="rep")),
        ("speed-to-lead by team", selectors.speed_to_lead_rows, replace(base, group_by="team")),
        ("speed-to-lead by hour (America/New_York)", selectors.speed_to_lead_rows,
         replace(base, group_by="hour", tz="America/New_York")),
        ("speed-to-lead by campaign, business hours (New York)", selectors.speed_to_lead_rows,
         replace(base, group_by="campaign", tz="America/New_York", business_hours=True)),
        ("conversion by speed", selectors.conversion_by_speed_rows, base),
        ("suppliers", selectors.supplier_rows, base),
        ("campaigns", selectors.campaign_rows, base),
        ("reps", selectors.rep_rows, base),
        ("reps fairness", selectors.rep_fairness_rows, base),
        ("reps declines by reason", selectors.rep_decline_rows, base),
        ("SLA by rule", selectors.sla_rows, replace(base, group_by="rule")),
        ("follow-up by rep", selectors.followup_rep_rows, base),
        ("follow-up by campaign", selectors.followup_campaign_rows, base),
        ("follow-up by campaign, business hours (New York)", selectors.followup_campaign_rows,
         replace(base, tz="America/New_York", business_hours=True)),
        ("won rate by contact attempts", selectors.won_by_attempts_rows, base),
    ]
    label = "SQLite" if engine == "sqlite" else "PostgreSQL"
    out = [(f"reports: build {count:,} leads ({label})", f"{built['build_seconds']:.1f} s",
            f"{built['offers']:,} offers, {built['attempts']:,} intake attempts, {built['contacts']:,} contact "
            "attempts, bulk INSERT ... SELECT", "")]
    for name, selector, params in cases:
        started = time.perf_counter()
        result = selector(params=params)
        elapsed = time.perf_counter() - started
        goal_ms = GOALS_MS.get(name) if engine == "postgresql" else None
        goal = goal_verdict(f"<= {goal_ms:,} ms on 1M leads", elapsed * 1000 <= goal_ms) if goal_ms else ""
        out.append((f"report {name} ({label}, {count:,} leads)", f"{elapsed * 1000:.0f} ms",
                    f"{len(result)} rows, whole {DAYS}-day range", goal))
    week = replace(base, group_by="campaign", since=_days_ago(7))
    started = time.perf_counter()
    result = selectors.speed_to_lead_rows(params=week)
    out.append((f"report speed-to-lead by campaign, last 7 days ({label}, {count:,} leads)",
                f"{(time.perf_counter() - started) * 1000:.0f} ms", f"{len(result)} rows", ""))
    return out


def _days_ago(days: int):
    import datetime as dt

    from django.utils.timezone import now

    return now() - dt.timedelta(days=days)


def worker(engine: str, count: int) -> None:
    _configure(engine)
    import django

    django.setup()
    try:
        result = _measure(engine, count)
    finally:
        _cleanup(engine)
    print(WORKER_MARK + json.dumps(result), flush=True)


def _cleanup(engine: str) -> None:
    from django.db import connection

    connection.close()
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()  # a pooled connection stays open after close() and would block DROP DATABASE
    if engine == "sqlite":
        import shutil

        shutil.rmtree(os.environ["LEADCRM_VAR_DIR"], ignore_errors=True)
        return
    import psycopg

    from tests.scale_env import database_url

    with psycopg.connect(database_url().rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, 1,000,000 leads by default")
    parser.add_argument("--leads", type=int, default=None)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    engine = args.engine or ("postgresql" if args.postgres else "sqlite")
    count = args.leads or DEFAULT_LEADS[engine]
    if args.worker:
        worker(engine, count)
        return 0
    from bench.common import Row, emit

    mode = "embedded" if engine == "sqlite" else "scale-out"
    emit([Row(metric=metric, mode=mode, value=value, note=note, goal=goal)
          for metric, value, note, goal in rows(engine=engine, leads=count)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
