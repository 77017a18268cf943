"""A hand-built sales floor with known timestamps (UTC), and the numbers every report must show for it.

Solar (supplier Acme, rule "Solar RR": round robin over North, max wait 60 s), received Monday 2026-03-02
from 10:00 one per hour. Per lead: seconds received -> first offer, first offer -> first seen,
first offer -> accepted, received -> first contact; outcome; owner.
  S0  2  1 10    30  won   alice      S4 10 5 50  2400  -     alice
  S1  4  2 20    90  lost  bob        S5 12 6 60  7200  lost  bob
  S2  6  3 30   240  won   alice      S6 100 7 (offers to alice and bob expired; never contacted)
  S3  8  4 40   600  -     bob
Roof (supplier Beta, rule "Roof weighted": weighted over North + South, max wait 300 s), owner carol:
  R0 Fri 2026-03-06 16:55:00, offer +5, seen +1, accepted +20, contact Mon 09:05:00 (231000 s; 600 business)
  R1 Tue 2026-03-10 08:00:00, offer +400, seen +10, accepted +50, contact 09:30:00 (5400 s; 1800 business)
  R2 Wed 2026-03-11 12:00:00, offer +5 (alice, declined), seen +2, carol accepted +10, contact +45 s
A lead earns revenue when won (its campaign's price_per_lead) or sold to a buyer (the price). S6, which no rep took,
went to buyers (Buyers report, BUYERS): Omega bid 25.00 (600 ms) and bought it (post 500 ms), Zeta bid 30.00
(200 ms) but refused the post (300 ms), Theta timed out (1000 ms) and then failed with no answer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from assignments.models import Assignment, Rep
from assignments.services import assignment_seen
from campaigns.models import Lead
from tests.factories import (
    AssignmentFactory,
    BuyerDeliveryFactory,
    BuyerFactory,
    CampaignFactory,
    IntakeAttemptFactory,
    LeadDistributionFactory,
    LeadFactory,
    RepFactory,
    RoutingRuleFactory,
    RuleConditionFactory,
    SupplierFactory,
    TeamFactory,
    UserFactory,
)

UTC = dt.UTC
RANGE = {"since": "2026-03-01", "until": "2026-03-31"}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def sec(moment: dt.datetime, seconds: float) -> dt.datetime:
    return moment + dt.timedelta(seconds=seconds)


def summary(rows: list[dict], *fields: str) -> list[tuple]:
    """Each row as a tuple of its key and the given fields: the part of a report's rows a test compares."""
    return [(row["key"], *(row[f] for f in fields)) for row in rows]


# The report data sets' reps, by username: (first name, last name).
REP_NAMES = {"alice": ("Alice", "Archer"), "bob": ("Bob", "Baker"), "carol": ("Carol", "Cole")}


def named_rep(username: str, **fields) -> Rep:
    """The rep `username` of REP_NAMES, with its first and last name, and the other fields as given."""
    first_name, last_name = REP_NAMES[username]
    return RepFactory(user=UserFactory(username=username, first_name=first_name, last_name=last_name), **fields)


class Floor:
    """Builds the dataset; attributes give the objects to tests."""

    def __init__(self):
        self.north, self.south = TeamFactory(name="North"), TeamFactory(name="South")
        self.alice = named_rep("alice", teams=[self.north], weight=3, capacity=4)
        self.bob = named_rep("bob", teams=[self.north], weight=1)
        self.carol = named_rep("carol", teams=[self.south], weight=1)
        self.alice_rep_load(2)
        self.solar = CampaignFactory(slug="solar", name="Solar", price_per_lead=Decimal("25"))
        self.roof = CampaignFactory(slug="roof", name="Roof", price_per_lead=Decimal("50"))
        self.acme = SupplierFactory(name="Acme", cost_per_lead=Decimal("10"))
        self.beta = SupplierFactory(name="Beta", cost_per_lead=Decimal("20"))
        self.solar_rule = RoutingRuleFactory(name="Solar RR", order=1, strategy="round_robin", max_wait_seconds=60,
                                             offer_timeout_seconds=120)
        self.solar_rule.teams.set([self.north])
        RuleConditionFactory(rule=self.solar_rule, field="campaign", op="eq", value="solar")
        self.roof_rule = RoutingRuleFactory(name="Roof weighted", order=2, strategy="weighted",
                                            max_wait_seconds=300)
        self.roof_rule.teams.set([self.north, self.south])
        RuleConditionFactory(rule=self.roof_rule, field="campaign", op="eq", value="roof")
        self.solar_leads = [self._solar(i, *spec) for i, spec in enumerate([
            (2, 1, 10, 30, "won", self.alice), (4, 2, 20, 90, "lost", self.bob), (6, 3, 30, 240, "won", self.alice),
            (8, 4, 40, 600, "", self.bob), (10, 5, 50, 2400, "", self.alice), (12, 6, 60, 7200, "lost", self.bob),
        ])]
        self.solar_leads.append(self._solar_never())
        self.roof_leads = [
            self._roof(at("2026-03-06 16:55:00"), 5, 1, 20, at("2026-03-09 09:05:00"), "won"),
            self._roof(at("2026-03-10 08:00:00"), 400, 10, 50, at("2026-03-10 09:30:00"), "lost"),
            self._roof_declined_first(),
        ]
        self._attempts()
        self._buyers()

    def alice_rep_load(self, load: int) -> None:
        type(self.alice).objects.filter(pk=self.alice.pk).update(load=load)

    def _lead(self, campaign, supplier, received, **fields) -> Lead:
        revenue = campaign.price_per_lead if fields.get("outcome") == "won" else Decimal("0")
        return LeadFactory(campaign=campaign, supplier=supplier, received_at=received, cost=supplier.cost_per_lead,
                           revenue=revenue, **fields)

    def _offer(self, lead, rep, rule, offered, seen_at=None, **fields) -> Assignment:
        offer = AssignmentFactory(lead=lead, rep=rep, rule=rule, offered_at=offered,
                                  expires_at=sec(offered, rule.offer_timeout_seconds), **fields)
        if seen_at is not None:  # through the service, which also stamps Lead.first_seen_at
            assignment_seen(assignment_id=offer.pk, rep=rep, now=seen_at)
        return offer

    def _solar(self, i, to_offer, to_seen, to_accept, speed, outcome, owner) -> Lead:
        received = sec(at("2026-03-02 10:00:00"), 3600 * i)
        offered = sec(received, to_offer)
        accepted = sec(offered, to_accept)
        lead = self._lead(self.solar, self.acme, received, assigned_at=offered, accepted_at=accepted,
                          first_contact_at=sec(received, speed), outcome=outcome, owner=owner.user,
                          status=outcome or "contacted", outcome_at=sec(received, speed) if outcome else None)
        if i == 1:  # alice saw it first and declined; bob accepted
            self._offer(lead, self.alice, self.solar_rule, offered, status="declined", seen_at=sec(offered, to_seen),
                        responded_at=sec(offered, 4))
            self._offer(lead, self.bob, self.solar_rule, sec(offered, 4), status="accepted", responded_at=accepted)
        else:
            self._offer(lead, owner, self.solar_rule, offered, status="accepted", seen_at=sec(offered, to_seen),
                        responded_at=accepted)
        return lead

    def _solar_never(self) -> Lead:
        received = at("2026-03-02 16:00:00")
        offered = sec(received, 100)
        lead = self._lead(self.solar, self.acme, received, assigned_at=offered, status="waiting")
        self._offer(lead, self.alice, self.solar_rule, offered, status="expired", seen_at=sec(offered, 7))
        self._offer(lead, self.bob, self.solar_rule, sec(offered, 120), status="expired")
        return lead

    def _roof(self, received, to_offer, to_seen, to_accept, contact, outcome) -> Lead:
        offered = sec(received, to_offer)
        accepted = sec(offered, to_accept)
        lead = self._lead(self.roof, self.beta, received, assigned_at=offered, accepted_at=accepted,
                          first_contact_at=contact, outcome=outcome, owner=self.carol.user, status=outcome)
        self._offer(lead, self.carol, self.roof_rule, offered, status="accepted", seen_at=sec(offered, to_seen),
                    responded_at=accepted)
        return lead

    def _roof_declined_first(self) -> Lead:
        received = at("2026-03-11 12:00:00")
        offered = sec(received, 5)
        lead = self._lead(self.roof, self.beta, received, assigned_at=offered, accepted_at=sec(offered, 10),
                          first_contact_at=sec(received, 45), owner=self.carol.user, status="contacted")
        self._offer(lead, self.alice, self.roof_rule, offered, status="declined", seen_at=sec(offered, 2),
                    responded_at=sec(offered, 3))
        self._offer(lead, self.carol, self.roof_rule, sec(offered, 3), status="accepted",
                    responded_at=sec(offered, 10))
        return lead

    def _buyers(self) -> None:
        lead = self.solar_leads[6]
        self.omega, self.zeta, self.theta = (BuyerFactory(name=name) for name in ("Omega", "Zeta", "Theta"))
        pings = [(self.omega, "bid", Decimal("25"), 600, 1), (self.zeta, "bid", Decimal("30"), 200, 1),
                 (self.theta, "timeout", None, 1000, 1), (self.theta, "error", None, None, 2)]
        for buyer, outcome, bid, ms, run in pings:
            BuyerDeliveryFactory(lead=lead, buyer=buyer, stage="ping", outcome=outcome, bid=bid, latency_ms=ms,
                                 run=run)
        BuyerDeliveryFactory(lead=lead, buyer=self.zeta, stage="post", outcome="rejected", latency_ms=300)
        BuyerDeliveryFactory(lead=lead, buyer=self.omega, stage="post", outcome="accepted", price=Decimal("25"),
                             latency_ms=500)
        LeadDistributionFactory(lead=lead, method="auction", buyer=self.omega, price=Decimal("25"),
                                sold_at=sec(lead.received_at, 600))
        Lead.objects.filter(pk=lead.pk).update(status="sold", revenue=Decimal("25"))

    def _attempts(self) -> None:
        when = at("2026-03-02 09:00:00")
        for lead in self.solar_leads:
            IntakeAttemptFactory(supplier=self.acme, campaign=self.solar, outcome="accepted", reason="", lead=lead,
                                 response_status=201, received_at=lead.received_at)
        for lead in self.roof_leads:
            IntakeAttemptFactory(supplier=self.beta, campaign=self.roof, outcome="accepted", reason="", lead=lead,
                                 response_status=201, received_at=lead.received_at)
        for outcome, reason, supplier, campaign in [
            ("duplicate", "", self.acme, self.solar), ("duplicate", "", self.acme, self.solar),
            ("rejected", "suppressed", self.acme, self.solar), ("rejected", "suppressed", self.acme, self.solar),
            ("rejected", "invalid_contact", self.acme, self.solar), ("invalid", "", self.acme, self.solar),
            ("rejected", "campaign_closed", self.beta, self.roof),
        ]:
            IntakeAttemptFactory(supplier=supplier, campaign=campaign, outcome=outcome, reason=reason,
                                 response_status=409, received_at=when)


SPEED_BY_CAMPAIGN = [
    {"key": "roof", "label": "Roof", "leads": 3, "contacted": 3, "never_contacted_pct": 0.0,
     "median_seconds": 5400.0, "p90_seconds": 185880.0, "within_1_min_pct": 33.33, "within_5_min_pct": 33.33,
     "within_30_min_pct": 33.33, "median_received_to_offered_seconds": 5.0, "median_offered_to_seen_seconds": 2.0,
     "median_offered_to_accepted_seconds": 20.0, "median_accepted_to_contact_seconds": 4950.0},
    {"key": "solar", "label": "Solar", "leads": 7, "contacted": 6, "never_contacted_pct": 14.29,
     "median_seconds": 420.0, "p90_seconds": 4800.0, "within_1_min_pct": 14.29, "within_5_min_pct": 42.86,
     "within_30_min_pct": 57.14, "median_received_to_offered_seconds": 8.0, "median_offered_to_seen_seconds": 4.0,
     "median_offered_to_accepted_seconds": 35.0, "median_accepted_to_contact_seconds": 378.0},
]
# business_hours=1 (Mon-Fri 09:00-17:00 UTC): solar lies inside Monday 10:00-17:00, so only roof changes.
ROOF_BUSINESS = {
    "key": "roof", "label": "Roof", "leads": 3, "contacted": 3, "never_contacted_pct": 0.0,
    "median_seconds": 600.0, "p90_seconds": 1560.0, "within_1_min_pct": 33.33, "within_5_min_pct": 33.33,
    "within_30_min_pct": 100.0, "median_received_to_offered_seconds": 5.0, "median_offered_to_seen_seconds": 1.0,
    "median_offered_to_accepted_seconds": 10.0, "median_accepted_to_contact_seconds": 575.0,
}
CONVERSION = [
    {"key": "under_1_min", "label": "≤ 1 min", "leads": 2, "won": 1, "won_rate_pct": 50.0},
    {"key": "1_5_min", "label": "1–5 min", "leads": 2, "won": 1, "won_rate_pct": 50.0},
    {"key": "5_30_min", "label": "5–30 min", "leads": 1, "won": 0, "won_rate_pct": 0.0},
    {"key": "30_60_min", "label": "30–60 min", "leads": 1, "won": 0, "won_rate_pct": 0.0},
    {"key": "1_24_h", "label": "1–24 h", "leads": 2, "won": 0, "won_rate_pct": 0.0},
    {"key": "over_24_h", "label": "> 24 h", "leads": 1, "won": 1, "won_rate_pct": 100.0},
    {"key": "never", "label": "never contacted", "leads": 1, "won": 0, "won_rate_pct": 0.0},
]


BUYERS = [
    {"key": "Omega", "label": "Omega", "pings": 1, "bids": 1, "posts": 1, "accepted": 1, "rejected": 0, "timeouts": 0,
     "errors": 0, "bid_rate_pct": 100.0, "won": 1, "returned": 0, "return_rate_pct": 0.0, "revenue": 25.0,
     "average_price": 25.0, "mean_response_seconds": 0.55, "median_response_seconds": 0.55},
    {"key": "Theta", "label": "Theta", "pings": 2, "bids": 0, "posts": 0, "accepted": 0, "rejected": 0, "timeouts": 1,
     "errors": 1, "bid_rate_pct": 0.0, "won": 0, "returned": 0, "return_rate_pct": None, "revenue": 0.0,
     "average_price": None, "mean_response_seconds": 1.0, "median_response_seconds": 1.0},
    {"key": "Zeta", "label": "Zeta", "pings": 1, "bids": 1, "posts": 1, "accepted": 0, "rejected": 1, "timeouts": 0,
     "errors": 0, "bid_rate_pct": 100.0, "won": 0, "returned": 0, "return_rate_pct": None, "revenue": 0.0,
     "average_price": None, "mean_response_seconds": 0.25, "median_response_seconds": 0.25},
]
