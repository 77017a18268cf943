"""When the database is briefly unreachable, answer 503 with Retry-After instead of a 500."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """Turn connection-level database errors into 503 JSON; the client retries, nothing was written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        log.warning("database unavailable for %s %s: %s: %s", request.method, request.path, type(exception).__name__, exception)
        response = JsonResponse({"detail": "The database is briefly unavailable; retry shortly.",
                                 "code": "database_unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
