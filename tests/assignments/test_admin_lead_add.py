""""Add lead" in the admin: a manager's phone-in or walk-in lead goes through intake (validation, phone
normalisation, suppression, dedup, routing); intake's answers show on the form, never a 500."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from assignments.models import Assignment
from campaigns.models import IntakeAttempt, Lead, SuppressionEntry
from campaigns.services.lead_entry import HOUSE_SUPPLIER_NAME
from tests.factories import CampaignFactory, LeadFactory, RepFactory, RoutingRuleFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db
ADD = reverse("admin:campaigns_lead_add")


@pytest.fixture
def campaign(db):
    return CampaignFactory(slug="solar-us", name="Solar US", required_fields=["phone"])


def form(of, **overrides) -> dict:
    data = {"campaign": of.pk, "supplier": "", "first_name": "Ada", "last_name": "Lovelace",
            "email": "Ada@Example.com", "phone": "(415) 555-0100", "country": "us", "region": "CA",
            "postal_code": "94107", "language": "EN", "skill": "", "external_id": "", "fields": '{"roof": "tile"}'}
    data.update(overrides)
    return data


def errors_of(response) -> dict:
    assert response.status_code == 200
    return response.context["form"].errors


def test_a_lead_entered_by_hand_is_routed(manager_web, manager, campaign, django_capture_on_commit_callbacks):
    RoutingRuleFactory(name="Everyone", strategy="round_robin")
    rep = RepFactory(languages=["en"])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_web.post(ADD, form(campaign))
    lead = Lead.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:campaigns_lead_change", args=[lead.pk])
    assert (lead.phone, lead.email, lead.country, lead.language) == ("+14155550100", "ada@example.com", "US", "en")
    assert lead.fields == {"roof": "tile"} and lead.supplier.name == HOUSE_SUPPLIER_NAME
    assert lead.status == Lead.Status.OFFERED and Assignment.objects.get(lead=lead).rep == rep
    assert IntakeAttempt.objects.get().outcome == "accepted"
    assert LogEntry.objects.get(object_id=str(lead.pk)).user == manager
    page = manager_web.get(response.url)
    assert [str(m) for m in page.context["messages"]] == [f"Lead #{lead.pk} entered and sent to routing."]


def test_the_chosen_supplier_is_used_and_one_that_may_not_post_is_refused(manager_web, campaign):
    allowed = SupplierFactory(name="Acme", campaigns=[campaign])
    other = SupplierFactory(name="Other")
    assert manager_web.post(ADD, form(campaign, supplier=allowed.pk)).status_code == 302
    assert Lead.objects.get().supplier == allowed
    refused = manager_web.post(ADD, form(campaign, supplier=other.pk, phone="+14155550101", email=""))
    assert "Rejected (not_allowed)" in str(errors_of(refused)["__all__"])
    assert Lead.objects.count() == 1


def test_field_errors_show_on_the_form(manager_web, campaign):
    response = manager_web.post(ADD, form(campaign, country="XX", language="zz", skill="no spaces",
                                          fields="[1, 2]", phone=""))
    errors = errors_of(response)
    assert errors["country"] == ["'XX' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)."]
    assert errors["language"] == ["'zz' is not an ISO 639-1 language code (e.g. en, es)."]
    assert errors["skill"] == ["Must be a slug: letters, numbers, underscores or hyphens."]
    assert errors["fields"] == ["Must be a JSON object of extra answers."]
    assert not Lead.objects.exists()
    missing = errors_of(manager_web.post(ADD, form(campaign, phone="", country="US")))
    assert missing["phone"] == ["This field is required."]
    assert errors_of(manager_web.post(ADD, form(campaign, campaign="")))["campaign"] == ["This field is required."]
    bad_json = errors_of(manager_web.post(ADD, form(campaign, fields="{not json")))
    assert bad_json["fields"] == ["Enter a valid JSON."]


@pytest.mark.parametrize("setup,reason", [
    (lambda campaign: SuppressionEntry.objects.create(kind="phone", value="+14155550100"), "suppressed"),
    (lambda campaign: type(campaign).objects.filter(pk=campaign.pk).update(active=False), "campaign_closed"),
    (lambda campaign: type(campaign).objects.filter(pk=campaign.pk).update(cap_total=0), "campaign_cap_reached"),
    (lambda campaign: None, "invalid_contact"),
])
def test_a_refused_lead_shows_the_reason(manager_web, campaign, setup, reason):
    setup(campaign)
    data = form(campaign, phone="12345") if reason == "invalid_contact" else form(campaign)
    errors = errors_of(manager_web.post(ADD, data))
    assert f"Rejected ({reason}):" in str(errors["__all__"])
    assert not Lead.objects.exists()


def test_a_duplicate_links_the_earlier_lead_and_a_manager_may_create_it_anyway(manager_web, campaign):
    earlier = LeadFactory(campaign=campaign, phone="+14155550100", email="other@example.com")
    response = manager_web.post(ADD, form(campaign))
    body = response.content.decode()
    assert reverse("admin:campaigns_lead_change", args=[earlier.pk]) in body
    assert f"lead #{earlier.pk}</a> has the same phone" in body
    assert 'name="create_anyway"' in body
    assert Lead.objects.count() == 1

    created = manager_web.post(ADD, form(campaign, create_anyway="on"))
    assert created.status_code == 302
    assert Lead.objects.filter(phone="+14155550100").count() == 2
    lead = Lead.objects.latest("pk")
    assert "created anyway" in LogEntry.objects.get(object_id=str(lead.pk)).change_message


def test_a_staff_user_who_is_not_a_manager_cannot_create_a_duplicate(client, campaign):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="campaigns",
                                                          codename__in=["add_lead", "view_lead", "change_lead"]))
    client.force_login(clerk)
    LeadFactory(campaign=campaign, phone="+14155550100")
    response = client.post(ADD, form(campaign, create_anyway="on"))
    body = response.content.decode()
    assert response.status_code == 200 and "Duplicate:" in body
    assert 'name="create_anyway"' not in body and "Only a sales manager may store a duplicate" in body
    assert Lead.objects.count() == 1


def test_a_known_external_id_points_at_its_lead(manager_web, campaign):
    supplier = SupplierFactory(name="Acme", campaigns=[campaign])
    assert manager_web.post(ADD, form(campaign, supplier=supplier.pk, external_id="x-1")).status_code == 302
    first = Lead.objects.get()
    again = manager_web.post(ADD, form(campaign, supplier=supplier.pk, external_id="x-1", phone="+14155550177",
                                       email="", create_anyway="on"))
    assert reverse("admin:campaigns_lead_change", args=[first.pk]) in str(errors_of(again)["external_id"])
    assert Lead.objects.count() == 1


def test_people_who_may_not_add_leads_are_refused(client, db):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(ADD).status_code == 403
    assert client.get(reverse("admin:campaigns_lead_import")).status_code == 403
