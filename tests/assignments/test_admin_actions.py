"""Lead changelist routing actions: simulate writes nothing; re-route takes offers back and routes again."""

import pytest

from assignments.models import Assignment, Rep
from campaigns.models import Lead
from tests.assignments.routed import accepted_offer, first_offer
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/campaigns/lead/"


def test_simulate_shows_the_decision_and_writes_nothing(manager_web):
    RoutingRuleFactory(name="Everyone")
    alice = RepFactory(user__username="alice")
    RepFactory(user__username="gunter", languages=["de"])
    lead = LeadFactory(first_name="<script>x</script>", language="en")
    response = manager_web.post(CHANGELIST, {"action": "simulate_routing", "_selected_action": [lead.pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rule &#x27;Everyone&#x27; matched" in html or "Everyone" in html
    assert "filtered out" in html and "language" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert not Assignment.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.NEW
    assert Rep.objects.get(pk=alice.pk).load == 0


def test_reroute_takes_back_the_offer_and_offers_again(manager_web, django_capture_on_commit_callbacks):
    RoutingRuleFactory(name="Everyone")
    RepFactory(), RepFactory()
    lead = LeadFactory()
    first = first_offer(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_web.post(CHANGELIST, {"action": "reroute_now", "_selected_action": [lead.pk]}, follow=True)
    assert "Re-routing 1 lead(s)." in response.content.decode()
    first.refresh_from_db()
    assert first.status == "revoked"
    assert lead.assignments.filter(status="offered").count() == 1
    assert sum(Rep.objects.values_list("load", flat=True)) == 1


def test_reroute_refuses_an_owned_lead(manager_web):
    RoutingRuleFactory(name="Everyone")
    rep = RepFactory()
    lead = LeadFactory()
    offer = accepted_offer(lead, rep)
    response = manager_web.post(CHANGELIST, {"action": "reroute_now", "_selected_action": [lead.pk]}, follow=True)
    assert "not re-routed: the lead is accepted by a rep" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == "accepted"
