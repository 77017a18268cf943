"""Admin columns and read-only fields that show one model field, so an admin names only the field and its heading.

Assign them in a ModelAdmin or inline body (`outcome_badge = choice_badge("outcome")`) and list the attribute's
name in list_display, fields or readonly_fields like any display method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import models
from django.utils.safestring import SafeString

from campaigns.admin_common import badge, json_pre

Column = Callable[[Any, models.Model], SafeString]


def choice_badge(field: str) -> Column:
    """The choice field `field` as a badge coloured by its value and labelled by its choice's text; headed and
    sorted by the field."""

    @admin.display(description=field, ordering=field)
    def column(modeladmin: Any, obj: models.Model) -> SafeString:
        return badge(value=getattr(obj, field), label=getattr(obj, f"get_{field}_display")())

    return column


def json_block(field: str, description: str) -> Column:
    """The JSON field `field` as escaped, indented JSON, headed `description`."""

    @admin.display(description=description)
    def column(modeladmin: Any, obj: models.Model) -> SafeString:
        return json_pre(getattr(obj, field))

    return column
