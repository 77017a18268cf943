"""The report API for managers: GET with the report's filters, answers {"rows": [...]} or 400 {"errors": ...}.

Each endpoint is one table of reporting.tables.REPORTS: its filters, its selector, and its columns (a row is the
table's fields plus `key`; reporting.api.serializers documents them from the same columns)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.auth import ApiKeyAuthentication
from campaigns.models import Lead
from leadcrm.roles import IsManager
from reporting.api import serializers as s
from reporting.filters import ReportFilter
from reporting.tables import REPORTS, Table


class ReportsForManagers(IsManager):
    message = "Reports are for sales managers."


def filter_parameters(filterset_class: type[ReportFilter]) -> list[OpenApiParameter]:
    """One documented query parameter per filter of the FilterSet."""
    out = []
    for name, flt in filterset_class.base_filters.items():
        enum = [value for value, _ in flt.extra["choices"]] if "choices" in flt.extra else None
        enum = ["0", "1"] if name == "business_hours" else enum
        kind = OpenApiTypes.INT if name in ("supplier", "team") else OpenApiTypes.STR
        out.append(OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, enum=enum,
                                    description=str(flt.extra.get("help_text", ""))))
    return out


def api_rows(table: Table, rows: list[dict]) -> list[dict]:
    """The rows as the API answers them: key and the table's fields, in its order (optional ones when present)."""
    keys = s.api_fields(table)
    return [{key: row[key] for key in keys if key in row} for row in rows]


class ReportApi(APIView):
    """Validate the query string with the report's FilterSet, run its selector, answer {"rows": [...]}."""

    authentication_classes = [TokenAuthentication, SessionAuthentication, ApiKeyAuthentication]
    permission_classes = [ReportsForManagers]
    report: str  # a slug of reporting.tables.REPORTS
    table: str = "main"

    def get(self, request: Request) -> Response:
        report = REPORTS[self.report]
        table = report.table_named(self.table)
        filterset = report.filterset(request.query_params, queryset=Lead.objects.none())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return Response({"rows": api_rows(table, table.selector(params=filterset.params()))})


def report_api(report: str, row: type, name: str, summary: str, *, table: str = "main") -> type[ReportApi]:
    """The view `{name}Api` answering table `table` of report `report`, documented as the schema component `name`
    (a {"rows": [row, ...]} answer) with the query parameters of the report's FilterSet."""
    view = type(f"{name}Api", (ReportApi,), {"report": report, "table": table, "__module__": __name__})
    return extend_schema_view(get=extend_schema(
        summary=summary, tags=["reports"], parameters=filter_parameters(REPORTS[report].filterset),
        responses={
            200: s.rows_of(row, name),
            400: OpenApiResponse(s.ReportErrorsSerializer, description="Unknown group_by, bad date or time zone, "
                                                                 "since after until, unknown campaign/supplier/team."),
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="Signed in, but not a sales manager (reps, supplier keys)."),
        },
    ))(view)


SpeedToLeadReportApi = report_api("speed-to-lead", s.SpeedRowSerializer, "SpeedToLeadReport",
    "Speed-to-lead (received -> first contact) per group, split into system and human delay")
ConversionBySpeedReportApi = report_api("conversion-by-speed", s.ConversionRowSerializer, "ConversionBySpeedReport",
    "Won rate per response-speed bucket")
# Suppliers and campaigns share their columns (reporting.tables.SOURCE_COLUMNS).
SOURCE_SUMMARY = "attempts, outcomes, rejections by reason, contact/conversion rate, cost and margin, returns"
SupplierReportApi = report_api("suppliers", s.SourceRowSerializer, "SupplierReport", f"Suppliers: {SOURCE_SUMMARY}")
CampaignReportApi = report_api("campaigns", s.SourceRowSerializer, "CampaignReport", f"Campaigns: {SOURCE_SUMMARY}")
BuyerReportApi = report_api("buyers", s.BuyerRowSerializer, "BuyerReport",
    "Buyers: pings, bids, posts, accepted, rejected, timeouts, errors, leads won, returns, revenue, average price, "
    "response times")
RepReportApi = report_api("reps", s.RepRowSerializer, "RepReport",
    "Reps: offers by outcome, acceptance rate, median response, conversions, load")
RepFairnessReportApi = report_api("reps", s.FairnessRowSerializer, "RepFairnessReport",
    "Fairness: each rep's share of a rule's offers vs the share its strategy intends", table="fairness")
RepDeclinesReportApi = report_api("reps", s.DeclineRowSerializer, "RepDeclinesReport",
    "Declines by reason: each rep's declined offers per reason code (or legacy free text)", table="declines")
SlaReportApi = report_api("sla", s.SlaRowSerializer, "SlaReport",
    "SLA: expired offers and leads that waited longer than their rule allows, by rule or team")
FollowUpReportApi = report_api("follow-up", s.FollowUpRowSerializer, "FollowUpReport",
    "Follow-up by rep (lead owner): attempts per lead, first -> second attempt, leads given up after one attempt, "
    "attempts to connect, won rate by attempts")
FollowUpCampaignReportApi = report_api("follow-up", s.FollowUpRowSerializer, "FollowUpCampaignReport",
    "Follow-up by campaign: the same columns as by rep", table="campaigns")
FollowUpPersonaReportApi = report_api("follow-up", s.FollowUpRowSerializer, "FollowUpPersonaReport",
    "Follow-up by persona (those a lead was in when first scored; a lead in several counts in each, leads in none "
    "under \"(no persona)\"): the same columns as by rep", table="personas")
WonByAttemptsReportApi = report_api("follow-up", s.AttemptsRowSerializer, "WonByAttemptsReport",
    "Leads and won rate per number of contact attempts (none, 1, 2, 3, 4, 5+)", table="attempts")
