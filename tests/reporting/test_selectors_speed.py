"""Speed-to-lead and conversion by speed: exact numbers for the hand-built floor, on SQLite (and PostgreSQL)."""

from dataclasses import replace

import pytest

from reporting.queries.scope import ReportParams
from reporting.selectors import conversion_by_speed_rows, speed_to_lead_rows, speed_to_lead_totals
from tests.reporting.dataset import CONVERSION, ROOF_BUSINESS, SPEED_BY_CAMPAIGN, at, summary
from tests.reporting.engines import on_sqlite_and_postgresql

MARCH = ReportParams(since=at("2026-03-01 00:00:00"), until=at("2026-04-01 00:00:00"), group_by="campaign")


class ExactNumbers:
    """The same expectations on every engine (on_sqlite_and_postgresql below runs them on both)."""

    def test_by_campaign_every_column(self, floor):
        assert speed_to_lead_rows(params=MARCH) == SPEED_BY_CAMPAIGN

    def test_business_hours_across_a_weekend(self, floor):
        rows = speed_to_lead_rows(params=replace(MARCH, business_hours=True))
        assert rows == [ROOF_BUSINESS, SPEED_BY_CAMPAIGN[1]]

    def test_friday_1655_to_monday_0905_counts_ten_minutes(self, floor):
        params = replace(MARCH, since=at("2026-03-06 00:00:00"), until=at("2026-03-07 00:00:00"),
                         business_hours=True)
        assert summary(speed_to_lead_rows(params=params), "median_seconds", "p90_seconds") == [
            ("roof", 600.0, 600.0)]
        assert summary(speed_to_lead_rows(params=replace(params, business_hours=False)), "median_seconds") == [
            ("roof", 231000.0)]

    def test_business_hours_follow_the_time_zone(self, floor):
        # In New York (UTC-5) the Friday lead arrives at 11:55 and is contacted Monday 05:05 (EDT, UTC-4):
        # 5 h 5 min on Friday, nothing on Monday before 09:00.
        params = replace(MARCH, since=at("2026-03-06 00:00:00"), until=at("2026-03-07 00:00:00"),
                         business_hours=True, tz="America/New_York")
        assert summary(speed_to_lead_rows(params=params), "median_seconds") == [("roof", 18300.0)]

    def test_by_rep_team_supplier(self, floor):
        by = {g: summary(speed_to_lead_rows(params=replace(MARCH, group_by=g)), "label", "leads", "contacted",
                         "median_seconds", "p90_seconds")
              for g in ("rep", "team", "supplier")}
        assert by["rep"] == [
            ("(unassigned)", "(unassigned)", 1, 0, None, None),
            ("alice", "Alice Archer", 3, 3, 240.0, 1968.0),
            ("bob", "Bob Baker", 3, 3, 600.0, 5880.0),
            ("carol", "Carol Cole", 3, 3, 5400.0, 185880.0),
        ]
        assert by["team"] == [
            ("(no team)", "(no team)", 1, 0, None, None),
            ("North", "North", 6, 6, 420.0, 4800.0),
            ("South", "South", 3, 3, 5400.0, 185880.0),
        ]
        assert by["supplier"] == [("Acme", "Acme", 7, 6, 420.0, 4800.0), ("Beta", "Beta", 3, 3, 5400.0, 185880.0)]

    def test_hour_of_day_shifts_with_the_time_zone(self, floor):
        utc = speed_to_lead_rows(params=replace(MARCH, group_by="hour"))
        assert summary(utc, "label", "leads", "median_seconds") == [
            ("08", "08:00–08:59", 1, 5400.0), ("10", "10:00–10:59", 1, 30.0), ("11", "11:00–11:59", 1, 90.0),
            ("12", "12:00–12:59", 2, 142.5), ("13", "13:00–13:59", 1, 600.0), ("14", "14:00–14:59", 1, 2400.0),
            ("15", "15:00–15:59", 1, 7200.0), ("16", "16:00–16:59", 2, 231000.0),
        ]
        # New York is UTC-5 until Sunday 2026-03-08, then UTC-4: the Tuesday lead (08:00 UTC) is at 04:00.
        new_york = speed_to_lead_rows(params=replace(MARCH, group_by="hour", tz="America/New_York"))
        assert summary(new_york, "leads", "median_seconds") == [
            ("04", 1, 5400.0), ("05", 1, 30.0), ("06", 1, 90.0), ("07", 1, 240.0), ("08", 2, 322.5),
            ("09", 1, 2400.0), ("10", 1, 7200.0), ("11", 2, 231000.0),
        ]

    def test_weekday_shifts_with_the_time_zone(self, floor):
        assert summary(speed_to_lead_rows(params=replace(MARCH, group_by="weekday")), "label", "leads") == [
            ("Mon", "Monday", 7), ("Tue", "Tuesday", 1), ("Wed", "Wednesday", 1), ("Fri", "Friday", 1)]
        # Auckland is UTC+13: Monday 11:00 UTC is already Tuesday there.
        auckland = speed_to_lead_rows(params=replace(MARCH, group_by="weekday", tz="Pacific/Auckland"))
        assert summary(auckland, "leads", "median_seconds") == [
            ("Mon", 1, 30.0), ("Tue", 7, 1500.0), ("Thu", 1, 45.0), ("Sat", 1, 231000.0)]

    def test_filters_narrow_the_leads(self, floor):
        assert summary(speed_to_lead_rows(params=replace(MARCH, campaign=floor.roof)), "leads") == [("roof", 3)]
        assert summary(speed_to_lead_rows(params=replace(MARCH, supplier=floor.acme)), "leads") == [("solar", 7)]
        assert summary(speed_to_lead_rows(params=replace(MARCH, team=floor.north)), "leads", "median_seconds") == [
            ("solar", 6, 420.0)]
        assert summary(speed_to_lead_rows(params=replace(MARCH, until=at("2026-03-06 16:55:00"))), "leads") == [
            ("solar", 7)]
        assert summary(speed_to_lead_rows(params=replace(MARCH, since=at("2026-03-06 16:55:00"))), "leads") == [
            ("roof", 3)]

    def test_totals(self, floor):
        totals = speed_to_lead_totals(params=MARCH)
        assert (totals["leads"], totals["contacted"], totals["median_seconds"], totals["p90_seconds"]) == (
            10, 9, 600.0, 51960.0)

    def test_conversion_by_speed_buckets(self, floor):
        assert conversion_by_speed_rows(params=MARCH) == CONVERSION

    def test_conversion_by_speed_in_business_hours(self, floor):
        rows = conversion_by_speed_rows(params=replace(MARCH, business_hours=True))
        # The weekend lead (won) moves from "> 24 h" to "5-30 min", the 08:00 one from "1-24 h" to "5-30 min".
        assert summary(rows, "leads", "won") == [
            ("under_1_min", 2, 1), ("1_5_min", 2, 1), ("5_30_min", 3, 1), ("30_60_min", 1, 0), ("1_24_h", 1, 0),
            ("over_24_h", 0, 0), ("never", 1, 0)]

    @pytest.mark.parametrize("group_by", ["campaign", "supplier", "rep", "team", "hour", "weekday"])
    def test_empty_range_gives_no_rows(self, floor, group_by):
        empty = replace(MARCH, since=at("2025-01-01 00:00:00"), until=at("2025-02-01 00:00:00"), group_by=group_by,
                        business_hours=True, tz="Europe/Berlin")
        assert speed_to_lead_rows(params=empty) == []
        assert conversion_by_speed_rows(params=empty) == []
        assert speed_to_lead_totals(params=empty) is None


# On PostgreSQL: PERCENTILE_CONT and AT TIME ZONE give the numbers the SQLite window functions give.
TestExactNumbersSQLite, TestExactNumbersPostgreSQL = on_sqlite_and_postgresql(ExactNumbers)
