"""Follow-up (by rep, by campaign, won rate by attempts) and declines by reason: exact numbers for the hand-built
follow-up floor, on SQLite (and PostgreSQL)."""

from dataclasses import replace

import pytest

from assignments.models import ContactAttempt
from reporting.queries.scope import ReportParams
from reporting.selectors import (
    followup_campaign_rows,
    followup_rep_rows,
    rep_decline_rows,
    rep_rows,
    won_by_attempts_rows,
)
from tests.factories import AssignmentFactory, ContactAttemptFactory, LeadFactory, RepFactory
from tests.reporting.dataset import summary
from tests.reporting.engines import on_sqlite_and_postgresql
from tests.reporting.followup_dataset import BY_ATTEMPTS, BY_CAMPAIGN, BY_REP, DECLINES, FollowUpFloor, at, sec

MARCH = ReportParams(since=at("2026-03-01 00:00:00"), until=at("2026-04-01 00:00:00"))


@pytest.fixture
def fu(db):
    return FollowUpFloor()


class ExactNumbers:
    """The same expectations on every engine (on_sqlite_and_postgresql below runs them on both)."""

    def test_by_rep_every_column(self, fu):
        assert followup_rep_rows(params=MARCH) == BY_REP

    def test_values_are_plain_json_types(self, fu):
        # PostgreSQL sums bigint counts as numeric: no Decimal may reach the API.
        rows = [*followup_rep_rows(params=MARCH), *followup_campaign_rows(params=MARCH),
                *won_by_attempts_rows(params=MARCH), *rep_decline_rows(params=MARCH)]
        assert {type(value) for row in rows for value in row.values()} <= {int, float, str, type(None)}

    def test_by_campaign_every_column(self, fu):
        assert followup_campaign_rows(params=MARCH) == BY_CAMPAIGN

    def test_won_rate_by_attempts_lists_every_bucket(self, fu):
        assert won_by_attempts_rows(params=MARCH) == BY_ATTEMPTS

    def test_a_lead_whose_only_attempt_is_under_a_day_old_is_not_given_up(self, fu):
        # L9's attempt was at 2026-03-20 10:10: twelve hours later it may still get a second one.
        evening = at("2026-03-20 22:10:00")
        assert summary(followup_rep_rows(params=MARCH, now=evening), "given_up_after_one",
                       "given_up_after_one_pct")[1:] == [("alice", 1, 25.0), ("bob", 0, 0.0)]
        assert summary(followup_campaign_rows(params=MARCH, now=evening), "given_up_after_one",
                       "given_up_after_one_pct") == [("roof", 0, 0.0), ("solar", 1, 25.0)]
        # Exactly a day old counts as given up.
        assert summary(followup_rep_rows(params=MARCH, now=at("2026-03-21 10:10:00")),
                       "given_up_after_one")[1:] == [("alice", 2), ("bob", 0)]

    def test_first_to_second_attempt_in_business_hours(self, fu):
        # L6: Friday 16:51 -> 17:21 is 540 business seconds; the other gaps lie inside Mon-Fri 09:00-17:00 UTC.
        business = replace(MARCH, business_hours=True)
        assert summary(followup_rep_rows(params=business), "median_first_to_second_seconds") == [
            ("(unassigned)", None), ("alice", 1805.0), ("bob", 570.0)]
        assert summary(followup_campaign_rows(params=business), "median_first_to_second_seconds") == [
            ("roof", 275.0), ("solar", 2100.0)]

    def test_business_hours_follow_the_time_zone(self, fu):
        # New York (UTC-5): Monday 04:01 -> 05:01 (L1), 05:00:30 -> 05:10:30 (L3) and Tuesday 06:00 (L7) are
        # before 09:00; Friday 11:51 -> 12:21 (L6) is all business time.
        params = replace(MARCH, business_hours=True, tz="America/New_York")
        assert summary(followup_rep_rows(params=params), "median_first_to_second_seconds") == [
            ("(unassigned)", None), ("alice", 0.0), ("bob", 900.0)]
        # The other columns do not depend on the clock.
        assert [{**row, "median_first_to_second_seconds": None} for row in followup_rep_rows(params=params)] == [
            {**row, "median_first_to_second_seconds": None} for row in BY_REP]

    def test_filters_narrow_the_leads(self, fu):
        roof = followup_rep_rows(params=replace(MARCH, campaign=fu.roof))
        assert summary(roof, "leads", "contacted", "attempts_per_lead", "given_up_after_one") == [
            ("alice", 3, 2, 2.5, 1), ("bob", 1, 1, 5.0, 0)]
        assert summary(followup_campaign_rows(params=replace(MARCH, supplier=fu.acme)), "leads") == [("solar", 5)]
        assert summary(followup_rep_rows(params=replace(MARCH, team=fu.north)), "leads") == [("alice", 5)]
        # Until the 15th: L9 (received the 20th) is out; with April: L10 (bob, two attempts 60 s apart) is in.
        assert summary(followup_rep_rows(params=replace(MARCH, until=at("2026-03-15 00:00:00"))), "leads",
                       "given_up_after_one")[1:] == [("alice", 4, 1), ("bob", 3, 0)]
        april = followup_rep_rows(params=replace(MARCH, until=at("2026-05-01 00:00:00")))
        assert summary(april, "leads", "contacted", "attempts_per_lead", "median_first_to_second_seconds",
                       "won_rate_2_pct")[2] == ("bob", 4, 4, 2.5, 600.0, 0.0)
        assert summary(won_by_attempts_rows(params=replace(MARCH, campaign=fu.roof)), "leads", "won") == [
            ("none", 1, 0), ("1", 1, 0), ("2", 0, 0), ("3", 0, 0), ("4", 1, 1), ("5_plus", 1, 0)]

    def test_empty_range_gives_no_rows(self, fu):
        empty = replace(MARCH, since=at("2025-01-01 00:00:00"), until=at("2025-02-01 00:00:00"),
                        business_hours=True, tz="Europe/Berlin")
        assert followup_rep_rows(params=empty) == []
        assert followup_campaign_rows(params=empty) == []
        assert won_by_attempts_rows(params=empty) == []
        assert rep_decline_rows(params=empty) == []

    def test_attempts_at_the_same_instant_are_taken_in_the_order_they_were_logged(self, fu):
        rep = RepFactory()
        lead = LeadFactory(campaign=fu.solar, supplier=fu.acme, received_at=at("2026-03-25 10:00:00"),
                           owner=rep.user)
        offer = AssignmentFactory(lead=lead, rep=rep, status="accepted", offered_at=lead.received_at)
        when = sec(lead.received_at, 90)
        for outcome in (ContactAttempt.Outcome.NO_ANSWER, ContactAttempt.Outcome.CONNECTED):
            ContactAttemptFactory(assignment=offer, outcome=outcome, at=when)
        rows = followup_rep_rows(params=replace(MARCH, since=at("2026-03-25 00:00:00")))
        assert summary(rows, "contacted", "attempts_per_lead", "median_first_to_second_seconds",
                       "median_attempts_to_connect") == [(rep.user.username, 1, 2.0, 0.0, 2.0)]

    def test_declines_by_reason(self, fu):
        assert rep_decline_rows(params=MARCH) == DECLINES
        assert summary(rep_decline_rows(params=replace(MARCH, team=fu.south)), "reason", "declines") == [
            ("bob", "(no reason given)", 2), ("bob", "out-of-area", 1)]
        # April adds alice's busy decline on L10.
        april = rep_decline_rows(params=replace(MARCH, until=at("2026-05-01 00:00:00")))
        assert summary(april, "reason", "declines", "share_pct")[:2] == [
            ("alice", "Busy with another lead", 3, 42.86), ("alice", "Too far", 2, 28.57)]

    def test_declines_add_up_to_the_reps_table(self, fu):
        declined = {}
        for row in rep_decline_rows(params=MARCH):
            declined[row["key"]] = declined.get(row["key"], 0) + row["declines"]
        assert {row["key"]: row["declined"] for row in rep_rows(params=MARCH) if row["declined"]} == declined


# On PostgreSQL: ROW_NUMBER(), PERCENTILE_CONT and AT TIME ZONE give the numbers SQLite gives.
TestExactNumbersSQLite, TestExactNumbersPostgreSQL = on_sqlite_and_postgresql(ExactNumbers)
