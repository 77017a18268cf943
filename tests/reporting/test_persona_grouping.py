"""Reports grouped by persona: the personas recorded when each lead was first scored, a lead in several counted in
each, leads in none under "(no persona)", exact medians; on the page, in the API and in the CSV.

Memberships given to the hand-built floor (tests/reporting/dataset.py; seconds received -> first contact):
  Homeowners (homeowners):   S0 30, S1 90, S2 240, R0 231000
  Californians (ca):         S2 240, S3 600, R0 231000, R1 5400        (S2 and R0 are in both)
  in none:                   S4 2400, S5 7200, S6 never, R2 45
  Renters (renters):         no lead (no row)
The personas' conditions say otherwise (every lead is a homeowner now): reports read what was recorded.
"""

from dataclasses import replace

import pytest

from assignments.models import Persona, PersonaCondition
from assignments.models_personas import LeadPersona
from reporting.queries.scope import ReportParams
from reporting.selectors import followup_campaign_rows, followup_persona_rows, speed_to_lead_rows
from tests.reporting.dataset import RANGE, at, summary
from tests.reporting.engines import on_sqlite_and_postgresql
from tests.reporting.followup_dataset import FollowUpFloor
from tests.reporting.test_views import csv_rows, page_tables

MARCH = ReportParams(since=at("2026-03-01 00:00:00"), until=at("2026-04-01 00:00:00"), group_by="persona")
# (key, label, leads, contacted, never contacted %, median, p90, within 5 min %)
BY_PERSONA = [
    ("(no persona)", "(no persona)", 4, 3, 25.0, 2400.0, 6240.0, 25.0),
    ("ca", "Californians", 4, 4, 0.0, 3000.0, 163320.0, 25.0),
    ("homeowners", "Homeowners", 4, 4, 0.0, 165.0, 161772.0, 75.0),
]
COLUMNS = ("label", "leads", "contacted", "never_contacted_pct", "median_seconds", "p90_seconds",
           "within_5_min_pct")


def persona(slug: str, name: str) -> Persona:
    found = Persona.objects.create(slug=slug, name=name)
    # Whatever the conditions say today, the report reads the memberships recorded at intake.
    PersonaCondition.objects.create(persona=found, field="country", op="exists", value="")
    return found


def file_leads(found: Persona, leads) -> None:
    LeadPersona.objects.bulk_create([LeadPersona(lead=lead, persona=found) for lead in leads])


@pytest.fixture
def personas(floor):
    s, r = floor.solar_leads, floor.roof_leads
    owners, ca = persona("homeowners", "Homeowners"), persona("ca", "Californians")
    persona("renters", "Renters")
    file_leads(owners, [s[0], s[1], s[2], r[0]])
    file_leads(ca, [s[2], s[3], r[0], r[1]])
    return floor


class ExactNumbers:
    def test_speed_by_persona_counts_a_lead_in_each_of_its_personas(self, personas):
        rows = speed_to_lead_rows(params=MARCH)
        assert summary(rows, *COLUMNS) == BY_PERSONA
        assert sum(row["leads"] for row in rows) == 12  # 10 leads, two of them in both personas

    def test_other_filters_still_narrow_the_leads(self, personas):
        roof = speed_to_lead_rows(params=replace(MARCH, campaign=personas.roof))
        # R0 231000 and R1 5400 in ca, R0 in homeowners, R2 45 in none.
        assert summary(roof, "leads", "median_seconds") == [
            ("(no persona)", 1, 45.0), ("ca", 2, 118200.0), ("homeowners", 1, 231000.0)]

    def test_without_personas_every_lead_is_in_no_persona(self, floor):
        assert summary(speed_to_lead_rows(params=MARCH), "leads", "contacted", "median_seconds") == [
            ("(no persona)", 10, 9, 600.0)]

    def test_empty_range_gives_no_rows(self, personas):
        empty = replace(MARCH, since=at("2025-01-01 00:00:00"), until=at("2025-02-01 00:00:00"),
                        business_hours=True)
        assert speed_to_lead_rows(params=empty) == []

    def test_follow_up_by_persona(self, db):
        fu = FollowUpFloor()
        roof = [lead for name, lead in fu.leads.items() if name in ("L5", "L6", "L7", "L9")]
        # Both personas hold exactly the roof leads, so each row is the roof campaign's; solar leads are in none.
        file_leads(persona("roofers", "Roofers"), roof)
        file_leads(persona("tall", "Tall houses"), roof)
        params = ReportParams(since=MARCH.since, until=MARCH.until)
        by_campaign = {row["key"]: row for row in followup_campaign_rows(params=params)}
        assert followup_persona_rows(params=params) == [
            {**by_campaign["solar"], "key": "(no persona)", "label": "(no persona)"},
            {**by_campaign["roof"], "key": "roofers", "label": "Roofers"},
            {**by_campaign["roof"], "key": "tall", "label": "Tall houses"},
        ]


TestExactNumbersSQLite, TestExactNumbersPostgreSQL = on_sqlite_and_postgresql(ExactNumbers)


def test_api_groups_by_persona(manager_client, personas):
    response = manager_client.get("/api/v1/reports/speed-to-lead/", {**RANGE, "group_by": "persona"})
    assert response.status_code == 200
    assert summary(response.json()["rows"], *COLUMNS) == BY_PERSONA


def test_page_and_csv_group_by_persona(manager_web, personas):
    query = {**RANGE, "group_by": "persona"}
    response = manager_web.get("/reports/speed-to-lead/", query)
    assert response.status_code == 200
    page = page_tables(response.content.decode())["main"]
    assert [row[:3] for row in page] == [["Group", "Leads", "Contacted"], ["(no persona)", "4", "3"],
                                         ["Californians", "4", "4"], ["Homeowners", "4", "4"]]
    assert '<option value="persona" selected>Persona</option>' in response.content.decode()
    exported = manager_web.get("/reports/speed-to-lead/", {**query, "format": "csv"})
    assert exported["Content-Disposition"] == 'attachment; filename="speed-to-lead-persona.csv"'
    assert csv_rows(exported) == page


def test_follow_up_page_api_and_csv_by_persona(manager_web, manager_client, personas):
    rows = manager_client.get("/api/v1/reports/follow-up-personas/", RANGE).json()["rows"]
    assert [(row["key"], row["label"], row["leads"]) for row in rows] == [
        ("(no persona)", "(no persona)", 4), ("ca", "Californians", 4), ("homeowners", "Homeowners", 4)]
    page = page_tables(manager_web.get("/reports/follow-up/", RANGE).content.decode())["personas"]
    assert [row[:2] for row in page] == [["Persona", "Leads"], ["(no persona)", "4"], ["Californians", "4"],
                                         ["Homeowners", "4"]]
    exported = manager_web.get("/reports/follow-up/", {**RANGE, "format": "csv", "table": "personas"})
    assert exported["Content-Disposition"] == 'attachment; filename="follow-up-personas.csv"'
    assert csv_rows(exported) == page


GROUP_BY_ERROR = {"group_by": ["Select a valid choice. nonsense is not one of the available choices."]}


def test_an_unknown_grouping_is_400_naming_it(manager_web, manager_client, personas):
    response = manager_client.get("/api/v1/reports/speed-to-lead/", {**RANGE, "group_by": "nonsense"})
    assert (response.status_code, response.json()) == (400, {"errors": GROUP_BY_ERROR})
    page = manager_web.get("/reports/speed-to-lead/", {**RANGE, "group_by": "nonsense"})
    assert page.status_code == 400
    assert "nonsense is not one of the available choices." in page.content.decode()
    csv = manager_web.get("/reports/speed-to-lead/", {**RANGE, "group_by": "nonsense", "format": "csv"})
    assert csv.status_code == 400 and csv["Content-Type"].startswith("text/html")
    # SLA groups by rule or team only (follow-up has a table by persona instead of a grouping).
    assert manager_client.get("/api/v1/reports/sla/", {**RANGE, "group_by": "persona"}).status_code == 400


def test_the_grouping_is_documented(client, db):
    import yaml

    spec = yaml.safe_load(client.get("/api/schema/").content)
    group_by = next(p for p in spec["paths"]["/api/v1/reports/speed-to-lead/"]["get"]["parameters"]
                    if p["name"] == "group_by")
    assert "persona" in group_by["schema"]["enum"]
    assert "the personas a lead was in when first scored" in group_by["description"]
    assert "/api/v1/reports/follow-up-personas/" in spec["paths"]
