"""The lead list's "Assign to a rep" action: a confirmation page naming the leads, then the assignment."""

import pytest

from assignments.models import Assignment
from campaigns.models import Lead
from tests.factories import LeadFactory, RepFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/campaigns/lead/"


def test_the_action_asks_for_a_rep_then_assigns_each_lead(manager_web, manager):
    rep = RepFactory(user__username="zoe", capacity=1)
    leads = [LeadFactory(status=Lead.Status.WAITING, first_name="<b>Ada</b>"), LeadFactory()]
    closed = LeadFactory(status=Lead.Status.WON)
    selected = [lead.pk for lead in leads] + [closed.pk]
    page = manager_web.post(CHANGELIST, {"action": "assign_to_rep", "_selected_action": selected})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Assign to a rep" in html and "zoe (0/1, available)" in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html and "<b>Ada</b>" not in html
    assert not Assignment.objects.exists()

    done = manager_web.post(CHANGELIST, {"action": "assign_to_rep", "_selected_action": selected, "apply": "1",
                                         "rep": rep.pk}, follow=True)
    assert done.status_code == 200
    text = done.content.decode()
    assert "2 lead(s) assigned to zoe." in text
    assert f"#{closed.pk}: The lead is won: it cannot be assigned." in text
    assert set(Lead.objects.filter(owner=rep.user).values_list("pk", flat=True)) == {lead.pk for lead in leads}
    assert Assignment.objects.filter(assigned_by=manager).count() == 2


def test_without_a_rep_the_form_asks_again(manager_web):
    lead = LeadFactory()
    page = manager_web.post(CHANGELIST, {"action": "assign_to_rep", "_selected_action": [lead.pk], "apply": "1",
                                         "rep": "999999"})
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    assert not Assignment.objects.exists()
