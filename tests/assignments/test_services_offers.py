"""assignment_seen(): the offer's seen_at and the lead's first_seen_at (what the speed-to-lead report reads)."""

import datetime as dt

import pytest

from assignments.models import Assignment
from assignments.services import assignment_seen
from campaigns.models import Lead
from tests.factories import AssignmentFactory, LeadFactory, RepFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def stamps(offer: Assignment) -> tuple:
    return Assignment.objects.get(pk=offer.pk).seen_at, Lead.objects.get(pk=offer.lead_id).first_seen_at


def test_first_view_stamps_the_offer_and_the_lead_only_once():
    offer = AssignmentFactory(offered_at=T0)
    assert stamps(offer) == (None, None)
    assert assignment_seen(assignment_id=offer.pk, rep=offer.rep, now=at(5)) is True
    assert stamps(offer) == (at(5), at(5))
    assert assignment_seen(assignment_id=offer.pk, rep=offer.rep, now=at(9)) is True
    assert stamps(offer) == (at(5), at(5))


def test_the_lead_keeps_the_earliest_view_of_any_offer():
    lead = LeadFactory()
    first = AssignmentFactory(lead=lead, offered_at=T0, status="declined")
    second = AssignmentFactory(lead=lead, offered_at=at(4))
    assignment_seen(assignment_id=second.pk, rep=second.rep, now=at(7))
    assert stamps(second) == (at(7), at(7))
    assignment_seen(assignment_id=first.pk, rep=first.rep, now=at(2))  # recorded late, happened first
    assert stamps(first) == (at(2), at(2))
    third = AssignmentFactory(lead=lead, offered_at=at(8))
    assignment_seen(assignment_id=third.pk, rep=third.rep, now=at(10))
    assert stamps(third) == (at(10), at(2))


def test_another_reps_offer_is_refused_and_stamps_nothing():
    offer = AssignmentFactory(offered_at=T0)
    assert assignment_seen(assignment_id=offer.pk, rep=RepFactory(), now=at(5)) is False
    assert assignment_seen(assignment_id=offer.pk + 1000, rep=offer.rep, now=at(5)) is False
    assert stamps(offer) == (None, None)
