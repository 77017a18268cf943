"""The lead market: campaigns, suppliers and their keys, buyers, leads, intake log, suppression."""

from __future__ import annotations

import functools
import hashlib
import secrets
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now

# Lead attributes a campaign may require at intake, in the order suppliers see them.
LEAD_FIELD_CHOICES = [
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("country", "Country"),
    ("region", "Region / state"),
    ("postal_code", "Postal code"),
    ("language", "Language"),
    ("skill", "Skill asked for"),
]
DEFAULT_REQUIRED_FIELDS = ["first_name", "last_name", "email", "phone", "country"]


def default_required_fields() -> list[str]:
    return list(DEFAULT_REQUIRED_FIELDS)


@functools.cache
def known_timezones() -> frozenset[str]:
    """IANA zone names this system knows (scanning them is slow, so once per process)."""
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    """Refuse names that are not IANA time zones."""
    if value not in known_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (use e.g. Europe/Berlin).")


class Created(models.Model):
    """Stamped with the moment the row was made; never edited."""

    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        abstract = True


class Caps(models.Model):
    """Lead-count caps; empty means unlimited."""

    cap_per_hour = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no hourly cap.")
    cap_per_day = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no daily cap.")
    cap_total = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no lifetime cap.")

    class Meta:
        abstract = True


class Campaign(Caps, Created):
    """A product line leads are bought for, with its intake rules."""

    class OutsideHours(models.TextChoices):
        REJECT = "reject", "Refuse the lead (campaign_closed)"
        HOLD = "hold", "Accept and hold it until the campaign opens"

    class OutsideCallingHours(models.TextChoices):
        HOLD = "hold", "Hold the lead until calling opens in its time, then route it"
        OFFER = "offer", "Offer it at once, with calling disabled until the window opens"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    outside_hours = models.CharField(
        max_length=8, choices=OutsideHours.choices, default=OutsideHours.HOLD,
        help_text="What intake does with a lead that arrives outside the office hours below.",
    )
    calling_starts = models.TimeField(
        null=True, blank=True,
        help_text="Reps may call a lead from this time of day in the lead's local time (e.g. 08:00). Leave both "
                  "calling times empty for no calling window.",
    )
    calling_ends = models.TimeField(
        null=True, blank=True,
        help_text="...until this time of day in the lead's local time (e.g. 21:00), later the same day. A lead "
                  "whose time zone is unknown is taken to be in the campaign's time zone.",
    )
    outside_calling_hours = models.CharField(
        max_length=8, choices=OutsideCallingHours.choices, default=OutsideCallingHours.HOLD,
        help_text="What happens to a lead that arrives (or is routed) outside the calling window in its time.",
    )
    required_fields = models.JSONField(
        default=default_required_fields, blank=True,
        help_text="Lead fields a supplier must send for this campaign.",
    )
    consent_required = models.BooleanField(
        default=False, help_text="Refuse leads sent without a consent record (422 consent_missing).")
    consent_max_age_days = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Refuse leads whose consent was given longer ago than this (422 consent_too_old). Blank: any age.")
    dedup_window_hours = models.PositiveIntegerField(
        default=720, help_text="A lead with the same phone or email inside this window is a duplicate. 0: off."
    )
    price_per_lead = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)],
        help_text="What one lead of this campaign is worth to the business (revenue).",
    )

    class Distribution(models.TextChoices):
        REPS_ONLY = "reps_only", "Reps only"
        BUYERS_ONLY = "buyers_only", "Buyers only"
        REPS_THEN_BUYERS = "reps_then_buyers", "Reps first, then buyers (after N minutes or outside office hours)"
        BUYERS_THEN_REPS = "buyers_then_reps", "Buyers first, then reps for unsold leads"

    # Modes whose new leads go to buyers before any rep sees them.
    BUYERS_FIRST = (Distribution.BUYERS_ONLY, Distribution.BUYERS_THEN_REPS)

    class BuyerMethod(models.TextChoices):
        PING_TREE = "ping_tree", "Ping tree (one buyer after another)"
        AUCTION = "auction", "Ping-post auction (highest bid wins)"
        WEIGHTED = "weighted", "Weighted split (by buyer weight)"

    class PingTreeOrder(models.TextChoices):
        PRIORITY = "priority", "Buyer priority (lowest first)"
        PRICE = "price", "Buyer price (highest first)"

    distribution_mode = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.REPS_ONLY,
        help_text="Who gets this campaign's leads: the sales floor, buyers, or one after the other.",
    )
    buyers_after_minutes = models.PositiveIntegerField(
        default=10, help_text="Reps first, then buyers: leads no rep accepted within this many minutes go to buyers.",
    )
    recycle_after_attempts = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Recycling: a lead its rep tried this many times without reaching goes back to routing, to "
                  "another rep. Blank: never for this.")
    recycle_after_idle_hours = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Recycling: an open lead with no contact, stage or note for this many hours goes back to "
                  "routing. Blank: never for this.")
    recycle_lost_reasons = models.JSONField(
        default=list, blank=True, help_text="Recycling: lost reason codes that send the lead back to routing "
                                            "(e.g. [\"no_answer\"]).")
    recycle_max_cycles = models.PositiveSmallIntegerField(
        default=2, help_text="Recycling: at most this many times per lead.")
    buyer_method = models.CharField(max_length=12, choices=BuyerMethod.choices, default=BuyerMethod.PING_TREE)
    ping_tree_order = models.CharField(max_length=8, choices=PingTreeOrder.choices, default=PingTreeOrder.PRIORITY)
    floor_price = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)],
        help_text="Auction: the lowest bid that may win.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(calling_starts__isnull=True, calling_ends__isnull=True)
                | Q(calling_starts__isnull=False, calling_ends__isnull=False, calling_starts__lt=F("calling_ends")),
                name="campaign_calling_window_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (self.calling_starts is None) != (self.calling_ends is None):
            missing = "calling_ends" if self.calling_ends is None else "calling_starts"
            raise ValidationError({missing: "Set both calling times, or neither (no calling window)."})
        if self.calling_starts is not None and self.calling_ends is not None \
                and self.calling_ends <= self.calling_starts:
            raise ValidationError({"calling_ends": "The calling window must end after it starts, the same day."})


class OfficeHours(models.Model):
    """One weekly opening window of a campaign, in the campaign's time zone; none means always open."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="office_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text="Earlier than or equal to opens: the window runs past midnight.")

    class Meta:
        ordering = ["campaign", "weekday", "opens"]
        verbose_name_plural = "office hours"
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="officehours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


def webhook_secret_new() -> str:
    """A fresh random webhook signing secret (256 bits, hex)."""
    return secrets.token_hex(32)


class Supplier(Caps, Created):
    """A lead generator that posts leads with its API keys."""

    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)
    campaigns = models.ManyToManyField(Campaign, related_name="suppliers", blank=True,
                                       help_text="Campaigns this supplier may post to.")
    cost_per_lead = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"),
                                        validators=[MinValueValidator(0)])
    rate_limit_per_second = models.PositiveIntegerField(
        default=200, validators=[MinValueValidator(1)], help_text="Intake requests per second per key."
    )
    contact_email = models.EmailField(blank=True)
    webhook_url = models.URLField(
        max_length=500, blank=True,
        help_text="Status changes of this supplier's leads are POSTed here (signed). Empty: no webhooks.",
    )
    webhook_secret = models.CharField(
        max_length=64, default=webhook_secret_new,
        help_text="Key of the X-LeadCRM-Signature HMAC (SHA-256 of the raw body); share it with the supplier.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def hash_api_key(raw_key: str) -> str:
    """SHA-256 hex of a raw key; keys are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class SupplierApiKey(Created):
    """One API key of a supplier; only its hash and a display prefix are stored."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=80, blank=True, help_text="What this key is for, e.g. 'production'.")
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "supplier API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.supplier})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Buyer(Created):
    """An outside company that buys leads over HTTP."""

    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)
    campaigns = models.ManyToManyField(Campaign, related_name="buyers", blank=True)
    endpoint_url = models.URLField(max_length=500)
    filters = models.JSONField(
        default=dict, blank=True,
        help_text='Lead conditions, e.g. {"country": ["US"], "region": ["CA", "NV"]}.',
    )
    cap_per_hour = models.PositiveIntegerField(null=True, blank=True)
    cap_per_day = models.PositiveIntegerField(null=True, blank=True)
    cap_per_month = models.PositiveIntegerField(null=True, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"),
                                validators=[MinValueValidator(0)], help_text="Price or fixed bid per lead.")
    weight = models.PositiveIntegerField(default=1, help_text="Share in weighted delivery.")
    priority = models.PositiveIntegerField(default=100, help_text="Lower goes first in a ping tree.")
    ping_url = models.URLField(
        max_length=500, blank=True,
        help_text="Pinged (no personal data) before a post, to accept or bid. Empty: the lead is posted directly.",
    )
    timeout_ms = models.PositiveIntegerField(
        default=3000, validators=[MinValueValidator(50), MaxValueValidator(60000)],
        help_text="Per request (ping or post); a slower answer counts as a timeout.",
    )
    request_template = models.JSONField(
        default=dict, blank=True,
        help_text='Post body; "{{ field }}" is replaced by the lead\'s value, e.g. {"FirstName": "{{ first_name }}"}. '
                  "Empty: the standard LeadCRM body.",
    )
    headers = models.JSONField(default=dict, blank=True,
                               help_text='Extra request headers; values may use placeholders, e.g. {{ auth_token }}.')
    auth_token = models.CharField(
        max_length=500, blank=True,
        help_text="Sent as 'Authorization: Bearer <token>' unless a header uses {{ auth_token }}.",
    )
    schedule = models.JSONField(
        default=dict, blank=True,
        help_text='When the buyer takes leads, e.g. {"timezone": "America/New_York", "windows": '
                  '[{"days": [0, 1, 2, 3, 4], "opens": "09:00", "closes": "17:00"}]}. Empty: always.',
    )
    return_window_hours = models.PositiveIntegerField(default=72, help_text="A sold lead may be returned this long.")

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    """One person who asked to be contacted, with every timestamp of their path."""

    class Status(models.TextChoices):
        NEW = "new", "New (awaiting routing)"
        HELD = "held", "Held (campaign closed, or outside calling hours)"
        WAITING = "waiting", "Waiting for a rep"
        OFFERED = "offered", "Offered to a rep"
        ASSIGNED = "assigned", "Accepted by a rep"
        CONTACTED = "contacted"
        QUALIFIED = "qualified"
        NURTURE = "nurture", "Nurture (later)"
        UNQUALIFIED = "unqualified"
        WON = "won"
        LOST = "lost"
        SOLD = "sold", "Sold to a buyer"
        SELLING = "selling", "With buyers (being sold)"
        POOL = "pool", "In the open pool"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="leads")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="leads")
    external_id = models.CharField(max_length=128, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True, help_text="Lower-cased.")
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +14155550100.")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    region = models.CharField(max_length=64, blank=True)
    postal_code = models.CharField(max_length=16, blank=True)
    timezone = models.CharField(max_length=64, blank=True,
                                help_text="IANA zone derived at intake from the phone, region or postal code, or "
                                          "country (README: Calling hours). Blank: unknown.")
    language = models.CharField(max_length=2, blank=True, help_text="ISO 639-1.")
    skill = models.SlugField(max_length=64, blank=True, help_text="What the lead asks for.")
    fields = models.JSONField(default=dict, blank=True, help_text="Extra answers sent by the supplier.")
    consent = models.JSONField(null=True, blank=True, help_text="The consent record the supplier sent: text, "
                                                                "given_at, ip, page_url, certificate_url.")
    score = models.IntegerField(default=0)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    waiting_reason = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="owned_leads", help_text="The rep who accepted the lead.")
    outcome = models.CharField(max_length=32, blank=True)

    received_at = models.DateTimeField(default=now)
    assigned_at = models.DateTimeField(null=True, blank=True, help_text="First offered to a rep.")
    pooled_at = models.DateTimeField(null=True, blank=True, editable=False,
                                     help_text="When the lead last entered the open pool.")
    recycled = models.PositiveSmallIntegerField(default=0, editable=False,
                                                help_text="Times the lead went back to routing after going nowhere.")
    delayed = models.BooleanField(default=False, editable=False,
                                  help_text="Held by a delay rule (its hold says why and until when).")
    accepted_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(null=True, blank=True, editable=False,
                                         help_text="First shown in any rep's browser (earliest offer seen_at).")
    first_contact_at = models.DateTimeField(null=True, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False,
                                     help_text="When the person's data was erased; timings and counts stay.")
    erased_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  editable=False, related_name="+", help_text="The manager who erased it.")
    cost = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    revenue = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["campaign", "phone", "received_at"], name="lead_dedup_phone"),
            models.Index(fields=["campaign", "email", "received_at"], name="lead_dedup_email"),
            models.Index(fields=["supplier", "received_at"], name="lead_supplier_received"),
            models.Index(fields=["campaign", "received_at"], name="lead_campaign_received"),
            models.Index(fields=["status", "received_at"], name="lead_status_received"),
            models.Index(fields=["received_at"], name="lead_received"),
            # Intake looks external ids up by equality; the partial unique constraint cannot serve that on SQLite.
            models.Index(fields=["supplier", "external_id"], name="lead_supplier_external_id"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "external_id"], condition=~Q(external_id=""),
                                    name="lead_unique_supplier_external_id"),
            models.CheckConstraint(condition=Q(accepted_at__isnull=True) | Q(assigned_at__isnull=False),
                                   name="lead_accepted_after_assigned"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip() or "(no name)"
        return f"#{self.pk} {name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class IntakeAttempt(models.Model):
    """Every authenticated post of a lead and the answer it got; the idempotency record."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted"
        DUPLICATE = "duplicate"
        REJECTED = "rejected"
        INVALID = "invalid", "Invalid (400)"

    class Action(models.TextChoices):
        POST = "post", "Lead posted"
        ANSWERS = "answers", "Answers added"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="intake_attempts")
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.POST,
                              help_text="A lead posted, or answers added to an earlier lead (reports count posts).")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="intake_attempts")
    received_at = models.DateTimeField(default=now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    lead = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    duplicate_of = models.ForeignKey(Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    idempotency_key = models.CharField(max_length=128, blank=True)
    external_id = models.CharField(max_length=128, blank=True)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    replays = models.PositiveIntegerField(
        default=0, help_text="Times the same Idempotency-Key or external_id was posted again and got this answer.",
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["supplier", "received_at"], name="attempt_supplier_received"),
            models.Index(fields=["campaign", "received_at"], name="attempt_campaign_received"),
            # Reports: attempts in a date range across every supplier and campaign.
            models.Index(fields=["received_at"], name="attempt_received"),
            # Idempotency replay lookups (the partial unique constraints below cannot serve them on SQLite).
            models.Index(fields=["supplier", "idempotency_key"], name="attempt_supplier_idem_key"),
            models.Index(fields=["supplier", "external_id"], name="attempt_supplier_external_id"),
        ]
        constraints = [
            # A 400 does not claim its keys: the supplier may fix the payload and resend.
            models.UniqueConstraint(fields=["supplier", "idempotency_key"],
                                    condition=~Q(idempotency_key="") & ~Q(outcome="invalid"),
                                    name="attempt_unique_idempotency_key"),
            models.UniqueConstraint(fields=["supplier", "external_id"],
                                    condition=~Q(external_id="") & ~Q(outcome="invalid"),
                                    name="attempt_unique_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.outcome} {self.reason}".strip()


class CapCounter(models.Model):
    """Leads accepted in one cap window for one campaign or supplier; claimed by conditional UPDATE."""

    scope = models.CharField(max_length=40, help_text="campaign:<id> or supplier:<id>.")
    window = models.CharField(max_length=8, help_text="hour, day or total.")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "window", "window_start"], name="capcounter_unique_window"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.window} from {self.window_start:%Y-%m-%d %H:%M}: {self.count}"


class SuppressionEntry(Created):
    """A phone, email or email domain that must never be contacted (do-not-call, opt-out)."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Phone (E.164)"
        EMAIL = "email"
        EMAIL_DOMAIN = "email_domain", "Email domain"
        PHONE_HASH = "phone_hash", "Erased person's phone (salted hash)"
        EMAIL_HASH = "email_hash", "Erased person's email (salted hash)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="Normalised: E.164 phone, lower-case email or domain; for an "
                                                       "erased person, the salted hash of one of those.")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name_plural = "suppression entries"
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="suppression_unique_kind_value"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class WebhookDelivery(Created):
    """One signed status event for a supplier's webhook, with every delivery attempt logged on it."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed", "Failed (gave up)"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="webhook_deliveries")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event = models.CharField(max_length=32, help_text="accepted, assigned, contacted, converted or returned.")
    url = models.URLField(max_length=500, help_text="The supplier's webhook URL when the event happened.")
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="HTTP status of the last try.")
    last_error = models.CharField(max_length=500, blank=True)
    log = models.JSONField(default=list, blank=True, help_text="One entry per attempt: at, status, error, ms.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["supplier", "created_at"], name="webhook_supplier_created"),
            models.Index(fields=["state", "next_attempt_at"], name="webhook_state_next"),
        ]

    def __str__(self) -> str:
        return f"{self.event} lead {self.lead_id} -> {self.supplier} ({self.state})"


# --- Buyers: price rules, distribution runs, delivery log, returns -----------------------------------------------


class PriceRule(models.Model):
    """Adjusts a lead's supplier cost or a buyer's price when the lead matches the conditions."""

    class Target(models.TextChoices):
        COST = "cost", "Supplier cost"
        PRICE = "price", "Buyer price"

    class Operation(models.TextChoices):
        MULTIPLY = "multiply", "Multiply by"
        ADD = "add"
        SET = "set", "Set to"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="price_rules")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, null=True, blank=True, related_name="price_rules",
                              help_text="Buyer price only; empty: every buyer of the campaign.")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    target = models.CharField(max_length=8, choices=Target.choices, default=Target.PRICE)
    conditions = models.JSONField(
        default=dict, blank=True,
        help_text='Same form as buyer filters, e.g. {"region": ["CA"], "homeowner": true}. Empty: every lead.',
    )
    operation = models.CharField(max_length=8, choices=Operation.choices, default=Operation.MULTIPLY)
    amount = models.DecimalField(max_digits=10, decimal_places=4)
    order = models.PositiveIntegerField(default=100, help_text="Matching rules apply in this order (lowest first).")

    class Meta:
        ordering = ["campaign", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(target="price") | Q(buyer__isnull=True),
                                   name="pricerule_cost_has_no_buyer"),
            models.CheckConstraint(condition=~Q(operation="multiply") | Q(amount__gte=0),
                                   name="pricerule_multiply_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class LeadDistribution(Created):
    """A lead's one trip to buyers: who runs it now, how often it ran, and who bought it at what price."""

    class State(models.TextChoices):
        PENDING = "pending", "Queued"
        RUNNING = "running"
        RETRYING = "retrying", "Waiting to retry"
        SOLD = "sold"
        UNSOLD = "unsold"

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="distribution")
    method = models.CharField(max_length=12, choices=Campaign.BuyerMethod.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    runs = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A running run past this is presumed lost.")
    next_run_at = models.DateTimeField(null=True, blank=True)
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, null=True, blank=True, related_name="sales")
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    sold_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=1000, blank=True, help_text="What the last run did, buyer by buyer.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_run_at"], name="distribution_state_next")]
        constraints = [
            models.CheckConstraint(condition=~Q(state="sold") | Q(buyer__isnull=False, price__isnull=False),
                                   name="distribution_sold_has_buyer_price"),
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.state}"


class BuyerDelivery(Created):
    """One ping or post of a lead to a buyer: the masked request, the answer and how long it took."""

    class Stage(models.TextChoices):
        PING = "ping"
        POST = "post"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Sending"
        ACCEPTED = "accepted"
        BID = "bid"
        REJECTED = "rejected"
        TIMEOUT = "timeout", "Timed out"
        ERROR = "error"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="buyer_deliveries",
                             help_text="Empty for a test lead sent from the admin.")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="deliveries")
    stage = models.CharField(max_length=4, choices=Stage.choices)
    test = models.BooleanField(default=False)
    run = models.PositiveSmallIntegerField(default=1, help_text="Which distribution run of the lead.")
    attempt = models.PositiveSmallIntegerField(default=1, help_text="Posts: the try of this post (retries).")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    retryable = models.BooleanField(default=False, help_text="Failed before the buyer could take it: may be retried.")
    bid = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    request = models.JSONField(default=dict, help_text="URL, headers and body sent, personal data masked.")
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="Start of the answer, personal data masked.")
    error = models.CharField(max_length=300, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    history = models.JSONField(default=list, blank=True, help_text="Earlier tries of this post: code, error, ms.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "buyer deliveries"
        indexes = [
            models.Index(fields=["lead", "created_at"], name="buyerdelivery_lead_created"),
            models.Index(fields=["buyer", "created_at"], name="buyerdelivery_buyer_created"),
        ]
        constraints = [
            # A buyer never receives the same lead twice: the post row is claimed before the HTTP call.
            models.UniqueConstraint(fields=["lead", "buyer"], condition=Q(stage="post", test=False),
                                    name="buyerdelivery_one_post_per_lead_buyer"),
        ]

    def __str__(self) -> str:
        return f"{self.stage} lead {self.lead_id or 'test'} -> {self.buyer_id}: {self.outcome}"


class LeadReturn(models.Model):
    """A sold lead the buyer sent back within its return window; the sale's revenue is reversed."""

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="buyer_return")
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="returns")
    reason = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=10, decimal_places=2, help_text="Revenue reversed.")
    at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"lead {self.lead_id} returned by {self.buyer}"


from campaigns.models_import import LeadImport  # noqa: E402,F401
