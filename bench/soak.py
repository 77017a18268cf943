"""`make soak`: the scale-out stack under steady load for an hour, with reps accepting, calling and closing.

Starts the real product like bench.latency --scale-out (`manage.py run --web-workers 2 --clusters 2` on a fresh
PostgreSQL database and a private Redis), 30 reps each holding a token-authenticated socket. Leads are posted
at --rate per second on a fixed schedule; each offer that reaches a rep's socket is accepted, called
(`connected`) and closed as won or lost through the rep API, as a rep at a desk would. Reps have room for every
lead of the run, so offers never wait for the desk: the latency is the product's, the desk is load beside it.

It prints, for the whole run: leads posted, offered and lost (posted, answered 201, never offered) and leads
offered twice; the resident memory (VmRSS) of each process tree after the warm-up window and at the end; and the
posted-to-offered p50/p99 of each window (10 minutes by default). Not part of `make test`.

Run: .venv/bin/python -m bench.soak [--minutes 60] [--window 10] [--rate 20] [--reps 30]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import options_parser, percentile  # noqa: E402
from bench.latency import Product, post_schedule  # noqa: E402
from tests.wsfloor import SocketHub  # noqa: E402

GRACE_SECONDS = 60  # after the last post: how long an offer may still take to arrive before the lead counts lost
WORKERS = 16  # reps' API calls in flight at once


def rss_mib(product: Product) -> dict[str, float]:
    """Label -> current resident memory (VmRSS, MiB) of each top process `run` started, with its children."""
    out: dict[str, float] = {}
    for label, pids in product.process_trees().items():
        total = 0
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        out[label] = total / 1024
    return out


class Desk:
    """The reps at work: every offer that reaches a socket is accepted, called and closed through the API."""

    def __init__(self, *, url: str, tokens: dict[int, str], hub: SocketHub):
        self.url, self.tokens, self.hub = url, tokens, hub
        self.seen: dict[int, int] = {}  # rep id -> offers already taken from its socket
        self.closed = 0
        self.errors: list[str] = []
        self.queue: asyncio.Queue | None = None

    async def run(self, stop: asyncio.Event) -> None:
        self.queue = asyncio.Queue()
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as client:
            workers = [asyncio.create_task(self._work(client)) for _ in range(WORKERS)]
            while not stop.is_set():
                for rep_id, offers in self.hub.offers().items():
                    for _, message in offers[self.seen.get(rep_id, 0):]:
                        self.queue.put_nowait((rep_id, message["assignment"]))
                    self.seen[rep_id] = len(offers)
                await asyncio.sleep(0.2)
            for worker in workers:  # offers still queued stay unanswered: the desk keeps its own pace
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _work(self, client: httpx.AsyncClient) -> None:
        assert self.queue is not None
        while True:
            rep_id, assignment = await self.queue.get()
            try:
                auth = {"Authorization": f"Token {self.tokens[rep_id]}"}
                base = f"/api/v1/assignments/{assignment['id']}"
                for path, body in ((f"{base}/accept/", None), (f"{base}/contacts/",
                                                                {"channel": "call", "outcome": "connected"}),
                                   (f"{base}/contacts/", {"channel": "call",
                                                          "outcome": "won" if assignment["id"] % 3 else "lost"})):
                    response = await client.post(path, json=body, headers=auth)
                    if response.status_code >= 400:
                        self.errors.append(f"{path} {response.status_code} {response.text[:100]}")
                        break
                else:
                    self.closed += 1
            except httpx.HTTPError as error:
                self.errors.append(f"{type(error).__name__} {error}")
            finally:
                self.queue.task_done()


def offer_arrivals(hub: SocketHub) -> tuple[dict[int, float], int]:
    """Lead id -> first arrival of an offer for it; and how many leads were offered more than once."""
    first: dict[int, float] = {}
    times_offered: dict[int, int] = {}
    for offers in hub.offers().values():
        for at, message in offers:
            lead_id = message["assignment"]["lead"]["id"]
            first[lead_id] = min(at, first.get(lead_id, at))
            times_offered[lead_id] = times_offered.get(lead_id, 0) + 1
    return first, sum(1 for n in times_offered.values() if n > 1)


def main() -> int:
    args = options_parser(__doc__, minutes=(60.0, "length of the run"), window=(10.0, "minutes per reported window"),
                          rate=(20.0, "leads posted per second"), reps=(30, "reps holding a socket")).parse_args()
    windows = max(1, round(args.minutes / args.window))
    from tests.scale_env import missing_reason

    if missing := missing_reason():
        print(f"soak needs PostgreSQL + Redis: {missing}")
        return 1

    started: dict[int, float] = {}
    failures: list[str] = []
    spans: list[tuple[float, float]] = []
    # Capacity for every lead of the run: offers never wait for the desk, so the latency is the product's own.
    total = int(args.rate * args.minutes * 60) + 100
    with Product(scale_out=True, reps=args.reps, capacity=total) as product:
        hub = SocketHub()
        try:
            hub.connect({rep_id: (product.url, token) for rep_id, token in product.floor.tokens.items()}, 60)
            desk = Desk(url=product.url, tokens=product.floor.tokens, hub=hub)
            stop = asyncio.Event()
            desk_done = asyncio.run_coroutine_threadsafe(desk.run(stop), hub.loop)
            rss: dict[str, dict[str, float]] = {}
            posted, first = 0, 0
            for window in range(windows):
                begin = time.monotonic()
                count = int(args.rate * args.window * 60)
                answered, _, failed = hub.run(post_schedule(product.url, product.floor.key, rate=args.rate,
                                                            count=count, first=first, tag="-soak"),
                                              args.window * 60 + 300)
                started.update(answered)
                failures += failed
                posted = first = posted + count
                spans.append((begin, time.monotonic()))
                if window == 0:
                    rss["after warm-up"] = rss_mib(product)
                print(f"window {window + 1}/{windows} done: {posted} posted, {desk.closed} closed", flush=True)
            deadline = time.monotonic() + GRACE_SECONDS
            while time.monotonic() < deadline and not started.keys() <= offer_arrivals(hub)[0].keys():
                time.sleep(1)  # (arrivals read once a look: reading them per lead took minutes at 12,000 leads)
            rss["end"] = rss_mib(product)
            hub.loop.call_soon_threadsafe(stop.set)
            desk_done.result(120)
        finally:
            hub.close()

    arrived, offered_twice = offer_arrivals(hub)
    lost = [lead for lead in started if lead not in arrived]
    print(f"\nsoak: {args.minutes:g} min at {args.rate:g} leads/s, {args.reps} reps, PostgreSQL + Redis, "
          "2 web workers, 2 task clusters")
    print(f"leads posted {posted}, answered 201 {len(started)}, offered {len(started) - len(lost)}, "
          f"not offered {GRACE_SECONDS} s after the last post {len(lost)} (goal 0: none lost), offered twice "
          f"{offered_twice} (goal 0); post failures {len(failures)}"
          + (f" (first: {failures[0]})" if failures else ""))
    print(f"reps closed {desk.closed} leads at their own pace (each: accept, call, close); API errors "
          f"{len(desk.errors)}"
          + (f" (first: {desk.errors[0]})" if desk.errors else ""))
    print("resident memory (VmRSS, MiB), after the first window -> end (goal: growth <= 10%):")
    for label in sorted(rss["end"]):
        before, after = rss["after warm-up"].get(label, 0.0), rss["end"][label]
        growth = f"{(after - before) / before * 100:+.1f}%" if before else "n/a"
        print(f"  {label:8} {before:7.0f} -> {after:7.0f}  {growth}")
    print("posted -> offered on the rep's socket, per window (goal: the last no worse than the first):")
    per_window = []
    for n, (begin, end) in enumerate(spans, start=1):
        ms = [(arrived[lead] - at) * 1000 for lead, at in started.items() if begin <= at < end and lead in arrived]
        if ms:
            per_window.append((statistics.median(ms), percentile(ms, 0.99)))
            print(f"  window {n}: p50 {per_window[-1][0]:.0f} ms, p99 {per_window[-1][1]:.0f} ms (n={len(ms)})")
    if len(per_window) > 1:
        worse = per_window[-1][0] > per_window[0][0] * 1.1 or per_window[-1][1] > per_window[0][1] * 1.1
        print(f"last window vs first: {'worse (more than 10%)' if worse else 'no worse'}")
    return 1 if lost or offered_twice else 0


if __name__ == "__main__":
    sys.exit(main())
