"""Idle cost: `manage.py run` with no traffic, as a share of one core, summed over the whole process tree.

Starts the product (bench.latency.Product: `run` on a fresh database with 30 reps), waits out the warm-up
(migrations, the first clock ticks), then reads every process's CPU time (utime + stime) at the start and the end of
a quiet window. Goal (issue 22): at most 1% of one core, so a laptop that runs it all day does not feel it.

    python -m bench.idle [--seconds 60] [--warmup 20] [--scale-out]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bench.common import Row, emit, goal_verdict
from bench.latency import Product
from tests.wsfloor import descendants

GOAL_SHARE_OF_CORE = 0.01


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """pid -> CPU seconds used so far (user + system), for the pids still alive."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14, 15 of stat)
    return out


def idle_share(product: Product, *, seconds: float) -> tuple[float, dict[str, float]]:
    """The whole tree's CPU over `seconds` as a share of one core, and each labelled tree's share."""
    trees = {"run": [product.process.pid], **product.process_trees()}
    pids = [pid for tree in trees.values() for pid in tree]
    before, started = cpu_seconds(pids), time.monotonic()
    time.sleep(seconds)
    after, wall = cpu_seconds(pids), time.monotonic() - started
    used = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    per_tree = {label: sum(used.get(pid, 0.0) for pid in tree) / wall for label, tree in trees.items()}
    return sum(used.values()) / wall, per_tree


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--scale-out", action="store_true")
    options = parser.parse_args()
    mode = "scale-out" if options.scale_out else "embedded"
    with Product(scale_out=options.scale_out, reps=30, capacity=5) as product:
        time.sleep(options.warmup)
        total, per_tree = idle_share(product, seconds=options.seconds)
        processes = len(descendants(product.process.pid)) + 1
    trees = ", ".join(f"{label} {share:.2%}" for label, share in sorted(per_tree.items()))
    emit([Row(metric="idle cost, no traffic (share of one core)", mode=mode, value=f"{total:.2%}",
              goal=goal_verdict("<= 1% of one core", total <= GOAL_SHARE_OF_CORE),
              note=f"{processes} processes over {options.seconds:.0f} s: {trees}")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
