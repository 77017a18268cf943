"""Experiment statistics (pure): Wilson intervals, two-proportion z-tests, sample sizes and a verdict in words."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Z_95 = 1.959963984540054  # two-sided 95 %
Z_POWER_80 = 0.8416212335729143  # one-sided 80 % power
ALPHA = 0.05
MIN_EFFECT = 0.02  # smallest difference (absolute) worth detecting when the observed rates are equal
MIN_LEADS = 30  # per variant, before any verdict: the normal approximation is poor below this
FAST_SECONDS = 300  # "speed to lead within 5 minutes"

# (key, words for the verdict: "<variant> <better> than <control>")
RATE_METRICS = (
    ("converted", "converts better", "converts worse", "conversion"),
    ("contacted", "reaches more leads", "reaches fewer leads", "contact rate"),
    ("fast", "contacts more leads within 5 min", "contacts fewer leads within 5 min", "speed to lead"),
)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when there is no data."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def two_proportion_z_test(s1: int, n1: int, s2: int, n2: int) -> tuple[float, float]:
    """(z, two-sided p) for p2 - p1 with the pooled standard error; (0, 1) when undefined."""
    if n1 <= 0 or n2 <= 0:
        return 0.0, 1.0
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (s2 / n2 - s1 / n1) / se
    return z, 2 * (1 - normal_cdf(abs(z)))


def sample_size_per_group(p1: float, p2: float) -> int:
    """Leads per variant to detect p1 vs p2 at 95 % confidence with 80 % power (two-sided)."""
    if p1 == p2:
        p2 = p1 + MIN_EFFECT if p1 + MIN_EFFECT <= 1 else p1 - MIN_EFFECT
    mean = (p1 + p2) / 2
    top = Z_95 * math.sqrt(2 * mean * (1 - mean)) + Z_POWER_80 * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(top * top / ((p1 - p2) ** 2))


@dataclass(frozen=True)
class VariantData:
    """What happened to one variant's leads; speeds = seconds from receipt to first contact, contacted leads only."""

    name: str
    leads: int
    contacted: int
    converted: int
    speeds: Sequence[float] = field(default_factory=tuple)

    @property
    def fast(self) -> int:
        return sum(1 for s in self.speeds if s <= FAST_SECONDS)


def _rate(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(successes, n)
    return {"successes": successes, "n": n, "rate": successes / n if n else None, "low": low, "high": high}


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def compare(control: VariantData, other: VariantData, *, key: str) -> dict[str, Any]:
    """One rate of `other` vs `control`: z-test, the leads still needed, and a plain-language verdict."""
    better, worse, label = next((b, w, lbl) for k, b, w, lbl in RATE_METRICS if k == key)
    s1, n1 = getattr(control, key), control.leads
    s2, n2 = getattr(other, key), other.leads
    z, p = two_proportion_z_test(s1, n1, s2, n2)
    if n1 == 0 or n2 == 0:
        base = (s1 + s2) / (n1 + n2) if n1 + n2 else 0.1
        per_group = max(sample_size_per_group(base, base), MIN_LEADS)
    else:
        per_group = max(sample_size_per_group(s1 / n1, s2 / n2), MIN_LEADS)
    needed = max(0, per_group - n1) + max(0, per_group - n2)
    significant = p < ALPHA and min(n1, n2) >= MIN_LEADS
    r1, r2 = (s1 / n1 if n1 else 0.0), (s2 / n2 if n2 else 0.0)
    if significant:
        words = better if z > 0 else worse
        verdict = (f"Variant {other.name} {words} than {control.name}, 95% confident "
                   f"({_percent(r2)} vs {_percent(r1)}, p = {p:.3f}).")
    elif needed:
        verdict = f"Not enough data yet: ~{needed:,} more leads needed."
    else:
        verdict = (f"No clear difference in {label} between {other.name} and {control.name} "
                   f"({_percent(r2)} vs {_percent(r1)}, p = {p:.2f}).")
    return {"metric": key, "z": z, "p": p, "significant": significant, "more_needed": needed if not significant else 0,
            "verdict": verdict}


def experiment_report(variants: Sequence[VariantData]) -> dict[str, Any]:
    """Per-variant rates with 95 % Wilson intervals, each challenger vs the first (control), and a headline."""
    rows = []
    for v in variants:
        rows.append({
            "name": v.name, "leads": v.leads,
            "median_speed": statistics.median(v.speeds) if v.speeds else None,
            "fast": _rate(v.fast, v.leads), "contacted": _rate(v.contacted, v.leads),
            "converted": _rate(v.converted, v.leads),
        })
    comparisons: list[dict[str, Any]] = []
    if len(variants) >= 2:
        control = variants[0]
        for other in variants[1:]:
            comparisons.append({"control": control.name, "variant": other.name,
                                "metrics": {key: compare(control, other, key=key) for key, *_ in RATE_METRICS}})
    headline = " ".join(c["metrics"]["converted"]["verdict"] for c in comparisons) or "Add a second variant."
    return {"variants": rows, "comparisons": comparisons, "headline": headline}
