"""Reads for the live pages and the outbox relay: the floor right now, and outbox rows to push."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import F, Min, Q, QuerySet
from django.utils.timezone import now as tz_now

from assignments.models import (
    Assignment,
    AssignmentQuerySet,
    FloorAlert,
    LeadHold,
    OutboxEvent,
    Rep,
    RoutingRule,
)
from assignments.routing import match_rule
from assignments.routing.facts import FIELDS_PREFIX, LeadFacts
from assignments.selectors import reps_with_leads_today, rule_specs_active
from assignments.selectors_work import callbacks_to_notify
from campaigns.models import Campaign, Lead

FLOOR_RECENT_ASSIGNMENTS = 100
FLOOR_WAITING_LEADS = 200


def first_contact_awaited() -> AssignmentQuerySet:
    """Accepted assignments under a rule with a first-contact SLA whose lead nobody has contacted yet, oldest
    acceptance first: what the floor clock reminds about and takes back."""
    return (Assignment.objects.filter(status=Assignment.Status.ACCEPTED, sat_at__isnull=True,
                                      responded_at__isnull=False, lead__first_contact_at__isnull=True,
                                      rule__first_contact_seconds__isnull=False)
            .order_by("responded_at"))


def second_pass_due(*, now: dt.datetime) -> dt.datetime | None:
    """When the floor clock's second pass (services.floor_second_pass) can next find work if nothing is written
    meanwhile: `now` while an offer is open or a lead awaits its first contact (their expiry, escalation, reminder
    and take-back follow per-rule and per-team timings, so such a floor is looked at every second); else the
    earliest due callback or timed hold; None when nothing is timed. Three queries."""
    if (Assignment.objects.filter(status=Assignment.Status.OFFERED).exists()
            or first_contact_awaited().exists()):
        return now
    callback = callbacks_to_notify().aggregate(at=Min("due_at"))["at"]
    hold = LeadHold.objects.filter(released_at__isnull=True, until__isnull=False).aggregate(at=Min("until"))["at"]
    return min((at for at in (callback, hold) if at is not None), default=None)


def floor_assignments(*, recent: int = FLOOR_RECENT_ASSIGNMENTS) -> list[Assignment]:
    """Every open assignment plus the most recent others, newest first (one query)."""
    latest = Assignment.objects.order_by("-offered_at", "-pk").values("pk")[:recent]
    rows = (Assignment.objects.with_payload().filter(Q(status__in=Assignment.OPEN_STATUSES) | Q(pk__in=latest))
            .order_by("-offered_at", "-pk"))
    return list(rows)


def leads_waiting(*, limit: int = FLOOR_WAITING_LEADS) -> tuple[int, list[Lead]]:
    """How many leads wait for a rep, and the oldest of them (by received_at)."""
    waiting = Lead.objects.filter(status=Lead.Status.WAITING)
    return waiting.count(), list(waiting.select_related("campaign").order_by("received_at")[:limit])


def reps_on_floor() -> list[Rep]:
    """Active reps with their user and today's new leads, by username."""
    return list(reps_with_leads_today(Rep.objects.filter(active=True).select_related("user"))
                .order_by("user__username"))


def rep_for_user(*, user_id: int) -> Rep | None:
    """The rep of this user, with the user loaded, or None."""
    return Rep.objects.select_related("user").filter(user_id=user_id).first()


def rep_with_user(*, rep_id: int) -> Rep:
    """The rep with its user loaded."""
    return Rep.objects.select_related("user").get(pk=rep_id)


def outbox_max_id() -> int:
    """The newest outbox row id (0 when empty): where a starting relay begins."""
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def outbox_rows(*, after_id: int, also_ids: list[int] | tuple[int, ...] = (), limit: int = 500) -> list[tuple]:
    """Outbox rows (id, group, payload) with id > after_id or among also_ids (late commits), oldest first."""
    rows = list(OutboxEvent.objects.filter(id__gt=after_id).order_by("id")
                .values_list("id", "group", "payload")[:limit])
    if also_ids:
        rows += OutboxEvent.objects.filter(id__in=list(also_ids), id__lte=after_id).values_list(
            "id", "group", "payload")
        rows.sort(key=lambda row: row[0])
    return rows


# --- The board's waiting list: filtered, sorted by age, one page at a time -----------------------------------------

WAITING_PAGE_SIZE = 50
NO_RULE = "none"
SORTS = ("oldest", "newest")


@dataclass(frozen=True)
class WaitingFilter:
    """What the manager asked the waiting list for (the board's GET parameters, already checked).

    `campaign` is a campaign slug or ""; `rule` a routing rule id as text, NO_RULE (leads no active rule matches)
    or ""; `sort` "oldest" or "newest" first; `page` from 1."""

    campaign: str = ""
    rule: str = ""
    sort: str = "oldest"
    page: int = 1

    @property
    def active(self) -> bool:
        """True when the list shows only some of the waiting leads."""
        return bool(self.campaign or self.rule)

    def query(self, *, page: int | None = None) -> str:
        """These filters (and this page) as a query string for links, without empty or default values."""
        params = {"campaign": self.campaign, "rule": self.rule,
                  "sort": self.sort if self.sort != "oldest" else "", "page": page if page and page > 1 else ""}
        return urlencode({key: value for key, value in params.items() if value})


@dataclass(frozen=True)
class WaitingWindow:
    """One page of the waiting list: `leads` (campaign loaded), `matching` leads of `total` waiting in all."""

    filter: WaitingFilter
    leads: list[Lead]
    total: int
    matching: int
    page: int
    pages: int
    per_page: int

    @property
    def first(self) -> int:
        """The 1-based position of the first lead shown (0 when none)."""
        return (self.page - 1) * self.per_page + 1 if self.leads else 0

    @property
    def last(self) -> int:
        """The 1-based position of the last lead shown (0 when none)."""
        return self.first + len(self.leads) - 1 if self.leads else 0

    @property
    def previous_query(self) -> str | None:
        """The query string of the page before, or None on the first page."""
        return self.filter.query(page=self.page - 1) if self.page > 1 else None

    @property
    def next_query(self) -> str | None:
        """The query string of the page after, or None on the last page."""
        return self.filter.query(page=self.page + 1) if self.page < self.pages else None


def waiting_filter_from(*, params: Mapping[str, str]) -> WaitingFilter:
    """The waiting list's filter from the board's GET parameters; a value that makes no sense is dropped (the
    whole list, oldest first, page 1), never an error: the board always renders."""
    campaign = str(params.get("campaign", "")).strip()[:100]
    rule = str(params.get("rule", "")).strip()
    if rule != NO_RULE and not (rule.isdigit() and len(rule) <= 18):
        rule = ""
    sort = str(params.get("sort", "")).strip()
    page_text = str(params.get("page", "")).strip()
    page = int(page_text) if page_text.isdigit() and len(page_text) <= 9 else 1
    return WaitingFilter(campaign=campaign, rule=rule, sort=sort if sort in SORTS else "oldest", page=max(1, page))


def waiting_window(*, filter: WaitingFilter, per_page: int = WAITING_PAGE_SIZE,
                   now: dt.datetime | None = None) -> WaitingWindow:
    """One page of the leads waiting for a rep, by this filter, in a fixed number of queries whatever the count.

    A page past the end shows the last page. The rule filter keeps the leads whose first matching active rule is
    that rule now (the routing engine's own match, as wait_limits reads it): it reads every waiting lead's routing
    facts (one query), and only the page's leads in full."""
    waiting = Lead.objects.filter(status=Lead.Status.WAITING)
    total = waiting.count()
    if filter.campaign:
        waiting = waiting.filter(campaign__slug=filter.campaign)
    order = ("received_at", "pk") if filter.sort == "oldest" else ("-received_at", "-pk")
    if filter.rule:
        ids = _waiting_ids_matching_rule(leads=waiting.order_by(*order), rule=filter.rule, now=now or tz_now())
        matching = len(ids)
    else:
        matching = waiting.count() if filter.campaign else total
    pages = max(1, -(-matching // per_page))
    page = min(filter.page, pages)
    start = (page - 1) * per_page
    if filter.rule:
        page_ids = ids[start:start + per_page]
        by_id = Lead.objects.select_related("campaign").in_bulk(page_ids)
        leads = [by_id[pk] for pk in page_ids if pk in by_id]
    else:
        leads = list(waiting.select_related("campaign").order_by(*order)[start:start + per_page])
    return WaitingWindow(filter=filter, leads=leads, total=total, matching=matching, page=page, pages=pages,
                         per_page=per_page)


def _waiting_ids_matching_rule(*, leads: QuerySet[Lead], rule: str, now: dt.datetime) -> list[int]:
    """The ids of these leads (in their order) whose first matching active rule is `rule` (an id, or NO_RULE)."""
    specs = rule_specs_active()
    wanted = None if rule == NO_RULE else int(rule)
    # Decoding every lead's extra answers is most of the cost: read them only if a rule looks at them.
    reads_fields = any(c.field.startswith(FIELDS_PREFIX) for spec in specs for c in spec.conditions)
    rows = leads.values_list("pk", "campaign__slug", "supplier__name", "country", "region", "postal_code",
                             "language", "skill", "score", "fields" if reads_fields else "pk")
    ids = []
    for pk, campaign, supplier, country, region, postal_code, language, skill, score, fields in rows:
        facts = LeadFacts(id=pk, campaign=campaign, supplier=supplier, country=country, region=region,
                          postal_code=postal_code, language=language, skill=skill,
                          fields=fields if isinstance(fields, dict) else {}, score=score, waiting_since=now)
        matched = match_rule(lead=facts, rules=specs)
        if (matched.id if matched is not None else None) == wanted:
            ids.append(pk)
    return ids


def waiting_filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The board's filter choices: campaigns (slug, name) and active routing rules (id, name), by name and order."""
    return {
        "campaigns": list(Campaign.objects.order_by("name").values_list("slug", "name")),
        "rules": [(str(pk), name) for pk, name in RoutingRule.objects.filter(active=True)
                  .order_by("order", "pk").values_list("pk", "name")],
    }


# --- Alerts ------------------------------------------------------------------------------------------------------

FLOOR_ALERTS_SHOWN = 30
FLOOR_ALERTS_WITHIN = dt.timedelta(hours=24)


def floor_alerts_open(*, limit: int = FLOOR_ALERTS_SHOWN, within: dt.timedelta = FLOOR_ALERTS_WITHIN,
                      now: dt.datetime | None = None) -> list[FloorAlert]:
    """The last day's alerts still worth acting on, newest first, with their lead and rep's user loaded (one query).

    An alert has no "resolved" flag, so it is resolved when what it alerted on is over: a lead waiting too long
    that no longer waits, an accepted-and-sat lead that has since been contacted or has left its owner. A rep's
    streak of expired offers stays until it is older than `within`."""
    since = (now or tz_now()) - within
    resolved = (
        Q(kind=FloorAlert.Kind.WAITING_TOO_LONG) & ~Q(lead__status=Lead.Status.WAITING)
    ) | (
        Q(kind=FloorAlert.Kind.ACCEPTED_AND_SAT)
        & (Q(lead__first_contact_at__isnull=False) | Q(lead__owner__isnull=True)
           | Q(lead__status__in=[Lead.Status.WON, Lead.Status.LOST, Lead.Status.SOLD]))
    )
    return list(FloorAlert.objects.filter(at__gte=since).exclude(resolved)
                .select_related("lead", "rep__user").order_by("-at", "-pk")[:limit])


def reps_assignable() -> list[tuple[str, str]]:
    """Active reps a manager may give a lead to, as (username, "username (status)"), by username (one query)."""
    rows = (Rep.objects.filter(active=True, user__is_active=True).order_by("user__username")
            .values_list("user__username", "status"))
    return [(username, f"{username} ({status})") for username, status in rows]


def delayed_holds(*, limit: int) -> list[LeadHold]:
    """The open holds of delay rules, soonest release first (holds waiting for answers last), with their lead."""
    return list(LeadHold.objects.filter(released_at__isnull=True).select_related("lead__campaign")
                .order_by(F("until").asc(nulls_last=True), "pk")[:limit])
