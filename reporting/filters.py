"""The report query string as django-filter FilterSets: validation, the page form, and ReportParams.

since / until: a date (YYYY-MM-DD, read in `tz`; until includes that whole day) or an ISO 8601 datetime
(without an offset: read in `tz`; until is exclusive). Both bound Lead.received_at.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime

from assignments.models import Team
from campaigns.models import Campaign, Lead, Supplier, validate_timezone
from reporting.queries.scope import ReportParams
from reporting.queries.sla import SLA_GROUPS
from reporting.queries.speed import SPEED_GROUPS


class DateOrDateTimeField(forms.CharField):
    """A date or an ISO 8601 datetime; cleans to a date, a datetime, or None."""

    widget = forms.TextInput(attrs={"type": "date"})

    def to_python(self, value):
        # CharField.to_python() gives its empty_value ("" here) for an empty value, typed str | None.
        value = (super().to_python(value) or "").strip()
        if not value:
            return None
        try:
            parsed = parse_datetime(value) if ("T" in value or " " in value) else parse_date(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError("Enter a date (YYYY-MM-DD) or an ISO 8601 datetime (YYYY-MM-DDTHH:MM[:SS][+HH:MM]).",
                                  code="invalid")
        return parsed


class BusinessHoursField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        kwargs.update(required=False, coerce=lambda v: v == "1", empty_value=False,
                      choices=[("0", "All hours"), ("1", "Business hours only (Mon–Fri 09:00–17:00)")])
        super().__init__(**kwargs)


class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


class BusinessHoursFilter(django_filters.Filter):
    field_class = BusinessHoursField


def _bound(value, tz: ZoneInfo, *, end: bool) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


class ReportForm(forms.Form):
    """Resolves since/until in the chosen zone and refuses a range that ends before it starts."""

    def clean(self):
        data = super().clean()
        if data is None:  # Form.clean() returns cleaned_data; typed Optional for subclasses that return nothing
            data = self.cleaned_data
        tz = ZoneInfo(data.get("tz") or settings.TIME_ZONE) if "tz" not in self.errors else ZoneInfo("UTC")
        since = _bound(data.get("since"), tz, end=False)
        until = _bound(data.get("until"), tz, end=True)
        if since and until and since > until:
            self.add_error("until", "Must not be before since.")
        data["since_at"], data["until_at"] = since, until
        return data


def keep(queryset, name, value):
    """Parameters that shape the report rather than narrow the leads."""
    return queryset


class ReportFilter(django_filters.FilterSet):
    """Date range, campaign (slug), supplier (id), team (id), time zone and business hours."""

    since = DateOrDateTimeFilter(method=keep, label="Since",
                                  help_text="Received at or after: YYYY-MM-DD (in tz) or ISO 8601 datetime.")
    until = DateOrDateTimeFilter(method=keep, label="Until",
                                  help_text="Received up to: YYYY-MM-DD includes that day (in tz); a datetime is "
                                            "exclusive.")
    campaign = django_filters.ModelChoiceFilter(queryset=Campaign.objects.order_by("name"), to_field_name="slug",
                                                method=keep, label="Campaign", help_text="Campaign slug.")
    supplier = django_filters.ModelChoiceFilter(queryset=Supplier.objects.order_by("name"), method=keep,
                                                label="Supplier", help_text="Supplier id.")
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.order_by("name"), method=keep, label="Team",
                                            help_text="Team id: leads owned by, or offers made to, its reps.")
    tz = django_filters.CharFilter(method=keep, label="Time zone", validators=[validate_timezone],
                                   widget=forms.TextInput(attrs={"placeholder": settings.TIME_ZONE}),
                                   help_text="IANA time zone for dates, hour of day, weekday and business hours; "
                                             f"default {settings.TIME_ZONE}.")
    business_hours = BusinessHoursFilter(method=keep, label="Hours counted",
                                           help_text="1: count only Mon-Fri 09:00-17:00 (in tz) in durations.")

    group_choices: tuple[str, ...] = ()

    class Meta:
        model = Lead
        fields: list[str] = []
        form = ReportForm

    def params(self) -> ReportParams:
        """The validated request; call after is_valid()."""
        data = self.form.cleaned_data
        return ReportParams(
            since=data.get("since_at"), until=data.get("until_at"), campaign=data.get("campaign"),
            supplier=data.get("supplier"), team=data.get("team"),
            group_by=data.get("group_by") or (self.group_choices[0] if self.group_choices else ""),
            tz=data.get("tz") or settings.TIME_ZONE, business_hours=bool(data.get("business_hours")),
        )


def _group_filter(choices: tuple[str, ...], help_text: str) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(choices=[(c, c.replace("_", " ").capitalize()) for c in choices],
                                       method=keep, label="Group by", empty_label=None, help_text=help_text)


class SpeedFilter(ReportFilter):
    group_by = _group_filter(SPEED_GROUPS, f"One of {', '.join(SPEED_GROUPS)}; default {SPEED_GROUPS[0]}. persona: "
                                           "the personas a lead was in when first scored (a lead in several counts "
                                           "in each; leads in none are \"(no persona)\").")
    group_choices = SPEED_GROUPS


class SlaFilter(ReportFilter):
    group_by = _group_filter(SLA_GROUPS, f"One of {', '.join(SLA_GROUPS)}; default {SLA_GROUPS[0]}.")
    group_choices = SLA_GROUPS
