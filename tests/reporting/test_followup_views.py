"""/reports/follow-up/ and the Reps page's declines: the tables as the page shows them, the same cells in CSV."""

from urllib.parse import urlencode

import pytest

from tests.reporting.followup_dataset import MARCH, FollowUpFloor
from tests.reporting.test_views import csv_rows, page_tables

REP_HEADER = ["Rep", "Leads", "Contacted", "Attempts / lead", "Followed up", "First → second attempt (s)",
              "Given up after 1", "Given up after 1 %", "Connected", "Attempts to connect", "Won % (1 attempt)",
              "Won % (2 attempts)", "Won % (3 attempts)", "Won % (4 attempts)", "Won % (5+ attempts)"]


@pytest.fixture
def fu(db):
    return FollowUpFloor()


def test_follow_up_page(manager_web, fu):
    response = manager_web.get("/reports/follow-up/", MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Contact attempts per lead" in html and "Won rate by contact attempts" in html
    tables = page_tables(html)
    assert tables["main"] == [
        REP_HEADER,
        ["(unassigned)", "1", "0", "", "0", "", "0", "", "0", "", "", "", "", "", ""],
        ["Alice Archer", "5", "4", "2.25", "2", "1805", "2", "50.00", "2", "3.00", "0.00", "", "100.00", "100.00", ""],
        ["Bob Baker", "3", "3", "2.67", "2", "1200", "0", "0.00", "3", "1.00", "100.00", "0.00", "", "", "0.00"],
    ]
    assert tables["campaigns"] == [
        ["Campaign", *REP_HEADER[1:]],
        ["Roof", "4", "3", "3.33", "2", "905", "1", "33.33", "2", "4.50", "0.00", "", "", "100.00", "0.00"],
        ["Solar", "5", "4", "1.75", "2", "2100", "1", "25.00", "3", "1.00", "50.00", "0.00", "100.00", "", ""],
    ]
    assert tables["attempts"] == [
        ["Attempts", "Leads", "Leads %", "Won", "Won rate %"],
        ["No attempt", "2", "22.22", "0", "0.00"], ["1 attempt", "3", "33.33", "1", "33.33"],
        ["2 attempts", "1", "11.11", "0", "0.00"], ["3 attempts", "1", "11.11", "1", "100.00"],
        ["4 attempts", "1", "11.11", "1", "100.00"], ["5+ attempts", "1", "11.11", "0", "0.00"],
    ]
    # Durations carry a human hint, as on the other reports.
    assert 'title="30.1 min"' in html


@pytest.mark.parametrize("slug, table", [("follow-up", "main"), ("follow-up", "campaigns"),
                                         ("follow-up", "attempts"), ("reps", "declines"), ("reps", "main")])
def test_csv_is_the_page_table(manager_web, fu, slug, table):
    query = {**MARCH, "business_hours": "1", "tz": "Europe/Berlin"}
    page = page_tables(manager_web.get(f"/reports/{slug}/", query).content.decode())[table]
    response = manager_web.get(f"/reports/{slug}/?{urlencode({**query, 'format': 'csv', 'table': table})}")
    assert response.status_code == 200
    assert csv_rows(response) == page
    assert len(page) > 1


@pytest.mark.parametrize("slug, table, name", [
    ("follow-up", "main", "follow-up.csv"), ("follow-up", "campaigns", "follow-up-campaigns.csv"),
    ("follow-up", "attempts", "follow-up-attempts.csv"), ("reps", "declines", "reps-declines.csv")])
def test_csv_file_names(manager_web, fu, slug, table, name):
    response = manager_web.get(f"/reports/{slug}/", {**MARCH, "format": "csv", "table": table})
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'


def test_reps_page_shows_declines_by_reason(manager_web, fu):
    tables = page_tables(manager_web.get("/reports/reps/", MARCH).content.decode())
    assert tables["declines"] == [
        ["Rep", "Reason", "Code", "Declines", "Share %"],
        ["Alice Archer", "Busy with another lead", "busy", "2", "33.33"],
        ["Alice Archer", "Too far", "", "2", "33.33"],
        ["Alice Archer", "(no reason given)", "", "1", "16.67"],
        ["Alice Archer", "Night shift", "night-shift", "1", "16.67"],
        ["Bob Baker", "(no reason given)", "", "2", "66.67"],
        ["Bob Baker", "out-of-area", "", "1", "33.33"],
    ]


def test_bad_filters_are_400_on_the_page(manager_web, fu):
    response = manager_web.get("/reports/follow-up/", {"since": "2026-03-10", "until": "2026-03-01"})
    assert response.status_code == 400
    assert "Must not be before since." in response.content.decode()
    assert manager_web.get("/reports/follow-up/", {"campaign": "nope", "format": "csv"}).status_code == 400


def test_empty_range(manager_web, fu):
    html = manager_web.get("/reports/follow-up/", {"since": "2020-01-01", "until": "2020-01-02"}).content.decode()
    assert html.count("No leads in this range.") == 4  # by rep, campaign and persona, and by attempts
    assert csv_rows(manager_web.get("/reports/follow-up/", {"since": "2020-01-01", "until": "2020-01-02",
                                                             "format": "csv", "table": "attempts"}))[1:] == []


def test_rep_cannot_open_the_page(client, rep_user):
    client.force_login(rep_user)
    assert client.get("/reports/follow-up/").status_code == 403
