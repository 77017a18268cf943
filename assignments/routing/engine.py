"""decide(): score -> match rule -> candidates (teams, or open tiers) -> hard filters -> strategy -> Decision."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from datetime import datetime

from .conditions import match_rule, personas_in, score_lead
from .facts import Action, CandidateVerdict, Decision, LeadFacts, RepFacts, RuleSpec, ScoringRule, WaitReason
from .filters import active_relaxations, make_screen, team_candidates
from .strategies import rank
from .tiers import tier_candidates, tier_state


def decide(
    *,
    lead: LeadFacts,
    reps: Sequence[RepFacts],
    rules: Sequence[RuleSpec],
    now: datetime,
    rng: random.Random | int | None,
    scoring_rules: Sequence[ScoringRule] | None = None,
) -> Decision:
    """Route one lead; deterministic for a given rng seed. `now` must be tz-aware.

    With `scoring_rules`, the lead is re-scored first; otherwise `lead.score` is used as is.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("decide() needs a tz-aware `now`")
    if not isinstance(rng, random.Random):
        rng = random.Random(rng)
    if scoring_rules is not None:
        lead = dataclasses.replace(lead, score=score_lead(lead=lead, scoring_rules=scoring_rules))

    rule = match_rule(lead=lead, rules=rules)
    if rule is None:
        return _wait(lead=lead, now=now, reason=WaitReason.NO_RULE)

    relaxed = active_relaxations(rule=rule, lead=lead, now=now)
    screen = make_screen(lead=lead, rule=rule, now=now, relaxed=relaxed)
    tiers = tier_state(rule=rule, waited_seconds=(now - lead.waiting_since).total_seconds()) if rule.tiers else None
    if tiers is None:
        candidates, tier_of = team_candidates(reps=reps, rule=rule), None
    else:
        placed = tier_candidates(reps=reps, tiers=rule.tiers[: tiers.opened])
        candidates, tier_of = [rep for rep, _ in placed], [n for _, n in placed]
    reasons = [screen(rep) for rep in candidates]
    kept = [rep for rep, reason in zip(candidates, reasons, strict=True) if not reason]

    ranking = rank(reps=kept, rule=rule, rng=rng, now=now) if kept else None
    score_of = (ranking.scores if ranking else {}).get
    verdicts = tuple(
        [
            CandidateVerdict(rep.id, not reason, str(reason), score_of(rep.id))
            for rep, reason in zip(candidates, reasons, strict=True)
        ]
        if tier_of is None
        else [
            CandidateVerdict(rep.id, not reason, str(reason), score_of(rep.id), tier)
            for rep, reason, tier in zip(candidates, reasons, tier_of, strict=True)
        ]
    )
    return Decision(
        action=Action.OFFER.value if ranking else Action.WAIT.value,
        rep_ids=ranking.chosen if ranking else (),
        fallback_rep_ids=ranking.fallbacks if ranking else (),
        rule_id=rule.id,
        rule_name=rule.name,
        reason="" if ranking else WaitReason.NO_ELIGIBLE_REP.value,
        candidates=verdicts,
        relaxed=relaxed,
        explored=ranking.explored if ranking else False,
        score=lead.score,
        decided_at=now,
        strategy=str(rule.strategy),
        personas=personas_in(conditions=rule.conditions, lead=lead),
        tiers=tuple(t.name for t in rule.tiers[: tiers.opened]) if tiers else (),
        next_tier=rule.tiers[tiers.opened].name if tiers and tiers.next_after is not None else "",
        next_tier_after=tiers.next_after if tiers else None,
        pool=tiers.pool if tiers else False,
    )


def _wait(*, lead: LeadFacts, now: datetime, reason: str) -> Decision:
    return Decision(
        action=Action.WAIT.value,
        rep_ids=(),
        fallback_rep_ids=(),
        rule_id=None,
        rule_name="",
        reason=str(reason),
        candidates=(),
        relaxed=(),
        explored=False,
        score=lead.score,
        decided_at=now,
    )
