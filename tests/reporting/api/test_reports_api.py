"""GET /api/v1/reports/...: the contract's shape, the same numbers as the selectors, 400/401/403 as documented."""

import pytest
import yaml
from rest_framework.test import APIClient

from tests.reporting.dataset import CONVERSION, RANGE, SPEED_BY_CAMPAIGN

ENDPOINTS = ["speed-to-lead", "conversion-by-speed", "suppliers", "campaigns", "reps", "fairness", "sla"]
CONTRACT_KEYS = {"key", "leads", "contacted", "median_seconds", "p90_seconds", "within_5_min_pct"}


def url(name: str) -> str:
    return f"/api/v1/reports/{name}/"


def test_speed_to_lead_contract(manager_client, floor):
    response = manager_client.get(url("speed-to-lead"), {**RANGE, "group_by": "campaign"})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["rows"]
    assert all(set(row) >= CONTRACT_KEYS for row in body["rows"])
    assert body["rows"] == SPEED_BY_CAMPAIGN


@pytest.mark.parametrize("group_by, keys", [
    ("rep", ["(unassigned)", "alice", "bob", "carol"]), ("team", ["(no team)", "North", "South"]),
    ("supplier", ["Acme", "Beta"]), ("campaign", ["roof", "solar"]),
    ("hour", ["08", "10", "11", "12", "13", "14", "15", "16"]), ("weekday", ["Mon", "Tue", "Wed", "Fri"]),
])
def test_speed_to_lead_group_by(manager_client, floor, group_by, keys):
    response = manager_client.get(url("speed-to-lead"), {**RANGE, "group_by": group_by})
    assert [row["key"] for row in response.json()["rows"]] == keys


def test_default_grouping_is_campaign_and_dates_include_until_day(manager_client, floor):
    # until=2026-03-06 includes that whole day (the Friday roof lead at 16:55).
    response = manager_client.get(url("speed-to-lead"), {"since": "2026-03-06", "until": "2026-03-06"})
    assert [(r["key"], r["leads"]) for r in response.json()["rows"]] == [("roof", 1)]


def test_filters_tz_and_business_hours(manager_client, floor):
    response = manager_client.get(url("speed-to-lead"), {**RANGE, "campaign": "roof", "business_hours": "1",
                                                         "supplier": floor.beta.pk, "team": floor.south.pk})
    assert [(r["key"], r["median_seconds"], r["p90_seconds"]) for r in response.json()["rows"]] == [
        ("roof", 600.0, 1560.0)]
    response = manager_client.get(url("speed-to-lead"), {**RANGE, "group_by": "hour", "tz": "America/New_York"})
    assert response.json()["rows"][0]["key"] == "04"


def test_datetimes_with_offsets(manager_client, floor):
    response = manager_client.get(url("speed-to-lead"), {"since": "2026-03-06T17:55:00+01:00",
                                                         "until": "2026-03-06T16:56:00Z"})
    assert [(r["key"], r["leads"]) for r in response.json()["rows"]] == [("roof", 1)]


def test_other_endpoints(manager_client, floor):
    assert manager_client.get(url("conversion-by-speed"), RANGE).json() == {"rows": CONVERSION}
    assert [r["key"] for r in manager_client.get(url("suppliers"), RANGE).json()["rows"]] == ["Acme", "Beta"]
    campaigns = manager_client.get(url("campaigns"), RANGE).json()["rows"]
    assert [(r["key"], r["rejected_by_reason"]) for r in campaigns] == [
        ("roof", {"campaign_closed": 1}), ("solar", {"invalid_contact": 1, "suppressed": 2})]
    assert [r["offered"] for r in manager_client.get(url("reps"), RANGE).json()["rows"]] == [6, 4, 3]
    assert len(manager_client.get(url("fairness"), RANGE).json()["rows"]) == 5
    sla = manager_client.get(url("sla"), {**RANGE, "group_by": "team"}).json()["rows"]
    assert [(r["key"], r["late_leads"]) for r in sla] == [("North", 2), ("South", 1)]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_empty_range_is_empty_rows(manager_client, floor, name):
    response = manager_client.get(url(name), {"since": "2020-01-01", "until": "2020-01-31"})
    assert response.status_code == 200
    assert response.json() == {"rows": []}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_no_data_at_all_is_empty_rows(manager_client, name):
    assert manager_client.get(url(name)).json() == {"rows": []}


@pytest.mark.parametrize("query, errors", [
    ({"group_by": "planet"}, {"group_by": ["Select a valid choice. planet is not one of the available choices."]}),
    ({"until": "2026-02-30"}, {"until": ["Enter a date (YYYY-MM-DD) or an ISO 8601 datetime "
                                         "(YYYY-MM-DDTHH:MM[:SS][+HH:MM])."]}),
    ({"since": "2026-03-10T10:00:00Z", "until": "2026-03-10T09:59:59Z"}, {"until": ["Must not be before since."]}),
    ({"team": "x"}, {"team": ["Select a valid choice. That choice is not one of the available choices."]}),
])
def test_bad_parameters_are_400_with_errors(manager_client, floor, query, errors):
    # The filters every report shares: tests/reporting/api/test_report_access.py.
    response = manager_client.get(url("speed-to-lead"), query)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}


def test_sla_group_by_is_rule_or_team(manager_client, floor):
    assert manager_client.get(url("sla"), {"group_by": "rep"}).status_code == 400
    assert manager_client.get(url("sla"), {**RANGE, "group_by": "rule"}).status_code == 200


def test_rep_token_gets_403(client, rep_user):
    from tests.factories import PASSWORD

    token = client.post("/api/v1/auth/token/", {"username": rep_user.username, "password": PASSWORD}).json()["token"]
    assert APIClient().get(url("speed-to-lead"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 403


def test_staff_outside_the_managers_group_gets_403(plain_user):
    plain_user.is_staff = True
    plain_user.save()
    client = APIClient()
    client.force_authenticate(plain_user)
    assert client.get(url("suppliers")).status_code == 403


def test_speed_to_lead_documented_in_the_schema(client, db):
    # What every report endpoint documents: tests/reporting/api/test_report_access.py.
    spec = yaml.safe_load(client.get("/api/schema/").content)
    speed = spec["paths"][url("speed-to-lead")]["get"]
    group_by = next(p for p in speed["parameters"] if p["name"] == "group_by")
    assert group_by["schema"]["enum"] == ["campaign", "hour", "persona", "rep", "supplier", "team", "weekday"]
    row = spec["components"]["schemas"]["SpeedRow"]["properties"]
    assert set(row) >= CONTRACT_KEYS
