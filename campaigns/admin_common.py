"""Pieces shared by the admin pages: a read-only base and renderers (user values only through format_html)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import admin
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString

EMPTY = "—"
# Django 6 switches a scheme-less URL to https; say so now (and silence the transition warning).
URL_OVERRIDES: dict[type[models.Field[Any, Any]], dict[str, Any]] = {models.URLField: {"assume_scheme": "https"}}


def badge(*, value: str, label: str) -> SafeString:
    """A pill showing the (escaped) label, coloured by the choice value through the shared palette.

    The colours live in leadcrm/static/leadcrm/palette.css (`.badge-<value>`), loaded by the admin's base_site.html
    and by the pages; an unknown value gets the plain grey `.badge`.
    """
    return format_html('<span class="badge badge-{}">{}</span>', value, label)


def seconds_humanised(seconds: float | None) -> str:
    """'45 s', '3 min 12 s', '2 h 5 min', '1 d 3 h'; the empty mark for None."""
    if seconds is None:
        return EMPTY
    total = max(0, round(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def json_pretty(value: object) -> str:
    """Indented JSON text with stable key order (not HTML)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def json_pre(value: object) -> SafeString:
    """The value as escaped, indented JSON inside a <pre>."""
    return format_html('<pre style="white-space:pre-wrap;margin:0">{}</pre>', json_pretty(value))


def joined(items: Iterable[object]) -> str:
    """Comma-separated text of the items, or the empty mark."""
    text = ", ".join(str(item) for item in items)
    return text or EMPTY


def filters_compact(filters: Mapping[str, object] | object) -> str:
    """A buyer's filter object as one line: 'country: US; region: CA, NV'."""
    if not isinstance(filters, Mapping) or not filters:
        return "any lead" if not filters else json.dumps(filters, ensure_ascii=False)
    parts = []
    for key, value in filters.items():
        shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """Rows written only by services: viewable, never added or edited; only a superuser may delete."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class EventLogAdmin(ReadOnlyLogAdmin):
    """A log that grows with the traffic (offers, deliveries, attempts): a filtered list does not count the whole
    table too, which would scan every row of it on each page."""

    show_full_result_count = False


class RowsInline(admin.TabularInline):
    """The parent's rows as a table, with no blank row to fill in until "Add another" asks for one."""

    extra = 0


class ReadOnlyInline(RowsInline):
    """Rows shown beside their parent, never added, changed or deleted there (history, API keys)."""

    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
