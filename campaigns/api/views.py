"""Lead API doors: parse, call the intake service or a selector, shape the answer."""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from campaigns.api import schema
from campaigns.api.auth import ApiKeyAuthentication, SupplierPrincipal
from campaigns.api.filters import LeadFilter
from campaigns.api.parsers import BulkJSONParser, LengthRequired, RequestTooLarge, SingleLeadJSONParser
from campaigns.api.permissions import CanReadLeads, IsSupplier, lead_viewer
from campaigns.api.serializers import (
    LeadAnswersSerializer,
    LeadBulkIntakeSerializer,
    LeadIntakeSerializer,
    LeadReadSerializer,
)
from campaigns.api.throttles import SupplierKeyRateThrottle
from campaigns.models import Lead, Supplier
from campaigns.selectors import leads_visible_to
from campaigns.services import IntakeResult, intake_invalid_record, lead_intake, lead_intake_bulk
from campaigns.services.lead_answers import lead_answers_add
from campaigns.services.normalise import LeadInvalid

AUTHENTICATION = [ApiKeyAuthentication, TokenAuthentication, SessionAuthentication]


def _supplier(request: Request) -> Supplier:
    """The posting supplier: IsSupplier lets only a supplier key's principal post."""
    principal: object = request.user
    if not isinstance(principal, SupplierPrincipal):
        raise exceptions.PermissionDenied(IsSupplier.message)
    return principal.supplier


def _posted_json(request: Request, supplier: Supplier) -> Any:
    """The parsed body; a body the parser refuses is recorded as an invalid attempt, then answered as usual."""
    try:
        if "chunked" in request.headers.get("Transfer-Encoding", "").lower() and not request.headers.get(
                "Content-Length"):
            raise LengthRequired()  # DRF would read a body without Content-Length as empty
        if not request.content_type and request.stream is not None:
            raise exceptions.UnsupportedMediaType("", detail="Send the body as JSON with "
                                                             "Content-Type: application/json.")
        return request.data
    except (exceptions.ParseError, exceptions.UnsupportedMediaType, RequestTooLarge, LengthRequired) as refused:
        intake_invalid_record(supplier=supplier, status_code=refused.status_code,
                              body={"detail": str(refused.detail)}, detail=str(refused.detail))
        raise
    except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE; leadcrm.api answers it with a JSON 413
        intake_invalid_record(supplier=supplier, status_code=413,
                              body={"detail": "Request body too large."}, detail="Request body too large.")
        raise


def _idempotency_key(request: Request) -> str:
    return request.headers.get("Idempotency-Key", "")


class LeadReadMixin(generics.GenericAPIView[Lead]):
    authentication_classes = AUTHENTICATION
    throttle_classes = [SupplierKeyRateThrottle]
    serializer_class = LeadReadSerializer

    def get_queryset(self) -> QuerySet[Lead]:
        return leads_visible_to(user=self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "viewer": lead_viewer(self.request.user)}


class LeadListIntakeApi(LeadReadMixin, generics.ListAPIView):
    """GET: the leads the caller may see. POST: one lead from a supplier."""

    parser_classes = [SingleLeadJSONParser]
    filter_backends = [DjangoFilterBackend]
    filterset_class = LeadFilter

    def get_permissions(self):
        return [IsSupplier()] if self.request.method == "POST" else [CanReadLeads()]

    @extend_schema(operation_id="leads_list", summary="List leads",
                   description="A supplier sees only its own leads, a manager all, a rep those it owns or was "
                               "offered. Newest first, 50 per page.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="leads_create", summary="Post one lead (suppliers)",
                   request=LeadIntakeSerializer, parameters=[schema.IDEMPOTENCY_KEY],
                   examples=[schema.REQUEST_EXAMPLE], responses=schema.LEAD_RESPONSES)
    def post(self, request: Request) -> Response:
        supplier = _supplier(request)
        result = lead_intake(supplier=supplier, payload=_posted_json(request, supplier),
                             idempotency_key=_idempotency_key(request))
        return _intake_response(request, result)


def _intake_response(request: Request, result: IntakeResult) -> Response:
    headers = {}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    if result.status_code == 201 and result.lead_id:
        headers["Location"] = reverse("lead-detail", args=[result.lead_id], request=request)
    return Response(result.body, status=result.status_code, headers=headers)


class LeadBulkIntakeApi(APIView):
    """POST up to 1,000 leads; one result per lead, in order."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsSupplier]
    throttle_classes = [SupplierKeyRateThrottle]
    parser_classes = [BulkJSONParser]

    @extend_schema(operation_id="leads_bulk_create", summary="Post up to 1,000 leads (suppliers)",
                   request=LeadBulkIntakeSerializer, parameters=[schema.IDEMPOTENCY_KEY],
                   responses=schema.BULK_RESPONSES,
                   description="Body: a JSON list of leads or {\"leads\": [...]}. Each lead gets the answer the "
                               "single endpoint would give it, in its own transaction; the request counts once "
                               "against the rate limit.")
    def post(self, request: Request) -> Response:
        supplier = _supplier(request)
        result = lead_intake_bulk(supplier=supplier, payload=_posted_json(request, supplier),
                                  idempotency_key=_idempotency_key(request))
        return Response(result.body, status=result.status_code)


class LeadAnswersMixin(LeadReadMixin):
    """PATCH {"fields": {...}}: a supplier adds answers to its own lead (CONTRACT 6.8)."""

    parser_classes = [SingleLeadJSONParser]

    def get_permissions(self):
        return [IsSupplier()] if self.request.method == "PATCH" else [CanReadLeads()]

    def answers_add(self, request: Request, **lookup: Any) -> Response:
        supplier = _supplier(request)
        if not request.content_type:
            raise exceptions.UnsupportedMediaType("", detail="Send the body as JSON with "
                                                             "Content-Type: application/json.")
        try:
            lead = lead_answers_add(supplier=supplier, payload=request.data, **lookup)
        except LeadInvalid as invalid:
            return Response({"errors": invalid.errors}, status=400)
        return Response(self.get_serializer(lead).data)


class LeadDetailApi(LeadAnswersMixin, generics.RetrieveAPIView):
    """One lead the caller may see; any other id is a 404. Its supplier may add answers (PATCH)."""

    @extend_schema(operation_id="leads_retrieve", summary="Read one lead",
                   responses={200: LeadReadSerializer, 404: OpenApiResponse(description="Not yours, or no such lead.")})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="leads_answers_add", summary="Add answers to your lead (suppliers)",
                   request=LeadAnswersSerializer, responses=schema.ANSWERS_RESPONSES,
                   description=schema.ANSWERS_DESCRIPTION)
    def patch(self, request: Request, pk: int) -> Response:
        return self.answers_add(request, lead_id=pk)


class LeadByExternalIdApi(LeadAnswersMixin):
    """The supplier's lead by its own external_id: PATCH adds answers, as on the lead's id."""

    @extend_schema(operation_id="leads_answers_add_by_external_id",
                   summary="Add answers to your lead, found by its external_id (suppliers)",
                   request=LeadAnswersSerializer, responses=schema.ANSWERS_RESPONSES,
                   description=schema.ANSWERS_DESCRIPTION)
    def patch(self, request: Request, external_id: str) -> Response:
        return self.answers_add(request, external_id=external_id)
