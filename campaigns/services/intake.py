"""Lead intake: one posted lead -> one answer, one IntakeAttempt, at most one Lead, in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.timezone import now

from campaigns.calling_hours import lead_intake_hold_reason
from campaigns.floor_hooks import floor
from campaigns.models import Campaign, IntakeAttempt, Lead, Supplier
from campaigns.schedule import campaign_is_open
from campaigns.selectors import (
    campaigns_for_intake,
    intake_attempt_replay,
    lead_duplicate_of,
    lead_with_external_id,
    suppression_match,
)
from campaigns.services.caps import caps_claim
from campaigns.services.consent import consent_age
from campaigns.services.intake_locks import campaign_scope, intake_lock, supplier_scope
from campaigns.services.lead_timezone import lead_timezone_derive
from campaigns.services.normalise import (
    LeadInput,
    LeadInvalid,
    LeadRefused,
    field_max_length,
    lead_contacts_normalise,
    lead_payload_parse,
    required_fields_missing,
    shown,
    text_problem,
)
from campaigns.services.webhooks import lead_status_webhook_enqueue
from leadcrm.after_commit import after_commit

if TYPE_CHECKING:
    from campaigns.selectors import IntakeCampaign

IDEMPOTENCY_KEY_MAX_LENGTH = field_max_length(IntakeAttempt, "idempotency_key")
REASONS = {
    "invalid_contact": "The phone or email is not a reachable contact (or both are missing).",
    "suppressed": "The phone, email or email domain is on the suppression list.",
    "campaign_cap_reached": "The campaign's hourly, daily or total cap is reached.",
    "supplier_cap_reached": "The supplier's hourly, daily or total cap is reached.",
    "campaign_closed": "The campaign is inactive, or outside its office hours and set to refuse.",
    "not_allowed": "The supplier may not post to this campaign.",
    "consent_missing": "The campaign requires the lead's consent record (a consent object with text and given_at).",
    "consent_too_old": "The consent was given longer ago than the campaign accepts.",
}
SUPPRESSED_WHAT = {"phone": "phone number", "email": "email address", "email_domain": "email domain",
                   "phone_hash": "phone number", "email_hash": "email address"}
BULK_MAX_ITEMS = 1000


@dataclass(frozen=True)
class IntakeResult:
    """The HTTP answer to one posted lead and what it did."""

    status_code: int
    body: dict[str, Any]
    outcome: str
    lead_id: int | None = None
    replayed: bool = False


class _Keys(TypedDict):
    """The keys an answered attempt claims."""

    idempotency_key: str
    external_id: str


def leads_routing_enqueue(*, lead_ids: list[int]) -> None:
    """Route stored leads on the sales floor once the current transaction commits: the floor writes a routing
    request per lead in this transaction, so the requests commit or roll back with the leads."""
    floor().leads_route_on_commit(lead_ids=lead_ids)


def lead_buyers_dispatch(*, lead_id: int, cost_rules: bool) -> None:
    """Hand a committed new lead of a buyers-first campaign to buyers, then apply the cost rules (run after the
    commit; cost_rules=False: the campaign had none at intake)."""
    from campaigns.buyers.services import lead_cost_apply, lead_distribution_enqueue

    lead_distribution_enqueue(lead_id=lead_id)
    if cost_rules:
        lead_cost_apply(lead_id=lead_id)


def leads_distribution_start(*, leads: list[tuple[int, IntakeCampaign]]) -> None:
    """Inside the transaction that stores these new leads (id, campaign from campaigns_for_intake): request the
    routing of the reps-first ones now, as rows that commit or roll back with the leads (the floor routes them
    after the commit), and once committed hand the buyers-first ones to buyers and apply the cost rules."""
    from campaigns.buyers.services import lead_cost_apply

    routed, costed = [], []
    for lead_id, campaign in leads:
        if campaign.distribution_mode in Campaign.BUYERS_FIRST:
            after_commit(partial(lead_buyers_dispatch, lead_id=lead_id, cost_rules=campaign.has_cost_rules))
            continue
        routed.append(lead_id)
        if campaign.has_cost_rules:
            costed.append(lead_id)
    if routed:
        leads_routing_enqueue(lead_ids=routed)
    for lead_id in costed:
        after_commit(partial(lead_cost_apply, lead_id=lead_id))


def _external_id_hint(payload: object) -> str:
    value = payload.get("external_id") if isinstance(payload, dict) else None
    if isinstance(value, str) and 0 < len(value.strip()) <= 128 and not text_problem(value):
        return value.strip()
    return ""


def lead_intake(*, supplier: Supplier, payload: object, idempotency_key: str = "",
                received_at: dt.datetime | None = None, allow_duplicate: bool = False) -> IntakeResult:
    """Validate, check and store one posted lead; the first answer for an Idempotency-Key or external_id is final.

    Exactly one IntakeAttempt is written per call, except a replay, which counts on the first attempt.
    A 400 claims neither key, so the supplier may fix the payload and post again. allow_duplicate (a manager's
    "create anyway") skips only the same phone or email check; an external_id stays unique per supplier.
    """
    received_at = received_at or now()
    idempotency_key = idempotency_key.strip()
    try:
        return _intake(supplier, payload, idempotency_key, received_at, allow_duplicate)
    except IntegrityError:
        # Only reachable on engines without advisory locks: a concurrent post with the same key won the insert.
        replay = intake_attempt_replay(supplier=supplier, idempotency_key=idempotency_key,
                                       external_id=_external_id_hint(payload))
        if replay is None:
            raise
        return _replayed(replay)


def _replayed(attempt: IntakeAttempt) -> IntakeResult:
    IntakeAttempt.objects.filter(pk=attempt.pk).update(replays=F("replays") + 1)
    return IntakeResult(status_code=attempt.response_status, body=attempt.response_body, outcome=attempt.outcome,
                        lead_id=attempt.lead_id, replayed=True)


@transaction.atomic
def _intake(supplier: Supplier, payload: object, idempotency_key: str, received_at: dt.datetime,
            allow_duplicate: bool = False) -> IntakeResult:
    external_id = _external_id_hint(payload)
    if idempotency_key or external_id:
        intake_lock(shared=[supplier_scope(supplier.pk)],
                    names=[f"intake:{supplier.pk}:key:{idempotency_key}" if idempotency_key else "",
                           f"intake:{supplier.pk}:external:{external_id}" if external_id else ""])
        replay = intake_attempt_replay(supplier=supplier, idempotency_key=idempotency_key, external_id=external_id)
        if replay is not None:
            return _replayed(replay)

    campaign = None
    try:
        if len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH or text_problem(idempotency_key):
            raise LeadInvalid({"Idempotency-Key": [
                f"Must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters of text."]})
        lead = lead_payload_parse(payload=payload, at=received_at)
        campaign = campaigns_for_intake(supplier=supplier, slugs={lead.campaign}).get(lead.campaign)
        if campaign is None:
            raise LeadInvalid({"campaign": [f"Unknown campaign '{shown(lead.campaign, 64)}'."]})
        missing = required_fields_missing(lead=lead, required=campaign.required_fields or [])
        if missing:
            raise LeadInvalid(missing)
    except LeadInvalid as invalid:
        return _answer(supplier=supplier, campaign=campaign, received_at=received_at,
                       outcome=IntakeAttempt.Outcome.INVALID, status_code=400, body={"errors": invalid.errors},
                       detail="; ".join(f"{k}: {' '.join(v)}" for k, v in invalid.errors.items()))

    keys: _Keys = {"idempotency_key": idempotency_key, "external_id": lead.external_id}
    try:
        return _decide(supplier, campaign, lead, received_at, keys,
                       supplier_locked=bool(idempotency_key or external_id), allow_duplicate=allow_duplicate)
    except LeadRefused as refused:
        return _answer(supplier=supplier, campaign=campaign, received_at=received_at,
                       outcome=IntakeAttempt.Outcome.REJECTED, status_code=422, reason=refused.reason,
                       detail=refused.detail, body={"status": "rejected", "reason": refused.reason,
                                                    "detail": refused.detail}, **keys)


def campaign_open_check(*, supplier: Supplier, campaign: IntakeCampaign, at: dt.datetime) -> bool:
    """Whether the campaign takes the supplier's lead now (True) or holds it (False); LeadRefused when neither.

    The campaign comes from campaigns_for_intake (annotated may_post and has_office_hours).
    """
    if not campaign.may_post:
        raise LeadRefused("not_allowed", f"Supplier '{supplier.name}' may not post to campaign '{campaign.slug}'.")
    if not campaign.active:
        raise LeadRefused("campaign_closed", f"Campaign '{campaign.slug}' is not active.")
    is_open = campaign_is_open(campaign=campaign, at=at) if campaign.has_office_hours else True
    if not is_open and campaign.outside_hours == Campaign.OutsideHours.REJECT:
        raise LeadRefused("campaign_closed", f"Campaign '{campaign.slug}' is outside its office hours.")
    return is_open


def consent_check(*, campaign: Campaign, lead: LeadInput, at: dt.datetime) -> None:
    """LeadRefused when the campaign requires a consent the lead lacks, or the lead's consent is too old for it."""
    if lead.consent is None:
        if campaign.consent_required:
            raise LeadRefused("consent_missing", f"Campaign '{campaign.slug}' requires the lead's consent: send "
                                                 "\"consent\" with at least text and given_at.")
        return
    max_days = campaign.consent_max_age_days
    if max_days is not None and consent_age(consent=lead.consent, at=at) > dt.timedelta(days=max_days):
        raise LeadRefused("consent_too_old", f"The consent was given on {lead.consent['given_at'][:10]}; campaign "
                                             f"'{campaign.slug}' accepts consent up to {max_days} days old.")


def lead_contact_locks(*, campaign: Campaign, phone: str, email: str) -> list[str]:
    """The advisory lock names serialising intakes of the same phone or email into a campaign."""
    return [f"intake:{campaign.pk}:phone:{phone}" if phone else "",
            f"intake:{campaign.pk}:email:{email}" if email else ""]


def _decide(supplier: Supplier, campaign: IntakeCampaign, lead: LeadInput, received_at: dt.datetime,
            keys: _Keys, supplier_locked: bool, allow_duplicate: bool = False) -> IntakeResult:
    """The business rules in order; raises LeadRefused for a 422, returns the 409 or 201 answer."""
    is_open = campaign_open_check(supplier=supplier, campaign=campaign, at=received_at)
    consent_check(campaign=campaign, lead=lead, at=received_at)
    phone, email = lead_contacts_normalise(lead=lead)
    intake_lock(shared=[*([] if supplier_locked else [supplier_scope(supplier.pk)]), campaign_scope(campaign.pk)],
                names=lead_contact_locks(campaign=campaign, phone=phone, email=email))
    entry = suppression_match(phone=phone, email=email)
    if entry is not None:
        raise LeadRefused("suppressed", f"The lead's {SUPPRESSED_WHAT[entry.kind]} is on the suppression list.")
    same_external_id = lead_with_external_id(supplier=supplier, external_id=lead.external_id)
    if same_external_id is not None:
        # A lead whose intake record is gone (or that came in another way) still owns its external_id.
        return _answer(supplier=supplier, campaign=campaign, received_at=received_at,
                       outcome=IntakeAttempt.Outcome.DUPLICATE, status_code=409, reason="duplicate",
                       detail=f"Same external_id as lead {same_external_id}.", duplicate_of_id=same_external_id,
                       body={"status": "duplicate", "duplicate_of": same_external_id}, **keys)
    if campaign.dedup_window_hours and not allow_duplicate:
        since = received_at - dt.timedelta(hours=campaign.dedup_window_hours)
        duplicate_of = lead_duplicate_of(campaign=campaign, phone=phone, email=email, since=since)
        if duplicate_of is not None:
            return _answer(supplier=supplier, campaign=campaign, received_at=received_at,
                           outcome=IntakeAttempt.Outcome.DUPLICATE, status_code=409, reason="duplicate",
                           detail=f"Same phone or email as lead {duplicate_of}.", duplicate_of_id=duplicate_of,
                           body={"status": "duplicate", "duplicate_of": duplicate_of}, **keys)
    cap_reached = caps_claim(campaign=campaign, supplier=supplier, at=received_at)
    if cap_reached:
        raise LeadRefused(cap_reached, f"The {cap_reached.split('_')[0]}'s lead cap is reached; try again later.")

    zone = lead_timezone_derive(phone=phone, country=lead.country, region=lead.region,
                                postal_code=lead.postal_code, at=received_at)
    held = lead_intake_hold_reason(campaign=campaign, campaign_open=is_open, lead_timezone=zone, at=received_at)
    stored = Lead.objects.create(
        campaign=campaign, supplier=supplier, external_id=lead.external_id,
        first_name=lead.first_name, last_name=lead.last_name, email=email, phone=phone, country=lead.country,
        region=lead.region, postal_code=lead.postal_code, timezone=zone, language=lead.language, skill=lead.skill,
        fields=lead.fields, consent=lead.consent, status=Lead.Status.HELD if held else Lead.Status.NEW,
        waiting_reason=held,
        # Revenue comes when the lead is sold to a buyer or won by a rep, not at intake.
        received_at=received_at, cost=supplier.cost_per_lead,
    )
    if stored.status == Lead.Status.NEW:
        leads_distribution_start(leads=[(stored.pk, campaign)])
    lead_status_webhook_enqueue(lead=stored, event="accepted")
    return _answer(supplier=supplier, campaign=campaign, received_at=received_at,
                   outcome=IntakeAttempt.Outcome.ACCEPTED, status_code=201, lead=stored,
                   body={"id": stored.pk, "status": "accepted"}, **keys)


def _answer(*, supplier: Supplier, campaign: Campaign | None, received_at: dt.datetime, outcome: str,
            status_code: int, body: dict[str, Any], reason: str = "", detail: str = "", lead: Lead | None = None,
            duplicate_of_id: int | None = None, idempotency_key: str = "", external_id: str = "") -> IntakeResult:
    IntakeAttempt.objects.create(
        supplier=supplier, campaign=campaign, received_at=received_at, outcome=outcome, reason=reason,
        detail=detail[:500], lead=lead, duplicate_of_id=duplicate_of_id, idempotency_key=idempotency_key,
        external_id=external_id, response_status=status_code, response_body=body,
    )
    return IntakeResult(status_code=status_code, body=body, outcome=outcome, lead_id=lead.pk if lead else None)


def intake_invalid_record(*, supplier: Supplier, status_code: int, body: dict[str, Any], detail: str) -> IntakeResult:
    """Record a post refused before its lead could be read (bad JSON, wrong media type, too large, bad bulk)."""
    with transaction.atomic():
        return _answer(supplier=supplier, campaign=None, received_at=now(), outcome=IntakeAttempt.Outcome.INVALID,
                       status_code=status_code, body=body, detail=detail)
