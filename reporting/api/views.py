"""The report API for managers: GET with the report's filters, answers {"rows": [...]} or 400 {"errors": ...}."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.auth import ApiKeyAuthentication
from campaigns.models import Lead
from leadcrm.roles import is_manager
from reporting import selectors
from reporting.api import serializers as s
from reporting.filters import ReportFilter, SlaFilter, SpeedFilter


class IsManager(permissions.BasePermission):
    message = "Reports are for sales managers."

    def has_permission(self, request, view) -> bool:
        return is_manager(request.user)


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


def report_schema(filterset_class: type[ReportFilter], row: type, name: str, summary: str):
    return extend_schema(
        summary=summary, tags=["reports"], parameters=filter_parameters(filterset_class),
        responses={
            200: s.rows_of(row, name),
            400: OpenApiResponse(s.ReportErrorsSerializer, description="Unknown group_by, bad date or time zone, "
                                                                 "since after until, unknown campaign/supplier/team."),
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="Signed in, but not a sales manager (reps, supplier keys)."),
        },
    )


class ReportApi(APIView):
    """Validate the query string with the report's FilterSet, run its selector, answer {"rows": [...]}."""

    authentication_classes = [TokenAuthentication, SessionAuthentication, ApiKeyAuthentication]
    permission_classes = [IsManager]
    filterset_class: type[ReportFilter] = ReportFilter
    selector: Callable[..., list[dict]]

    def get(self, request: Request) -> Response:
        filterset = self.filterset_class(request.query_params, queryset=Lead.objects.none())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return Response({"rows": type(self).selector(params=filterset.params())})


class SpeedToLeadReportApi(ReportApi):
    filterset_class = SpeedFilter
    selector = staticmethod(selectors.speed_to_lead_rows)

    @report_schema(SpeedFilter, s.SpeedRowSerializer, "SpeedToLeadReport",
                   "Speed-to-lead (received -> first contact) per group, split into system and human delay")
    def get(self, request: Request) -> Response:
        return super().get(request)


class ConversionBySpeedReportApi(ReportApi):
    selector = staticmethod(selectors.conversion_by_speed_rows)

    @report_schema(ReportFilter, s.ConversionRowSerializer, "ConversionBySpeedReport",
                   "Won rate per response-speed bucket")
    def get(self, request: Request) -> Response:
        return super().get(request)


class SupplierReportApi(ReportApi):
    selector = staticmethod(selectors.supplier_rows)

    @report_schema(ReportFilter, s.SourceRowSerializer, "SupplierReport",
                   "Suppliers: attempts, outcomes, rejections by reason, contact/conversion rate, cost and margin")
    def get(self, request: Request) -> Response:
        return super().get(request)


class CampaignReportApi(ReportApi):
    selector = staticmethod(selectors.campaign_rows)

    @report_schema(ReportFilter, s.SourceRowSerializer, "CampaignReport",
                   "Campaigns: attempts, outcomes, rejections by reason, contact/conversion rate, cost and margin")
    def get(self, request: Request) -> Response:
        return super().get(request)


class RepReportApi(ReportApi):
    selector = staticmethod(selectors.rep_rows)

    @report_schema(ReportFilter, s.RepRowSerializer, "RepReport",
                   "Reps: offers by outcome, acceptance rate, median response, conversions, load")
    def get(self, request: Request) -> Response:
        return super().get(request)


class RepFairnessReportApi(ReportApi):
    selector = staticmethod(selectors.rep_fairness_rows)

    @report_schema(ReportFilter, s.FairnessRowSerializer, "RepFairnessReport",
                   "Fairness: each rep's share of a rule's offers vs the share its strategy intends")
    def get(self, request: Request) -> Response:
        return super().get(request)


class SlaReportApi(ReportApi):
    filterset_class = SlaFilter
    selector = staticmethod(selectors.sla_rows)

    @report_schema(SlaFilter, s.SlaRowSerializer, "SlaReport",
                   "SLA: expired offers and leads that waited longer than their rule allows, by rule or team")
    def get(self, request: Request) -> Response:
        return super().get(request)
