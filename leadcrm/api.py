"""API plumbing shared by every app: JSON errors for everything a client can send."""

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from leadcrm.errors import ServiceError

# The HTTP status of each service error code; any other code is a conflict with the object's state (409).
SERVICE_ERROR_STATUS = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "invalid": status.HTTP_400_BAD_REQUEST,
    "invalid_channel": status.HTTP_400_BAD_REQUEST,
    "invalid_outcome": status.HTTP_400_BAD_REQUEST,
    "not_allowed": status.HTTP_403_FORBIDDEN,
    "not_eligible": status.HTTP_403_FORBIDDEN,
}


def exception_handler(exc, context):
    """DRF's handler, with validation errors under "errors", oversized bodies as 413 JSON, and a service's
    refusal as {"detail", "code"} with the code's status."""
    if isinstance(exc, ServiceError):
        body: dict[str, object] = {"detail": str(exc), "code": exc.code}
        if exc.field:
            body["errors"] = {exc.field: [str(exc)]}
        return Response(body, status=SERVICE_ERROR_STATUS.get(exc.code, status.HTTP_409_CONFLICT))
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "Request body too large."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"errors": errors}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"errors": {"body": [str(exc.detail)]}, "detail": str(exc.detail)}
    return response
