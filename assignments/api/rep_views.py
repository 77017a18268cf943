"""Managers act on a rep: override their status from the live board (or any client with a manager's token)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments import services
from assignments.api.views import valid_data
from assignments.models import Rep
from assignments.selectors_live import rep_with_user
from campaigns.api.views import AUTHENTICATION
from leadcrm.roles import IsManager

STATUS_WORDS = ", ".join(Rep.Status.values)


class RepStatusInSerializer(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(
        choices=Rep.Status.choices, help_text=f"The rep's new status: {STATUS_WORDS}.",
        error_messages={"invalid_choice": f'"{{input}}" is not a rep status; use one of {STATUS_WORDS}.'})


class RepStatusSerializer(serializers.ModelSerializer[Rep]):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Rep
        fields = ["id", "username", "status", "status_changed_at", "auto_away"]
        read_only_fields = fields


class IsManagerToSetStatus(IsManager):
    message = "Only sales managers may set another rep's status."


class RepStatusApi(APIView):
    """Managers: set a rep's status (available, away or offline) for them; the live boards get `rep.updated`, and a
    rep made available is offered waiting leads at once. Reps set their own with PATCH /api/v1/me/."""

    authentication_classes = AUTHENTICATION  # a supplier's key is recognised, then refused (403)
    permission_classes = [IsManagerToSetStatus]

    @extend_schema(request=RepStatusInSerializer,
                   responses={200: RepStatusSerializer, 400: OpenApiResponse(description="Bad status or body."),
                              403: OpenApiResponse(description="Not a manager."),
                              404: OpenApiResponse(description="No such rep.")})
    def post(self, request: Request, rep_id: int) -> Response:
        wanted = valid_data(RepStatusInSerializer, request.data)["status"]
        try:
            rep = rep_with_user(rep_id=rep_id)
        except Rep.DoesNotExist as error:
            raise NotFound(f"No rep with the id {rep_id}.") from error
        rep = services.rep_status_set(rep=rep, status=wanted)
        return Response(RepStatusSerializer(rep).data)
