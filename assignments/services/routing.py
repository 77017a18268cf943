"""Routing writes: offer a lead to the engine's choice with an atomic capacity claim, or park it as waiting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.timezone import now as tz_now

from assignments import events
from assignments.config_cache import config_cached
from assignments.lab.selectors import VariantChoice, experiment_rules
from assignments.lab.services import routing_snapshot_record
from assignments.models import Assignment, Rep
from assignments.routing import Decision, RepFacts, decide, score_lead
from assignments.selectors import (
    lead_facts,
    rep_facts_for_routing,
    rule_floor_settings_cached,
    rule_specs_active,
    scoring_rules_active,
)
from assignments.services.delays import delay_hold_begin
from assignments.services.notify import offers_away_alert_enqueue
from assignments.services.personas import lead_personas_record
from assignments.services.pool import lead_to_pool, pool_now
from assignments.services.queue import lead_route_enqueue, waiting_leads_route_enqueue
from campaigns.calling_hours import calling_hold_reason
from campaigns.lifecycle import lead_transition
from campaigns.models import Lead
from campaigns.schedule import campaign_is_open
from leadcrm.db import retry_on_deadlock

ROUTABLE = (Lead.Status.NEW, Lead.Status.WAITING)


@dataclass(frozen=True)
class RouteResult:
    lead_id: int
    action: str  # "offered", "pooled", "waiting", "held" or "skipped"
    assignment_ids: tuple[int, ...] = ()
    reason: str = ""


class FloorRead:
    """The active reps' facts, read once for several routing decisions in a row (a drain's batch).

    It reads again after `decisions` decisions or `max_age_seconds`, and at once after a claim failed (another
    process filled or changed the rep) or an offer went to a rep with a daily cap (the cap is counted in the
    database). Offers made through it raise their reps' loads here too, so the next decision sees them. A stale
    read costs at most a lead parked as waiting until the next waiting pass: claims are checked by the database.
    """

    def __init__(self, *, decisions: int = 50, max_age_seconds: float = 1.0) -> None:
        self._decisions, self._max_age = decisions, max_age_seconds
        self._reps: dict[int, RepFacts] = {}
        self._capped: set[int] = set()
        self._left, self._read_at = 0, 0.0

    def reps(self) -> list[RepFacts]:
        """The reps for the next decision."""
        if self._left <= 0 or time.monotonic() - self._read_at > self._max_age:
            self._reps = {rep.id: rep for rep in rep_facts_for_routing(profiles_cached=True)}
            self._capped = set(Rep.objects.filter(active=True, daily_cap__isnull=False).values_list("pk", flat=True))
            self._left, self._read_at = self._decisions, time.monotonic()
        self._left -= 1
        return list(self._reps.values())

    def offered(self, *, rep_ids: list[int], now: dt.datetime) -> None:
        """These reps' capacity was just claimed for an offer."""
        for rep_id in rep_ids:
            rep = self._reps.get(rep_id)
            if rep is not None:
                self._reps[rep_id] = dataclasses.replace(rep, load=rep.load + 1, last_offered_at=now)
        if self._capped.intersection(rep_ids):
            self.forget()

    def forget(self) -> None:
        """Read again for the next decision."""
        self._left = 0


@retry_on_deadlock
def lead_route(*, lead_id: int, now: dt.datetime | None = None, rng: random.Random | None = None) -> RouteResult:
    """Offer a new or waiting lead to the best eligible rep(s), or record why it waits; idempotent.

    Rules and reps' profiles come through the per-process memo (config_cache); loads and statuses are read live.
    """
    with transaction.atomic():
        return lead_route_inside(lead_id=lead_id, now=now or tz_now(), rng=rng)


def lead_route_inside(*, lead_id: int, now: dt.datetime, rng: random.Random | None = None,
                      floor: FloorRead | None = None) -> RouteResult:
    """lead_route inside the caller's transaction; the reps' facts come from `floor` if given, else read live."""
    # of=self: lock the lead only; locking its campaign and supplier rows too serialised all routing.
    lead = (Lead.objects.select_for_update(of=("self",)).select_related("campaign", "supplier")
            .filter(pk=lead_id).first())
    if lead is None:
        return RouteResult(lead_id, "skipped", reason="no such lead")
    if lead.status not in ROUTABLE:
        return RouteResult(lead_id, "skipped", reason=f"lead is {lead.status}")
    past_offers = list(lead.assignments.values_list("rep_id", "status"))
    if any(status in Assignment.OPEN_STATUSES for _, status in past_offers):
        return RouteResult(lead_id, "skipped", reason="lead has an open offer")
    hold = delay_hold_begin(lead=lead, now=now)
    if hold is not None:
        return RouteResult(lead_id, "held", reason=hold.reason)
    if not campaign_is_open(campaign=lead.campaign, at=now):
        lead_transition(lead_id=lead.pk, to=Lead.Status.HELD, sources=ROUTABLE, waiting_reason="Campaign closed")
        return RouteResult(lead_id, "held", reason="campaign closed")
    held = calling_hold_reason(campaign=lead.campaign, lead_timezone=lead.timezone, at=now)
    if held:
        lead_transition(lead_id=lead.pk, to=Lead.Status.HELD, sources=ROUTABLE, waiting_reason=held)
        return RouteResult(lead_id, "held", reason=held)
    first = lead.status == Lead.Status.NEW and not past_offers
    facts = lead_facts(lead=lead, now=now, past_offers=past_offers)
    if first:
        score = score_lead(lead=facts, scoring_rules=config_cached(key="scoring_rules", load=scoring_rules_active))
        if score != lead.score:
            Lead.objects.filter(pk=lead.pk).update(score=score)
            lead.score = score
        facts = dataclasses.replace(facts, score=lead.score)
        lead_personas_record(lead_id=lead.pk, facts=facts, now=now)
    reps = floor.reps() if floor is not None else rep_facts_for_routing(profiles_cached=True)
    rules, variant = experiment_rules(lead=facts, rules=config_cached(key="rule_specs", load=rule_specs_active))
    decision = decide(lead=facts, reps=reps, rules=rules, now=now, rng=rng or random.Random())
    if first or decision.action == "offer":
        # Like explanations, snapshots are kept for offers and first decisions, not for each retry of a wait.
        routing_snapshot_record(lead_id=lead.pk, facts=facts, reps=reps, decision=decision, first=first,
                                variant=variant, now=now)
    return _act(lead=lead, decision=decision, now=now, variant=variant, offers_made=len(past_offers), floor=floor)


def _act(*, lead: Lead, decision: Decision, now: dt.datetime, variant: VariantChoice | None,
         offers_made: int, floor: FloorRead | None) -> RouteResult:
    if (decision.rule_id is not None and pool_now(rule_id=decision.rule_id, offers_made=offers_made)
            and lead_to_pool(lead=lead, now=now)):
        return RouteResult(lead.pk, "pooled", reason=lead.waiting_reason)
    if decision.action != "offer":
        # A rule's pool tier is open, or the lead was recycled (its last tier: anyone may take it).
        if (decision.pool or lead.recycled) and lead_to_pool(lead=lead, now=now):
            return RouteResult(lead.pk, "pooled", reason=lead.waiting_reason)
        return _park(lead=lead, reason=decision.summary())
    if decision.rule_id is None:  # decide() only offers through a matched rule
        raise ValueError("an offer decision names no rule")
    rule = rule_floor_settings_cached(rule_id=decision.rule_id)
    if rule is None:  # deleted since the rules were read: route again with today's rules
        return _park(lead=lead, reason="Its routing rule was just removed; routing it again")
    if offers_made >= rule.max_offers:
        return _park(lead=lead, reason=f"{offers_made} offers made (rule maximum {rule.max_offers}); "
                                       "waiting for a rep to become available")
    wanted = len(decision.rep_ids)
    claimed: list[int] = []
    for rep_id in decision.rep_ids + decision.fallback_rep_ids:
        if len(claimed) == wanted:
            break
        if rep_claim(rep_id=rep_id, now=now):
            claimed.append(rep_id)
        elif floor is not None:
            floor.forget()
    if floor is not None:
        floor.offered(rep_ids=claimed, now=now)
    if not claimed:
        return _park(lead=lead, reason="Every eligible rep reached capacity before the offer could be made")
    explanation = {**decision.to_json(), "summary": decision.summary()}
    if variant is not None:
        explanation["experiment"] = variant.to_json()
        explanation["summary"] += f" Experiment '{variant.experiment_name}': variant {variant.variant_name}."
    expires_at = now + dt.timedelta(seconds=rule.offer_timeout_seconds)
    reps = Rep.objects.select_related("user").in_bulk(claimed)  # the offer's payload names each rep
    assignments = [
        Assignment.objects.create(lead=lead, rep=reps[rep_id], rule_id=decision.rule_id, offered_at=now,
                                  expires_at=expires_at,
                                  broadcast=len(claimed) > 1, explanation=explanation,
                                  variant_id=variant.variant_id if variant else None)
        for rep_id in claimed
    ]
    lead_transition(lead_id=lead.pk, to=Lead.Status.OFFERED, sources=ROUTABLE, waiting_reason="",
                    assigned_at=F("assigned_at") if lead.assigned_at else now)
    lead.status, lead.waiting_reason, lead.assigned_at = Lead.Status.OFFERED, "", lead.assigned_at or now
    for assignment in assignments:
        events.assignment_event_send(assignment=assignment, type=events.OFFERED)
    offers_away_alert_enqueue(assignments=assignments, now=now)
    return RouteResult(lead.pk, "offered", tuple(a.pk for a in assignments))


def _park(*, lead: Lead, reason: str) -> RouteResult:
    lead_transition(lead_id=lead.pk, to=Lead.Status.WAITING, sources=ROUTABLE, waiting_reason=reason[:200])
    lead.status, lead.waiting_reason = Lead.Status.WAITING, reason[:200]
    events.lead_waiting_event_send(lead=lead)
    return RouteResult(lead.pk, "waiting", reason=reason)


def rep_claim(*, rep_id: int, now: dt.datetime) -> bool:
    """Take one unit of the rep's capacity if they are still active, available and under capacity."""
    return bool(
        Rep.objects.filter(pk=rep_id, active=True, status=Rep.Status.AVAILABLE, load__lt=F("capacity"))
        .update(load=F("load") + 1, last_offered_at=now)
    )


def rep_release(*, rep_id: int) -> None:
    """Give back one unit of the rep's capacity and let waiting leads use it."""
    Rep.objects.filter(pk=rep_id, load__gt=0).update(load=F("load") - 1)
    waiting_leads_route_enqueue()


def waiting_leads_route(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Route waiting leads, highest score then oldest first, while some rep has room; returns offers made."""
    now = now or tz_now()
    offered = 0
    lead_ids = (Lead.objects.filter(status=Lead.Status.WAITING).order_by("-score", "received_at")
                .values_list("pk", flat=True)[:limit])
    for lead_id in lead_ids:
        if not Rep.objects.filter(active=True, status=Rep.Status.AVAILABLE, load__lt=F("capacity")).exists():
            break
        offered += lead_route(lead_id=lead_id, now=now).action == "offered"
    return offered


def held_leads_release(*, now: dt.datetime | None = None) -> int:
    """Move held leads back to routing once their campaign is open and, for a campaign that holds outside calling
    hours, the lead's calling window is open; returns how many."""
    now = now or tz_now()
    released = 0
    # A lead a delay rule holds is released by its hold (services.delays), not by the campaign opening.
    held = Lead.objects.filter(status=Lead.Status.HELD, delayed=False).select_related("campaign")
    for lead in held.order_by("received_at"):
        if campaign_is_open(campaign=lead.campaign, at=now) \
                and not calling_hold_reason(campaign=lead.campaign, lead_timezone=lead.timezone, at=now):
            with transaction.atomic():
                if lead_transition(lead_id=lead.pk, to=Lead.Status.NEW, sources=[Lead.Status.HELD],
                                   waiting_reason=""):
                    lead_route_enqueue(lead_id=lead.pk)
                    released += 1
    return released


def leads_reconcile(*, now: dt.datetime | None = None, older_than_seconds: int | None = None) -> int:
    """Re-enqueue routing for leads a lost task or crashed worker left behind; returns how many."""
    now = now or tz_now()
    if older_than_seconds is None:
        older_than_seconds = settings.RECONCILE_AFTER_SECONDS
    cutoff = now - dt.timedelta(seconds=older_than_seconds)
    open_offer = Q(assignments__status__in=Assignment.OPEN_STATUSES)
    stranded = (Lead.objects.filter(received_at__lt=cutoff)
                .filter(Q(status=Lead.Status.NEW) | Q(status=Lead.Status.OFFERED))
                .exclude(open_offer).values_list("pk", flat=True))
    count = 0
    for lead_id in list(stranded):
        with transaction.atomic():
            # Checked again under the lead's lock: a worker may have offered it since the list was read, and
            # flipping such a lead back to new left it "new" with a live offer for good.
            status = Lead.objects.select_for_update().filter(pk=lead_id).values_list("status", flat=True).first()
            if status not in (Lead.Status.NEW, Lead.Status.OFFERED) or Assignment.objects.filter(
                    lead_id=lead_id, status__in=Assignment.OPEN_STATUSES).exists():
                continue
            lead_transition(lead_id=lead_id, to=Lead.Status.NEW, sources=[Lead.Status.OFFERED])
            lead_route_enqueue(lead_id=lead_id)
        count += 1
    return count
