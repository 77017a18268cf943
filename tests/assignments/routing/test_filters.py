"""Hard filters, their order, working hours across zones/DST, and timed relaxation."""

import random
from datetime import date, datetime, time, timedelta

import pytest

from assignments.routing import (
    Relaxation,
    Territory,
    WorkingWindow,
    active_relaxations,
    decide,
    eligible,
    is_on_shift,
    make_screen,
    team_candidates,
)

from .test_facts import NOW, UTC, make_lead, make_rep, make_rule

OFF = dict(working_hours=())


@pytest.mark.parametrize(
    ("rep_kw", "rule_kw", "lead_kw", "reason"),
    [
        ({}, {}, {}, ""),
        (dict(active=False), {}, {}, "inactive"),
        (dict(status="busy"), {}, {}, "not_available"),
        (dict(status="Available"), {}, {}, "not_available"),
        (OFF, {}, {}, "off_hours"),
        (dict(load=5, capacity=5), {}, {}, "at_capacity"),
        (dict(load=0, capacity=0), {}, {}, "at_capacity"),
        ({}, {}, dict(excluded_rep_ids=frozenset({1, 7})), "excluded"),
        ({}, {}, dict(excluded_rep_ids=frozenset({7})), ""),
        ({}, {}, dict(language="es"), "language"),
        ({}, dict(require_language=False), dict(language="es"), ""),
        (dict(languages=frozenset({"ES", "en"})), {}, dict(language=" es"), ""),
        (dict(languages=frozenset()), {}, dict(language=""), ""),
        ({}, dict(require_skill=True, min_skill_level=4), {}, "skill"),
        ({}, dict(require_skill=True, min_skill_level=3), {}, ""),
        ({}, dict(require_skill=True), dict(skill="roofing"), "skill"),
        ({}, dict(require_skill=True), dict(skill="SOLAR"), ""),
        ({}, dict(require_skill=True), dict(skill=""), ""),
        ({}, dict(require_skill=False), dict(skill="roofing"), ""),
        (dict(territories=(Territory("CA"),)), dict(require_territory=True), {}, "territory"),
        (dict(territories=(Territory("CA"),)), dict(require_territory=False), {}, ""),
        (dict(territories=()), dict(require_territory=True), {}, "territory"),
        (dict(territories=(Territory("us", "ca", "941"),)), dict(require_territory=True), {}, ""),
        (dict(territories=(Territory("US", "NY"),)), dict(require_territory=True), {}, "territory"),
        (dict(territories=(Territory("US", "", "10"),)), dict(require_territory=True), {}, "territory"),
        (dict(territories=(Territory("US", "NY"), Territory("US", "", "9"))), dict(require_territory=True), {}, ""),
        (dict(territories=(Territory("DE"),)), dict(require_territory=True), dict(country=""), ""),
    ],
)
def test_each_hard_filter(rep_kw, rule_kw, lead_kw, reason):
    screen = make_screen(lead=make_lead(**lead_kw), rule=make_rule(**rule_kw), now=NOW)
    assert screen(make_rep(**rep_kw)) == reason


ALL_FAILING = dict(active=False, status="busy", working_hours=(), load=9, capacity=1,
                   languages=frozenset({"fr"}), skills={}, territories=())


@pytest.mark.parametrize(
    ("fixed", "reason"),
    [
        ({}, "inactive"),
        (dict(active=True), "not_available"),
        (dict(active=True, status="available"), "off_hours"),
        (dict(active=True, status="available", working_hours=make_rep().working_hours), "at_capacity"),
        (dict(active=True, status="available", working_hours=make_rep().working_hours, capacity=10), "excluded"),
    ],
)
def test_filters_run_in_order_and_first_failure_is_recorded(fixed, reason):
    rule = make_rule(require_skill=True, require_territory=True)
    lead = make_lead(language="es", excluded_rep_ids=frozenset({1}))
    assert make_screen(lead=lead, rule=rule, now=NOW)(make_rep(**{**ALL_FAILING, **fixed})) == reason


@pytest.mark.parametrize(
    ("rep_kw", "reason"),
    [
        (dict(languages=frozenset({"fr"}), skills={}, territories=()), "language"),
        (dict(skills={}, territories=()), "skill"),
        (dict(territories=()), "territory"),
    ],
)
def test_lead_specific_filters_in_order(rep_kw, reason):
    rule = make_rule(require_skill=True, require_territory=True)
    assert make_screen(lead=make_lead(), rule=rule, now=NOW)(make_rep(**rep_kw)) == reason


def test_decide_records_every_candidate_and_only_team_members():
    reps = [
        make_rep(1, active=False), make_rep(2, status="away"), make_rep(3, **OFF), make_rep(4, load=5),
        make_rep(5), make_rep(6, languages=frozenset({"de"})), make_rep(7), make_rep(8, team_ids=frozenset({2})),
        make_rep(9, team_ids=frozenset({1, 2})),
    ]
    lead = make_lead(excluded_rep_ids=frozenset({5}))
    decision = decide(lead=lead, reps=reps, rules=[make_rule(team_ids=frozenset({1}))], now=NOW, rng=random.Random(0))
    assert [(c.rep_id, c.reason) for c in decision.candidates] == [
        (1, "inactive"), (2, "not_available"), (3, "off_hours"), (4, "at_capacity"), (5, "excluded"),
        (6, "language"), (7, ""), (9, ""),
    ]
    assert (decision.rep_ids, decision.fallback_rep_ids) == ((7,), (9,))


def test_no_eligible_rep_waits():
    decision = decide(lead=make_lead(), reps=[make_rep(1, **OFF)], rules=[make_rule()], now=NOW, rng=random.Random(0))
    assert (decision.action, decision.reason, decision.rule_id, decision.rep_ids) == ("wait", "no_eligible_rep", 1, ())
    assert [c.kept for c in decision.candidates] == [False]


def test_team_candidates_empty_rule_teams_means_everyone():
    reps = [make_rep(1, team_ids=frozenset({1})), make_rep(2, team_ids=frozenset()),
            make_rep(3, team_ids=frozenset({2}))]
    assert [r.id for r in team_candidates(reps=reps, rule=make_rule(team_ids=frozenset()))] == [1, 2, 3]
    assert [r.id for r in team_candidates(reps=reps, rule=make_rule(team_ids=frozenset({2, 5})))] == [3]


def W(day: int, start: str, end: str) -> WorkingWindow:
    return WorkingWindow(day, time.fromisoformat(start), time.fromisoformat(end))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@pytest.mark.parametrize(
    ("tz", "windows", "days_off", "now", "on"),
    [
        # Normal window, start inclusive, end exclusive (2024-06-03 is a Monday).
        ("UTC", [W(MON, "09:00", "17:00")], (), "2024-06-03 09:00", True),
        ("UTC", [W(MON, "09:00", "17:00")], (), "2024-06-03 16:59:59", True),
        ("UTC", [W(MON, "09:00", "17:00")], (), "2024-06-03 17:00", False),
        ("UTC", [W(MON, "09:00", "17:00")], (), "2024-06-03 08:59:59", False),
        ("UTC", [W(MON, "09:00", "17:00")], (), "2024-06-04 10:00", False),
        ("America/New_York", [W(MON, "09:00", "17:00")], (), "2024-06-03 13:00", True),
        ("America/New_York", [W(MON, "09:00", "17:00")], (), "2024-06-03 12:59", False),
        ("America/New_York", [W(MON, "09:00", "17:00")], (), "2024-06-03 21:00", False),
        # Window past midnight: Friday 22:00 -> Saturday 06:00.
        ("UTC", [W(FRI, "22:00", "06:00")], (), "2024-06-07 22:00", True),
        ("UTC", [W(FRI, "22:00", "06:00")], (), "2024-06-08 00:00", True),
        ("UTC", [W(FRI, "22:00", "06:00")], (), "2024-06-08 05:59:59", True),
        ("UTC", [W(FRI, "22:00", "06:00")], (), "2024-06-08 06:00", False),
        ("UTC", [W(FRI, "22:00", "06:00")], (), "2024-06-07 21:59", False),
        ("UTC", [W(FRI, "22:00", "06:00")], (), "2024-06-07 03:00", False),
        ("UTC", [W(SUN, "22:00", "02:00")], (), "2024-06-03 01:00", True),
        ("UTC", [W(MON, "16:00", "00:00")], (), "2024-06-03 23:59:59", True),
        ("UTC", [W(MON, "16:00", "00:00")], (), "2024-06-04 00:00", False),
        ("UTC", [W(MON, "09:00", "09:00")], (), "2024-06-04 08:59", True),
        ("UTC", [W(MON, "09:00", "09:00")], (), "2024-06-04 09:00", False),
        # Whole day (00:00-00:00) and midnight boundaries.
        ("UTC", [W(WED, "00:00", "00:00")], (), "2024-06-05 00:00", True),
        ("UTC", [W(WED, "00:00", "00:00")], (), "2024-06-05 23:59:59", True),
        ("UTC", [W(WED, "00:00", "00:00")], (), "2024-06-06 00:00", False),
        ("UTC", [W(WED, "00:00", "00:00")], (), "2024-06-04 23:59:59", False),
        ("UTC", [W(MON, "00:00", "08:00")], (), "2024-06-03 00:00", True),
        ("UTC", [W(MON, "00:00", "08:00")], (), "2024-06-02 23:59:59", False),
        ("Asia/Tokyo", [W(THU, "00:00", "00:00")], (), "2024-06-05 16:00", True),  # UTC Wed, Tokyo Thu
        ("Asia/Tokyo", [W(WED, "00:00", "00:00")], (), "2024-06-05 16:00", False),
        # Days off are the rep's local date, not the UTC date.
        ("Asia/Tokyo", None, ["2024-06-06"], "2024-06-05 16:00", False),
        ("Asia/Tokyo", None, ["2024-06-06"], "2024-06-05 14:00", True),
        ("America/Los_Angeles", None, ["2024-06-05"], "2024-06-06 03:00", False),
        ("America/Los_Angeles", None, ["2024-06-06"], "2024-06-06 03:00", True),
        # New York spring forward 2024-03-10 (Sunday): 02:00 EST -> 03:00 EDT at 07:00 UTC.
        ("America/New_York", [W(SUN, "09:00", "17:00")], (), "2024-03-10 13:00", True),
        ("America/New_York", [W(SUN, "09:00", "17:00")], (), "2024-03-03 13:00", False),
        ("America/New_York", [W(SUN, "09:00", "17:00")], (), "2024-03-03 14:00", True),
        ("America/New_York", [W(SUN, "01:00", "03:00")], (), "2024-03-10 06:59", True),
        ("America/New_York", [W(SUN, "01:00", "03:00")], (), "2024-03-10 07:00", False),
        ("America/New_York", [W(SUN, "03:00", "04:00")], (), "2024-03-10 07:00", True),
        ("America/New_York", [W(SUN, "03:00", "04:00")], (), "2024-03-10 06:59", False),
        # New York fall back 2024-11-03 (Sunday): 01:00-02:00 happens twice (EDT, then EST).
        ("America/New_York", [W(SUN, "01:00", "02:00")], (), "2024-11-03 04:59", False),
        ("America/New_York", [W(SUN, "01:00", "02:00")], (), "2024-11-03 05:30", True),
        ("America/New_York", [W(SUN, "01:00", "02:00")], (), "2024-11-03 06:30", True),
        ("America/New_York", [W(SUN, "01:00", "02:00")], (), "2024-11-03 07:00", False),
        # Berlin spring forward 2024-03-31: 02:00 CET -> 03:00 CEST at 01:00 UTC.
        ("Europe/Berlin", [W(SUN, "03:00", "05:00")], (), "2024-03-31 01:00", True),
        ("Europe/Berlin", [W(SUN, "03:00", "05:00")], (), "2024-03-31 00:59", False),
        ("Europe/Berlin", [W(SAT, "22:00", "06:00")], (), "2024-03-31 03:59", True),
        ("Europe/Berlin", [W(SAT, "22:00", "06:00")], (), "2024-03-31 04:00", False),
        ("Europe/Berlin", [W(MON, "09:00", "17:00")], (), "2024-04-01 07:00", True),
        ("Europe/Berlin", [W(MON, "09:00", "17:00")], (), "2024-03-25 07:00", False),
        # Berlin fall back 2024-10-27: 03:00 CEST -> 02:00 CET at 01:00 UTC.
        ("Europe/Berlin", [W(SUN, "02:00", "03:00")], (), "2024-10-27 00:30", True),
        ("Europe/Berlin", [W(SUN, "02:00", "03:00")], (), "2024-10-27 01:30", True),
        ("Europe/Berlin", [W(SUN, "02:00", "03:00")], (), "2024-10-27 02:00", False),
        ("Europe/Berlin", [W(SUN, "02:00", "03:00")], (), "2024-10-26 23:59", False),
        # No hours configured, or an unknown zone: never on shift.
        ("UTC", [], (), "2024-06-03 12:00", False),
        ("Mars/Olympus_Mons", None, (), "2024-06-03 12:00", False),
        ("", None, (), "2024-06-03 12:00", False),
    ],
)
def test_working_hours(tz, windows, days_off, now, on):
    rep = make_rep(
        timezone=tz,
        working_hours=tuple(windows) if windows is not None else make_rep().working_hours,
        days_off=frozenset(date.fromisoformat(d) for d in days_off),
    )
    assert is_on_shift(rep=rep, now=utc(now)) is on


def test_off_hours_decided_per_rep_zone():
    nine_to_five = tuple(W(d, "09:00", "17:00") for d in range(5))
    reps = [make_rep(i, timezone=tz, working_hours=nine_to_five)
            for i, tz in enumerate(["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/Berlin"], 1)]
    now = utc("2024-06-05 14:00")  # 16:00 Berlin, 10:00 New York, 23:00 Tokyo
    kept = eligible(lead=make_lead(), reps=reps, rule=make_rule(), now=now)
    assert [r.id for r in kept] == [1, 2, 4]


RELAX_CASES = [
    ("language", dict(), dict(languages=frozenset({"en"})), dict(language="es"), "language"),
    ("skill", dict(require_skill=True, min_skill_level=4), dict(), dict(), "skill"),
    ("territory_region", dict(require_territory=True), dict(territories=(Territory("US", "NY", "10"),)), {},
     "territory"),
    ("territory", dict(require_territory=True), dict(territories=(Territory("MX"),)), {}, "territory"),
]


@pytest.mark.parametrize(("drop", "rule_kw", "rep_kw", "lead_kw", "reason"), RELAX_CASES)
@pytest.mark.parametrize(("waited", "relaxed"), [(599, False), (600, True), (86_400, True)])
def test_relaxation_applies_after_threshold(drop, rule_kw, rep_kw, lead_kw, reason, waited, relaxed):
    rule = make_rule(relaxations=(Relaxation(600, drop),), **rule_kw)
    lead = make_lead(waiting_since=NOW - timedelta(seconds=waited), **lead_kw)
    decision = decide(lead=lead, reps=[make_rep(**rep_kw)], rules=[rule], now=NOW, rng=random.Random(0))
    if relaxed:
        assert (decision.action, decision.rep_ids, decision.relaxed) == ("offer", (1,), (drop,))
        assert decision.candidates[0].kept
    else:
        assert (decision.action, decision.relaxed) == ("wait", ())
        assert decision.candidates[0].reason == reason


def test_region_relaxation_still_needs_the_country():
    rule = make_rule(require_territory=True, relaxations=(Relaxation(0, "territory_region"),))
    rep = make_rep(territories=(Territory("MX", "CA"),))
    assert make_screen(lead=make_lead(), rule=rule, now=NOW, relaxed=("territory_region",))(rep) == "territory"


@pytest.mark.parametrize(
    ("rule_kw", "expected"),
    [
        (dict(require_language=False), ()),
        (dict(), ("language",)),
        (dict(require_skill=True), ("language", "skill")),
        (dict(require_territory=True), ("territory_region", "language")),
        (dict(require_language=False, require_skill=True, require_territory=True), ("territory_region", "skill")),
    ],
)
def test_only_elapsed_relaxations_of_used_filters_are_recorded(rule_kw, expected):
    relaxations = (Relaxation(60, "language"), Relaxation(30, "territory_region"), Relaxation(120, "skill"),
                   Relaxation(3600, "territory"), Relaxation(90, "language"))
    rule = make_rule(relaxations=relaxations, **rule_kw)
    lead = make_lead(waiting_since=NOW - timedelta(seconds=300))
    assert active_relaxations(rule=rule, lead=lead, now=NOW) == expected
