"""GET /api/v1/reports/follow-up*/ and /declines/: the selectors' rows for managers, 400 on bad filters,
401/403 for everyone else, documented in the schema."""

import pytest
import yaml

from tests.reporting.followup_dataset import BY_ATTEMPTS, BY_CAMPAIGN, BY_REP, DECLINES, MARCH, FollowUpFloor

ENDPOINTS = ["follow-up", "follow-up-campaigns", "follow-up-attempts", "declines"]


def url(name: str) -> str:
    return f"/api/v1/reports/{name}/"


@pytest.fixture
def fu(db):
    return FollowUpFloor()


@pytest.mark.parametrize("name, rows", [("follow-up", BY_REP), ("follow-up-campaigns", BY_CAMPAIGN),
                                        ("follow-up-attempts", BY_ATTEMPTS), ("declines", DECLINES)])
def test_manager_gets_the_rows(manager_client, fu, name, rows):
    response = manager_client.get(url(name), MARCH)
    assert response.status_code == 200
    assert response.json() == {"rows": rows}


def test_filters_reach_the_rows(manager_client, fu):
    response = manager_client.get(url("follow-up"), {**MARCH, "campaign": "roof", "supplier": fu.beta.pk,
                                                     "team": fu.south.pk, "business_hours": "1"})
    assert [(r["key"], r["leads"], r["median_first_to_second_seconds"]) for r in response.json()["rows"]] == [
        ("bob", 1, 540.0)]
    response = manager_client.get(url("follow-up"), {**MARCH, "business_hours": "1", "tz": "America/New_York"})
    assert [r["median_first_to_second_seconds"] for r in response.json()["rows"]] == [None, 0.0, 900.0]
    # Dates are read in tz: in Auckland (UTC+13) "until 2026-03-02" ends 2026-03-02 11:00 UTC, after L1 (09:00)
    # and L3 (10:00), before L2 (11:00).
    response = manager_client.get(url("follow-up-campaigns"), {"since": "2026-03-01", "until": "2026-03-02",
                                                               "tz": "Pacific/Auckland"})
    assert [(r["key"], r["leads"]) for r in response.json()["rows"]] == [("solar", 2)]


def test_declines_filtered_by_team(manager_client, fu):
    rows = manager_client.get(url("declines"), {**MARCH, "team": fu.north.pk}).json()["rows"]
    assert [(r["key"], r["reason"], r["code"], r["declines"]) for r in rows] == [
        ("alice", "Busy with another lead", "busy", 2), ("alice", "Too far", None, 2),
        ("alice", "(no reason given)", None, 1), ("alice", "Night shift", "night-shift", 1)]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_empty_range_is_empty_rows(manager_client, fu, name):
    assert manager_client.get(url(name), {"since": "2020-01-01", "until": "2020-01-31"}).json() == {"rows": []}


def test_followup_rows_documented_in_the_schema(client, db):
    # What every report endpoint documents: tests/reporting/api/test_report_access.py.
    spec = yaml.safe_load(client.get("/api/schema/").content)
    row = spec["components"]["schemas"]["FollowUpRow"]["properties"]
    assert row["attempts_per_lead"]["type"] == "number" and row["attempts_per_lead"]["nullable"]
    assert "24 h" in row["given_up_after_one"]["description"]
    decline = spec["components"]["schemas"]["DeclineRow"]["properties"]
    assert decline["code"]["nullable"] and "nullable" not in decline["reason"]
