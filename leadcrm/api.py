"""API plumbing shared by every app: JSON errors for everything a client can send."""

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, with validation errors under "errors" and oversized bodies as 413 JSON."""
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
