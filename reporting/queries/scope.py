"""What a report covers: the leads received in [since, until), narrowed by campaign, supplier and team."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min, QuerySet
from django.utils.timezone import now

from assignments.models import Assignment, Rep, Team
from campaigns.models import BuyerDelivery, Campaign, IntakeAttempt, Lead, LeadDistribution, LeadReturn, Supplier
from reporting.queries.sql import Clock


def default_tz() -> str:
    return settings.TIME_ZONE


@dataclass(frozen=True)
class ReportParams:
    """A validated report request; `until` is exclusive, both bounds are aware datetimes or None."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    campaign: Campaign | None = None
    supplier: Supplier | None = None
    team: Team | None = None
    group_by: str = ""
    tz: str = field(default_factory=default_tz)
    business_hours: bool = False


def _received(queryset: QuerySet, params: ReportParams, prefix: str = "") -> QuerySet:
    if params.since is not None:
        queryset = queryset.filter(**{f"{prefix}received_at__gte": params.since})
    if params.until is not None:
        queryset = queryset.filter(**{f"{prefix}received_at__lt": params.until})
    if params.campaign is not None:
        queryset = queryset.filter(**{f"{prefix}campaign": params.campaign})
    if params.supplier is not None:
        queryset = queryset.filter(**{f"{prefix}supplier": params.supplier})
    return queryset


def team_user_ids(team: Team) -> QuerySet:
    """User ids of the team's reps, as a sub-select (no join fan-out in the outer query)."""
    return Rep.objects.filter(teams=team).values("user_id")


def leads_in_scope(*, params: ReportParams, queryset: QuerySet[Lead] | None = None) -> QuerySet[Lead]:
    """Leads received in the range, of the campaign/supplier, owned by a rep of the team (when given)."""
    leads = _received(Lead.objects.all() if queryset is None else queryset, params)
    if params.team is not None:
        leads = leads.filter(owner_id__in=team_user_ids(params.team))
    return leads.order_by()


def attempts_in_scope(*, params: ReportParams) -> QuerySet[IntakeAttempt]:
    """Leads posted in the range, of the campaign/supplier, with their answer (answers added to an earlier lead are
    not attempts); attempts have no team, so `team` is ignored."""
    return _received(IntakeAttempt.objects.filter(action=IntakeAttempt.Action.POST), params).order_by()


def deliveries_in_scope(*, params: ReportParams) -> QuerySet[BuyerDelivery]:
    """Pings and posts to buyers of the leads in range (campaign/supplier of the lead); test sends left out. Buyers
    have no team, so `team` is ignored."""
    return _received(BuyerDelivery.objects.filter(test=False, lead__isnull=False), params, prefix="lead__").order_by()


def sales_in_scope(*, params: ReportParams) -> QuerySet[LeadDistribution]:
    """Sales to buyers of the leads in range (campaign/supplier of the lead); `team` is ignored."""
    return _received(LeadDistribution.objects.filter(state=LeadDistribution.State.SOLD), params,
                     prefix="lead__").order_by()


def returns_in_scope(*, params: ReportParams) -> QuerySet[LeadReturn]:
    """Buyers' returns of the leads in range (campaign/supplier of the lead); `team` is ignored."""
    return _received(LeadReturn.objects.all(), params, prefix="lead__").order_by()


def assignments_in_scope(*, params: ReportParams, with_team: bool = True) -> QuerySet[Assignment]:
    """Offers of the leads received in the range (campaign/supplier of the lead), to reps of the team."""
    offers = _received(Assignment.objects.all(), params, prefix="lead__")
    if with_team and params.team is not None:
        offers = offers.filter(rep_id__in=Rep.objects.filter(teams=params.team).values("pk"))
    return offers.order_by()


def clock_for(*, params: ReportParams, leads: QuerySet[Lead]) -> Clock:
    """The report's local clock; on SQLite it spans every timestamp the leads in scope can carry."""
    today = now().date()
    if connection.vendor == "postgresql" or Clock(tz=params.tz, start=today, end=today).is_utc():
        return Clock(tz=params.tz, start=today, end=today)  # no offset table needed
    bounds = leads.aggregate(first=Min("received_at"), last=Max("received_at"))
    first = (bounds["first"] or now()).date()
    last = max((bounds["last"] or now()).date(), today)
    # Contacts and offers come after receipt; a year of margin covers any follow-up time.
    return Clock(tz=params.tz, start=first - dt.timedelta(days=2), end=last + dt.timedelta(days=370))
