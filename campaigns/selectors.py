"""Reads of the lead market shaped for their callers."""

import datetime as dt

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.timezone import now

from campaigns.models import (
    Campaign, IntakeAttempt, Lead, SuppressionEntry, Supplier, SupplierApiKey, WebhookDelivery,
    hash_api_key,
)
from leadcrm.roles import is_manager, is_rep


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


def campaign_by_slug(*, slug: str) -> Campaign | None:
    """The campaign with this slug (exact), or None."""
    return Campaign.objects.filter(slug=slug).first()


def supplier_may_post_to(*, supplier: Supplier, campaign: Campaign) -> bool:
    """Whether the campaign is among the supplier's allowed campaigns."""
    return supplier.campaigns.filter(pk=campaign.pk).exists()


def suppression_match(*, phone: str, email: str) -> SuppressionEntry | None:
    """The suppression entry that blocks this normalised phone, email or the email's domain (or a parent)."""
    wanted = set()
    if phone:
        wanted.add((SuppressionEntry.Kind.PHONE, phone))
    if email:
        wanted.add((SuppressionEntry.Kind.EMAIL, email))
        labels = email.rsplit("@", 1)[-1].split(".")
        wanted |= {(SuppressionEntry.Kind.EMAIL_DOMAIN, ".".join(labels[i:])) for i in range(len(labels) - 1)}
    if not wanted:
        return None
    # One indexed lookup on (kind, value); the pairs are matched exactly below.
    candidates = SuppressionEntry.objects.filter(kind__in={kind for kind, _ in wanted},
                                                 value__in={value for _, value in wanted}).order_by("kind", "value")
    return next((entry for entry in candidates if (entry.kind, entry.value) in wanted), None)


def lead_duplicate_of(*, campaign: Campaign, phone: str, email: str, since: dt.datetime) -> int | None:
    """Id of the earliest lead of the campaign received since `since` with the same phone or email."""
    found = []
    # One query per column, so each uses its (campaign, column, received_at) index; an OR would scan the window.
    for column, value in (("phone", phone), ("email", email)):
        if value:
            row = (Lead.objects.filter(campaign=campaign, received_at__gte=since, **{column: value})
                   .order_by("received_at", "pk").values_list("received_at", "pk").first())
            if row:
                found.append(row)
    return min(found)[1] if found else None


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
