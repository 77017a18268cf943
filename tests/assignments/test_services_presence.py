"""Presence services: tab counting, and teams that make an absent rep away and bring them back."""

import datetime as dt

import pytest
from django.utils.timezone import now

from assignments import services
from assignments.models import Assignment, OutboxEvent, Rep
from campaigns.models import Lead
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db

NOW = now()


def rep_in_team(*, away_after: int | None = 60, **fields) -> Rep:
    rep = RepFactory(teams=[TeamFactory(away_after_seconds=away_after)])
    Rep.objects.filter(pk=rep.pk).update(**{"status_changed_at": NOW - dt.timedelta(hours=1), **fields})
    return Rep.objects.get(pk=rep.pk)


def test_sweep_sets_an_absent_rep_away_and_marks_it_automatic():
    gone = rep_in_team(last_seen_at=NOW - dt.timedelta(seconds=90))
    assert services.reps_presence_sweep(now=NOW) == 1
    gone.refresh_from_db()
    assert gone.status == Rep.Status.AWAY and gone.auto_away is True
    updates = [e.payload["rep"] for e in OutboxEvent.objects.filter(type="rep.updated")]
    assert {"id": gone.pk, "status": "away"}.items() <= updates[-1].items() and updates[-1]["auto_away"] is True


@pytest.mark.parametrize("fields, teams_setting", [
    ({"connections": 1, "last_seen_at": NOW - dt.timedelta(seconds=100)}, 60),  # a live tab (pinged recently)
    ({"last_seen_at": NOW - dt.timedelta(seconds=30)}, 60),                      # gone for less than the setting
    ({"status_changed_at": NOW - dt.timedelta(seconds=30)}, 60),                 # just made available, no tab
    ({"last_seen_at": NOW - dt.timedelta(hours=2)}, None),                       # the team does not track presence
    ({"status": Rep.Status.OFFLINE}, 60),                                        # only available reps are swept
    ({"active": False}, 60),
])
def test_sweep_leaves_reps_who_are_present_recent_untracked_or_not_available(fields, teams_setting):
    rep = rep_in_team(away_after=teams_setting, **fields)
    before = Rep.objects.values("status", "auto_away").get(pk=rep.pk)
    assert services.reps_presence_sweep(now=NOW) == 0
    assert Rep.objects.values("status", "auto_away").get(pk=rep.pk) == before


def test_sweep_counts_a_tab_silent_past_the_stale_limit_as_gone():
    # Its web process died without a disconnect: connections stayed at 1 but nothing was heard for 5 minutes.
    rep = rep_in_team(connections=1, last_seen_at=NOW - dt.timedelta(minutes=5))
    assert services.reps_presence_sweep(now=NOW) == 1
    assert Rep.objects.get(pk=rep.pk).status == Rep.Status.AWAY


def test_strictest_team_setting_applies():
    rep = RepFactory(teams=[TeamFactory(away_after_seconds=600), TeamFactory(away_after_seconds=60)])
    Rep.objects.filter(pk=rep.pk).update(status_changed_at=NOW - dt.timedelta(hours=1),
                                         last_seen_at=NOW - dt.timedelta(seconds=120))
    assert services.reps_presence_sweep(now=NOW) == 1


def test_auto_away_rep_who_returns_is_available_and_gets_waiting_leads(django_capture_on_commit_callbacks):
    RoutingRuleFactory(name="Everyone")
    rep = rep_in_team(last_seen_at=NOW - dt.timedelta(seconds=90))
    services.reps_presence_sweep(now=NOW)
    lead = LeadFactory()
    assert services.lead_route(lead_id=lead.pk).action == "waiting"

    with django_capture_on_commit_callbacks(execute=True):
        back = services.rep_presence_connect(rep_id=rep.pk)
    assert back.status == Rep.Status.AVAILABLE and back.auto_away is False and back.connections == 1
    # Becoming available offers the waiting lead at once (tasks run inline in tests).
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OFFERED
    assert Assignment.objects.get(lead=lead).rep_id == rep.pk


def test_rep_who_chose_away_stays_away_when_a_tab_opens():
    rep = rep_in_team(status=Rep.Status.AWAY)
    assert services.rep_presence_connect(rep_id=rep.pk).status == Rep.Status.AWAY


def test_connect_counts_tabs_and_resets_a_count_left_by_a_dead_process():
    rep = rep_in_team()
    services.rep_presence_connect(rep_id=rep.pk, now=NOW)
    assert services.rep_presence_connect(rep_id=rep.pk, now=NOW).connections == 2
    Rep.objects.filter(pk=rep.pk).update(connections=7, last_seen_at=NOW - dt.timedelta(minutes=10))
    assert services.rep_presence_connect(rep_id=rep.pk, now=NOW).connections == 1


def test_disconnect_never_goes_below_zero_and_touch_records_life():
    rep = rep_in_team()
    assert services.rep_presence_disconnect(rep_id=rep.pk, now=NOW).connections == 0
    assert Rep.objects.get(pk=rep.pk).last_seen_at == NOW
    later = NOW + dt.timedelta(seconds=25)
    services.rep_presence_touch(rep_id=rep.pk, now=later)
    assert Rep.objects.get(pk=rep.pk).last_seen_at == later


def test_presence_of_a_missing_rep_is_none():
    assert services.rep_presence_connect(rep_id=999999) is None
    assert services.rep_presence_disconnect(rep_id=999999) is None


@pytest.mark.django_db
def test_a_rep_a_manager_set_away_stays_away_when_they_open_the_page():
    from assignments.models import Rep
    from assignments.services import rep_presence_connect, rep_status_set
    from tests.factories import RepFactory

    rep = RepFactory()
    Rep.objects.filter(pk=rep.pk).update(status=Rep.Status.AWAY, auto_away=True)  # presence had set them away
    rep.refresh_from_db()
    rep_status_set(rep=rep, status=Rep.Status.AWAY)  # then a manager (or the rep) chose away
    assert Rep.objects.get(pk=rep.pk).auto_away is False
    assert rep_presence_connect(rep_id=rep.pk).status == Rep.Status.AWAY
