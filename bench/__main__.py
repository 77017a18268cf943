"""`make bench`: run every benchmark in its own process and print one table (also written to bench/RESULTS.md).

Scale-out rows need PostgreSQL + Redis (found like the scale-out tests: tests/scale_env.py); when they are absent
the table says so instead of guessing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.common import MARK, Row

ROOT = Path(__file__).resolve().parent.parent
# (module, extra args, needs PostgreSQL + Redis)
SUITES = [
    ("bench.intake", [], False),
    ("bench.latency", [], False),
    ("bench.routing", [], False),
    ("bench.reports", [], False),
    ("bench.buyers", [], False),
    ("bench.replay", [], False),
    ("bench.workspace", [], False),
    ("bench.lead_import", [], False),
    ("bench.live_board", [], False),
    ("bench.idle", [], False),
    ("bench.burst", [], False),
    ("bench.intake", ["--scale-out"], True),
    ("bench.latency", ["--scale-out"], True),
    ("bench.latency", ["--scale-out", "--redis-broker"], True),
    ("bench.reports", ["--postgres"], True),
    ("bench.lead_import", ["--postgres"], True),
]


def run_suite(module: str, args: list[str]) -> list[Row]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            return [Row(**row) for row in json.loads(line[len(MARK):])]
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return [Row(metric=module, mode=" ".join(args) or "embedded", value="FAILED",
                note=f"exit {done.returncode} after {time.monotonic() - started:.0f}s: {tail[0][:120]}")]


def table(rows: list[Row]) -> str:
    header = "| metric | mode | value | floor | vs floor | goal | note |\n|---|---|---|---|---|---|---|\n"
    return header + "\n".join(f"| {r.metric} | {r.mode} | {r.value} | {r.floor} | {r.ratio} | {r.goal} | {r.note} |"
                              for r in rows)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from tests.scale_env import missing_reason

    missing = missing_reason()
    rows: list[Row] = []
    for module, args, scale_out in SUITES:
        if not (ROOT / (module.replace(".", "/") + ".py")).exists():
            continue
        if scale_out and missing:
            rows.append(Row(metric=module, mode="scale-out", value="skipped", note=missing))
            continue
        print(f"running {module} {' '.join(args)}…", flush=True)
        rows.extend(run_suite(module, args))
    text = table(rows)
    print(text)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (ROOT / "bench" / "RESULTS.md").write_text(
        f"# Benchmark results\n\n`make bench` on {stamp}, 2 cores, loopback only.\n\n{text}\n")
    return 1 if any(r.value == "FAILED" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
