"""Reads of the lead market shaped for their callers."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import TYPE_CHECKING, TypedDict, cast

from django.apps import apps
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.timezone import now

from campaigns.models import (
    Campaign,
    IntakeAttempt,
    Lead,
    OfficeHours,
    PriceRule,
    Supplier,
    SupplierApiKey,
    SuppressionEntry,
    WebhookDelivery,
    hash_api_key,
)
from campaigns.person_hash import person_hash
from leadcrm.errors import ServiceError
from leadcrm.roles import is_manager, is_rep

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # a dev-only package: types, never imported at runtime

    # A campaign as campaigns_for_intake returns it.
    IntakeCampaign = WithAnnotations[Campaign, "IntakeFlags"]


class IntakeFlags(TypedDict):
    """What campaigns_for_intake adds to each campaign, for the supplier that posts."""

    may_post: bool  # the supplier may post to the campaign
    has_office_hours: bool
    has_cost_rules: bool  # it has active supplier-cost price rules


def supplier_api_key_lookup(*, raw_key: str) -> SupplierApiKey | None:
    """The key row for a raw key, with its supplier, or None when unknown (revoked keys are returned)."""
    if not raw_key or len(raw_key) > 200:
        return None
    return (SupplierApiKey.objects.select_related("supplier")
            .filter(key_hash=hash_api_key(raw_key)).first())


def api_key_touch_due(*, key: SupplierApiKey, every_seconds: int = 60) -> bool:
    """Whether last_used_at is stale enough to be worth a write (keeps intake off a hot row)."""
    return key.last_used_at is None or (now() - key.last_used_at).total_seconds() >= every_seconds


# --- Intake -------------------------------------------------------------------------------------------------

# Values per IN (...) list: a whole CSV file checked at once stays under SQLite's and PostgreSQL's parameter limits.
IN_CHUNK = 5000


def _in_chunks(values: set[str]) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[start:start + IN_CHUNK] for start in range(0, len(ordered), IN_CHUNK)]


def campaigns_for_intake(*, supplier: Supplier, slugs: set[str]) -> dict[str, IntakeCampaign]:
    """Campaigns by slug (exact), in one query, each annotated may_post (the supplier may post to it),
    has_office_hours and has_cost_rules (active supplier-cost price rules)."""
    if not slugs:
        return {}
    # Hand-written: on the hot path of every post, building this with three Exists() costs milliseconds of CPU.
    tables = {name: connection.ops.quote_name(model._meta.db_table) for name, model in (
        ("campaign", Campaign), ("allowed", Supplier.campaigns.through), ("hours", OfficeHours),
        ("rules", PriceRule))}
    ordered = sorted(slugs)
    sql = (f"SELECT c.*, "
           f"EXISTS(SELECT 1 FROM {tables['allowed']} a WHERE a.supplier_id = %s AND a.campaign_id = c.id) "
           f"AS may_post, "
           f"EXISTS(SELECT 1 FROM {tables['hours']} h WHERE h.campaign_id = c.id) AS has_office_hours, "
           f"EXISTS(SELECT 1 FROM {tables['rules']} r WHERE r.campaign_id = c.id AND r.target = %s AND r.active) "
           f"AS has_cost_rules "
           f"FROM {tables['campaign']} c WHERE c.slug IN ({', '.join(['%s'] * len(ordered))})")
    campaigns = Campaign.objects.raw(sql, [supplier.pk, PriceRule.Target.COST.value, *ordered])
    # The stubs cannot see the columns a raw query adds: the three of IntakeFlags, selected above.
    return {campaign.slug: cast("IntakeCampaign", campaign) for campaign in campaigns}


def suppression_pairs(*, phone: str, email: str) -> set[tuple[str, str]]:
    """The (kind, value) entries that would block this normalised phone, email or the email's domain (or a parent),
    including an erased person's salted hashes."""
    wanted: set[tuple[str, str]] = set()
    if phone:
        wanted |= {(SuppressionEntry.Kind.PHONE, phone), (SuppressionEntry.Kind.PHONE_HASH, person_hash(value=phone))}
    if email:
        wanted |= {(SuppressionEntry.Kind.EMAIL, email), (SuppressionEntry.Kind.EMAIL_HASH, person_hash(value=email))}
        labels = email.rsplit("@", 1)[-1].split(".")
        wanted |= {(SuppressionEntry.Kind.EMAIL_DOMAIN, ".".join(labels[i:])) for i in range(len(labels) - 1)}
    return wanted


def suppression_pairs_present(*, wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (kind, value) pairs are on the suppression list, in one indexed lookup."""
    if not wanted:
        return set()
    kinds = {kind for kind, _ in wanted}
    return {pair for chunk in _in_chunks({value for _, value in wanted})
            for pair in SuppressionEntry.objects.filter(kind__in=kinds, value__in=chunk).values_list("kind", "value")
            if pair in wanted}


def lead_duplicates_earliest(*, campaign: Campaign, column: str, values: set[str],
                             since: dt.datetime) -> dict[str, tuple[dt.datetime, int]]:
    """For each value of phone or email: (received_at, id) of the campaign's earliest lead since `since` with it."""
    if not values:
        return {}
    earliest: dict[str, tuple[dt.datetime, int]] = {}
    rows = [row for chunk in _in_chunks(values)
            for row in (Lead.objects.filter(campaign=campaign, received_at__gte=since, **{f"{column}__in": chunk})
                        .values_list(column, "received_at", "pk"))]
    for value, received_at, pk in rows:
        if value not in earliest or (received_at, pk) < earliest[value]:
            earliest[value] = (received_at, pk)
    return earliest


def leads_with_external_ids(*, supplier: Supplier, external_ids: set[str]) -> dict[str, int]:
    """external_id -> id of the supplier's first lead carrying it (blank ids are never looked up)."""
    external_ids = {value for value in external_ids if value}
    if not external_ids:
        return {}
    found: dict[str, int] = {}
    for chunk in _in_chunks(external_ids):
        rows = (Lead.objects.filter(supplier=supplier, external_id__in=chunk).order_by("-pk")
                .values_list("external_id", "pk"))
        for external_id, pk in rows:
            found[external_id] = pk  # descending ids: the first lead wins
    return found


def intake_attempts_replayable(*, supplier: Supplier, column: str, values: set[str]) -> dict[str, IntakeAttempt]:
    """idempotency_key or external_id -> the supplier's first answered attempt with it (400s never count)."""
    values = {value for value in values if value}
    if not values:
        return {}
    found: dict[str, IntakeAttempt] = {}
    for chunk in _in_chunks(values):
        attempts = (IntakeAttempt.objects.filter(supplier=supplier, **{f"{column}__in": chunk})
                    .exclude(outcome=IntakeAttempt.Outcome.INVALID).order_by("-pk"))
        for attempt in attempts:
            found[getattr(attempt, column)] = attempt  # descending ids: the first attempt wins
    return found


def suppression_match(*, phone: str, email: str) -> SuppressionEntry | None:
    """The suppression entry that blocks this normalised phone, email or the email's domain (or a parent)."""
    wanted = suppression_pairs(phone=phone, email=email)
    if not wanted:
        return None
    # One indexed lookup on (kind, value); the pairs are matched exactly below.
    candidates = SuppressionEntry.objects.filter(kind__in={kind for kind, _ in wanted},
                                                 value__in={value for _, value in wanted}).order_by("kind", "value")
    return next((entry for entry in candidates if (entry.kind, entry.value) in wanted), None)


def lead_duplicate_of(*, campaign: Campaign, phone: str, email: str, since: dt.datetime) -> int | None:
    """Id of the earliest lead of the campaign received since `since` with the same phone or email."""
    # One query; each arm of the OR names its full (campaign, column, received_at) index, so both engines
    # combine two index seeks (multi-index OR, BitmapOr) instead of scanning the window.
    same = Q()
    for column, value in (("phone", phone), ("email", email)):
        if value:
            same |= Q(campaign=campaign, received_at__gte=since, **{column: value})
    if not same:
        return None
    return Lead.objects.filter(same).order_by("received_at", "pk").values_list("pk", flat=True).first()


def lead_with_external_id(*, supplier: Supplier, external_id: str) -> int | None:
    """Id of the supplier's lead carrying this external_id, or None (also for a blank one)."""
    if not external_id:
        return None
    return (Lead.objects.filter(supplier=supplier, external_id=external_id)
            .order_by("pk").values_list("pk", flat=True).first())


def intake_attempt_replay(*, supplier: Supplier, idempotency_key: str, external_id: str) -> IntakeAttempt | None:
    """The first answered attempt of the supplier with this Idempotency-Key or external_id (400s never count)."""
    found = []
    # One query per key, ordered by pk, so each is a seek on its (supplier, key) index.
    for column, value in (("idempotency_key", idempotency_key), ("external_id", external_id)):
        if value:
            attempt = (IntakeAttempt.objects.filter(supplier=supplier, **{column: value})
                       .exclude(outcome=IntakeAttempt.Outcome.INVALID).order_by("pk").first())
            if attempt is not None:
                found.append(attempt)
    return min(found, key=lambda attempt: attempt.pk) if found else None


# --- Leads (read) ----------------------------------------------------------------------------------------------


def leads_visible_to(*, user) -> QuerySet[Lead]:
    """Leads the API caller may read: a supplier its own, a manager all, a rep those it owns or was offered."""
    leads = Lead.objects.select_related("campaign", "owner").order_by("-received_at", "-pk")
    supplier = getattr(user, "supplier", None)
    if isinstance(supplier, Supplier):
        return leads.filter(supplier=supplier)
    if is_manager(user):
        return leads
    if is_rep(user):
        assignment = apps.get_model("assignments", "Assignment")
        offered = assignment.objects.filter(lead=OuterRef("pk"), rep__user=user)
        return leads.filter(Q(owner=user) | Exists(offered))
    return leads.none()


# --- Webhooks -------------------------------------------------------------------------------------------------


def webhook_deliveries_due(*, at: dt.datetime, limit: int = 100) -> QuerySet[WebhookDelivery]:
    """Pending deliveries whose next attempt (or worker lease) was due at `at`, oldest first."""
    return (WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=at)
            .order_by("next_attempt_at", "pk")[:limit])


def leads_of_person(*, email: str = "", phone: str = "") -> QuerySet[Lead]:
    """The leads stored with this email (any case) or phone (E.164, or any format with its +country code), oldest
    first; none for blank input or a phone that cannot be read."""
    # Imported here: campaigns.services imports this module (intake reads through it).
    from campaigns.services.normalise import phone_normalise

    match = Q()
    if email.strip():
        match |= Q(email=email.strip().lower())
    if phone.strip():
        with contextlib.suppress(ServiceError):  # not a phone number: no lead has it
            match |= Q(phone=phone_normalise(raw=phone.strip(), country=""))
    if not match:
        return Lead.objects.none()
    return Lead.objects.filter(match).order_by("received_at", "pk")
