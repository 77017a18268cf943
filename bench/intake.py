"""Intake throughput over real HTTP: single posts and bulk batches vs a bare one-row-insert floor.

Starts uvicorn (one process, the embedded SQLite file in a temporary directory) on a free loopback port,
migrates, creates a campaign, a supplier and its key, then posts with httpx from concurrent clients.
Bounded: at most --leads per mode and --seconds per mode.

Run: .venv/bin/python bench/intake.py [--leads 2000] [--clients 8] [--batch 500] [--seconds 60]
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Row, emit, goal_verdict, options_parser, percentile, ratio  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
AREA_CODES = ["212", "213", "312", "415", "617", "702", "718", "805", "909", "972"]
SETUP = """
from campaigns.models import Campaign, Supplier
from campaigns.services import supplier_api_key_create
campaign = Campaign.objects.create(slug="bench", name="Bench")
supplier = Supplier.objects.create(name="Bench supplier", rate_limit_per_second=1_000_000)
supplier.campaigns.add(campaign)
print("SETUP", campaign.pk, supplier.pk, supplier_api_key_create(supplier=supplier, name="bench").raw_key)
"""


BENCH_REDIS_URL = "redis://127.0.0.1:6379/14"


def fresh_postgres_database(name: str) -> str:
    """Drop and create database `name` on the scale-out PostgreSQL; return its URL."""
    from tests.scale_env import fresh_database_url

    return fresh_database_url(name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lead(n: int) -> dict:
    return {"campaign": "bench", "first_name": "Ada", "last_name": f"Bench{n}", "email": f"b{n}@bench.example",
            "phone": f"+1{AREA_CODES[n % 10]}555{(n // 10) % 10000:04d}", "country": "US", "language": "en",
            "fields": {"source": "bench", "n": n}}


class Server:
    """uvicorn serving the app on a fresh SQLite file; stopped (by its pid) on exit."""

    def __init__(self, *, scale_out: bool = False, workers: int = 1):
        self.tmp = Path(tempfile.mkdtemp(prefix="leadcrm-bench-intake-"))
        self.port = free_port()
        self.workers = workers
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(DJANGO_SETTINGS_MODULE="bench.intake_settings", LEADCRM_VAR_DIR=str(self.tmp),
                        SQLITE_PATH=str(self.tmp / "bench.sqlite3"), LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
        if scale_out:
            self.env.update(DATABASE_URL=fresh_postgres_database("leadcrm_bench"), REDIS_URL=BENCH_REDIS_URL)
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=120, check=True)
        return done.stdout

    def __enter__(self) -> Server:
        self.manage("migrate", "-v0")
        setup = next(line for line in self.manage("shell", "-c", SETUP).splitlines() if line.startswith("SETUP"))
        _, campaign_id, supplier_id, self.key = setup.split()
        self.campaign_id, self.supplier_id = int(campaign_id), int(supplier_id)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "leadcrm.asgi:application", "--host", "127.0.0.1", "--port",
             str(self.port), "--log-level", "warning", "--no-access-log", "--lifespan", "off",
             "--workers", str(self.workers)],
            cwd=ROOT, env=self.env)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("uvicorn did not answer within 30 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


async def drive(url: str, headers: dict, bodies: Iterator[tuple[int, object]], *, clients: int,
                seconds: float) -> dict:
    """POST every body from `clients` concurrent connections until done or out of time."""
    answers: Counter = Counter()
    latencies: list[float] = []
    leads = 0
    deadline = time.monotonic() + seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal leads
        for count, body in bodies:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            response = await client.post(url, json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if isinstance(body, list):
                answers.update(item["status_code"] for item in response.json()["results"])
            else:
                answers[response.status_code] += 1
            leads += count

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients)) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {"leads": leads, "seconds": elapsed, "per_second": leads / elapsed if elapsed else 0.0,
            "answers": dict(answers), "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
            "p99_ms": percentile(latencies, 0.99) * 1000 if latencies else 0.0}


def main() -> int:
    parser = options_parser(__doc__, leads=(2000, "leads per mode"), clients=(8, "concurrent clients"),
                            batch=(500, "leads per bulk request"), seconds=(60.0, "time limit per mode"))
    parser.add_argument("--scale-out", action="store_true", help="PostgreSQL + Redis, 2 uvicorn workers")
    args = parser.parse_args()
    mode = "scale-out" if args.scale_out else "embedded"

    with Server(scale_out=args.scale_out, workers=2 if args.scale_out else 1) as server:
        auth = {"Authorization": f"Api-Key {server.key}"}
        floor_bodies = iter([(1, {**lead(n), "campaign_id": server.campaign_id, "supplier_id": server.supplier_id})
                             for n in range(args.leads)])
        single_bodies = iter([(1, lead(n)) for n in range(args.leads, 2 * args.leads)])
        start = 2 * args.leads
        batches = [[lead(n) for n in range(first, min(first + args.batch, start + args.leads))]
                   for first in range(start, start + args.leads, args.batch)]
        bulk_bodies = iter([(len(batch), batch) for batch in batches])
        bulk_clients = max(1, min(args.clients, len(batches)))
        floor = asyncio.run(drive(f"{server.url}/bench/floor/", {}, floor_bodies, clients=args.clients,
                                  seconds=args.seconds))
        single = asyncio.run(drive(f"{server.url}/api/v1/leads/", auth, single_bodies, clients=args.clients,
                                   seconds=args.seconds))
        bulk = asyncio.run(drive(f"{server.url}/api/v1/leads/bulk/", auth, bulk_bodies, clients=bulk_clients,
                                 seconds=args.seconds))

    def answers(result: dict) -> str:
        return " ".join(f"{code}x{n}" for code, n in sorted(result["answers"].items()))

    floor_value = f"{floor['per_second']:.0f} leads/s"
    share = single["per_second"] / floor["per_second"] if floor["per_second"] else 0.0
    if args.scale_out:  # issue 22, goal 1 (there with routing on; here the web tier alone)
        single_goal = goal_verdict(">= 220 leads/s, >= 0.8x floor, p99 <= 100 ms",
                                   single["per_second"] >= 220 and share >= 0.8 and single["p99_ms"] <= 100)
        bulk_goal = goal_verdict(">= 10,000 leads/s", bulk["per_second"] >= 10_000)  # goal 5
    else:  # goal 2's intake half
        single_goal, bulk_goal = goal_verdict("p99 <= 200 ms", single["p99_ms"] <= 200), ""
    emit([
        Row(metric=f"intake, single POST, {args.clients} clients", mode=mode,
            value=f"{single['per_second']:.0f} leads/s (p50 {single['p50_ms']:.0f} / p99 {single['p99_ms']:.0f} ms)",
            floor=floor_value, ratio=ratio(single["per_second"], floor["per_second"]), goal=single_goal,
            note=f"{server.workers} web worker(s), no task cluster; floor = bare Django view inserting one row; "
                 f"{answers(single)}"),
        Row(metric=f"intake, bulk POST ({args.batch}/req)", mode=mode, value=f"{bulk['per_second']:.0f} leads/s",
            floor=floor_value, ratio=ratio(bulk["per_second"], floor["per_second"]), goal=bulk_goal,
            note=answers(bulk)),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
