"""The building blocks: PERCENTILE_CONT's definition on SQLite, time-zone offsets, business time, query plans."""

import datetime as dt
from dataclasses import replace

import pytest
from django.db import NotSupportedError, connection
from django.db.models import F, Value

from campaigns.models import Lead
from reporting.queries import stats as st
from reporting.queries.scope import ReportParams, leads_in_scope
from reporting.queries.speed import speed_source
from reporting.queries.sql import BusinessEpoch, Clock, PercentileCont, offset_changes, seconds_between
from tests.factories import CampaignFactory, LeadFactory, SupplierFactory
from tests.reporting.dataset import at, sec

START = at("2026-03-02 10:00:00")


def make_leads(group: str, speeds: list[float | None]) -> None:
    campaign, supplier = CampaignFactory(slug=group), SupplierFactory(name="S")
    for speed in speeds:
        LeadFactory(campaign=campaign, supplier=supplier, received_at=START,
                    first_contact_at=None if speed is None else sec(START, speed))


def stats_of(**percentiles: float) -> dict:
    source = Lead.objects.order_by().annotate(
        key=Value("all"), speed=seconds_between("received_at", "first_contact_at"))
    rows = st.grouped_stats(source=source, groups=["key"], stats=[
        st.count("n", "speed"), *[st.percentile(name, "speed", p) for name, p in percentiles.items()]])
    return rows[0] if rows else {}


@pytest.mark.django_db
@pytest.mark.parametrize("speeds, expected", [
    ([7], {"p0": 7, "p50": 7, "p90": 7, "p100": 7}),
    ([10, 20], {"p0": 10, "p50": 15, "p90": 19, "p100": 20}),
    ([40, 10, 30, 20], {"p0": 10, "p50": 25, "p90": 37, "p100": 40}),
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], {"p0": 1, "p50": 6, "p90": 10, "p100": 11}),
    ([5, None, 1, None, 3], {"p0": 1, "p50": 3, "p90": 4.6, "p100": 5}),
])
def test_percentile_cont_definition(speeds, expected):
    make_leads("c", speeds)
    row = stats_of(p0=0.0, p50=0.5, p90=0.9, p100=1.0)
    assert {k: round(row[k], 9) for k in expected} == expected
    assert row["n"] == len([s for s in speeds if s is not None])


@pytest.mark.django_db
def test_percentile_of_no_values_is_null():
    make_leads("c", [None, None])
    row = stats_of(p50=0.5)
    assert (row["rows"], row["n"], row["p50"]) == (2, 0, None)


@pytest.mark.django_db
def test_groups_are_ranked_separately():
    make_leads("a", [1, 2, 3])
    make_leads("b", [100, 300])
    source = Lead.objects.order_by().annotate(key=F("campaign__slug"),
                                              speed=seconds_between("received_at", "first_contact_at"))
    rows = st.grouped_stats(source=source, groups=["key"], stats=[st.percentile("median", "speed", 0.5),
                                                                  st.at_most("fast", "speed", 2)])
    assert [(r["key"], r["rows"], r["median"], r["fast"]) for r in rows] == [("a", 3, 2.0, 2), ("b", 2, 200.0, 0)]


def test_stat_names_are_plain_identifiers():
    with pytest.raises(ValueError):
        st.percentile("x; DROP TABLE", "speed", 0.5)
    with pytest.raises(ValueError):
        st.percentile("p", "speed", 1.5)
    with pytest.raises(ValueError):
        PercentileCont("speed", -0.1)


@pytest.mark.django_db
def test_percentile_cont_aggregate_is_postgresql_only():
    if connection.vendor != "sqlite":
        pytest.skip("checks the SQLite refusal")
    with pytest.raises(NotSupportedError):
        list(Lead.objects.aggregate(p=PercentileCont("score", 0.5)).values())


def test_offset_changes_follow_daylight_saving():
    epochs, offsets = offset_changes("America/New_York", dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert [dt.datetime.fromtimestamp(e, dt.UTC).isoformat() for e in epochs] == [
        "2026-03-08T07:00:00+00:00", "2026-11-01T06:00:00+00:00"]
    assert offsets == (-18000, -14400, -18000)
    assert offset_changes("Asia/Kolkata", dt.date(2026, 1, 1), dt.date(2027, 1, 1)) == ((), (19800,))


@pytest.mark.django_db
@pytest.mark.parametrize("tz, received, contact, business", [
    ("UTC", "2026-03-06 16:55:00", "2026-03-09 09:05:00", 600),        # Friday evening to Monday morning
    ("UTC", "2026-03-07 10:00:00", "2026-03-08 15:00:00", 0),          # all weekend
    ("UTC", "2026-03-02 08:00:00", "2026-03-02 18:00:00", 8 * 3600),   # a whole working day
    ("UTC", "2026-03-02 10:00:00", "2026-03-09 10:00:00", 5 * 8 * 3600),  # a whole week
    ("UTC", "2026-03-02 12:00:00.250000", "2026-03-02 12:00:01.750000", 1.5),
    ("Asia/Kolkata", "2026-03-02 03:00:00", "2026-03-02 04:00:00", 1800),  # 08:30-09:30 local
    ("America/New_York", "2026-03-06 21:30:00", "2026-03-09 13:30:00", 3600),  # DST weekend: 16:30 EST -> 09:30 EDT
])
def test_business_time(tz, received, contact, business):
    make_leads("c", [])
    lead = LeadFactory(campaign=CampaignFactory(slug="c"), supplier=SupplierFactory(name="S"),
                       received_at=at(received), first_contact_at=at(contact))
    clock = Clock(tz=tz, start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 1))
    value = Lead.objects.filter(pk=lead.pk).annotate(
        b=seconds_between("received_at", "first_contact_at", clock=clock, business_hours=True)).get().b
    assert round(value, 3) == business


@pytest.mark.django_db
def test_business_epoch_counts_from_monday():
    lead = LeadFactory(received_at=at("1969-12-29 00:00:00") + dt.timedelta(days=7, hours=10))
    clock = Clock(tz="UTC", start=dt.date(1970, 1, 1), end=dt.date(1970, 1, 2))
    value = Lead.objects.filter(pk=lead.pk).annotate(b=BusinessEpoch("received_at", clock=clock)).get().b
    assert value == 5 * 8 * 3600 + 3600


@pytest.mark.django_db
def test_speed_query_uses_the_received_index():
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    params = ReportParams(since=at("2026-03-01 00:00:00"), until=at("2026-04-01 00:00:00"))
    leads = leads_in_scope(params=params)
    source, _ = speed_source(leads=leads, params=params, clock=Clock(tz="UTC", start=START.date(), end=START.date()))
    sql, sql_params = source.values("t_first_seen_at").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, sql_params)
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
    assert "USING INDEX lead_received" in plan or "USING COVERING INDEX lead_received" in plan, plan
    assert "assignment" not in plan, plan  # first_seen_at is on Lead: one table, no per-lead sub-select
    for campaign_params in (replace(params, campaign=CampaignFactory()),):
        sql, sql_params = leads_in_scope(params=campaign_params).values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, sql_params)
            plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
        assert "lead_campaign_received" in plan, plan
