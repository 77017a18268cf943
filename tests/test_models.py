"""Database constraints hold on their own, whatever the code above them does."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils.timezone import now

from assignments.models import Assignment, Rep, RepSkill, WorkingHours
from campaigns.models import CapCounter, IntakeAttempt, Lead, SuppressionEntry
from tests.factories import AssignmentFactory, LeadFactory, RepFactory, SkillFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def violates(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_routing_never_claims_past_capacity_though_a_manager_may_assign_past_it():
    # The load <= capacity constraint went with CONTRACT 6.3 (a manager's assignment may pass capacity); routing's
    # claim is the guard: one conditional UPDATE.
    from assignments.services import rep_claim

    rep = RepFactory(capacity=2)
    Rep.objects.filter(pk=rep.pk).update(load=2)
    assert rep_claim(rep_id=rep.pk, now=now()) is False
    assert Rep.objects.get(pk=rep.pk).load == 2
    Rep.objects.filter(pk=rep.pk).update(load=3)  # a manager's call
    assert rep_claim(rep_id=rep.pk, now=now()) is False


def test_rep_load_is_never_negative():
    rep = RepFactory()
    assert violates(lambda: Rep.objects.filter(pk=rep.pk).update(load=-1))


def test_a_lead_has_at_most_one_accepted_assignment():
    first = AssignmentFactory(status=Assignment.Status.ACCEPTED)
    assert violates(lambda: AssignmentFactory(lead=first.lead, status=Assignment.Status.ACCEPTED))
    AssignmentFactory(lead=first.lead, status=Assignment.Status.DECLINED)


def test_a_rep_has_at_most_one_open_offer_per_lead():
    first = AssignmentFactory()
    assert violates(lambda: AssignmentFactory(lead=first.lead, rep=first.rep))
    AssignmentFactory(lead=first.lead)  # another rep (broadcast) is fine


def test_offer_must_expire_after_it_is_made():
    at = now()
    assert violates(lambda: AssignmentFactory(offered_at=at, expires_at=at))


def test_external_id_unique_per_supplier_only():
    lead = LeadFactory(external_id="X-1")
    assert violates(lambda: LeadFactory(supplier=lead.supplier, campaign=lead.campaign, external_id="X-1"))
    LeadFactory(external_id="X-1")  # another supplier
    LeadFactory(supplier=lead.supplier, campaign=lead.campaign, external_id="")
    LeadFactory(supplier=lead.supplier, campaign=lead.campaign, external_id="")


def test_lead_cannot_be_accepted_before_it_was_assigned():
    assert violates(lambda: LeadFactory(accepted_at=now()))


def test_intake_attempt_keys_claimed_once_except_by_invalid_posts():
    supplier = SupplierFactory()

    def attempt(outcome, **keys):
        return IntakeAttempt.objects.create(supplier=supplier, outcome=outcome, response_status=201, **keys)

    attempt("accepted", idempotency_key="k1", external_id="e1")
    assert violates(lambda: attempt("rejected", idempotency_key="k1"))
    assert violates(lambda: attempt("duplicate", external_id="e1"))
    attempt("invalid", idempotency_key="k1", external_id="e1")
    attempt("invalid", idempotency_key="k1", external_id="e1")
    IntakeAttempt.objects.create(supplier=SupplierFactory(), outcome="accepted", response_status=201,
                                 idempotency_key="k1")


def test_cap_counter_one_row_per_window():
    start = now().replace(minute=0, second=0, microsecond=0)
    CapCounter.objects.create(scope="campaign:1", window="hour", window_start=start)
    assert violates(lambda: CapCounter.objects.create(scope="campaign:1", window="hour", window_start=start))


def test_suppression_value_unique_per_kind():
    SuppressionEntry.objects.create(kind="email", value="a@b.com")
    assert violates(lambda: SuppressionEntry.objects.create(kind="email", value="a@b.com"))
    SuppressionEntry.objects.create(kind="email_domain", value="a@b.com")


def test_skill_level_and_weekday_ranges():
    rep = RepFactory()
    assert violates(lambda: RepSkill.objects.create(rep=rep, skill=SkillFactory(), level=6))
    assert violates(lambda: WorkingHours.objects.create(rep=rep, weekday=7, starts=dt.time(9), ends=dt.time(17)))


def test_campaign_and_supplier_are_protected_while_they_have_leads():
    lead = LeadFactory()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        lead.campaign.delete()
    assert Lead.objects.filter(pk=lead.pk).exists()
