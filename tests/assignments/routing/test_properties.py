"""Property tests: whatever the floor looks like, the engine never offers a lead to a rep who may not take it."""

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from assignments.routing import (
    LeadFacts,
    RepFacts,
    RuleSpec,
    Territory,
    WorkingWindow,
    decide,
    is_on_shift,
)

NOW = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # a DST night in Europe
LANGS = ["en", "es", "de"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
STRATEGIES = ["round_robin", "weighted", "least_busy", "top_performer", "performance_weighted", "broadcast"]

windows = st.lists(st.builds(WorkingWindow, weekday=st.integers(0, 6), start=st.times(), end=st.times()),
                   max_size=4).map(tuple)


@st.composite
def reps(draw, rep_id: int) -> RepFacts:
    capacity = draw(st.integers(0, 4))
    return RepFacts(
        id=rep_id, active=draw(st.booleans()), status=draw(st.sampled_from(["available", "away", "offline"])),
        timezone=draw(st.sampled_from(ZONES)), working_hours=draw(windows), days_off=frozenset(),
        load=draw(st.integers(0, capacity)), capacity=capacity,
        languages=frozenset(draw(st.lists(st.sampled_from(LANGS), max_size=2))),
        skills={"solar": draw(st.integers(0, 5))},
        territories=(Territory(country=draw(st.sampled_from(["US", "DE"]))),),
        team_ids=frozenset(draw(st.lists(st.integers(1, 2), max_size=2))),
        last_offered_at=None, weight=draw(st.integers(0, 5)), performance=draw(st.floats(0, 1)),
    )


@st.composite
def floors(draw):
    count = draw(st.integers(0, 12))
    floor = [draw(reps(rep_id)) for rep_id in range(1, count + 1)]
    lead = LeadFacts(id=1, campaign="c", supplier="s", country=draw(st.sampled_from(["US", "DE"])), region="",
                     postal_code="", language=draw(st.sampled_from(LANGS + [""])), skill="solar", fields={},
                     score=0, waiting_since=NOW - dt.timedelta(seconds=draw(st.integers(0, 600))),
                     excluded_rep_ids=frozenset(draw(st.lists(st.integers(1, 12), max_size=3))))
    rule = RuleSpec(id=1, name="r", order=1, active=True, conditions=(),
                    team_ids=frozenset(draw(st.lists(st.integers(1, 2), max_size=2))),
                    strategy=draw(st.sampled_from(STRATEGIES)), require_language=draw(st.booleans()),
                    require_skill=draw(st.booleans()), min_skill_level=draw(st.integers(1, 5)),
                    require_territory=draw(st.booleans()), broadcast_count=draw(st.integers(2, 4)))
    return lead, floor, rule


def may_take(rep: RepFacts, lead: LeadFacts, rule: RuleSpec) -> bool:
    """An oracle written apart from the engine: every hard rule, spelled out plainly."""
    return (rep.active and rep.status == "available" and rep.load < rep.capacity
            and rep.id not in lead.excluded_rep_ids and is_on_shift(rep=rep, now=NOW)
            and (not rule.team_ids or bool(rep.team_ids & rule.team_ids))
            and (not rule.require_language or not lead.language or lead.language in rep.languages)
            and (not rule.require_skill or rep.skills.get("solar", 0) >= rule.min_skill_level)
            and (not rule.require_territory or any(t.country == lead.country for t in rep.territories)))


@settings(max_examples=300, deadline=None)
@given(floors(), st.integers(0, 2**32 - 1))
def test_every_offered_and_fallback_rep_may_take_the_lead(floor_case, seed):
    lead, floor, rule = floor_case
    decision = decide(lead=lead, reps=floor, rules=[rule], now=NOW, rng=random.Random(seed))
    by_id = {rep.id: rep for rep in floor}
    for rep_id in decision.rep_ids + decision.fallback_rep_ids:
        assert may_take(by_id[rep_id], lead, rule), (rep_id, decision.summary())
    assert not set(decision.rep_ids) & set(decision.fallback_rep_ids)
    limit = rule.broadcast_count if rule.strategy == "broadcast" else 1
    assert len(decision.rep_ids) <= limit
    someone_may = any(may_take(rep, lead, rule) for rep in floor)
    assert (decision.action == "offer") == someone_may  # nobody eligible is left out, nobody else gets in
    assert bool(decision.rep_ids) == someone_may
