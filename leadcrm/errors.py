"""The one error type services raise when they refuse an action.

Services never speak HTTP: they raise a ServiceError with a stable `code` (API clients branch on it) and a
message for people. The API layer alone maps codes to HTTP statuses (`leadcrm.api.SERVICE_ERROR_STATUS`);
admin actions and pages show the message.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A service refused an action: `code` is stable, the message (str(error)) is for people, and `field` names
    the input at fault, if one is."""

    def __init__(self, code: str, message: str, *, field: str = ""):
        super().__init__(message)
        self.code = code
        self.field = field
