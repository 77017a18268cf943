"""The rep list's take-back actions: a confirmation page that lists what will move, then the move."""

import pytest

from assignments import services
from assignments.models import Assignment, Rep
from campaigns.models import Lead
from tests.assignments.routed import accepted_offer
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory, TeamFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/assignments/rep/"


def test_deactivating_lists_what_will_move_then_moves_it(manager_web, django_capture_on_commit_callbacks):
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory(user__username="leaving")
    called = LeadFactory(first_name="<i>Cal</i>")
    offer = accepted_offer(called, rep).pk
    services.contact_log(assignment_id=offer, rep=rep, channel="call", outcome="connected")
    waiting = LeadFactory()
    services.lead_route(lead_id=waiting.pk)
    page = manager_web.post(CHANGELIST, {"action": "deactivate_and_take_back", "_selected_action": [rep.pk]})
    html = page.content.decode()
    assert page.status_code == 200
    assert "leaving: 1 offer, 0 leads not yet called, 1 contacted lead" in html
    assert "&lt;i&gt;Cal&lt;/i&gt;" in html and "<i>Cal</i>" not in html
    assert Rep.objects.get(pk=rep.pk).active  # nothing moved yet

    team = TeamFactory()
    other = RepFactory(teams=[team], user__username="stays")
    both = manager_web.post(CHANGELIST, {"action": "deactivate_and_take_back", "_selected_action": [rep.pk],
                                         "apply": "1", "to_rep": other.pk, "to_team": team.pk})
    assert "Pick a rep or a team, not both." in both.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = manager_web.post(CHANGELIST, {"action": "deactivate_and_take_back", "_selected_action": [rep.pk],
                                             "apply": "1", "to_team": team.pk}, follow=True)
    notes = [str(m) for m in done.context["messages"]]
    assert notes == ["leaving: deactivated; 1 lead(s) back to routing, 1 reassigned, 0 contacted lead(s) kept."]
    assert Rep.objects.get(pk=rep.pk).active is False
    assert Lead.objects.get(pk=called.pk).owner_id == other.user_id
    assert Assignment.objects.filter(lead=waiting, rep=other, status="offered").exists()
