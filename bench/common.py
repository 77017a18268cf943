"""What every bench module shares: the row shape, JSON hand-off to `make bench`, and a process's peak RSS."""

from __future__ import annotations

import json
import resource
import sys
from dataclasses import asdict, dataclass

MARK = "BENCH-ROWS "


@dataclass
class Row:
    metric: str
    mode: str  # "embedded" or "scale-out" or "engine"
    value: str
    floor: str = ""
    ratio: str = ""
    note: str = ""


def ratio(value: float, floor: float, *, higher_is_better: bool = True) -> str:
    """value as a share of its floor ("0.62x floor"), oriented so 1.00x means as good as the floor."""
    if not floor or not value:
        return ""
    share = value / floor if higher_is_better else floor / value
    return f"{share:.2f}x floor"


def peak_rss_mb(*, children: bool = False) -> float:
    """Peak resident memory of this process (or of its waited-for children) in MiB."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_maxrss / 1024


def emit(rows: list[Row]) -> None:
    """Print rows for a person, then one machine-readable line for the aggregator."""
    for row in rows:
        print(f"{row.metric:48} {row.mode:10} {row.value:34} {row.ratio:14} {row.note}")
    print(MARK + json.dumps([asdict(row) for row in rows]))
    sys.stdout.flush()
