"""When the database is briefly unreachable, answer 503 with Retry-After instead of a 500."""

import contextlib
import logging
from typing import Protocol, runtime_checkable

from django.db import InterfaceError, OperationalError, connections
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
        log.warning("database unavailable for %s %s: %s: %s", request.method, request.path,
                    type(exception).__name__, exception)
        connection_pools_reset()
        response = JsonResponse({"detail": "The database is briefly unavailable; retry shortly.",
                                 "code": "database_unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


@runtime_checkable
class PoolingConnection(Protocol):
    """A database wrapper that can pool connections (PostgreSQL, Oracle); `pool` is None when pooling is off."""

    @property
    def pool(self) -> object: ...

    def close_pool(self) -> None: ...


def connection_pools_reset() -> None:
    """Drop the PostgreSQL connection pools: the next request builds a fresh one and connects at once.

    A pool whose connections died retries with back-off (1, 2, 4, 8 s...), which kept answering 503 for
    seconds after the database was back.
    """
    for connection in connections.all(initialized_only=True):
        if not isinstance(connection, PoolingConnection) or connection.pool is None:
            continue
        with contextlib.suppress(KeyError, OperationalError, InterfaceError):  # another thread reset it first
            connection.close_pool()
