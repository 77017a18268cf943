"""Replay core (pure): run the engine over recorded decisions with a draft's rules and tally both sides."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assignments.routing import decide
from assignments.routing.facts import (
    FILTER_REASONS,
    STRATEGY_SHORT_NAMES,
    Action,
    Decision,
    LeadFacts,
    RepFacts,
    RuleSpec,
    WaitReason,
)

DIFF_LIMIT = 500  # lead-level differences kept for the result page; the count is always exact
_REASON_WORDS = dict(FILTER_REASONS)


@dataclass(frozen=True, slots=True)
class Recorded:
    """One recorded first decision: the lead and reps as the engine saw them, and what it decided."""

    lead: LeadFacts
    reps: tuple[RepFacts, ...]
    decided_at: dt.datetime
    action: str
    reason: str
    rule_name: str
    rep_ids: tuple[int, ...]


def replay_rng(*, lead_id: int, seed: int) -> random.Random:
    """The random source of one replayed lead: the same lead and seed always draw the same numbers."""
    return random.Random(seed * 1_000_003 + lead_id)


def replay_decide(*, recorded: Recorded, rules: Sequence[RuleSpec], seed: int) -> Decision:
    """What the rules would have decided for this lead at its recorded moment, with the recorded reps."""
    return decide(lead=recorded.lead, reps=recorded.reps, rules=rules, now=recorded.decided_at,
                  rng=replay_rng(lead_id=recorded.lead.id, seed=seed))


def covers(rep: RepFacts, lead: LeadFacts) -> bool:
    """True when one of the rep's territories holds the lead's country, region and postal code."""
    country, region, postal = (v.strip().casefold() for v in (lead.country, lead.region, lead.postal_code))
    for t in rep.territories:
        if t.country.strip().casefold() != country:
            continue
        if t.region and t.region.strip().casefold() != region:
            continue
        if not t.postal_prefix or postal.startswith(t.postal_prefix.strip().casefold()):
            return True
    return False


def speaks(rep: RepFacts, lead: LeadFacts) -> bool:
    language = lead.language.strip().casefold()
    return any(code.strip().casefold() == language for code in rep.languages)


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values: 0 = perfectly even, toward 1 = one takes all."""
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def _side() -> dict[str, Any]:
    return {"offered": 0, "no_rule": 0, "no_rep": 0, "offers": 0, "per_rep": {},
            "language_total": 0, "language_match": 0, "territory_total": 0, "territory_match": 0}


class Tally:
    """Running comparison of actual vs draft decisions; JSON state so a replay can resume between chunks."""

    def __init__(self, state: Mapping[str, Any] | None = None):
        state = state or {}
        self.leads: int = state.get("leads", 0)
        self.changed: int = state.get("changed", 0)
        self.actual: dict[str, Any] = state.get("actual") or _side()
        self.draft: dict[str, Any] = state.get("draft") or _side()
        self.diffs: list[dict[str, Any]] = list(state.get("diffs") or [])

    def state(self) -> dict[str, Any]:
        return {"leads": self.leads, "changed": self.changed, "actual": self.actual, "draft": self.draft,
                "diffs": self.diffs}

    def add(self, *, recorded: Recorded, draft: Decision) -> None:
        """Count one lead on both sides; remember it when the draft would have sent it elsewhere."""
        self.leads += 1
        by_id = {rep.id: rep for rep in recorded.reps}
        _count(self.actual, action=recorded.action, reason=recorded.reason, rep_ids=recorded.rep_ids,
               lead=recorded.lead, by_id=by_id)
        _count(self.draft, action=draft.action, reason=draft.reason, rep_ids=draft.rep_ids, lead=recorded.lead,
               by_id=by_id)
        if set(draft.rep_ids) != set(recorded.rep_ids) or draft.action != recorded.action:
            self.changed += 1
            if len(self.diffs) < DIFF_LIMIT:
                self.diffs.append(_diff(recorded=recorded, draft=draft))

    def result(self) -> dict[str, Any]:
        """The final comparison: per side rates and per-rep counts, plus the differing leads."""
        reps = sorted({int(r) for r in self.actual["per_rep"]} | {int(r) for r in self.draft["per_rep"]})
        return {
            "leads": self.leads,
            "changed": self.changed,
            "changed_share": _share(self.changed, self.leads),
            "actual": _summary(self.actual, leads=self.leads, reps=reps),
            "draft": _summary(self.draft, leads=self.leads, reps=reps),
            "per_rep": [{"rep_id": r, "actual": self.actual["per_rep"].get(str(r), 0),
                         "draft": self.draft["per_rep"].get(str(r), 0)} for r in reps],
            "diffs": self.diffs,
        }


def replay_tally(*, recorded: Sequence[Recorded], rules: Sequence[RuleSpec], seed: int,
                 tally: Tally | None = None) -> Tally:
    """Replay every recorded decision under `rules` into a (new or resumed) tally."""
    tally = tally or Tally()
    for item in recorded:
        tally.add(recorded=item, draft=replay_decide(recorded=item, rules=rules, seed=seed))
    return tally


def _count(side: dict[str, Any], *, action: str, reason: str, rep_ids: Sequence[int], lead: LeadFacts,
           by_id: Mapping[int, RepFacts]) -> None:
    if action != Action.OFFER:
        side["no_rule" if reason == WaitReason.NO_RULE else "no_rep"] += 1
        return
    side["offered"] += 1
    side["offers"] += len(rep_ids)
    per_rep = side["per_rep"]
    for rep_id in rep_ids:
        per_rep[str(rep_id)] = per_rep.get(str(rep_id), 0) + 1
        rep = by_id.get(rep_id)
        if rep is None:
            continue
        if lead.language.strip():
            side["language_total"] += 1
            side["language_match"] += speaks(rep, lead)
        if lead.country.strip():
            side["territory_total"] += 1
            side["territory_match"] += covers(rep, lead)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _summary(side: Mapping[str, Any], *, leads: int, reps: Sequence[int]) -> dict[str, Any]:
    counts = [side["per_rep"].get(str(r), 0) for r in reps]
    return {
        "offered": side["offered"], "no_rule": side["no_rule"], "no_rep": side["no_rep"],
        "no_rep_share": _share(side["no_rep"], leads), "no_rule_share": _share(side["no_rule"], leads),
        "offers_per_lead": _share(side["offers"], leads),
        "gini": round(gini(counts), 6),
        "top_rep_share": _share(max(counts, default=0), sum(counts)),
        "language_match_rate": _share(side["language_match"], side["language_total"]),
        "territory_match_rate": _share(side["territory_match"], side["territory_total"]),
    }


def _diff(*, recorded: Recorded, draft: Decision) -> dict[str, Any]:
    return {
        "lead_id": recorded.lead.id,
        "decided_at": recorded.decided_at.isoformat(),
        "actual": {"action": recorded.action, "rule": recorded.rule_name, "rep_ids": list(recorded.rep_ids)},
        "draft": {"action": draft.action, "rule": draft.rule_name, "rep_ids": list(draft.rep_ids),
                  "summary": draft.summary()},
        "why": _why(recorded=recorded, draft=draft),
    }


def _why(*, recorded: Recorded, draft: Decision) -> str:
    """Why the draft did not pick the rep who actually got the lead, in words."""
    if draft.rule_id is None:
        return "No draft rule matches this lead."
    if not recorded.rep_ids:
        return "Nobody got it at the time; " + ("the draft finds an eligible rep." if draft.rep_ids
                                                else "the draft finds nobody either.")
    verdicts = {c.rep_id: c for c in draft.candidates}
    parts = []
    for rep_id in recorded.rep_ids:
        verdict = verdicts.get(rep_id)
        if verdict is None and draft.tiers:
            parts.append(f"rep {rep_id} is in no open tier of draft rule '{draft.rule_name}' (open: "
                         f"{', '.join(repr(name) for name in draft.tiers)})")
        elif verdict is None:
            parts.append(f"rep {rep_id} is not in the teams of draft rule '{draft.rule_name}'")
        elif not verdict.kept:
            parts.append(f"rep {rep_id} is filtered out ({_REASON_WORDS.get(verdict.reason, verdict.reason)})")
        elif rep_id not in draft.rep_ids:
            how = STRATEGY_SHORT_NAMES.get(draft.strategy, draft.strategy)
            parts.append(f"rep {rep_id} is eligible but {how} ranks another rep first")
    if not parts:
        return "Same reps, different rule."
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]
