"""CSV import of leads: rows/s of the dry run and of the import through intake, next to a bare bulk insert.

A 10,000-row CSV (1 row in 20 a duplicate of an earlier one) is read, checked (the dry run, nothing written),
then imported in chunks through intake (validation, phone normalisation, suppression, dedup, caps, routing queued
on the ORM broker), then imported again (every row already imported: no lead made). The floor stores the same
number of leads with one bulk_create (no checks at all); the goal is a 10,000-row file imported in 10 s.
In process, on a fresh embedded SQLite file, or on a fresh PostgreSQL database with --postgres (found like the
scale-out tests, `python -m tests.scale_env --database-url`) or when DATABASE_URL names one.

Run: .venv/bin/python -m bench.lead_import [--rows 10000] [--postgres]   (also part of `make bench`)
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Row, emit, ratio  # noqa: E402

AREA_CODES = ["212", "213", "312", "415", "617", "702", "718", "805", "909", "972"]
GOAL_ROWS_PER_SECOND = 1000.0
BENCH_DB = "leadcrm_bench_import"


def setup_database(*, postgres: bool) -> str:
    """Point Django at a fresh database and migrate it; returns the engine's name."""
    tmp = tempfile.mkdtemp(prefix="leadcrm-bench-import-")
    os.environ.update(LEADCRM_VAR_DIR=tmp, DJANGO_SETTINGS_MODULE="leadcrm.settings.local", LOG_LEVEL="WARNING")
    if postgres:
        from tests.scale_env import fresh_database_url

        os.environ["DATABASE_URL"] = fresh_database_url(BENCH_DB)
    elif not os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return connection.vendor


def csv_file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["campaign", "first_name", "last_name", "email", "phone", "country", "language", "roof"])
    for n in range(rows):
        k = n - 7 if n % 20 == 19 else n  # a duplicate of an earlier row of the file
        writer.writerow(["bench", "Ada", f"Bench{k}", f"b{k}@bench.example",
                         f"+1{AREA_CODES[k % 10]}555{(k // 10) % 10000:04d}", "US", "en", "tile"])
    return out.getvalue().encode()


def measure(rows: int) -> list[Row]:
    from django.db import connection
    from django.utils.timezone import now

    from campaigns.models import Campaign, Lead, LeadImport, Supplier
    from campaigns.services.lead_import import lead_import_check, lead_import_rows_read, lead_import_run

    engine = connection.vendor
    campaign = Campaign.objects.create(slug="bench", name="Bench", required_fields=["phone"])
    supplier = Supplier.objects.create(name="Bench supplier")
    supplier.campaigns.add(campaign)
    floor_campaign = Campaign.objects.create(slug="bench-floor", name="Bench floor")
    content = csv_file(rows)

    started = time.perf_counter()
    Lead.objects.bulk_create([Lead(campaign=floor_campaign, supplier=supplier, first_name="Ada",
                                   last_name=f"Floor{n}", email=f"f{n}@bench.example", phone=f"+1415{n:07d}",
                                   country="US", language="en", received_at=now()) for n in range(rows)],
                             batch_size=500)
    floor = rows / (time.perf_counter() - started)

    def run_file() -> tuple[float, float, LeadImport]:
        started = time.perf_counter()
        parsed = lead_import_rows_read(content=content, file_format="csv")
        lead_import = LeadImport.objects.create(supplier=supplier, file_name="bench.csv", file_format="csv",
                                                total=len(parsed), rows=parsed)
        lead_import = lead_import_check(lead_import_id=lead_import.pk)
        checked = time.perf_counter() - started
        LeadImport.objects.filter(pk=lead_import.pk).update(status=LeadImport.Status.IMPORTING)
        started = time.perf_counter()
        lead_import = lead_import_run(lead_import_id=lead_import.pk, budget_seconds=float("inf"))
        return checked, time.perf_counter() - started, lead_import

    check_s, import_s, first = run_file()
    made = Lead.objects.filter(campaign=campaign).count()
    recheck_s, reimport_s, second = run_file()
    assert Lead.objects.filter(campaign=campaign).count() == made, "a re-run made leads"
    assert first.done == second.done == rows

    floor_text = f"{floor:,.0f} rows/s"
    mode = "embedded" if engine == "sqlite" else "postgresql"

    def row(metric: str, seconds: float, note: str) -> Row:
        value = rows / seconds
        verdict = "meets" if value >= GOAL_ROWS_PER_SECOND else "misses"
        return Row(metric=metric, mode=mode, value=f"{value:,.0f} rows/s ({seconds:.1f} s)", floor=floor_text,
                   ratio=ratio(value, floor), note=f"{note}; goal >= {GOAL_ROWS_PER_SECOND:,.0f} rows/s ({verdict}); "
                   "floor = one bulk_create of the same leads, no checks")

    counts = ", ".join(f"{name} {count}" for name, count in first.counts.items())
    return [
        row(f"CSV import, dry run of {rows:,} rows", check_s, "read + every row decided by intake, nothing written"),
        row(f"CSV import of {rows:,} rows through intake", import_s, f"chunks of 500 per transaction; {counts}"),
        row(f"CSV import, same {rows:,} rows again", reimport_s,
            f"every row already imported: no lead made (dry run {rows / recheck_s:,.0f} rows/s)"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the file (default 10000)")
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database (scale-out server)")
    args = parser.parse_args()
    setup_database(postgres=args.postgres)
    emit(measure(args.rows))
    if args.postgres:
        from django.db import connections

        connections.close_all()
        import psycopg

        from tests.scale_env import database_url

        with psycopg.connect(database_url().rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
