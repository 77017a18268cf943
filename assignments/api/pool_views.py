"""The open pool's API (CONTRACT 6.4): reps list the leads they may claim and claim one; first claim wins."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments import events
from assignments.api.views import IsRep
from assignments.selectors_live import rep_for_user
from assignments.selectors_pool import pool_leads_for_rep
from assignments.services.pool import pool_claim
from campaigns.api.serializers import DetailSerializer
from campaigns.api.views import AUTHENTICATION


class PoolLeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.CharField(help_text="The campaign's slug.")
    country = serializers.CharField()
    language = serializers.CharField()
    skill = serializers.CharField()
    received_at = serializers.DateTimeField()


class PoolListSerializer(serializers.Serializer):
    leads = PoolLeadSerializer(many=True)


class PoolClaimedSerializer(serializers.Serializer):
    assignment = serializers.DictField(help_text="The accepted assignment, its lead with phone and email.")


class PoolListApi(APIView):
    """GET: the pool leads this rep may claim, oldest in the pool first, without names or contact details."""

    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated, IsRep]

    @extend_schema(operation_id="pool_list", responses=PoolListSerializer)
    def get(self, request: Request) -> Response:
        rep = rep_for_user(user_id=int(request.user.pk or 0))
        leads = pool_leads_for_rep(rep=rep) if rep is not None else []
        return Response({"leads": [events.pool_lead_payload(lead) for lead in leads]})


class PoolClaimApi(APIView):
    """POST: claim a pool lead; it is yours at once (accepted). The first claim wins."""

    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated, IsRep]

    @extend_schema(operation_id="pool_claim", request=None, responses={
        200: PoolClaimedSerializer,
        403: OpenApiResponse(DetailSerializer, description="code not_eligible: the lead's rule leaves you out."),
        404: OpenApiResponse(DetailSerializer, description="No such lead."),
        409: OpenApiResponse(DetailSerializer, description="code already_claimed (someone was first, or it "
                                                               "left the pool) or at_capacity."),
    })
    def post(self, request: Request, lead_id: int) -> Response:
        rep = rep_for_user(user_id=int(request.user.pk or 0))
        assert rep is not None  # IsRep let only reps in
        assignment = pool_claim(lead_id=lead_id, rep=rep)
        return Response({"assignment": events.assignment_assigned_message(assignment=assignment)["assignment"]})
