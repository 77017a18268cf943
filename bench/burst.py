"""Embedded at its maximum intake rate: does routing keep up? (issue 22, goal 2)

Starts the product (`manage.py run` on a fresh SQLite file, 30 reps on sockets with room for every lead), posts
unique leads from 8 clients as fast as the server answers for --seconds, then waits for the last offer to reach a
rep's socket. The backlog is how long after the burst ended that took; intake p99 is over the burst's POSTs.

    python -m bench.burst [--seconds 60] [--clients 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Row, emit, goal_verdict  # noqa: E402
from bench.intake import drive  # noqa: E402
from bench.latency import Product, arrivals  # noqa: E402
from tests.wsfloor import SocketHub, lead_body  # noqa: E402

WAIT_AFTER_SECONDS = 120
GOAL_BACKLOG_SECONDS, GOAL_P99_MS = 1.0, 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the burst (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    args = parser.parse_args()
    bodies = iter([(1, lead_body(n, "-burst")) for n in range(100_000)])
    with Product(scale_out=False, reps=30, capacity=100_000) as product:
        hub = SocketHub()
        try:
            hub.connect({rep_id: (product.url, token) for rep_id, token in product.floor.tokens.items()}, 60)
            result = hub.run(drive(f"{product.url}/api/v1/leads/", {"Authorization": f"Api-Key {product.floor.key}"},
                                   bodies, clients=args.clients, seconds=args.seconds), args.seconds + 120)
            ended, created = time.monotonic(), result["answers"].get(201, 0)
            while len(arrivals(hub)[0]) < created and time.monotonic() - ended < WAIT_AFTER_SECONDS:
                time.sleep(0.05)
            offered = len(arrivals(hub)[0])
            backlog = time.monotonic() - ended
        finally:
            hub.close()
    caught_up = offered >= created
    emit([Row(metric=f"burst at max intake rate, {args.seconds:g} s, routing on", mode="embedded",
              value=f"{result['per_second']:.0f} leads/s, routing backlog {backlog:.1f} s, "
                    f"intake p99 {result['p99_ms']:.0f} ms",
              goal=goal_verdict(f"backlog <= {GOAL_BACKLOG_SECONDS:g} s, intake p99 <= {GOAL_P99_MS} ms",
                                caught_up and backlog <= GOAL_BACKLOG_SECONDS and result["p99_ms"] <= GOAL_P99_MS),
              note=f"{created} leads created, {offered} offered on a socket"
                   + ("" if caught_up else f" ({created - offered} not within {WAIT_AFTER_SECONDS} s)")
                   + f"; {args.clients} clients; answers {result['answers']}")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
