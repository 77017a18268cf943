"""Template filters of the report pages."""

from django import template

from reporting.charts import duration_text

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """A short human duration (45 s, 7.5 min, 3.2 h, 2.7 d); "–" when there is none."""
    return duration_text(seconds)
