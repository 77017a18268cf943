"""The open pool (CONTRACT 6.4): when a rule's leads enter it, who may see and claim them, and what a claim does."""

import datetime as dt

import pytest
from django.utils.timezone import now
from rest_framework.test import APIClient

from assignments import events, services
from assignments.models import Assignment, OutboxEvent, Rep, RepLanguage, RoutingRule
from assignments.selectors_pool import pool_leads_for_rep
from assignments.services.pool import pool_claim, waiting_leads_pool
from campaigns.models import Lead
from leadcrm.errors import ServiceError
from tests.factories import LeadFactory, ManagerFactory, RepFactory, RoutingRuleFactory, supplier_with_key

pytestmark = pytest.mark.django_db


def spanish_only_rep(**kwargs) -> Rep:
    rep = RepFactory(**kwargs)
    RepLanguage.objects.filter(rep=rep).delete()
    RepLanguage.objects.create(rep=rep, code="es")
    return rep


def outbox_mark() -> int:
    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_free_pick_rule_sends_its_leads_to_the_pool_and_tells_the_reps_who_may_claim():
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    english, spanish = RepFactory(), spanish_only_rep()
    mark = outbox_mark()
    lead = LeadFactory(language="en")
    result = services.lead_route(lead_id=lead.pk)
    assert result.action == "pooled"
    lead.refresh_from_db()
    assert lead.status == Lead.Status.POOL and lead.pooled_at is not None and lead.owner is None
    assert not Assignment.objects.filter(lead=lead).exists()
    rows = OutboxEvent.objects.filter(pk__gt=mark, type=events.POOL_ADDED)
    assert sorted(row.group for row in rows) == sorted([events.rep_group(english.pk), events.FLOOR_GROUP])
    assert rows[0].payload["lead"] == events.pool_lead_payload(lead)
    assert "phone" not in rows[0].payload["lead"] and "name" not in rows[0].payload["lead"]
    assert [x.pk for x in pool_leads_for_rep(rep=english)] == [lead.pk]
    assert pool_leads_for_rep(rep=spanish) == []


def test_after_offers_ran_out_the_lead_goes_to_the_pool_instead_of_waiting():
    rule = RoutingRuleFactory(name="Two tries", pool=RoutingRule.Pool.AFTER_OFFERS, max_offers=1)
    rep = RepFactory()
    lead = LeadFactory()
    assert services.lead_route(lead_id=lead.pk).action == "offered"
    offer = Assignment.objects.get(lead=lead)
    services.assignment_decline(assignment_id=offer.pk, rep=rep, reason="")
    assert services.lead_route(lead_id=lead.pk).action == "pooled"
    assert rule.max_offers == 1
    assert [x.pk for x in pool_leads_for_rep(rep=rep)] == [lead.pk]  # having passed on it does not hide it


def test_after_a_wait_the_floor_moves_a_waiting_lead_to_the_pool():
    RoutingRuleFactory(name="Wait then pool", pool=RoutingRule.Pool.AFTER_WAIT, pool_after_seconds=60)
    fresh = LeadFactory(status=Lead.Status.WAITING, received_at=now() - dt.timedelta(seconds=30))
    stale = LeadFactory(status=Lead.Status.WAITING, received_at=now() - dt.timedelta(seconds=90))
    assert waiting_leads_pool() == 1
    assert Lead.objects.get(pk=stale.pk).status == Lead.Status.POOL
    assert Lead.objects.get(pk=fresh.pk).status == Lead.Status.WAITING
    assert waiting_leads_pool() == 0


def test_a_claim_makes_the_lead_the_reps_at_once_and_takes_a_capacity_unit():
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    rep, other = RepFactory(capacity=2), RepFactory()
    lead = LeadFactory()
    services.lead_route(lead_id=lead.pk)
    mark = outbox_mark()
    assignment = pool_claim(lead_id=lead.pk, rep=rep)
    assert (assignment.status, assignment.claimed, assignment.rep_id) == (Assignment.Status.ACCEPTED, True, rep.pk)
    lead.refresh_from_db()
    assert (lead.status, lead.owner_id) == (Lead.Status.ASSIGNED, rep.user_id)
    assert lead.accepted_at is not None and lead.assigned_at is not None
    assert Rep.objects.get(pk=rep.pk).load == 1
    removed = OutboxEvent.objects.filter(pk__gt=mark, type=events.POOL_REMOVED)
    assert {row.group for row in removed} == {events.rep_group(rep.pk), events.rep_group(other.pk), events.FLOOR_GROUP}
    with pytest.raises(ServiceError) as second:
        pool_claim(lead_id=lead.pk, rep=other)
    assert second.value.code == "already_claimed"
    assert Rep.objects.get(pk=other.pk).load == 0


def test_a_full_rep_or_one_the_rule_leaves_out_cannot_claim():
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    full, spanish = RepFactory(capacity=1), spanish_only_rep()
    Rep.objects.filter(pk=full.pk).update(load=1)
    lead = LeadFactory(language="en")
    services.lead_route(lead_id=lead.pk)
    with pytest.raises(ServiceError) as at_capacity:
        pool_claim(lead_id=lead.pk, rep=full)
    assert at_capacity.value.code == "at_capacity"
    with pytest.raises(ServiceError) as not_eligible:
        pool_claim(lead_id=lead.pk, rep=spanish)
    assert not_eligible.value.code == "not_eligible"
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.POOL
    assert Rep.objects.get(pk=full.pk).load == 1


def test_a_manager_can_assign_a_pool_lead_and_the_pool_hears_it_left():
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    rep = RepFactory()
    lead = LeadFactory()
    services.lead_route(lead_id=lead.pk)
    mark = outbox_mark()
    services.lead_assign(lead_id=lead.pk, rep=rep, by=ManagerFactory())
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.ASSIGNED
    assert OutboxEvent.objects.filter(pk__gt=mark, type=events.POOL_REMOVED, group=events.rep_group(rep.pk)).exists()


# --- API ---------------------------------------------------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_pool_api_lists_and_claims_as_the_contract_says():
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    rep, other = RepFactory(), RepFactory()
    lead = LeadFactory(skill="solar")
    services.lead_route(lead_id=lead.pk)
    listed = client_for(rep.user).get("/api/v1/pool/")
    assert listed.status_code == 200
    assert listed.json() == {"leads": [{"id": lead.pk, "campaign": lead.campaign.slug, "country": lead.country,
                                        "language": lead.language, "skill": "solar",
                                        "received_at": lead.received_at.isoformat()}]}
    claimed = client_for(rep.user).post(f"/api/v1/pool/{lead.pk}/claim/")
    assert claimed.status_code == 200, claimed.json()
    body = claimed.json()["assignment"]
    assert body["status"] == "accepted" and body["lead"]["id"] == lead.pk
    assert body["lead"]["phone"] == lead.phone and body["lead"]["email"] == lead.email
    again = client_for(other.user).post(f"/api/v1/pool/{lead.pk}/claim/")
    assert (again.status_code, again.json()["code"]) == (409, "already_claimed")
    assert client_for(other.user).get("/api/v1/pool/").json() == {"leads": []}
    mine = client_for(rep.user).get("/api/v1/assignments/", {"status": "accepted"}).json()
    assert [a["lead"]["id"] for a in (mine["results"] if isinstance(mine, dict) else mine)] == [lead.pk]


def test_the_pool_api_refuses_what_it_should():
    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    spanish, full = spanish_only_rep(), RepFactory(capacity=1)
    Rep.objects.filter(pk=full.pk).update(load=1)
    lead = LeadFactory(language="en")
    services.lead_route(lead_id=lead.pk)
    url = f"/api/v1/pool/{lead.pk}/claim/"
    assert client_for(spanish.user).post(url).status_code == 403
    response = client_for(full.user).post(url)
    assert (response.status_code, response.json()["code"]) == (409, "at_capacity")
    assert client_for(full.user).post("/api/v1/pool/999999/claim/").status_code == 404
    assert client_for(ManagerFactory()).get("/api/v1/pool/").status_code == 403
    _, raw_key = supplier_with_key()
    supplier = APIClient()
    supplier.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert supplier.get("/api/v1/pool/").status_code == 403
    assert supplier.post(url).status_code == 403
    assert APIClient().get("/api/v1/pool/").status_code in (401, 403)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.POOL


def test_the_demo_pool_campaign_sends_its_leads_to_the_pool(django_capture_on_commit_callbacks):
    from campaigns.models import Supplier
    from campaigns.services import lead_intake
    from leadcrm.demo import demo_seed

    data = demo_seed()
    supplier = Supplier.objects.get(name=next(s["name"] for s in data.suppliers if "quick-quotes" in s["campaigns"]))
    with django_capture_on_commit_callbacks(execute=True):
        result = lead_intake(supplier=supplier, payload={
            "campaign": data.pool_campaigns[0], "first_name": "Pia", "last_name": "Pool", "country": "US",
            "language": "en", "skill": "solar", "email": "pia.pool@example.com", "phone": "+14155550142"})
    assert result.status_code == 201, result.body
    assert Lead.objects.get(pk=result.lead_id).status == Lead.Status.POOL
    alice = Rep.objects.get(user__username="alice")
    assert [lead.pk for lead in pool_leads_for_rep(rep=alice)] == [result.lead_id]
    assert pool_leads_for_rep(rep=Rep.objects.get(user__username="diego")) == []  # speaks Spanish only


def test_the_reps_report_counts_claims_and_the_time_leads_spent_in_the_pool():
    from reporting.queries.reps import rep_rows
    from reporting.queries.scope import ReportParams

    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    rep = RepFactory(capacity=5)
    claimed_at = now()
    for waited in (30, 90):
        lead = LeadFactory(received_at=claimed_at - dt.timedelta(seconds=waited + 5))
        services.lead_route(lead_id=lead.pk, now=claimed_at - dt.timedelta(seconds=waited))
        pool_claim(lead_id=lead.pk, rep=rep, now=claimed_at)
    row = next(r for r in rep_rows(params=ReportParams()) if r["key"] == rep.user.username)
    assert (row["claimed"], row["accepted"], row["median_pool_wait_seconds"]) == (2, 2, 60.0)


def test_listing_the_pool_costs_the_same_queries_for_one_lead_or_fifty(django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    RoutingRuleFactory(name="Free pick", pool=RoutingRule.Pool.AT_ONCE)
    rep = RepFactory()
    services.lead_route(lead_id=LeadFactory().pk)
    with CaptureQueriesContext(connection) as one:
        assert len(pool_leads_for_rep(rep=rep)) == 1
    for _ in range(49):
        services.lead_route(lead_id=LeadFactory().pk)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(pool_leads_for_rep(rep=rep)) == 50
