"""The lead list's "Erase personal data" action: a confirmation page naming the leads, then the erasure."""

import pytest
from django.contrib.admin.models import LogEntry

from campaigns.models import Lead, SuppressionEntry
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/campaigns/lead/"


def test_the_action_asks_for_confirmation_then_erases_and_may_suppress(manager_web, manager):
    leads = [LeadFactory(first_name="<b>Ada</b>", last_name="Erasable", phone="+14155550161"), LeadFactory()]
    selected = [lead.pk for lead in leads]
    page = manager_web.post(CHANGELIST, {"action": "erase_personal_data", "_selected_action": selected})
    html = page.content.decode()
    assert page.status_code == 200 and "cannot be undone" in html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in html and "<b>Ada</b>" not in html
    unconfirmed = manager_web.post(CHANGELIST, {"action": "erase_personal_data", "_selected_action": selected,
                                                "apply": "1"})
    assert unconfirmed.status_code == 200 and "This field is required" in unconfirmed.content.decode()
    assert not Lead.objects.filter(erased_at__isnull=False).exists()

    done = manager_web.post(CHANGELIST, {"action": "erase_personal_data", "_selected_action": selected, "apply": "1",
                                         "confirm": "on", "suppress": "on"}, follow=True)
    assert "Erased the people of 2 lead(s)." in done.content.decode()
    assert Lead.objects.filter(erased_at__isnull=False, erased_by=manager, last_name="").count() == 2
    assert SuppressionEntry.objects.filter(kind="phone_hash").count() == 2
    assert LogEntry.objects.filter(user=manager, change_message__startswith="Erased").count() == 2
    change = manager_web.get(f"{CHANGELIST}{leads[0].pk}/change/").content.decode()
    assert "Erasable" not in change and "+14155550161" not in change
