"""The API for working a lead: notes, timeline, callbacks, stage moves, the rep's leads and the reason lists.

Only the lead's owner and managers reach a lead here; anyone else gets 404 (no hint that it exists).
"""

from __future__ import annotations

from typing import Any

from django.utils.timezone import now as tz_now
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments import services
from assignments.api import work_serializers as s
from assignments.api.views import valid_data
from assignments.models import Callback, ReasonCode
from assignments.selectors_privacy import person_export
from assignments.selectors_work import callbacks_for_user, lead_timeline, leads_for_work, my_leads, reasons_active
from assignments.services.delays import lead_release_now
from campaigns.api.serializers import LeadReadSerializer
from campaigns.api.views import AUTHENTICATION
from campaigns.models import Lead
from leadcrm.roles import IsManager


def _user_id(request: Request) -> int:
    return int(request.user.pk or 0)


class ManagerApi(APIView):
    """An endpoint for managers only; a supplier's key is recognised, then refused (403)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsManager]


def _as_manager_reads_it(request: Request, lead: Lead) -> Response:
    """The answer of a manager's action on a lead: the lead's detail as a manager reads it."""
    return Response(LeadReadSerializer(lead, context={"request": request, "viewer": "manager"}).data)


class LeadNoteCreateApi(APIView):
    """Add a note to a lead you own (or manage): 1 to 5,000 characters."""

    @extend_schema(request=s.NoteInSerializer, responses={201: s.NoteSerializer})
    def post(self, request: Request, lead_id: int) -> Response:
        text = valid_data(s.NoteInSerializer, request.data)["text"]
        note = services.lead_note_add(lead_id=lead_id, user=request.user, text=text)
        return Response(s.NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class LeadTimelineApi(APIView):
    """Everything that happened to a lead you own (or manage), oldest first."""

    @extend_schema(responses=s.TimelineSerializer)
    def get(self, request: Request, lead_id: int) -> Response:
        lead = services.lead_for_worker(lead_id=lead_id, user=request.user)
        return Response(s.TimelineSerializer({"events": lead_timeline(lead=lead)}).data)


class LeadCallbackCreateApi(APIView):
    """Schedule a callback on a lead you own (or manage): due_at with its UTC offset, within a year."""

    @extend_schema(request=s.CallbackInSerializer, responses={201: s.CallbackCreatedSerializer})
    def post(self, request: Request, lead_id: int) -> Response:
        callback = services.callback_schedule(lead_id=lead_id, user=request.user,
                                              **valid_data(s.CallbackInSerializer, request.data))
        return Response(s.CallbackCreatedSerializer(callback).data, status=status.HTTP_201_CREATED)


class LeadStageApi(APIView):
    """Move a lead you own (or manage) to a stage: qualified, nurture, unqualified (reason), won, lost (reason),
    or contacted to reopen a lost or unqualified lead."""

    @extend_schema(request=s.StageInSerializer, responses=s.WorkedLeadSerializer)
    def post(self, request: Request, lead_id: int) -> Response:
        services.lead_stage_set(lead_id=lead_id, user=request.user, **valid_data(s.StageInSerializer, request.data))
        lead = leads_for_work().get(pk=lead_id)
        return Response(s.WorkedLeadSerializer(lead, context={"now": tz_now()}).data)


class CallbackListApi(ListAPIView[Callback]):
    """Your callbacks: ?status=due (due or overdue), upcoming or done; all when absent."""

    serializer_class = s.CallbackSerializer
    filter_backends: list[Any] = []

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=["due", "upcoming", "done"])])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        wanted = valid_data(s.CallbackListQuerySerializer, self.request.query_params)["status"]
        return callbacks_for_user(user_id=_user_id(self.request), status=wanted, now=tz_now())


class CallbackDoneApi(APIView):
    """Mark one of your callbacks done (again: no change)."""

    @extend_schema(request=None, responses=s.CallbackSerializer)
    def post(self, request: Request, callback_id: int) -> Response:
        callback = services.callback_done(callback_id=callback_id, user=request.user)
        return Response(s.CallbackSerializer(Callback.objects.select_related("lead__campaign")
                                             .get(pk=callback.pk)).data)


class MyLeadsApi(ListAPIView[Lead]):
    """The leads you own, to work: open first, then by next callback. ?q= (name, phone, email), ?stage=,
    ?campaign= (slug)."""

    serializer_class = s.WorkedLeadSerializer
    filter_backends: list[Any] = []

    @extend_schema(parameters=[OpenApiParameter("q", str), OpenApiParameter("stage", str),
                               OpenApiParameter("campaign", str)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return my_leads(user_id=_user_id(self.request), q=params.get("q", "")[:100],
                        stage=params.get("stage", "")[:16], campaign=params.get("campaign", "")[:64])

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": tz_now()}


class ReasonListApi(ListAPIView[ReasonCode]):
    """The reasons to pick from: ?kind=lost|unqualified|decline (all when absent)."""

    serializer_class = s.ReasonSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        kind = self.request.query_params.get("kind", "")
        return reasons_active(kind=kind if kind in ReasonCode.Kind.values else None)


class LeadAssignApi(ManagerApi):
    """Managers: make a rep the lead's owner at once, whatever its state but closed (409 lead_closed); open offers
    to others are revoked and a previous owner loses it. It may pass the rep's capacity."""

    @extend_schema(request=s.AssignInSerializer, responses=LeadReadSerializer)
    def post(self, request: Request, lead_id: int) -> Response:
        rep = services.rep_for_assignment(username=valid_data(s.AssignInSerializer, request.data)["rep"])
        lead = services.lead_assign(lead_id=lead_id, rep=rep, by=request.user)
        return _as_manager_reads_it(request, Lead.objects.select_related("campaign", "owner").get(pk=lead.pk))


class LeadEraseApi(ManagerApi):
    """Managers: erase the lead's person everywhere (CONTRACT 6.5); idempotent. The lead and its timings stay,
    its detail shows `erased_at`."""

    @extend_schema(request=s.EraseInSerializer, responses=LeadReadSerializer)
    def post(self, request: Request, lead_id: int) -> Response:
        suppress = valid_data(s.EraseInSerializer, request.data)["suppress"]
        return _as_manager_reads_it(request, services.lead_erase(lead_id=lead_id, by=request.user, suppress=suppress))


class PersonExportApi(ManagerApi):
    """Managers: everything stored about a person, found by `email` or `phone` (subject access), as JSON."""

    @extend_schema(parameters=[s.PersonQuerySerializer], responses=s.PersonExportSerializer)
    def get(self, request: Request) -> Response:
        return Response(person_export(**valid_data(s.PersonQuerySerializer, request.query_params)))


class LeadReleaseApi(ManagerApi):
    """Managers: release a lead a delay rule holds, at once; it goes to routing. 409 not_held when none holds it."""

    @extend_schema(request=None, responses=LeadReadSerializer)
    def post(self, request: Request, lead_id: int) -> Response:
        lead_release_now(lead_id=lead_id, by=request.user)
        return _as_manager_reads_it(request, Lead.objects.select_related("campaign", "owner").get(pk=lead_id))
