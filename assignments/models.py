"""The sales floor: reps and what they can take, routing rules, offers and contact attempts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now

from assignments.routing.facts import CONDITION_FIELDS, OPERATORS, RELAX_DROPS, STRATEGIES
from campaigns.models import Lead, OfficeHours, validate_timezone

Weekday = OfficeHours.Weekday
CHAT_PROVIDERS = [("slack", "Slack"), ("mattermost", "Mattermost"), ("teams", "Microsoft Teams"),
                  ("google_chat", "Google Chat")]


class Skill(models.Model):
    """Something a lead may ask for and a rep may be good at (e.g. solar, mortgage)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of reps that routing rules send leads to."""

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    away_after_seconds = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="A rep with no open /rep/ tab for this long counts as away. Empty: presence is not tracked.",
    )
    # Alerts away from the page (assignments/services/notify.py): browser first, then email and chat.
    alert_unseen_seconds = models.PositiveIntegerField(
        "unseen offer alert after (seconds)", default=60,
        help_text="An offer not seen on the rep's page within this many seconds is sent by email and to the team "
                  "chat (as the rep prefers). A rep with no /rep/ tab open gets the email at once.")
    alert_email = models.BooleanField("email reps", default=True,
                                      help_text="Email this team's reps about offers and due callbacks.")
    chat_provider = models.CharField(max_length=16, choices=CHAT_PROVIDERS, blank=True,
                                     help_text="The chat this team's incoming webhook belongs to. Empty: no chat.")
    chat_webhook_url = models.URLField(
        max_length=500, blank=True, help_text="The incoming-webhook URL the chat gave you. A secret: shown masked "
                                              "in lists, never logged.")
    chat_unseen_offers = models.BooleanField(default=True, help_text="Chat: a member's offer went unseen.")
    chat_waiting_too_long = models.BooleanField(default=True,
                                                help_text="Chat: leads wait longer than their rule allows.")
    chat_sla_breaches = models.BooleanField(default=True, help_text="Chat: an accepted lead was not contacted "
                                                                    "within the rule's first-contact SLA.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Rep(models.Model):
    """A salesperson who is offered leads; one per Django user."""

    class Status(models.TextChoices):
        AVAILABLE = "available"
        AWAY = "away"
        OFFLINE = "offline"

    class AlertChannels(models.TextChoices):
        BROWSER = "browser", "Browser only"
        EMAIL = "email", "Browser, then email"
        CHAT = "chat", "Browser, then team chat"
        EMAIL_AND_CHAT = "email_chat", "Browser, then email and team chat"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rep")
    active = models.BooleanField(default=True, help_text="Inactive reps are never offered leads.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OFFLINE)
    status_changed_at = models.DateTimeField(default=now)
    capacity = models.PositiveSmallIntegerField(
        default=5, help_text="Leads waiting for this rep's first contact at once: open offers plus owned leads "
                             "not yet contacted. Logging the first contact frees the unit.")
    load = models.PositiveSmallIntegerField(default=0, editable=False,
                                            help_text="Open offers + owned leads with no contact yet; kept by the "
                                                      "routing and contact services.")
    daily_cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="At most this many new leads a day (the day in the rep's time zone); "
                                         "empty: no daily cap.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    teams = models.ManyToManyField(Team, related_name="reps", blank=True)
    weight = models.PositiveIntegerField(default=1, help_text="Share of leads under a weighted rule.")
    last_offered_at = models.DateTimeField(null=True, blank=True, editable=False)
    conversion_rate = models.FloatField(default=0.0, editable=False,
                                        help_text="Trailing won rate, smoothed toward the floor average.")
    median_response_seconds = models.FloatField(null=True, blank=True, editable=False)
    stats_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    connections = models.PositiveSmallIntegerField(default=0, editable=False,
                                                   help_text="Open /rep/ websockets now (presence).")
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False,
                                        help_text="Last time one of the rep's tabs connected or pinged.")
    auto_away = models.BooleanField(default=False, editable=False,
                                    help_text="Set away by presence: becomes available again on return.")
    alert_channels = models.CharField(
        max_length=12, choices=AlertChannels.choices, default=AlertChannels.EMAIL_AND_CHAT,
        help_text="How the rep hears of an offer not seen on the page; never outside working hours.")

    class Meta:
        ordering = ["user__username"]
        # No load <= capacity constraint: a manager may assign past capacity. Routing never does: its claim is
        # one conditional UPDATE (load < capacity), proved on PostgreSQL by tests/scale.
        indexes = [models.Index(fields=["active", "status"], name="rep_active_status")]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def username(self) -> str:
        return self.user.username


class RepLanguage(models.Model):
    """A language a rep speaks (ISO 639-1)."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="languages")
    code = models.CharField(max_length=2, help_text="ISO 639-1, e.g. en, es, de.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rep", "code"], name="replanguage_unique")]

    def __str__(self) -> str:
        return self.code


class RepSkill(models.Model):
    """A skill of a rep, with a level from 1 (basic) to 5 (expert)."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="rep_skills")
    level = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rep", "skill"], name="repskill_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="repskill_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({self.level})"


class RepTerritory(models.Model):
    """Where a rep may take leads: a country, optionally narrowed to a region or postal prefix."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="territories")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2.")
    region = models.CharField(max_length=64, blank=True)
    postal_prefix = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name_plural = "rep territories"

    def __str__(self) -> str:
        return "/".join(part for part in (self.country, self.region, self.postal_prefix) if part)


class WorkingHours(models.Model):
    """A weekly shift of a rep in the rep's time zone; 00:00-00:00 is the whole day."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField(help_text="Earlier than or equal to starts: the shift runs past midnight.")

    class Meta:
        ordering = ["rep", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="workinghours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class DayOff(models.Model):
    """A date (in the rep's time zone) on which the rep takes no leads."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="days_off")
    date = models.DateField()
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name_plural = "days off"
        constraints = [models.UniqueConstraint(fields=["rep", "date"], name="dayoff_unique")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"


class ConditionBase(models.Model):
    """A test on one lead field; all conditions of a rule must hold."""

    field = models.CharField(max_length=80, help_text=f"One of {', '.join(k for k, _ in CONDITION_FIELDS)}, "
                                                      "or fields.<name> for an extra answer.")
    op = models.CharField("operator", max_length=12, choices=OPERATORS, default="eq")
    value = models.CharField(max_length=500, blank=True, help_text="For 'in' and 'prefix': comma-separated.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"


class ScoringRule(models.Model):
    """Points a lead earns at intake when all its conditions hold; rules can route and queue by score."""

    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    points = models.IntegerField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+d})"


class ScoringCondition(ConditionBase):
    rule = models.ForeignKey(ScoringRule, on_delete=models.CASCADE, related_name="conditions")


class RuleSettings(models.Model):
    """How a rule picks a rep: strategy, hard filters and SLA; shared by live rules and draft copies."""

    strategy = models.CharField(max_length=24, choices=STRATEGIES, default="round_robin")
    offer_timeout_seconds = models.PositiveIntegerField(
        default=120, validators=[MinValueValidator(5)], help_text="SLA: an offer not accepted by then moves on.")
    max_offers = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1)], help_text="Offers to try before the lead waits in the queue.")
    max_wait_seconds = models.PositiveIntegerField(
        default=300, help_text="SLA: a lead waiting longer than this is reported and alerted on.")
    require_language = models.BooleanField(default=True, help_text="Only reps who speak the lead's language.")
    require_skill = models.BooleanField(default=False, help_text="Only reps with the skill the lead asks for.")
    min_skill_level = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1),
                                                                               MaxValueValidator(5)])
    require_territory = models.BooleanField(default=False, help_text="Only reps who cover the lead's location.")
    broadcast_count = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(2)],
                                                       help_text="Broadcast: reps offered at once.")
    exploration_share = models.FloatField(default=0.1, validators=[MinValueValidator(0), MaxValueValidator(1)],
                                          help_text="Performance-weighted: share of leads given at random.")
    first_contact_seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(10)],
        help_text="SLA: first contact within this many seconds of accepting (900 = 15 minutes). Half-way the rep is "
                  "reminded; at the limit the lead is taken back or escalated. Empty: no such SLA.")
    no_contact_action = models.CharField(
        max_length=12, choices=[("reroute", "Take it back and re-route it without that rep"),
                                ("escalate", "Alert the managers, leave it with the rep")], default="reroute",
        help_text="What happens when the first-contact SLA is missed.")

    class Pool(models.TextChoices):
        OFF = "off", "Never: leads wait for a rep"
        AT_ONCE = "at_once", "At once: reps pick from the pool (free pick)"
        AFTER_OFFERS = "after_offers", "When its offers ran out (the rule's maximum offers)"
        AFTER_WAIT = "after_wait", "After waiting the pool delay"

    pool = models.CharField(
        "open pool", max_length=12, choices=Pool.choices, default=Pool.OFF,
        help_text="When this rule's leads go to the open pool, where every rep its filters allow may claim them.")
    pool_after_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Pool delay: seconds a lead waits for a rep before it goes to the pool "
                                         "(with 'After waiting').")

    SETTINGS_FIELDS = ("strategy", "offer_timeout_seconds", "max_offers", "max_wait_seconds", "require_language",
                       "require_skill", "min_skill_level", "require_territory", "broadcast_count",
                       "exploration_share", "first_contact_seconds", "no_contact_action", "pool",
                       "pool_after_seconds")

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.pool == self.Pool.AFTER_WAIT and not self.pool_after_seconds:
            raise ValidationError({"pool_after_seconds": "Set the pool delay: how many seconds a lead waits for a "
                                                         "rep before it goes to the pool."})


class RuleBase(RuleSettings):
    """A rule as managers order and switch it, with its settings; live rules and draft copies alike."""

    name = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=100, help_text="Lower is tried first; the first match wins.")
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True


class RoutingRule(RuleBase):
    """Which reps a matching lead goes to and how one is chosen; rules are tried in order. These rows are live."""

    teams = models.ManyToManyField(Team, related_name="routing_rules", blank=True,
                                   help_text="Candidate reps. Empty: every rep.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class RuleCondition(ConditionBase):
    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="conditions")


class RelaxationBase(models.Model):
    """After a lead has waited this long, the rule stops applying one filter, so no lead waits forever."""

    after_seconds = models.PositiveIntegerField()
    drop = models.CharField(max_length=24, choices=RELAX_DROPS)

    class Meta:
        abstract = True
        ordering = ["after_seconds"]

    def __str__(self) -> str:
        return f"after {self.after_seconds}s: {self.get_drop_display()}"


class RuleRelaxation(RelaxationBase):
    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="relaxations")


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def with_payload(self) -> AssignmentQuerySet:
        """Joined with what a websocket payload of the assignment reads (events.assignment_payload)."""
        return self.select_related("lead__campaign", "rep__user")


class Assignment(models.Model):
    """One offer of a lead to a rep and what became of it."""

    class Status(models.TextChoices):
        OFFERED = "offered"
        ACCEPTED = "accepted"
        DECLINED = "declined"
        EXPIRED = "expired"
        REVOKED = "revoked"
        TAKEN_BACK = "taken_back", "Taken back"  # from this rep, who is not offered the lead again
        COMPLETED = "completed"

    OPEN_STATUSES = (Status.OFFERED, Status.ACCEPTED)
    # An assignment accepted the moment it is made (a manager's hand, a pool claim) still has an offer window,
    # one second long (expires_at must come after offered_at).
    ACCEPTED_AT_ONCE_SECONDS = 1

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="assignments")
    rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="assignments")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OFFERED)
    offered_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    seen_at = models.DateTimeField(null=True, blank=True, help_text="First shown in the rep's browser.")
    responded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False,
                                        help_text="When the unseen offer went on to email and chat.")
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False,
                                       help_text="When the rep was reminded to make the first contact.")
    sat_at = models.DateTimeField(null=True, blank=True, editable=False,
                                  help_text="Accepted and sat: the first-contact SLA was missed at this time.")
    closed_at = models.DateTimeField(null=True, blank=True, editable=False,
                                     help_text="When the offer or the rep's hold ended without their answer "
                                               "(expired, revoked, taken back).")
    decline_reason = models.CharField(max_length=200, blank=True)
    broadcast = models.BooleanField(default=False)
    claimed = models.BooleanField(default=False, help_text="The rep claimed the lead from the open pool.")
    explanation = models.JSONField(default=dict, blank=True, help_text="The routing decision and its reasons.")
    variant = models.ForeignKey("assignments.ExperimentVariant", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="assignments", help_text="The A/B experiment arm that routed it.")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", editable=False,
                                    help_text="The manager who gave the lead to this rep by hand (no offer then).")

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-offered_at"]
        indexes = [
            models.Index(fields=["rep", "status"], name="assignment_rep_status"),
            models.Index(fields=["status", "expires_at"], name="assignment_status_expires"),
            models.Index(fields=["lead", "offered_at"], name="assignment_lead_offered"),
            # Reports: the first time a lead was shown to any rep.
            models.Index(fields=["lead", "seen_at"], name="assignment_lead_seen"),
            models.Index(fields=["offered_at"], name="assignment_offered"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(status="accepted"),
                                    name="assignment_one_owner_per_lead"),
            models.UniqueConstraint(fields=["lead", "rep"], condition=Q(status="offered"),
                                    name="assignment_one_open_offer_per_rep"),
            models.CheckConstraint(condition=Q(expires_at__gt=F("offered_at")),
                                   name="assignment_expires_after_offer"),
        ]

    def __str__(self) -> str:
        return f"Lead {self.lead_id} -> {self.rep} ({self.status})"


class ContactAttempt(models.Model):
    """A call, email or SMS a rep made to a lead."""

    class Channel(models.TextChoices):
        CALL = "call"
        EMAIL = "email"
        SMS = "sms", "SMS"

    class Outcome(models.TextChoices):
        CONNECTED = "connected"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Left voicemail"
        BUSY = "busy"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        SENT = "sent", "Sent (email / SMS)"
        WON = "won"
        LOST = "lost"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="contacts")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="contacts")
    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="contacts")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    notes = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["lead", "at"], name="contact_lead_at")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_outcome_display()}"


class OutboxEvent(models.Model):
    """A websocket message written in the same transaction as the change it reports; pushed after commit."""

    created_at = models.DateTimeField(default=now, db_index=True)
    group = models.CharField(max_length=80, help_text="Channels group: rep.<id> or floor.")
    type = models.CharField(max_length=40)
    payload = models.JSONField()

    class Meta:
        ordering = ["id"]
        verbose_name = "outbox event"

    def __str__(self) -> str:
        return f"{self.type} -> {self.group}"


# Alerts sent away from the page (email, chat webhooks).
from assignments.models_alerts import AlertDelivery  # noqa: E402,F401
from assignments.models_delays import DelayCondition, DelayRule, LeadHold, LeadRecycle  # noqa: E402,F401

# The routing lab's tables live in their own module to keep this one small; its __all__ names them.
from assignments.models_lab import *  # noqa: E402,F403

# Personas: named segments that rules and buyer filters name instead of repeating conditions.
from assignments.models_personas import Persona, PersonaCondition  # noqa: E402,F401

# Routing's own queue: a request per lead to route, and the flag that keeps one drain queued.
from assignments.models_routing import RouteDrain, RouteRequest  # noqa: E402,F401

# Tiers: a rule's candidates as a ladder that widens while a lead waits.
from assignments.models_tiers import DraftTier, RuleTier, TierBase  # noqa: E402,F401

# Working a lead after the offer: notes, callbacks, stage moves, reason lists.
from assignments.models_work import (  # noqa: E402,F401
    Callback,
    FloorAlert,
    LeadNote,
    LeadStageChange,
    ReasonCode,
)
