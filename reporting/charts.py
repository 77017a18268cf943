"""Server-side SVG bar charts: no script, no outside network; every label and value is HTML-escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

ROW = 26
LABEL_WIDTH = 130
BAR_WIDTH = 230
VALUE_WIDTH = 80
WIDTH = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
MAX_LABEL = 18


def duration_text(seconds: float | None) -> str:
    """A short human duration: 45 s, 7.5 min, 3.2 h, 2.7 d."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def pct_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def number_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def bar_chart(*, title: str, bars: Sequence[tuple[str, float | None]], value_text: Callable[[float | None], str],
              ghost: Sequence[float | None] | None = None, ghost_name: str = "") -> SafeString:
    """Horizontal bars (one per (label, value)), optionally with a lighter `ghost` bar behind each (e.g. p90)."""
    if not bars:
        return mark_safe("")
    values = [v for v in [*(v for _, v in bars), *(ghost or [])] if v is not None]
    top = max(values, default=0)
    top = top if top > 0 else 1
    height = ROW * len(bars) + 30
    rows = []
    for i, (label, value) in enumerate(bars):
        y = 24 + i * ROW
        behind = ghost[i] if ghost else None
        rows.append(format_html(
            '<g><title>{full}: {text}{ghost_text}</title>'
            '<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{label}</text>'
            '{ghost_bar}<rect x="{bx}" y="{y}" width="{w}" height="{h}" rx="3" class="chart-bar"></rect>'
            '<text x="{vx}" y="{ty}" class="chart-value">{text}</text></g>',
            full=str(label), text=value_text(value), label=_short(label), lx=LABEL_WIDTH - 8, ty=y + 14,
            ghost_text=format_html(" ({} {})", ghost_name, value_text(behind)) if ghost else "",
            ghost_bar=format_html('<rect x="{}" y="{}" width="{}" height="{}" rx="3" class="chart-ghost"></rect>',
                                  LABEL_WIDTH, y, f"{BAR_WIDTH * behind / top:.1f}", ROW - 8) if behind else "",
            bx=LABEL_WIDTH, y=y, w=f"{BAR_WIDTH * max(value or 0, 0) / top:.1f}", h=ROW - 8,
            vx=LABEL_WIDTH + BAR_WIDTH + 8,
        ))
    legend = format_html('<text x="{}" y="14" class="chart-legend">{}</text>', LABEL_WIDTH,
                         f"{title}" + (f" (light bar: {ghost_name})" if ghost else ""))
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{title}" '
        'xmlns="http://www.w3.org/2000/svg">{legend}{rows}</svg>',
        w=WIDTH, h=height, title=title, legend=legend, rows=format_html_join("", "{}", ((r,) for r in rows)),
    )
