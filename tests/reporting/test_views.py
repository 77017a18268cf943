"""The /reports/ pages: managers only, a form, a chart and tables whose CSV holds exactly the same cells."""

import csv
import io
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from reporting.tables import REPORTS
from tests.factories import CampaignFactory, LeadFactory, SupplierFactory
from tests.reporting.dataset import RANGE, at

PAGES = ["/reports/", *[f"/reports/{slug}/" for slug in REPORTS]]
TABLES = [(slug, table.name) for slug, report in REPORTS.items() for table in report.tables]
XSS = '<script>alert("x")</script>'


class Tables(HTMLParser):
    """Cells of every <table data-table=...>, as the browser shows their text."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current = None
        self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.current = self.tables.setdefault(attrs.get("data-table"), [])
        elif tag == "tr" and self.current is not None:
            self.current.append([])
        elif tag in ("td", "th") and self.current is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.current[-1].append("".join(self.cell))
            self.cell = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", PAGES)
def test_rep_and_plain_users_get_403(client, rep_user, plain_user, path):
    for user in (rep_user, plain_user):
        client.force_login(user)
        assert client.get(path).status_code == 403
        assert client.get(path, {"format": "csv"}).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_supplier_key_does_not_open_pages(client, supplier_key, path):
    response = client.get(path, HTTP_AUTHORIZATION=f"Api-Key {supplier_key}")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", PAGES)
def test_manager_sees_every_page(manager_web, floor, path):
    response = manager_web.get(path, RANGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="since"' in html and 'name="campaign"' in html and 'name="team"' in html
    assert 'name="tz"' in html and 'name="business_hours"' in html
    if path != "/reports/":
        assert "<svg" in html and "Download CSV" in html and "format=csv" in html


def test_index_headlines(manager_web, floor):
    html = manager_web.get("/reports/", RANGE).content.decode()
    for text in ("Median speed to lead", "10.0 min", "14.4 h", "40.0 %", "30.0 %", "-5.00"):
        assert text in html


def test_speed_page_table_and_group_by(manager_web, floor):
    response = manager_web.get("/reports/speed-to-lead/", {**RANGE, "group_by": "rep"})
    rows = page_tables(response.content.decode())["main"]
    assert rows[0][:6] == ["Group", "Leads", "Contacted", "Never contacted %", "Median (s)", "P90 (s)"]
    assert [row[:6] for row in rows[1:]] == [
        ["(unassigned)", "1", "0", "100.00", "", ""],
        ["Alice Archer", "3", "3", "0.00", "240", "1968"],
        ["Bob Baker", "3", "3", "0.00", "600", "5880"],
        ["Carol Cole", "3", "3", "0.00", "5400", "185880"],
    ]


@pytest.mark.parametrize("slug, table", TABLES)
def test_csv_matches_the_table_exactly(manager_web, floor, slug, table):
    query = {**RANGE, "group_by": "team" if slug == "sla" else "rep"} if slug in ("sla", "speed-to-lead") else RANGE
    page = page_tables(manager_web.get(f"/reports/{slug}/", query).content.decode())[table]
    response = manager_web.get(f"/reports/{slug}/?{urlencode({**query, 'format': 'csv', 'table': table})}")
    assert response.status_code == 200
    assert csv_rows(response) == page
    assert len(page) > 1


def test_csv_of_the_suppliers_has_a_column_per_reason(manager_web, floor):
    rows = csv_rows(manager_web.get("/reports/suppliers/", {**RANGE, "format": "csv"}))
    assert rows[0][:9] == ["Group", "Attempts", "Accepted", "Duplicates", "Rejected", "Rejected: campaign_closed",
                           "Rejected: invalid_contact", "Rejected: suppressed", "Invalid"]
    assert rows[1][:9] == ["Acme", "13", "7", "2", "3", "0", "1", "2", "1"]


def test_csv_link_keeps_the_query(manager_web, floor):
    html = manager_web.get("/reports/speed-to-lead/", {**RANGE, "group_by": "team", "tz": "Europe/Berlin"}).content
    assert b"group_by=team&amp;tz=Europe%2FBerlin&amp;format=csv&amp;table=main" in html


def test_csv_neutralises_formulas(manager_web, db):
    campaign = CampaignFactory(slug="evil", name='=HYPERLINK("http://evil.example","click")')
    supplier = SupplierFactory(name="@SUM(A1:A2)")
    LeadFactory(campaign=campaign, supplier=supplier, received_at=at("2026-03-02 10:00:00"))
    rows = csv_rows(manager_web.get("/reports/campaigns/", {**RANGE, "format": "csv"}))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","click")'
    rows = csv_rows(manager_web.get("/reports/speed-to-lead/", {**RANGE, "group_by": "supplier", "format": "csv"}))
    assert rows[1][0] == "'@SUM(A1:A2)"
    # The page shows the name as it is (escaped HTML, not a formula there).
    page = page_tables(manager_web.get("/reports/campaigns/", RANGE).content.decode())["main"]
    assert page[1][0] == '=HYPERLINK("http://evil.example","click")'


def test_html_in_names_is_escaped_in_pages_and_charts(manager_web, db):
    campaign = CampaignFactory(slug="xss", name=XSS)
    LeadFactory(campaign=campaign, supplier=SupplierFactory(name=f"S {XSS}"), received_at=at("2026-03-02 10:00:00"),
                first_contact_at=at("2026-03-02 10:01:00"))
    for path, query in (("/reports/speed-to-lead/", {}), ("/reports/speed-to-lead/", {"group_by": "supplier"}),
                        ("/reports/campaigns/", {}), ("/reports/suppliers/", {})):
        html = manager_web.get(path, {**RANGE, **query}).content.decode()
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
        svg = html[html.index("<svg"):html.index("</svg>")]
        assert "&lt;script&gt;" in svg


def test_bad_parameters_show_errors_on_the_page(manager_web, floor):
    response = manager_web.get("/reports/speed-to-lead/", {"group_by": "<b>planet</b>", "since": "2026-03-10",
                                                            "until": "2026-03-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Must not be before since." in html
    assert "Select a valid choice. &lt;b&gt;planet&lt;/b&gt; is not one of the available choices." in html
    assert "<b>planet</b>" not in html
    assert manager_web.get("/reports/", {"since": "soon"}).status_code == 400


def test_empty_range_page(manager_web, floor):
    html = manager_web.get("/reports/speed-to-lead/", {"since": "2020-01-01", "until": "2020-01-02"}).content.decode()
    assert "No leads in this range." in html and "<svg" not in html
    assert csv_rows(manager_web.get("/reports/speed-to-lead/", {"since": "2020-01-01", "until": "2020-01-02",
                                                                 "format": "csv"}))[1:] == []


def test_unknown_report_or_table_is_404(manager_web, db):
    assert manager_web.get("/reports/nope/").status_code == 404
    assert manager_web.get("/reports/reps/", {"format": "csv", "table": "nope"}).status_code == 404


def test_admin_index_links_to_reports_and_live(manager_web):
    html = manager_web.get("/admin/").content.decode()
    assert 'href="/reports/"' in html and 'href="/live/"' in html
    assert "Sales floor configuration" in html
