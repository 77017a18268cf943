"""GET /api/v1/reports/follow-up*/ and /declines/: the selectors' rows for managers, 400 on bad filters,
401/403 for everyone else, documented in the schema."""

import pytest
import yaml
from rest_framework.test import APIClient

from tests.reporting.followup_dataset import BY_ATTEMPTS, BY_CAMPAIGN, BY_REP, DECLINES, MARCH, FollowUpFloor

ENDPOINTS = ["follow-up", "follow-up-campaigns", "follow-up-attempts", "declines"]
ERROR_DATE = "Enter a date (YYYY-MM-DD) or an ISO 8601 datetime (YYYY-MM-DDTHH:MM[:SS][+HH:MM])."


def url(name: str) -> str:
    return f"/api/v1/reports/{name}/"


@pytest.fixture
def fu(db):
    return FollowUpFloor()


@pytest.mark.parametrize("name, rows", [("follow-up", BY_REP), ("follow-up-campaigns", BY_CAMPAIGN),
                                        ("follow-up-attempts", BY_ATTEMPTS), ("declines", DECLINES)])
def test_manager_gets_the_rows(manager_api, fu, name, rows):
    response = manager_api.get(url(name), MARCH)
    assert response.status_code == 200
    assert response.json() == {"rows": rows}


def test_filters_reach_the_rows(manager_api, fu):
    response = manager_api.get(url("follow-up"), {**MARCH, "campaign": "roof", "supplier": fu.beta.pk,
                                                  "team": fu.south.pk, "business_hours": "1"})
    assert [(r["key"], r["leads"], r["median_first_to_second_seconds"]) for r in response.json()["rows"]] == [
        ("bob", 1, 540.0)]
    response = manager_api.get(url("follow-up"), {**MARCH, "business_hours": "1", "tz": "America/New_York"})
    assert [r["median_first_to_second_seconds"] for r in response.json()["rows"]] == [None, 0.0, 900.0]
    # Dates are read in tz: in Auckland (UTC+13) "until 2026-03-02" ends 2026-03-02 11:00 UTC, after L1 (09:00)
    # and L3 (10:00), before L2 (11:00).
    response = manager_api.get(url("follow-up-campaigns"), {"since": "2026-03-01", "until": "2026-03-02",
                                                            "tz": "Pacific/Auckland"})
    assert [(r["key"], r["leads"]) for r in response.json()["rows"]] == [("solar", 2)]


def test_declines_filtered_by_team(manager_api, fu):
    rows = manager_api.get(url("declines"), {**MARCH, "team": fu.north.pk}).json()["rows"]
    assert [(r["key"], r["reason"], r["code"], r["declines"]) for r in rows] == [
        ("alice", "Busy with another lead", "busy", 2), ("alice", "Too far", None, 2),
        ("alice", "(no reason given)", None, 1), ("alice", "Night shift", "night-shift", 1)]


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("query, errors", [
    ({"since": "yesterday"}, {"since": [ERROR_DATE]}),
    ({"since": "2026-03-10", "until": "2026-03-01"}, {"until": ["Must not be before since."]}),
    ({"tz": "Mars/Olympus"}, {"tz": ["'Mars/Olympus' is not a known time zone (use e.g. Europe/Berlin)."]}),
    ({"campaign": "nope"}, {"campaign": ["Select a valid choice. That choice is not one of the available "
                                         "choices."]}),
    ({"supplier": "999999"}, {"supplier": ["Select a valid choice. That choice is not one of the available "
                                           "choices."]}),
    ({"business_hours": "maybe"}, {"business_hours": ["Select a valid choice. maybe is not one of the available "
                                                      "choices."]}),
])
def test_bad_filters_are_400(manager_api, fu, name, query, errors):
    response = manager_api.get(url(name), query)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_empty_range_is_empty_rows(manager_api, fu, name):
    assert manager_api.get(url(name), {"since": "2020-01-01", "until": "2020-01-31"}).json() == {"rows": []}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_rep_gets_403(rep_user, name):
    client = APIClient()
    client.force_authenticate(rep_user)
    response = client.get(url(name))
    assert response.status_code == 403
    assert response.json() == {"detail": "Reports are for sales managers."}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_anonymous_gets_401(db, name):
    assert APIClient().get(url(name)).status_code == 401


def test_documented_in_the_schema(client, db):
    spec = yaml.safe_load(client.get("/api/schema/").content)
    for name in ENDPOINTS:
        get = spec["paths"][url(name)]["get"]
        assert {"200", "400", "401", "403"} <= set(get["responses"])
        assert {"since", "until", "campaign", "supplier", "team", "tz", "business_hours"} <= {
            p["name"] for p in get["parameters"]}
    row = spec["components"]["schemas"]["FollowUpRow"]["properties"]
    assert row["attempts_per_lead"]["type"] == "number" and row["attempts_per_lead"]["nullable"]
    assert "24 h" in row["given_up_after_one"]["description"]
    decline = spec["components"]["schemas"]["DeclineRow"]["properties"]
    assert decline["code"]["nullable"] and "nullable" not in decline["reason"]
