"""Lead posted -> the rep's websocket `assignment.offered`: p50/p95/p99 at fixed open-loop rates.

Starts the real product (`manage.py run --no-seed`: uvicorn + django-q2 cluster(s) + floor clock) on a free
loopback port with a fresh database and a floor of --reps available reps (large capacity, all languages, one
catch-all rule with hour-long offers), each holding a token-authenticated `/ws/notifications/` socket. Leads are
posted on a fixed schedule (open loop, from one asyncio client: a late answer never delays the next post);
each lead's latency runs from just before its POST to the arrival of its offer on the socket of the rep the
offer names. The floor is the round trip of a `ping` on the same app socket (the consumer answers `pong`).
Embedded: SQLite, in-memory layer, one web process and one cluster. --scale-out: a fresh PostgreSQL database,
Redis (a private redis-server when installed, else REDIS_URL db 13), 2 web workers and 2 clusters.

Run: .venv/bin/python -m bench.latency [--scale-out [--redis-broker]] [--rates 10,50] [--seconds 60] [--reps 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Row, emit, goal_verdict, percentile  # noqa: E402
from tests.liveserver import ROOT, embedded_env, free_port, wait_for  # noqa: E402
from tests.wsfloor import SocketHub, descendants, floor_prepare, lead_body, peak_rss_kib  # noqa: E402

SCALE_OUT_REDIS_DB = 13
# Issue 22, goal 3, at 50 leads/s: (p50, p99) in ms.
GOALS_MS = {"embedded": (100, 500), "scale-out": (50, 250)}


class Product:
    """`manage.py run` on a fresh database with the latency floor; stopped with Ctrl-C (SIGINT to its group)."""

    def __init__(self, *, scale_out: bool, reps: int, capacity: int, redis_broker: bool = False):
        self.tmp = Path(tempfile.mkdtemp(prefix="leadcrm-bench-latency-"))
        self.scale_out, self.reps, self.capacity, self.redis_broker = scale_out, reps, capacity, redis_broker
        self.redis = None
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Product:
        extra = {"LOG_LEVEL": "WARNING"}
        if self.scale_out:
            from tests.scale_env import fresh_database_url, redis_url

            extra["DATABASE_URL"] = fresh_database_url("leadcrm_bench_latency")
            extra["Q_BROKER"] = "redis" if self.redis_broker else "orm"
            if shutil.which("redis-server"):
                from tests.faultkit import PrivateRedis

                self.redis = PrivateRedis().start()
                extra["REDIS_URL"] = self.redis.url
            else:
                extra["REDIS_URL"] = redis_url().rsplit("/", 1)[0] + f"/{SCALE_OUT_REDIS_DB}"
        port = free_port()
        self.env = embedded_env(self.tmp, PORT=str(port), **extra)
        self.floor = floor_prepare(self.env, reps=self.reps, capacity=self.capacity)
        args = ["--web-workers", "2", "--clusters", "2"] if self.scale_out else []
        self.log = open(self.tmp / "server.log", "wb")
        self.process = subprocess.Popen([sys.executable, "manage.py", "run", "--port", str(port), "--no-seed", *args],
                                        cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.url = f"http://127.0.0.1:{port}"
        wait_for(f"{self.url}/healthz", 90)
        return self

    def process_trees(self) -> dict[str, list[int]]:
        """Label -> pids of each process `run` started, with their children: web (uvicorn and its workers),
        tasks-N (a qcluster), clock."""
        out: dict[str, list[int]] = {}
        clusters = 0
        for pid in descendants(self.process.pid):
            try:
                parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, ValueError, IndexError):
                continue
            if parent != self.process.pid:
                continue  # grandchildren are counted with their top process below
            if "uvicorn" in cmd:
                label = "web"
            elif "qcluster" in cmd:
                clusters += 1
                label = f"tasks-{clusters}"
            elif "floor_clock" in cmd:
                label = "clock"
            else:
                label = "other"
            out.setdefault(label, []).extend([pid, *descendants(pid)])
        return out

    def peak_rss(self) -> dict[str, list[float]]:
        """Label -> VmHWM (MiB) of each process of each tree (process_trees)."""
        return {label: [peak_rss_kib(pid) / 1024 for pid in pids] for label, pids in self.process_trees().items()}

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.log.close()
        if self.redis is not None:
            self.redis.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


async def post_schedule(url: str, key: str, *, rate: float, count: int, first: int,
                        tag: str = "-lat") -> tuple[dict, list, list]:
    """POST `count` leads at `rate`/s on a fixed schedule; lead id -> monotonic start, POST times, failures.
    `tag` keeps each run's leads (e-mail, Idempotency-Key) apart from another run's."""
    started: dict[int, float] = {}
    post_ms: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits,
                                 headers={"Authorization": f"Api-Key {key}"}) as client:
        async def one(n: int) -> None:
            at = time.monotonic()
            for attempt in (1, 2):  # a keep-alive connection the server just closed: send again, same key
                try:
                    response = await client.post("/api/v1/leads/", json=lead_body(n, tag),
                                                 headers={"Idempotency-Key": f"latency{tag}-{n}"})
                    break
                except httpx.TransportError as error:
                    if attempt == 2:
                        failures.append(f"{type(error).__name__} {error}")
                        return
            post_ms.append((time.monotonic() - at) * 1000)
            if response.status_code == 201:
                started[response.json()["id"]] = at
            else:
                failures.append(f"{response.status_code} {response.text[:120]}")

        t0 = time.monotonic()
        tasks = []
        for i in range(count):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(first + i)))
        await asyncio.gather(*tasks)
    return started, post_ms, failures


def arrivals(hub: SocketHub) -> tuple[dict[int, float], int]:
    """Lead id -> first arrival of its offer on the right rep's socket; and how many offers named another rep."""
    first: dict[int, float] = {}
    wrong = 0
    for rep_id, messages in hub.offers().items():
        for at, message in messages:
            if message["assignment"]["rep"]["id"] != rep_id:
                wrong += 1
                continue
            lead_id = message["assignment"]["lead"]["id"]
            first[lead_id] = min(at, first.get(lead_id, at))
    return first, wrong


def measure(hub: SocketHub, product: Product, *, rate: float, seconds: float, first: int) -> dict:
    started, post_ms, failures = hub.run(post_schedule(product.url, product.floor.key, rate=rate,
                                                       count=int(rate * seconds), first=first), seconds + 120)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got, wrong = arrivals(hub)
        if all(lead in got for lead in started):
            break
        time.sleep(0.2)
    got, wrong = arrivals(hub)
    ms = [(got[lead] - at) * 1000 for lead, at in started.items() if lead in got]
    return {"latencies": ms, "lost": len(started) - len(ms), "failures": failures, "wrong": wrong,
            "post_p50": statistics.median(post_ms) if post_ms else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-out", action="store_true", help="PostgreSQL + Redis, 2 web workers, 2 clusters")
    parser.add_argument("--redis-broker", action="store_true", help="with --scale-out: Q_BROKER=redis")
    parser.add_argument("--rates", default="10,50", help="leads per second, comma-separated (default 10,50)")
    parser.add_argument("--seconds", type=float, default=60, help="seconds per rate (default 60, as issue 22 asks)")
    parser.add_argument("--reps", type=int, default=30, help="reps holding a socket (default 30)")
    args = parser.parse_args()
    mode = "scale-out" if args.scale_out else "embedded"
    if args.redis_broker and not args.scale_out:
        parser.error("--redis-broker needs --scale-out")
    rates = [float(r) for r in args.rates.split(",")]
    broker = "Redis broker" if args.redis_broker else "database broker"
    mode_label = f"{mode}, Redis broker" if args.redis_broker else mode
    total = int(sum(rates) * args.seconds) + 20
    rows: list[Row] = []

    with Product(scale_out=args.scale_out, reps=args.reps, capacity=min(30000, total),
                 redis_broker=args.redis_broker) as product:
        hub = SocketHub()
        try:
            hub.connect({rep_id: (product.url, token) for rep_id, token in product.floor.tokens.items()}, 60)
            probe = min(hub.sockets)
            hub.ping_round_trips(probe, 20)  # warm the socket path
            pings = hub.ping_round_trips(probe, 200)
            floor_p50 = statistics.median(pings)
            warm = measure(hub, product, rate=5, seconds=2, first=0)  # imports, connections, first queries
            if warm["lost"] or warm["failures"]:
                raise RuntimeError(f"warm-up failed: {warm['lost']} offers never arrived, {warm['failures'][:3]}")
            results, first = {}, 100
            for rate in rates:
                results[rate] = measure(hub, product, rate=rate, seconds=args.seconds, first=first)
                first += int(rate * args.seconds)
                time.sleep(1)
            rss = product.peak_rss()
        finally:
            hub.close()

    floor_text = f"ws ping p50 {floor_p50:.1f} ms"
    for rate, result in results.items():
        ms = result["latencies"]
        if not ms:
            rows.append(Row(metric=f"POST -> rep websocket offer, {rate:g} leads/s", mode=mode_label, value="FAILED",
                            note=f"no offer arrived; {result['failures'][:2]}"))
            continue
        p50, p95, p99 = statistics.median(ms), percentile(ms, 0.95), percentile(ms, 0.99)
        problems = []
        if result["lost"]:
            problems.append(f"{result['lost']} offers never arrived")
        if result["failures"]:
            problems.append(f"{len(result['failures'])} posts failed ({result['failures'][0]})")
        if result["wrong"]:
            problems.append(f"{result['wrong']} offers on another rep's socket")
        goal_p50, goal_p99 = GOALS_MS[mode]
        goal = goal_verdict(f"at 50/s: p50 <= {goal_p50} ms, p99 <= {goal_p99} ms",
                            p50 <= goal_p50 and p99 <= goal_p99 and not problems) if rate >= 50 else ""
        rows.append(Row(
            metric=f"POST -> rep websocket offer, {rate:g} leads/s", mode=mode_label,
            value=f"p50 {p50:.0f} / p95 {p95:.0f} / p99 {p99:.0f} ms", floor=floor_text,
            ratio=f"{floor_p50 / p50:.3f}x floor", goal=goal,
            note="; ".join([f"n={len(ms)} over {args.seconds:g} s, POST p50 {result['post_p50']:.0f} ms", broker,
                            *problems])))
    rows.append(Row(metric="websocket ping -> pong round trip (floor)", mode=mode_label,
                    value=f"p50 {floor_p50:.1f} / p99 {percentile(pings, 0.99):.1f} ms",
                    note="same server, same /ws/notifications/ socket, idle"))
    for label, mib in sorted(rss.items()):
        rows.append(Row(metric=f"peak RSS (VmHWM), {label}", mode=mode_label,
                        value=f"{max(mib):.0f} MiB max of {len(mib)} proc(s), {sum(mib):.0f} MiB total",
                        note="read before stopping; web = uvicorn (+ workers), tasks = qcluster tree"))
    emit(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
