"""The lead list's export: CSV and XLSX of the leads in the changelist's current filters, the useful columns, no
cell a spreadsheet would run as a formula, and a number of queries that does not grow with the rows."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.models import Lead
from campaigns.resources import LeadExportResource
from tests.factories import CampaignFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db
EXPORT = reverse("admin:campaigns_lead_export")
COLUMNS = ["id", "status", "campaign", "supplier", "external_id", "first_name", "last_name", "email", "phone",
           "country", "region", "postal_code", "language", "skill", "received_at", "assigned_rep",
           "first_contact_at", "fields", "consent", "erased_at"]
FORMULA = '=HYPERLINK("http://evil.example","click")'


def export(client, file_format: str, query: str = ""):
    index = {"csv": "0", "xlsx": "1"}[file_format]
    fields = {f"leadexportresource_{name}": "on" for name in LeadExportResource().get_export_order()}
    response = client.post(EXPORT + query, {"resource": "0", "format": index, **fields})
    assert response.status_code == 200, response.content[:500]
    return response


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> tuple[list[dict], list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = list(sheet.iter_rows())
    header = [cell.value for cell in cells[0]]
    return [dict(zip(header, [cell.value for cell in row], strict=True)) for row in cells[1:]], cells[1:]


@pytest.fixture
def dangerous(db):
    owner = UserFactory(username="zoe")
    return LeadFactory(first_name=FORMULA, last_name="@SUM(A1:A2)", email="ada@example.com", region="-2+3",
                       postal_code="+1",
                       phone="+14155550100", fields={"note": "=1+1", "kwh": 400}, owner=owner,
                       consent={"text": "=cmd|' /C calc'!A0", "given_at": "2026-12-01T08:00:00+00:00"},
                       campaign=CampaignFactory(slug="solar-us"), external_id="e-1")


def test_csv_has_the_useful_columns_and_no_formula(manager_web, dangerous):
    rows = csv_rows(export(manager_web, "csv"))
    assert list(rows[0]) == COLUMNS
    row = rows[0]
    assert row["id"] == str(dangerous.pk) and row["campaign"] == "solar-us" and row["assigned_rep"] == "zoe"
    assert row["first_name"] == "'" + FORMULA and row["last_name"] == "'@SUM(A1:A2)"
    assert row["region"] == "'-2+3" and row["postal_code"] == "'+1" and row["phone"] == "'+14155550100"
    assert json.loads(row["fields"]) == {"note": "=1+1", "kwh": 400}  # a JSON object: starts with "{"
    assert row["email"] == dangerous.email and row["status"] == "new"
    assert json.loads(row["consent"])["text"] == "=cmd|' /C calc'!A0" and row["erased_at"] == ""


def test_xlsx_cells_are_text_never_formulas(manager_web, dangerous):
    response = export(manager_web, "xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows, cells = xlsx_rows(response)
    assert rows[0]["first_name"] == "'" + FORMULA and rows[0]["last_name"] == "'@SUM(A1:A2)"
    assert rows[0]["region"] == "'-2+3" and rows[0]["assigned_rep"] == "zoe"
    assert all(cell.data_type != "f" for row in cells for cell in row)


def test_the_export_follows_the_changelist_filters(manager_web):
    won = LeadFactory(status=Lead.Status.WON, country="US")
    LeadFactory(status=Lead.Status.NEW, country="US")
    LeadFactory(status=Lead.Status.WON, country="DE")
    rows = csv_rows(export(manager_web, "csv", "?status__exact=won&country=US"))
    assert [row["id"] for row in rows] == [str(won.pk)]
    searched = csv_rows(export(manager_web, "csv", f"?q={won.last_name}"))
    assert [row["id"] for row in searched] == [str(won.pk)]


def test_the_changelist_offers_import_and_export_with_its_filters(manager_web):
    body = manager_web.get(reverse("admin:campaigns_lead_changelist"), {"status__exact": "won"}).content.decode()
    assert reverse("admin:campaigns_lead_import") in body
    assert EXPORT + "?status__exact=won" in body
    assert reverse("admin:campaigns_lead_add") in body


def test_export_queries_do_not_grow_with_rows(manager_web):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            export(manager_web, "csv")
        return len(ctx.captured_queries)

    campaign = CampaignFactory()
    LeadFactory.create_batch(3, campaign=campaign, owner=UserFactory())
    few = queries()
    LeadFactory.create_batch(30, campaign=campaign, owner=UserFactory())
    assert queries() == few
