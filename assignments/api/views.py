"""The reps' API: their own assignments, accept/decline, contacts, outcome, and their own status."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer

from assignments import services
from assignments.api.serializers import (
    AssignmentSerializer,
    ContactAttemptSerializer,
    ContactSerializer,
    DeclineSerializer,
    MeSerializer,
    OutcomeSerializer,
)
from assignments.models import Assignment, Rep
from assignments.selectors import assignments_visible_to
from leadcrm.roles import is_rep


def valid_data(serializer_class: type[Serializer], data: Any) -> Any:
    """`data` (a request's body or query) checked by `serializer_class`: its validated data; a 400 with the errors
    when it is not valid."""
    checked = serializer_class(data=data)
    checked.is_valid(raise_exception=True)
    return checked.validated_data


class IsRep(permissions.BasePermission):
    message = "Only reps have assignments to act on."

    def has_permission(self, request, view) -> bool:
        return is_rep(request.user)


class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A rep's own assignments (managers see every one); filter with ?status=offered|accepted|..."""

    serializer_class = AssignmentSerializer
    filterset_fields = {"status": ["exact", "in"]}
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self) -> QuerySet[Assignment]:
        return assignments_visible_to(user=self.request.user)

    def _rep(self) -> Rep:
        user = self.request.user
        if isinstance(user, AnonymousUser) or not is_rep(user):
            self.permission_denied(self.request, message=IsRep.message)
        return user.rep

    def _respond(self, assignment_id: int) -> Response:
        assignment = assignments_visible_to(user=self.request.user).get(pk=assignment_id)
        return Response(AssignmentSerializer(assignment).data)

    def _act(self, pk: str, service: Callable[..., object], **values: Any) -> Response:
        """Run the rep's `service` on assignment `pk` (with `values`), then answer the assignment as it is now."""
        service(assignment_id=int(pk), rep=self._rep(), **values)
        return self._respond(int(pk))

    @extend_schema(request=None, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        """Take the offered lead; 409 when it expired or another rep took it first."""
        return self._act(pk, services.assignment_accept)

    @extend_schema(request=DeclineSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str) -> Response:
        """Hand the offer back, optionally with a reason; the lead goes to the next rep."""
        return self._act(pk, services.assignment_decline, **valid_data(DeclineSerializer, request.data))

    @extend_schema(request=ContactSerializer, responses={201: ContactAttemptSerializer})
    @action(detail=True, methods=["post"])
    def contacts(self, request: Request, pk: str) -> Response:
        """Log a call, email or SMS with its outcome; the first sets the lead's first_contact_at."""
        contact = services.contact_log(assignment_id=int(pk), rep=self._rep(),
                                       **valid_data(ContactSerializer, request.data))
        return Response(ContactAttemptSerializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OutcomeSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: str) -> Response:
        """Close the lead as won or lost."""
        return self._act(pk, services.lead_outcome_set, **valid_data(OutcomeSerializer, request.data))

    @extend_schema(request=None, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def seen(self, request: Request, pk: str) -> Response:
        """Record that the offer was shown in the rep's browser (the end of the system delay)."""
        if not services.assignment_seen(assignment_id=int(pk), rep=self._rep()):
            raise NotFound("No such assignment for you.")
        return self._respond(int(pk))


class MeApi(RetrieveUpdateAPIView):
    """The signed-in rep: GET their status and load, PATCH {"status": "available|away|offline"}."""

    serializer_class = MeSerializer
    permission_classes = [permissions.IsAuthenticated, IsRep]
    http_method_names = ["get", "patch", "options"]

    def get_object(self) -> Rep:
        user = self.request.user
        if isinstance(user, AnonymousUser):  # IsAuthenticated refused it before any handler ran
            self.permission_denied(self.request)
        return user.rep

    def perform_update(self, serializer: BaseSerializer[Rep]) -> None:
        if "status" not in serializer.validated_data:
            raise ValidationError({"status": ["This field is required."]})
        # The serializer was built on get_object(), the signed-in user's (cached) rep.
        services.rep_status_set(rep=self.get_object(), status=serializer.validated_data["status"])
