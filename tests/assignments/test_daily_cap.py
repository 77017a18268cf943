"""A rep's daily cap: at most N new leads a day, the day taken in the rep's own time zone."""

import datetime as dt

import pytest

from assignments import services
from assignments.models import Assignment
from assignments.selectors import leads_taken_today, reps_at_daily_cap
from tests.factories import AssignmentFactory, LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


def test_a_rep_at_their_daily_cap_is_offered_no_more_leads_today():
    RoutingRuleFactory(name="Everyone")
    capped = RepFactory(daily_cap=2, capacity=10)
    for _ in range(2):
        assert services.lead_route(lead_id=LeadFactory().pk).action == "offered"
    assert leads_taken_today(rep_id=capped.pk, timezone=capped.timezone) == 2
    result = services.lead_route(lead_id=LeadFactory().pk)
    assert result.action == "waiting"
    other = RepFactory(capacity=10)
    offered = services.lead_route(lead_id=LeadFactory().pk)
    assert Assignment.objects.get(pk=offered.assignment_ids[0]).rep_id == other.pk


def test_the_day_is_the_reps_own_and_declined_offers_do_not_count():
    now = dt.datetime(2026, 12, 2, 7, 0, tzinfo=dt.UTC)  # 23:00 the day before in Los Angeles
    west = RepFactory(daily_cap=1, timezone="America/Los_Angeles")
    east = RepFactory(daily_cap=1, timezone="Europe/Berlin")
    for rep in (west, east):  # both offered at 06:00 UTC: Berlin's today, Los Angeles' today too (22:00)
        AssignmentFactory(rep=rep, offered_at=now - dt.timedelta(hours=1), status="accepted")
    AssignmentFactory(rep=east, offered_at=now - dt.timedelta(minutes=5), status="declined")
    reps = [(west.pk, west.timezone, 1), (east.pk, east.timezone, 1)]
    assert reps_at_daily_cap(reps=reps, now=now) == {west.pk, east.pk}
    later = now + dt.timedelta(hours=2)  # 01:00 in Los Angeles: a new day there, not in Berlin
    assert reps_at_daily_cap(reps=reps, now=later) == {east.pk}
    assert leads_taken_today(rep_id=east.pk, timezone=east.timezone, now=later) == 1
