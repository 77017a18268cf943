"""lead_intake: every business rule, its exact answer, and that nothing is half-written."""

import datetime as dt

import pytest

from campaigns.models import Campaign, CapCounter, IntakeAttempt, Lead, OfficeHours, SuppressionEntry
from campaigns.services import lead_intake
from tests.factories import CampaignFactory, LeadFactory, SupplierFactory

from .conftest import lead_payload

NY = dt.timezone(dt.timedelta(hours=-4))
MONDAY_NOON_NY = dt.datetime(2026, 6, 1, 12, 0, tzinfo=NY)  # 2026-06-01 is a Monday (EDT)
SUNDAY_NOON_NY = dt.datetime(2026, 5, 31, 12, 0, tzinfo=NY)


def post(supplier, at=None, key="", **overrides):
    return lead_intake(supplier=supplier, payload=lead_payload(**overrides), idempotency_key=key, received_at=at)


def assert_refused(result, reason):
    assert result.status_code == 422
    assert result.body["status"] == "rejected"
    assert result.body["reason"] == reason
    assert result.body["detail"]
    assert Lead.objects.count() == 0
    attempt = IntakeAttempt.objects.get()
    assert (attempt.outcome, attempt.reason, attempt.response_status) == ("rejected", reason, 422)
    assert attempt.response_body == result.body


def test_accepts_and_normalises(supplier, campaign):
    supplier.cost_per_lead = "4.50"
    supplier.save()
    Campaign.objects.filter(pk=campaign.pk).update(price_per_lead="30")

    result = post(supplier, region=" CA ", fields={"roof": "south", "budget": 12000, "tags": ["a", "b"]})

    lead = Lead.objects.get()
    assert (result.status_code, result.body, result.outcome) == (201, {"id": lead.pk, "status": "accepted"},
                                                                 "accepted")
    assert (lead.phone, lead.email, lead.country, lead.language, lead.region) == (
        "+14155550100", "ada@example.com", "US", "en", "CA")
    assert lead.status == Lead.Status.NEW and lead.score == 0
    assert lead.fields == {"roof": "south", "budget": 12000, "tags": ["a", "b"]}
    # Revenue comes when the lead is sold or won, never at intake (README: Selling leads to buyers).
    assert (str(lead.cost), str(lead.revenue)) == ("4.50", "0.00")
    attempt = IntakeAttempt.objects.get()
    assert (attempt.outcome, attempt.lead, attempt.campaign, attempt.response_status) == (
        "accepted", lead, campaign, 201)


def test_unicode_and_html_names_are_stored_verbatim(supplier):
    post(supplier, first_name="Zoë 李", last_name="<script>alert('x')</script> & Co")
    lead = Lead.objects.get()
    assert lead.first_name == "Zoë 李"
    assert lead.last_name == "<script>alert('x')</script> & Co"


def test_not_allowed(supplier):
    CampaignFactory(slug="other")
    assert_refused(post(supplier, campaign="other"), "not_allowed")


def test_inactive_campaign_is_closed(supplier, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(active=False)
    assert_refused(post(supplier), "campaign_closed")


@pytest.fixture
def weekday_hours(campaign):
    campaign.timezone = "America/New_York"
    campaign.save()
    OfficeHours.objects.bulk_create(OfficeHours(campaign=campaign, weekday=day, opens=dt.time(9), closes=dt.time(17))
                                    for day in range(5))
    return campaign


def test_outside_hours_reject_is_closed(supplier, weekday_hours):
    weekday_hours.outside_hours = Campaign.OutsideHours.REJECT
    weekday_hours.save()
    assert_refused(post(supplier, at=SUNDAY_NOON_NY), "campaign_closed")


def test_outside_hours_hold_accepts_a_held_lead(supplier, weekday_hours, routed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = post(supplier, at=SUNDAY_NOON_NY)
    assert result.status_code == 201
    assert Lead.objects.get().status == Lead.Status.HELD
    assert routed == []


def test_inside_hours_is_new(supplier, weekday_hours):
    assert post(supplier, at=MONDAY_NOON_NY).status_code == 201
    assert Lead.objects.get().status == Lead.Status.NEW


@pytest.mark.parametrize(("overrides", "detail"), [
    ({"phone": "12345"}, "Phone '12345' is not a valid number for country US."),
    ({"phone": "+1 415 555 01"}, "Phone '+1 415 555 01' is not a valid number for country US."),
    ({"phone": "0301234567", "country": None}, "Phone '0301234567' is not a valid number (send it with +country "
                                               "code or send the country)."),
    ({"email": "ada@@example"}, "Email 'ada@@example' is not a valid address."),
    ({"phone": "", "email": ""}, "A lead needs a phone number or an email address."),
])
def test_invalid_contact(supplier, campaign, overrides, detail):
    campaign.required_fields = ["first_name"]
    campaign.save()
    result = post(supplier, **overrides)
    assert_refused(result, "invalid_contact")
    assert result.body["detail"] == detail


@pytest.mark.parametrize(("kind", "value", "overrides"), [
    ("phone", "+14155550100", {}),
    ("email", "ada@example.com", {}),
    ("email_domain", "example.com", {}),
    ("email_domain", "example.com", {"email": "ada@mail.Example.com"}),
])
def test_suppressed(supplier, kind, value, overrides):
    SuppressionEntry.objects.create(kind=kind, value=value)
    assert_refused(post(supplier, **overrides), "suppressed")


def test_a_suppressed_domain_does_not_block_a_lookalike(supplier):
    SuppressionEntry.objects.create(kind="email_domain", value="example.com")
    assert post(supplier, email="ada@notexample.com").status_code == 201


def test_duplicate_by_phone_or_email_points_at_the_earliest(supplier, campaign):
    first = post(supplier).body["id"]
    post_other = post(supplier, email="other@example.com", phone="+14155550111")
    assert post_other.status_code == 201
    by_phone = post(supplier, email="third@example.com")
    by_email = post(supplier, phone="+14155550122", email="OTHER@example.com")
    assert (by_phone.status_code, by_phone.body) == (409, {"status": "duplicate", "duplicate_of": first})
    assert by_email.body == {"status": "duplicate", "duplicate_of": post_other.body["id"]}
    assert Lead.objects.count() == 2
    assert IntakeAttempt.objects.filter(outcome="duplicate", duplicate_of_id=first).count() == 1


def test_duplicate_window_and_off(supplier, campaign):
    LeadFactory(campaign=campaign, supplier=supplier, phone="+14155550100", email="x@example.com",
                received_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    campaign.dedup_window_hours = 24
    campaign.save()
    assert post(supplier, at=dt.datetime(2026, 1, 2, 1, tzinfo=dt.UTC)).status_code == 201
    campaign.dedup_window_hours = 0
    campaign.save()
    assert post(supplier, at=dt.datetime(2026, 1, 2, 2, tzinfo=dt.UTC)).status_code == 201


def test_other_campaign_is_not_a_duplicate(supplier, campaign):
    other = CampaignFactory(slug="solar-ca")
    supplier.campaigns.add(other)
    post(supplier)
    assert post(supplier, campaign="solar-ca").status_code == 201


def test_external_id_of_a_lead_without_intake_record_is_a_duplicate(supplier, campaign):
    earlier = LeadFactory(campaign=campaign, supplier=supplier, external_id="ext-1")
    result = post(supplier, external_id="ext-1")
    assert result.body == {"status": "duplicate", "duplicate_of": earlier.pk}


@pytest.mark.parametrize("cap_field", ["cap_per_hour", "cap_per_day", "cap_total"])
@pytest.mark.parametrize("owner", ["campaign", "supplier"])
def test_caps(supplier, campaign, owner, cap_field):
    target = campaign if owner == "campaign" else supplier
    reason = f"{owner}_cap_reached"
    setattr(target, cap_field, 2)
    target.save()
    assert post(supplier, phone="+14155550101", email="a@example.com").status_code == 201
    assert post(supplier, phone="+14155550102", email="b@example.com").status_code == 201
    IntakeAttempt.objects.all().delete()
    leads_before = Lead.objects.count()
    counters_before = sorted(CapCounter.objects.values_list("scope", "window", "count"))

    result = post(supplier, phone="+14155550103", email="c@example.com")

    assert (result.status_code, result.body["reason"]) == (422, reason)
    assert Lead.objects.count() == leads_before
    assert sorted(CapCounter.objects.values_list("scope", "window", "count")) == counters_before
    assert IntakeAttempt.objects.get().reason == reason


def test_hour_cap_opens_again_next_hour(supplier, campaign):
    campaign.cap_per_hour = 1
    campaign.save()
    at = dt.datetime(2026, 3, 2, 10, 59, tzinfo=dt.UTC)
    assert post(supplier, at=at, phone="+14155550101", email="a@example.com").status_code == 201
    assert post(supplier, at=at, phone="+14155550102", email="b@example.com").status_code == 422
    later = at + dt.timedelta(minutes=2)
    assert post(supplier, at=later, phone="+14155550103", email="c@example.com").status_code == 201


def test_supplier_cap_refusal_leaves_the_campaign_counter_alone(supplier, campaign):
    campaign.cap_per_day = 100
    campaign.save()
    supplier.cap_total = 1
    supplier.save()
    post(supplier, phone="+14155550101", email="a@example.com")
    result = post(supplier, phone="+14155550102", email="b@example.com")
    assert result.body["reason"] == "supplier_cap_reached"
    assert CapCounter.objects.get(scope=f"campaign:{campaign.pk}", window="day").count == 1


def test_rejected_post_writes_only_its_attempt(supplier, campaign):
    campaign.cap_per_day = 5
    campaign.save()
    SuppressionEntry.objects.create(kind="phone", value="+14155550100")
    assert_refused(post(supplier, key="k-1", external_id="e-1"), "suppressed")
    assert not CapCounter.objects.filter(count__gt=0).exists()
    attempt = IntakeAttempt.objects.get()
    assert (attempt.idempotency_key, attempt.external_id) == ("k-1", "e-1")


def test_duplicate_does_not_consume_caps(supplier, campaign):
    campaign.cap_total = 10
    campaign.save()
    post(supplier)
    assert post(supplier).status_code == 409
    assert CapCounter.objects.get(window="total").count == 1


@pytest.mark.parametrize(("overrides", "errors"), [
    ({"campaign": "nope"}, {"campaign": ["Unknown campaign 'nope'."]}),
    ({"campaign": None}, {"campaign": ["This field is required."]}),
    ({"phone": None, "country": ""}, {"phone": ["This field is required."], "country": ["This field is required."]}),
    ({"nickname": "x", "age": 3}, {"nickname": ["Unknown field. Put extra answers in \"fields\"."],
                                   "age": ["Unknown field. Put extra answers in \"fields\"."]}),
])
def test_invalid_posts_are_400_and_recorded_without_keys(supplier, overrides, errors):
    result = lead_intake(supplier=supplier, payload=lead_payload(external_id="e-9", **overrides),
                         idempotency_key="k-9")
    assert (result.status_code, result.body) == (400, {"errors": errors})
    attempt = IntakeAttempt.objects.get()
    assert (attempt.outcome, attempt.response_status, attempt.idempotency_key, attempt.external_id) == (
        "invalid", 400, "", "")
    assert Lead.objects.count() == 0


def test_campaign_required_fields(supplier, campaign):
    campaign.required_fields = ["first_name", "postal_code", "language"]
    campaign.save()
    result = post(supplier, language=None)
    assert result.body == {"errors": {"postal_code": ["This field is required."],
                                      "language": ["This field is required."]}}
    assert IntakeAttempt.objects.get().campaign == campaign


def test_idempotency_key_returns_the_first_answer(supplier):
    first = post(supplier, key="abc")
    again = post(supplier, key="abc", first_name="Changed", phone="+14155550199")
    assert (again.status_code, again.body, again.replayed) == (201, first.body, True)
    assert Lead.objects.count() == 1
    attempt = IntakeAttempt.objects.get()
    assert attempt.replays == 1


def test_external_id_returns_the_first_answer_even_a_422(supplier, campaign):
    campaign.cap_total = 0
    campaign.save()
    first = post(supplier, external_id="ext-7")
    assert first.body["reason"] == "campaign_cap_reached"
    campaign.cap_total = None
    campaign.save()
    again = post(supplier, external_id="ext-7")
    assert (again.status_code, again.body) == (422, first.body)
    assert Lead.objects.count() == 0
    assert IntakeAttempt.objects.get().replays == 1


def test_keys_are_per_supplier(supplier, campaign):
    other = SupplierFactory(name="Other", campaigns=[campaign])
    post(supplier, key="same", external_id="same")
    result = post(other, key="same", external_id="same", phone="+14155550155", email="x@example.com")
    assert result.status_code == 201 and not result.replayed


def test_a_400_does_not_claim_the_keys(supplier):
    assert post(supplier, key="k", external_id="e", country="USA").status_code == 400
    fixed = post(supplier, key="k", external_id="e")
    assert fixed.status_code == 201 and not fixed.replayed


def test_overlong_idempotency_key_is_400(supplier):
    result = post(supplier, key="k" * 129)
    assert result.body == {"errors": {"Idempotency-Key": ["Must be at most 128 characters of text."]}}


def test_routing_is_requested_in_the_leads_own_transaction_for_accepted_leads_only(
        supplier, routed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        accepted = post(supplier)
    # Requested before the commit: the floor writes a request row that commits or rolls back with the lead, and
    # routes it only once committed (tests/assignments/test_services_routing_drain.py).
    assert routed == [accepted.body["id"]]
    for callback in callbacks:
        callback()
    assert routed == [accepted.body["id"]]

    SuppressionEntry.objects.create(kind="email", value="sup@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(supplier).status_code == 409
        assert post(supplier, email="sup@example.com", phone="+14155550177").status_code == 422
        assert post(supplier, key="k", country="XX").status_code == 400
        assert post(supplier, email=None).status_code == 400
    assert routed == [accepted.body["id"]]


def test_leads_routing_enqueue_requests_routing_and_queues_one_drain(db, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    import django_q.tasks

    from assignments.models import RouteRequest
    from campaigns.services.intake import leads_routing_enqueue

    first, second = LeadFactory(), LeadFactory()
    calls = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kwargs: calls.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        leads_routing_enqueue(lead_ids=[first.pk])
        leads_routing_enqueue(lead_ids=[second.pk, first.pk])
    assert sorted(RouteRequest.objects.values_list("lead_id", flat=True)) == [first.pk, second.pk]
    assert calls == [("assignments.tasks.route_drain_task",)]  # one drain, not one task per lead
