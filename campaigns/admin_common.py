"""Pieces shared by the admin pages: a read-only base and renderers (user values only through format_html)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

EMPTY = "—"

# Colours (background) per choice value; anything unknown falls back to grey.
BADGE_COLORS = {
    # lead status
    "new": "#6b7280", "held": "#a16207", "waiting": "#c2410c", "offered": "#2563eb", "assigned": "#4f46e5",
    "contacted": "#0f766e", "won": "#15803d", "lost": "#b91c1c", "sold": "#7c3aed",
    # assignment status
    "accepted": "#15803d", "declined": "#b91c1c", "expired": "#a16207", "revoked": "#6b7280", "completed": "#0f766e",
    # rep status
    "available": "#15803d", "away": "#a16207", "offline": "#6b7280",
    # intake outcome
    "duplicate": "#a16207", "rejected": "#b91c1c", "invalid": "#6b7280",
    # webhook delivery state
    "pending": "#2563eb", "delivered": "#15803d", "failed": "#b91c1c",
}
_BADGE_STYLE = ("display:inline-block;padding:1px 8px;border-radius:9px;color:#fff;"
                "font-size:11px;font-weight:600;white-space:nowrap;background:{}")


def badge(*, value: str, label: str) -> SafeString:
    """A coloured pill showing the (escaped) label, coloured by the choice value."""
    return format_html('<span class="badge badge-{}" style="' + _BADGE_STYLE + '">{}</span>',
                       value, BADGE_COLORS.get(value, "#6b7280"), label)


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
