"""The report API and the report pages show the same columns: every API row is `key` plus its page table's columns,
in the schema and in real answers, so a column added to one side only fails here."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from campaigns.models import Lead
from reporting.api import serializers as s
from reporting.api.urls import urlpatterns
from reporting.tables import REPORTS
from tests.reporting.dataset import RANGE

# (endpoint, extra query): each grouping whose page shows other columns (SLA by rule shows the rule's limits).
ANSWERS = [("speed-to-lead", {"group_by": "rep"}), ("conversion-by-speed", {}), ("suppliers", {}), ("campaigns", {}),
           ("buyers", {}), ("reps", {}), ("fairness", {}), ("declines", {}), ("sla", {"group_by": "rule"}),
           ("sla", {"group_by": "team"}), ("follow-up", {}), ("follow-up-campaigns", {}), ("follow-up-personas", {}),
           ("follow-up-attempts", {})]


def report_apis() -> dict[str, type]:
    """Endpoint name (/api/v1/reports/<name>/) -> its view class."""
    return {str(p.pattern).strip("/"): p.callback.view_class for p in urlpatterns}


def table_of(view):
    return REPORTS[view.report].table(view.table)


def test_every_page_table_has_an_endpoint():
    served = {(view.report, view.table) for view in report_apis().values()}
    assert served == {(slug, table.name) for slug, report in REPORTS.items() for table in report.tables}
    assert {name for name, _ in ANSWERS} == set(report_apis())


@pytest.fixture(scope="module")
def spec():
    """The OpenAPI document /api/schema/ serves, generated once for the module (no request: no event loop)."""
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("name", sorted(report_apis()))
def test_documented_row_is_key_plus_the_page_table_columns(spec, name):
    table = table_of(report_apis()[name])
    schemas = spec["components"]["schemas"]
    ok = spec["paths"][f"/api/v1/reports/{name}/"]["get"]["responses"]["200"]["content"]["application/json"]
    answer = schemas[ok["schema"]["$ref"].rpartition("/")[2]]
    row = schemas[answer["properties"]["rows"]["items"]["$ref"].rpartition("/")[2]]
    assert list(row["properties"]) == ["key", *(column.key for column in table.fields)] == s.api_fields(table)
    optional = {column.key for column in table.fields if column.optional}
    assert set(row["required"]) == set(row["properties"]) - optional


@pytest.mark.parametrize("name, query", ANSWERS)
def test_api_rows_have_exactly_the_columns_the_page_shows(manager_client, floor, name, query):
    view = report_apis()[name]
    report = REPORTS[view.report]
    table = report.table(view.table)
    filterset = report.filterset({**RANGE, **query}, queryset=Lead.objects.none())
    assert filterset.is_valid(), filterset.errors
    page = table.render(filterset.params())
    assert page["rows"], "the floor has rows for every report"
    page_keys = ["key", *dict.fromkeys(column.key.partition(".")[0] for column in page["columns"])]
    rows = manager_client.get(f"/api/v1/reports/{name}/", {**RANGE, **query}).json()["rows"]
    assert rows
    for row in rows:
        assert list(row) == page_keys


def test_load_pct_is_on_the_reps_page_and_in_the_api(manager_web, manager_client, floor):
    assert "Load %" in manager_web.get("/reports/reps/", RANGE).content.decode()
    assert all("load_pct" in row for row in manager_client.get("/api/v1/reports/reps/", RANGE).json()["rows"])


# The row fields each endpoint documented before the rows came from the page tables: a table may gain columns,
# but dropping or renaming one of these breaks API clients.
PUBLISHED = {
    "speed-to-lead": "key label leads contacted never_contacted_pct median_seconds p90_seconds within_1_min_pct "
                     "within_5_min_pct within_30_min_pct median_received_to_offered_seconds "
                     "median_offered_to_seen_seconds median_offered_to_accepted_seconds "
                     "median_accepted_to_contact_seconds",
    "conversion-by-speed": "key label leads won won_rate_pct",
    "suppliers": "key label attempts accepted duplicates rejected invalid rejected_by_reason leads contacted won "
                 "contact_rate_pct conversion_rate_pct cost cost_per_lead cost_per_sale revenue margin margin_pct",
    "reps": "key label offered accepted declined expired revoked open acceptance_rate_pct median_response_seconds "
            "won load capacity load_pct",
    "fairness": "key label rule rule_id strategy offers share_pct intended_pct difference_pct",
    "sla": "key label offers expired_offers expired_pct leads_offered late_first_offers waiting_now waiting_late "
           "late_leads late_pct max_wait_seconds offer_timeout_seconds median_wait_seconds p90_wait_seconds",
}
PUBLISHED["campaigns"] = PUBLISHED["suppliers"]
# Added after: the fields they were published with.
PUBLISHED.update({
    "declines": "key label reason code declines share_pct",
    "follow-up": "key label leads contacted attempts_per_lead followed_up median_first_to_second_seconds "
                 "given_up_after_one given_up_after_one_pct connected median_attempts_to_connect won_rate_1_pct "
                 "won_rate_2_pct won_rate_3_pct won_rate_4_pct won_rate_5_plus_pct",
    "follow-up-attempts": "key label leads leads_pct won won_rate_pct",
    "buyers": "key label pings bids bid_rate_pct posts accepted rejected timeouts errors won returned return_rate_pct "
              "revenue average_price mean_response_seconds median_response_seconds",
})
PUBLISHED["suppliers"] += " sold returned return_rate_pct returned_amount recycled recycled_won recycled_open"
PUBLISHED["campaigns"] = PUBLISHED["suppliers"]
PUBLISHED["follow-up-campaigns"] = PUBLISHED["follow-up-personas"] = PUBLISHED["follow-up"]


@pytest.mark.parametrize("name", sorted(report_apis()))
def test_no_published_field_is_lost(name):
    assert set(PUBLISHED[name].split()) <= set(s.api_fields(table_of(report_apis()[name])))
