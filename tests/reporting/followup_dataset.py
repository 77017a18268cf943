"""A small hand-built data set for the follow-up report and the declines by reason, every number known.

Times are UTC; "+s" is seconds after the lead was received. Attempts (outcome) in order of time:
  L1 solar alice won   Mon 03-02 09:00  +60 no_answer, +3660 connected, +7260 won   (created out of order)
  L2 solar alice -     Mon 03-02 11:00  +120 no_answer
  L3 solar bob   lost  Mon 03-02 10:00  +30 connected, +630 lost
  L4 solar bob   won   Mon 03-02 12:00  +300 won
  L5 roof  alice -     Tue 03-03 09:00  (none)
  L6 roof  bob   -     Fri 03-06 16:50  +60 no_answer, +1860 voicemail, +5460 no_answer, +12660 busy,
                                        +86460 connected
  L7 roof  alice won   Tue 03-03 11:00  +10 no_answer, +20 no_answer, +30 sent, +40 won (+10 and +20 by bob)
  L8 solar nobody -    Wed 03-04 09:00  (none)
  L9 roof  alice -     Fri 03-20 10:00  +600 no_answer
  L10 solar bob  -     Sun 04-05 10:00  +60, +120 (outside March)
Solar comes from supplier Acme, roof from Beta; alice is in team North, bob in South.

Per lead: attempts, first -> second (s), number of the first connected/won attempt, given up (one attempt, not
won, at least a day old):
  L1 3, 3600, 2   L2 1, -, -, given up   L3 2, 600, 1   L4 1, -, 1 (won: not given up)   L5 0
  L6 5, 1800, 5   L7 4, 10, 4            L8 0            L9 1, -, -, given up unless the report runs within a
  day of its attempt (2026-03-20 10:10)
In business hours (Mon-Fri 09:00-17:00 UTC) only L6 changes: 16:51 -> Friday 17:21 is 540 s. In New York
(UTC-5 until 03-08) L3's 05:00:30 -> 05:10:30 counts 0 s and L6's 11:51 -> 12:21 all 1800 s.

Declines (reason codes are the seeded decline list plus an inactive "night-shift"; "out-of-area" is an
unqualified code, so as a decline reason it is free text):
  alice: busy x2, "Too far", " too  far ", night-shift, "" (and busy on L10, outside March)
  bob: "out-of-area", "", ""
"""

from __future__ import annotations

from assignments.models import ReasonCode
from tests.factories import (
    AssignmentFactory,
    CampaignFactory,
    ContactAttemptFactory,
    LeadFactory,
    SupplierFactory,
    TeamFactory,
)
from tests.reporting.dataset import RANGE, at, named_rep, sec

MARCH = RANGE  # the follow-up data set's month is the report floor's


class FollowUpFloor:
    def __init__(self):
        self.north, self.south = TeamFactory(name="North"), TeamFactory(name="South")
        self.alice = named_rep("alice", teams=[self.north])
        self.bob = named_rep("bob", teams=[self.south])
        self.carol = named_rep("carol")
        self.solar = CampaignFactory(slug="solar", name="Solar")
        self.roof = CampaignFactory(slug="roof", name="Roof")
        self.acme, self.beta = SupplierFactory(name="Acme"), SupplierFactory(name="Beta")
        a, b = self.alice, self.bob
        self.leads = {
            "L1": self._lead(self.solar, a, "2026-03-02 09:00", "won",
                             [(7260, "won"), (60, "no_answer"), (3660, "connected")]),
            "L2": self._lead(self.solar, a, "2026-03-02 11:00", "", [(120, "no_answer")]),
            "L3": self._lead(self.solar, b, "2026-03-02 10:00", "lost", [(30, "connected"), (630, "lost")]),
            "L4": self._lead(self.solar, b, "2026-03-02 12:00", "won", [(300, "won")]),
            "L5": self._lead(self.roof, a, "2026-03-03 09:00", "", []),
            "L6": self._lead(self.roof, b, "2026-03-06 16:50", "",
                             [(60, "no_answer"), (1860, "voicemail"), (5460, "no_answer"), (12660, "busy"),
                              (86460, "connected")]),
            "L7": self._lead(self.roof, a, "2026-03-03 11:00", "won",
                             [(10, "no_answer", b), (20, "no_answer", b), (30, "sent"), (40, "won")]),
            "L8": self._lead(self.solar, None, "2026-03-04 09:00", "", []),
            "L9": self._lead(self.roof, a, "2026-03-20 10:00", "", [(600, "no_answer")]),
            "L10": self._lead(self.solar, b, "2026-04-05 10:00", "", [(60, "no_answer"), (120, "no_answer")]),
        }
        self._declines()

    def _lead(self, campaign, owner, received, outcome, attempts):
        received_at = at(received)
        lead = LeadFactory(campaign=campaign, supplier=self.acme if campaign == self.solar else self.beta,
                           received_at=received_at, owner=owner.user if owner else None, outcome=outcome,
                           status=outcome or ("contacted" if attempts else "assigned" if owner else "waiting"),
                           first_contact_at=sec(received_at, min(s for s, *_ in attempts)) if attempts else None)
        offers = {}
        for seconds, result, *by in attempts:
            rep = by[0] if by else owner
            if rep.pk not in offers:  # the owner's offer is the accepted one; another rep's was completed
                offers[rep.pk] = AssignmentFactory(lead=lead, rep=rep, status="accepted" if rep == owner else
                                                   "completed", offered_at=received_at,
                                                   responded_at=sec(received_at, 5))
            ContactAttemptFactory(assignment=offers[rep.pk], outcome=result, at=sec(received_at, seconds))
        return lead

    def _declines(self):
        ReasonCode.objects.get_or_create(kind="decline", code="busy", defaults={"label": "Busy with another lead"})
        ReasonCode.objects.get_or_create(kind="decline", code="night-shift",
                                         defaults={"label": "Night shift", "active": False})
        ReasonCode.objects.get_or_create(kind="unqualified", code="out-of-area",
                                         defaults={"label": "Outside our area"})
        leads = self.leads
        for rep, lead, reason in [
            (self.alice, "L1", "busy"), (self.alice, "L2", "busy"), (self.alice, "L3", "Too far"),
            (self.alice, "L4", " too  far "), (self.alice, "L5", "night-shift"), (self.alice, "L6", ""),
            (self.alice, "L10", "busy"),
            (self.bob, "L1", "out-of-area"), (self.bob, "L2", ""), (self.bob, "L5", ""),
        ]:
            offered = sec(leads[lead].received_at, 1)
            AssignmentFactory(lead=leads[lead], rep=rep, status="declined", offered_at=offered,
                              responded_at=sec(offered, 2), decline_reason=reason)
        AssignmentFactory(lead=leads["L8"], rep=self.carol, status="expired", offered_at=leads["L8"].received_at)


def row(key, label, leads, contacted, per_lead, followed, gap, given_up, given_up_pct, connected, to_connect,
        won_rates):
    return {"key": key, "label": label, "leads": leads, "contacted": contacted, "attempts_per_lead": per_lead,
            "followed_up": followed, "median_first_to_second_seconds": gap, "given_up_after_one": given_up,
            "given_up_after_one_pct": given_up_pct, "connected": connected, "median_attempts_to_connect": to_connect,
            **{f"won_rate_{key_}_pct": rate for key_, rate in zip(("1", "2", "3", "4", "5_plus"), won_rates,
                                                                   strict=True)}}


# alice: L1 L2 L5 L7 L9 (9 attempts over 4 contacted); bob: L3 L4 L6 (8 over 3); nobody: L8.
BY_REP = [
    row("(unassigned)", "(unassigned)", 1, 0, None, 0, None, 0, None, 0, None, [None] * 5),
    row("alice", "Alice Archer", 5, 4, 2.25, 2, 1805.0, 2, 50.0, 2, 3.0, [0.0, None, 100.0, 100.0, None]),
    row("bob", "Bob Baker", 3, 3, 2.67, 2, 1200.0, 0, 0.0, 3, 1.0, [100.0, 0.0, None, None, 0.0]),
]
# roof: L5 L6 L7 L9 (10 attempts over 3); solar: L1 L2 L3 L4 L8 (7 over 4).
BY_CAMPAIGN = [
    row("roof", "Roof", 4, 3, 3.33, 2, 905.0, 1, 33.33, 2, 4.5, [0.0, None, None, 100.0, 0.0]),
    row("solar", "Solar", 5, 4, 1.75, 2, 2100.0, 1, 25.0, 3, 1.0, [50.0, 0.0, 100.0, None, None]),
]
BY_ATTEMPTS = [
    {"key": "none", "label": "No attempt", "leads": 2, "leads_pct": 22.22, "won": 0, "won_rate_pct": 0.0},
    {"key": "1", "label": "1 attempt", "leads": 3, "leads_pct": 33.33, "won": 1, "won_rate_pct": 33.33},
    {"key": "2", "label": "2 attempts", "leads": 1, "leads_pct": 11.11, "won": 0, "won_rate_pct": 0.0},
    {"key": "3", "label": "3 attempts", "leads": 1, "leads_pct": 11.11, "won": 1, "won_rate_pct": 100.0},
    {"key": "4", "label": "4 attempts", "leads": 1, "leads_pct": 11.11, "won": 1, "won_rate_pct": 100.0},
    {"key": "5_plus", "label": "5+ attempts", "leads": 1, "leads_pct": 11.11, "won": 0, "won_rate_pct": 0.0},
]
# alice declined 6 offers of March leads, bob 3.
DECLINES = [
    {"key": "alice", "label": "Alice Archer", "reason": "Busy with another lead", "code": "busy", "declines": 2,
     "share_pct": 33.33},
    {"key": "alice", "label": "Alice Archer", "reason": "Too far", "code": None, "declines": 2, "share_pct": 33.33},
    {"key": "alice", "label": "Alice Archer", "reason": "(no reason given)", "code": None, "declines": 1,
     "share_pct": 16.67},
    {"key": "alice", "label": "Alice Archer", "reason": "Night shift", "code": "night-shift", "declines": 1,
     "share_pct": 16.67},
    {"key": "bob", "label": "Bob Baker", "reason": "(no reason given)", "code": None, "declines": 2,
     "share_pct": 66.67},
    {"key": "bob", "label": "Bob Baker", "reason": "out-of-area", "code": None, "declines": 1, "share_pct": 33.33},
]
