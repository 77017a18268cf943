"""The lead market admin: campaign forms, supplier keys, buyers, leads, read-only logs, suppression."""

import datetime as dt
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from campaigns.admin_common import filters_compact, seconds_humanised
from campaigns.models import Buyer, Campaign, IntakeAttempt, Lead, SupplierApiKey, SuppressionEntry, hash_api_key
from campaigns.selectors import supplier_api_key_lookup
from campaigns.services import supplier_api_key_create, supplier_api_key_revoke
from tests.admin_forms import management
from tests.factories import (
    BuyerFactory,
    CampaignFactory,
    IntakeAttemptFactory,
    LeadFactory,
    SupplierFactory,
    UserFactory,
)

RAW_KEY = re.compile(r"lcrm_[A-Za-z0-9_-]{20,}")


def campaign_post(**overrides) -> dict:
    data = {
        "name": "Solar US", "slug": "solar-us", "active": "on", "price_per_lead": "12.50",
        "required_fields": ["country", "email", "phone"], "dedup_window_hours": "720",
        "timezone": "America/New_York", "outside_hours": "hold", "outside_calling_hours": "hold",
        "cap_per_hour": "", "cap_per_day": "50", "cap_total": "",
        **management("office_hours", total=1),
        "office_hours-0-weekday": "0", "office_hours-0-opens": "09:00", "office_hours-0-closes": "17:00",
        "distribution_mode": "reps_only", "buyers_after_minutes": "10", "buyer_method": "ping_tree",
        "ping_tree_order": "priority", "floor_price": "0", **management("price_rules"), "recycle_max_cycles": "2",
    }
    data.update(overrides)
    return data


def action(manager_web, changelist: str, name: str, pks, follow=True):
    return manager_web.post(reverse(changelist), {"action": name, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]},
                            follow=follow)


# --- Campaigns -----------------------------------------------------------------


def test_campaign_required_fields_are_checkboxes(manager_web):
    body = manager_web.get(reverse("admin:campaigns_campaign_add")).content.decode()
    for name in ("first_name", "email", "postal_code", "skill"):
        assert re.search(rf'type="checkbox" name="required_fields" value="{name}"', body)


def test_campaign_add_stores_required_fields_in_choice_order_with_office_hours(manager_web):
    response = manager_web.post(reverse("admin:campaigns_campaign_add"), campaign_post())
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = Campaign.objects.get(slug="solar-us")
    assert campaign.required_fields == ["email", "phone", "country"]
    assert campaign.timezone == "America/New_York"
    assert campaign.cap_per_day == 50
    hours = campaign.office_hours.get()
    assert (hours.weekday, hours.opens, hours.closes) == (0, dt.time(9), dt.time(17))


def test_campaign_calling_window_is_saved_and_shown_with_its_help(manager_web):
    response = manager_web.post(reverse("admin:campaigns_campaign_add"), campaign_post(
        calling_starts="08:00", calling_ends="21:00", outside_calling_hours="offer"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = Campaign.objects.get(slug="solar-us")
    assert (campaign.calling_starts, campaign.calling_ends, campaign.outside_calling_hours) == (
        dt.time(8), dt.time(21), "offer")
    body = manager_web.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert "Calling hours (in the lead&#x27;s local time)" in body
    assert "in the lead's local time (e.g. 08:00)" in body  # help text is not escaped by the admin


@pytest.mark.parametrize("starts, ends, error", [
    ("08:00", "", "Set both calling times, or neither (no calling window)."),
    ("", "21:00", "Set both calling times, or neither (no calling window)."),
    ("21:00", "08:00", "The calling window must end after it starts, the same day."),
])
def test_campaign_calling_window_errors_are_form_errors(manager_web, starts, ends, error):
    response = manager_web.post(reverse("admin:campaigns_campaign_add"), campaign_post(
        calling_starts=starts, calling_ends=ends))
    assert response.status_code == 200
    assert error in " ".join(str(e) for errors in response.context["adminform"].form.errors.values() for e in errors)
    assert not Campaign.objects.filter(slug="solar-us").exists()


def test_campaign_change_shows_saved_fields_checked(manager_web):
    campaign = CampaignFactory(required_fields=["email", "phone"])
    body = manager_web.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert re.search(r'type="checkbox" name="required_fields" value="email"[^>]*checked', body)
    assert not re.search(r'type="checkbox" name="required_fields" value="country"[^>]*checked', body)


@pytest.mark.parametrize("field,value,error", [
    ("timezone", "Mars/Olympus", "Select a valid choice. Mars/Olympus is not one of the available choices."),
    ("required_fields", ["email", "shoe_size"],
     "Select a valid choice. shoe_size is not one of the available choices."),
    ("office_hours-0-weekday", "7", "Select a valid choice. 7 is not one of the available choices."),
])
def test_campaign_bad_input_is_refused_and_nothing_saved(manager_web, field, value, error):
    response = manager_web.post(reverse("admin:campaigns_campaign_add"), campaign_post(**{field: value}))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Campaign.objects.filter(slug="solar-us").exists()


def test_campaign_changelist_lists_required_fields_and_supplier_count(manager_web):
    campaign = CampaignFactory(name="Solar", required_fields=["email", "phone"])
    SupplierFactory(campaigns=[campaign])
    SupplierFactory(campaigns=[campaign])
    body = manager_web.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert "Email, Phone" in body
    assert re.search(r'<td class="field-supplier_count">2</td>', body)


# --- Supplier API keys ------------------------------------------------------------


def test_create_key_action_shows_the_key_once_and_it_authenticates(manager_web):
    supplier = SupplierFactory(name="Acme Leads")
    response = action(manager_web, "admin:campaigns_supplier_changelist", "create_api_key", [supplier.pk])
    body = response.content.decode()
    assert "Copy it now: it will not be shown again" in body
    keys = RAW_KEY.findall(body)
    assert len(keys) == 1
    raw = keys[0]

    row = SupplierApiKey.objects.get(supplier=supplier)
    assert row.name == "admin"
    assert row.key_hash == hash_api_key(raw)
    assert raw not in (row.prefix, row.key_hash) and raw.startswith(row.prefix)
    assert supplier_api_key_lookup(raw_key=raw) == row

    again = manager_web.get(reverse("admin:campaigns_supplier_changelist")).content.decode()
    assert raw not in again
    key_page = manager_web.get(reverse("admin:campaigns_supplierapikey_change", args=[row.pk])).content.decode()
    assert raw not in key_page and row.key_hash not in key_page and row.prefix in key_page


def test_create_key_action_makes_one_key_per_selected_supplier(manager_web):
    first, second = SupplierFactory(), SupplierFactory()
    body = action(manager_web, "admin:campaigns_supplier_changelist", "create_api_key", [first.pk, second.pk]).content
    raws = RAW_KEY.findall(body.decode())
    assert len(set(raws)) == 2
    assert {supplier_api_key_lookup(raw_key=raw).supplier for raw in raws} == {first, second}


def test_create_key_message_escapes_the_supplier_name(manager_web):
    supplier = SupplierFactory(name="<b>Acme</b>")
    body = action(manager_web, "admin:campaigns_supplier_changelist", "create_api_key", [supplier.pk]).content.decode()
    assert "New API key for &lt;b&gt;Acme&lt;/b&gt;" in body
    assert "<b>Acme</b>" not in body


def test_revoke_action_sets_revoked_at_and_keeps_an_earlier_revocation(manager_web):
    supplier = SupplierFactory()
    live = supplier_api_key_create(supplier=supplier, name="live").key
    old = supplier_api_key_revoke(key=supplier_api_key_create(supplier=supplier, name="old").key)
    old_time = old.revoked_at

    response = action(manager_web, "admin:campaigns_supplierapikey_changelist", "revoke_keys", [live.pk, old.pk])
    assert "Revoked 2 key(s)" in response.content.decode()
    live.refresh_from_db()
    old.refresh_from_db()
    assert live.revoked_at is not None and not live.is_active
    assert old.revoked_at == old_time


def test_keys_cannot_be_added_and_hash_prefix_and_revocation_are_read_only(manager_web):
    supplier = SupplierFactory()
    key = supplier_api_key_create(supplier=supplier, name="prod").key
    assert manager_web.get(reverse("admin:campaigns_supplierapikey_add")).status_code == 403

    response = manager_web.post(reverse("admin:campaigns_supplierapikey_change", args=[key.pk]), {
        "name": "production", "prefix": "lcrm_evil", "key_hash": "0" * 64, "revoked_at_0": "", "supplier": "",
    })
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.name == "production"
    assert key.prefix != "lcrm_evil" and key.key_hash != "0" * 64 and key.supplier == supplier


def test_supplier_page_shows_keys_read_only(manager_web):
    supplier = SupplierFactory()
    key = supplier_api_key_create(supplier=supplier, name="prod").key
    body = manager_web.get(reverse("admin:campaigns_supplier_change", args=[supplier.pk])).content.decode()
    assert key.prefix in body and key.key_hash not in body
    assert 'name="api_keys-0-name"' not in body  # display only


# --- Buyers ----------------------------------------------------------------------------


def buyer_post(**overrides) -> dict:
    data = {"name": "Big Buyer", "active": "on", "endpoint_url": "https://buyer.example/leads",
            "filters": '{"country": ["US"]}', "price": "20", "weight": "1", "priority": "100",
            "cap_per_hour": "", "cap_per_day": "", "cap_per_month": "", "timeout_ms": "3000",
            "return_window_hours": "72"}
    data.update(overrides)
    return data


def test_buyer_filters_are_shown_pretty(manager_web):
    buyer = BuyerFactory(filters={"region": ["CA", "NV"], "country": ["US"]})
    body = manager_web.get(reverse("admin:campaigns_buyer_change", args=[buyer.pk])).content.decode()
    assert "{\n  &quot;country&quot;: [\n    &quot;US&quot;\n  ],\n  &quot;region&quot;" in body
    listing = manager_web.get(reverse("admin:campaigns_buyer_changelist")).content.decode()
    assert "region: CA, NV; country: US" in listing


@pytest.mark.parametrize("filters,error", [
    ("[1, 2]", "Filters must be a JSON object such as {&quot;country&quot;: [&quot;US&quot;]}."),
    ('{"country": {"in": ["US"]}}', "Filter &#x27;country&#x27; must be a value or a list of values."),
    ("{not json", "Enter a valid JSON."),
])
def test_buyer_bad_filters_are_refused(manager_web, filters, error):
    response = manager_web.post(reverse("admin:campaigns_buyer_add"), buyer_post(filters=filters))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Buyer.objects.exists()


def test_buyer_add_saves_filters(manager_web):
    response = manager_web.post(reverse("admin:campaigns_buyer_add"), buyer_post(filters='{"country": ["US", "CA"]}'))
    assert response.status_code == 302
    assert Buyer.objects.get().filters == {"country": ["US", "CA"]}


# --- Leads -------------------------------------------------------------------------------


def lead_post(lead: Lead, **overrides) -> dict:
    data = {
        "first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email, "phone": lead.phone,
        "country": lead.country, "region": lead.region, "postal_code": lead.postal_code,
        "language": lead.language, "skill": lead.skill, "fields": "{}",
        **management("assignments"), **management("contacts"), **management("notes"), **management("callbacks"),
        **management("stage_changes"),
        **management("distribution"), **management("buyer_deliveries"), **management("buyer_return"),
    }
    data.update(overrides)
    return data


def test_lead_add_is_the_intake_form(manager_web):
    body = manager_web.get(reverse("admin:campaigns_lead_add")).content.decode()
    assert 'id="lead_entry_form"' in body  # tests/assignments/test_admin_lead_add.py drives it


def test_lead_contact_fields_are_normalised_and_state_is_read_only(manager_web):
    lead = LeadFactory()
    received = lead.received_at
    response = manager_web.post(reverse("admin:campaigns_lead_change", args=[lead.pk]), lead_post(
        lead, email=" Ada@Example.COM ", phone="+1 (415) 555-0199", country="gb", language="EN",
        fields='{"roof": "south"}',
        status="won", received_at_0="2001-01-01", owner=str(UserFactory().pk), score="99",
    ))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.email, lead.phone, lead.country, lead.language) == ("ada@example.com", "+14155550199", "GB", "en")
    assert lead.fields == {"roof": "south"}
    assert (lead.status, lead.received_at, lead.owner, lead.score) == (Lead.Status.NEW, received, None, 0)


@pytest.mark.parametrize("field,value,error", [
    pytest.param("phone", "0415 555", "&#x27;0415 555&#x27; is not a valid phone number with +country code.",
                 id="phone-without-country-code"),
    pytest.param("email", "not-an-email", "Email &#x27;not-an-email&#x27; is not a valid address.", id="email-invalid"),
    pytest.param("country", "USA", "Ensure this value has at most 2 characters (it has 3).", id="country-too-long"),
    pytest.param("country", "ZZ", "&#x27;ZZ&#x27; is not an ISO 3166-1 alpha-2 country code (e.g. US, DE).",
                 id="country-unknown"),
    pytest.param("language", "xx", "&#x27;xx&#x27; is not an ISO 639-1 language code (e.g. en, es).",
                 id="language-unknown"),
    pytest.param("fields", "[1]", "Must be a JSON object of extra answers.", id="fields-not-an-object"),
    pytest.param("fields", '{"roof": {"side": "south"}}',
                 "&#x27;roof&#x27;: values must be text, numbers, true/false, null or a short list of those.",
                 id="fields-nested-value"),
])
def test_lead_bad_contact_values_are_refused_and_nothing_changes(manager_web, field, value, error):
    lead = LeadFactory()
    before = Lead.objects.filter(pk=lead.pk).values().get()
    response = manager_web.post(reverse("admin:campaigns_lead_change", args=[lead.pk]),
                                lead_post(lead, first_name="Changed", **{field: value}))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert Lead.objects.filter(pk=lead.pk).values().get() == before


def test_lead_changelist_columns_filters_search_and_sorting(manager_web):
    campaign = CampaignFactory(name="Solar")
    fast = LeadFactory(campaign=campaign, first_name="Quick", last_name="Contact", country="DE")
    fast.first_contact_at = fast.received_at + dt.timedelta(minutes=3, seconds=12)
    fast.status = Lead.Status.CONTACTED
    fast.save()
    LeadFactory(first_name="Slow", last_name="Waiting", status=Lead.Status.WAITING)
    url = reverse("admin:campaigns_lead_changelist")

    body = manager_web.get(url).content.decode()
    assert "3 min 12 s" in body and "Contacted" in body and "Quick Contact" in body
    assert "Quick" in manager_web.get(url, {"status": "contacted"}).content.decode()
    assert "Slow" not in manager_web.get(url, {"status": "contacted"}).content.decode()
    assert "Slow" not in manager_web.get(url, {"country": "DE"}).content.decode()
    assert "Quick" not in manager_web.get(url, {"q": "Slow Waiting"}).content.decode()
    assert "Quick" in manager_web.get(url, {"q": fast.email}).content.decode()
    speed_column = 9
    for order in (str(speed_column), f"-{speed_column}", "2", "5"):
        assert manager_web.get(url, {"o": order}).status_code == 200


# --- Read-only logs and suppression ----------------------------------------------------------


def test_intake_log_is_read_only_for_managers(manager_web, django_user_model):
    attempt = IntakeAttemptFactory()
    change = reverse("admin:campaigns_intakeattempt_change", args=[attempt.pk])
    body = manager_web.get(change).content.decode()
    assert "&quot;reason&quot;: &quot;suppressed&quot;" in body  # pretty response body
    assert manager_web.post(change, {"outcome": "accepted", "reason": ""}).status_code == 403
    assert manager_web.post(reverse("admin:campaigns_intakeattempt_delete", args=[attempt.pk]),
                            {"post": "yes"}).status_code == 403
    attempt.refresh_from_db()
    assert attempt.outcome == IntakeAttempt.Outcome.REJECTED

    manager_web.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    assert manager_web.post(reverse("admin:campaigns_intakeattempt_delete", args=[attempt.pk]),
                            {"post": "yes"}).status_code == 302
    assert not IntakeAttempt.objects.exists()


def test_intake_log_filters(manager_web):
    IntakeAttemptFactory(reason="suppressed")
    IntakeAttemptFactory(outcome="duplicate", reason="", detail="dup", response_status=409)
    url = reverse("admin:campaigns_intakeattempt_changelist")
    for query in ({"outcome": "duplicate"}, {"reason": "suppressed"}, {"q": "dup"}):
        assert manager_web.get(url, query).status_code == 200
    body = manager_web.get(url, {"outcome": "duplicate"}).content.decode()
    assert "409" in body and "422" not in body


def suppression_add(client, kind: str, value: str, *, status: int) -> str:
    """Post the admin's add form of a suppression entry, check the answer's status code, and return its page."""
    response = client.post(reverse("admin:campaigns_suppressionentry_add"), {"kind": kind, "value": value})
    assert response.status_code == status
    return response.content.decode()


@pytest.mark.parametrize("kind,value,stored", [
    ("email", "  Foo@Example.COM ", "foo@example.com"),
    ("phone", "+1 415 555 0100", "+14155550100"),
    ("email_domain", "@Example.com", "example.com"),
])
def test_suppression_values_are_normalised(manager_web, kind, value, stored):
    suppression_add(manager_web, kind, value, status=302)
    assert SuppressionEntry.objects.get().value == stored


@pytest.mark.parametrize("kind,value,error", [
    ("phone", "415 555", "&#x27;415 555&#x27; is not a valid phone number with +country code."),
    ("email", "nobody", "Email &#x27;nobody&#x27; is not a valid address."),
    ("email_domain", "not a domain", "&#x27;not a domain&#x27; is not a valid email domain."),
])
def test_suppression_bad_values_are_refused(manager_web, kind, value, error):
    assert error in suppression_add(manager_web, kind, value, status=200)
    assert not SuppressionEntry.objects.exists()


def test_suppression_duplicate_is_refused(manager_web):
    SuppressionEntry.objects.create(kind="email", value="foo@example.com")
    suppression_add(manager_web, "email", "FOO@example.com", status=200)
    assert SuppressionEntry.objects.count() == 1


# --- Renderers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds,text", [
    (None, "—"), (0, "0 s"), (44.6, "45 s"), (60, "1 min"), (192, "3 min 12 s"), (3600, "1 h"),
    (7500, "2 h 5 min"), (86400, "1 d"), (97200, "1 d 3 h"), (-5, "0 s"),
])
def test_seconds_humanised(seconds, text):
    assert seconds_humanised(seconds) == text


@pytest.mark.parametrize("filters,text", [
    ({}, "any lead"), ({"country": ["US"], "region": ["CA", "NV"]}, "country: US; region: CA, NV"),
    ({"min_score": 10}, "min_score: 10"), ([1], "[1]"),
])
def test_filters_compact(filters, text):
    assert filters_compact(filters) == text


def test_recycling_settings_take_reason_codes_comma_separated(manager_web):
    web = manager_web
    response = web.post(reverse("admin:campaigns_campaign_add"),
                        campaign_post(recycle_after_attempts="3", recycle_lost_reasons="no_answer, wrong time"))
    assert response.status_code == 200 and "Not a reason code: wrong time" in response.content.decode()
    response = web.post(reverse("admin:campaigns_campaign_add"),
                        campaign_post(recycle_after_attempts="3", recycle_lost_reasons=" no_answer, busy,no_answer"))
    assert response.status_code == 302
    campaign = Campaign.objects.get(slug="solar-us")
    assert (campaign.recycle_after_attempts, campaign.recycle_lost_reasons) == (3, ["no_answer", "busy"])
    page = web.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert 'value="no_answer, busy"' in page
