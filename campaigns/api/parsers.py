"""JSON parsing with a per-endpoint body limit and no 500 for any body a client can send."""

import io

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

SINGLE_LEAD_MAX_BYTES = 64 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "request_too_large"


class LengthRequired(exceptions.APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "Send the body with a Content-Length header (chunked bodies are not read)."
    default_code = "length_required"


class BoundedJSONParser(JSONParser):
    """Strict JSON of at most max_bytes; deeper nesting than Python can decode is a 400, not a crash."""

    @property
    def max_bytes(self) -> int | None:
        """The largest body read, in bytes; None: no limit."""
        return SINGLE_LEAD_MAX_BYTES

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if self.max_bytes is None else stream.read(self.max_bytes + 1)
        if self.max_bytes is not None and len(raw) > self.max_bytes:
            raise RequestTooLarge(f"Request body too large: at most {self.max_bytes} bytes here.")
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


class SingleLeadJSONParser(BoundedJSONParser):
    max_bytes = SINGLE_LEAD_MAX_BYTES


class BulkJSONParser(BoundedJSONParser):
    """Bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, which Django itself enforces before parsing."""

    @property
    def max_bytes(self) -> int | None:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
