"""Speed-to-lead (received -> first contact) split into system and human delay, and won rate by speed."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf, Trim

from assignments.models import Persona, Team
from campaigns.models import Campaign, Lead, Supplier
from reporting.queries import stats as st
from reporting.queries.scope import ReportParams, clock_for, leads_in_scope
from reporting.queries.sql import (
    Clock,
    Epoch,
    LocalEpoch,
    LocalHour,
    LocalWeekday,
    business_epoch_sql,
    seconds_between,
)

SPEED_GROUPS = ("campaign", "supplier", "rep", "team", "persona", "hour", "weekday")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WITHIN_MINUTES = (1, 5, 30)
# (key, label, upper bound in seconds, inclusive); a lead contacted at exactly 5:00 is "within 5 min".
SPEED_BUCKETS = (
    ("under_1_min", "≤ 1 min", 60),
    ("1_5_min", "1–5 min", 5 * 60),
    ("5_30_min", "5–30 min", 30 * 60),
    ("30_60_min", "30–60 min", 60 * 60),
    ("1_24_h", "1–24 h", 24 * 3600),
    ("over_24_h", "> 24 h", None),
    ("never", "never contacted", None),
)
UNASSIGNED = "(unassigned)"
NO_TEAM = "(no team)"
NO_PERSONA = "(no persona)"


def pct(part: int | float | None, whole: int | float | None) -> float | None:
    """part / whole as a percentage rounded to 2 decimals; None when whole is 0."""
    if not whole or part is None:
        return None
    return round(100.0 * part / whole, 2)


def secs(value: float | None) -> float | None:
    """Seconds rounded to the millisecond (SQLite's resolution), so both engines print the same number."""
    return None if value is None else round(float(value), 3)


def full_name_label(prefix: str) -> Coalesce:
    """ "First Last" of a user (through `prefix`), or the username when both are blank."""
    full = NullIf(Trim(Concat(f"{prefix}first_name", Value(" "), f"{prefix}last_name", output_field=CharField())),
                  Value(""))
    return Coalesce(full, f"{prefix}username", output_field=CharField())


# Groups are integer ids in the heavy query (cheap to sort and rank); names come from a small lookup after.
# A lead in several teams (through its owner) or personas is a row of each: the join repeats it once per group.
# Personas are those recorded when the lead was first scored (assignments.models_personas.LeadPersona).
GROUP_KEYS = {"campaign": "campaign_id", "supplier": "supplier_id", "rep": "owner_id", "team": "owner__rep__teams__id",
              "persona": "persona_memberships__persona_id"}


def group_key(group_by: str, clock: Clock):
    """The integer group expression of a speed-to-lead grouping."""
    if group_by in GROUP_KEYS:
        return F(GROUP_KEYS[group_by])
    if group_by == "hour":
        return LocalHour("received_at", clock=clock)
    if group_by == "weekday":
        return LocalWeekday("received_at", clock=clock)
    raise ValueError(f"unknown group_by {group_by!r}")


def group_names(group_by: str, ids: list[int | None]) -> dict[int | None, tuple[str, str]]:
    """id -> (key, label) for the groups found; NULL ids are leads with no owner / team / persona."""
    found = [i for i in ids if i is not None]
    names: dict[int | None, tuple[str, str]]
    if group_by == "campaign":
        names = {pk: (slug, name) for pk, slug, name in
                 Campaign.objects.filter(pk__in=found).values_list("pk", "slug", "name")}
    elif group_by == "supplier":
        names = {pk: (name, name) for pk, name in Supplier.objects.filter(pk__in=found).values_list("pk", "name")}
    elif group_by == "rep":
        names = {pk: (username, label) for pk, username, label in get_user_model().objects.filter(pk__in=found)
                 .annotate(label=full_name_label("")).values_list("pk", "username", "label")}
        names[None] = (UNASSIGNED, UNASSIGNED)
    elif group_by == "team":
        names = {pk: (name, name) for pk, name in Team.objects.filter(pk__in=found).values_list("pk", "name")}
        names[None] = (NO_TEAM, NO_TEAM)
    elif group_by == "persona":
        names = {pk: (slug, name) for pk, slug, name in
                 Persona.objects.filter(pk__in=found).values_list("pk", "slug", "name")}
        names[None] = (NO_PERSONA, NO_PERSONA)
    elif group_by == "hour":
        names = {h: (f"{h:02d}", f"{h:02d}:00–{h:02d}:59") for h in found}
    else:
        names = {d: (WEEKDAYS[d], WEEKDAY_NAMES[d]) for d in found}
    return names


# (metric, end timestamp, start timestamp): speed, then system delay and human delay step by step.
SPEED_STEPS = (
    ("speed", "first_contact_at", "received_at"),
    ("to_offer", "assigned_at", "received_at"),
    ("to_seen", "first_seen_at", "assigned_at"),
    ("to_accept", "accepted_at", "assigned_at"),
    ("to_contact", "first_contact_at", "accepted_at"),
)
# All columns of Lead (first_seen_at is kept by assignment_seen), so the report reads one table.
TIMESTAMPS = ("received_at", "assigned_at", "first_seen_at", "accepted_at", "first_contact_at")


def speed_source(*, leads: QuerySet[Lead], params: ReportParams, clock: Clock) -> tuple[QuerySet[Lead], dict]:
    """Leads with one epoch column per timestamp of their path (local clock in business hours), and the
    durations (seconds) between them as derived SQL for grouped_stats."""
    epoch = (lambda name: LocalEpoch(name, clock=clock)) if params.business_hours else Epoch
    source = leads.annotate(**{f"t_{name}": epoch(name) for name in TIMESTAMPS})
    q = connection.ops.quote_name

    def at(name: str) -> str:
        column = q(f"t_{name}")
        return business_epoch_sql(connection, column) if params.business_hours else column

    return source, {metric: f"({at(end)} - {at(start)})" for metric, end, start in SPEED_STEPS}


def speed_stats(source: QuerySet, derived: dict, stats: list) -> list[dict]:
    return st.grouped_stats(source=source, groups=["key"], stats=stats, derived=derived,
                            inputs=[f"t_{name}" for name in TIMESTAMPS])


SPEED_STATS = [
    st.count("contacted", "speed"),
    *[st.at_most(f"within_{m}", "speed", m * 60) for m in WITHIN_MINUTES],
    st.percentile("median", "speed", 0.5),
    st.percentile("p90", "speed", 0.9),
    st.percentile("median_to_offer", "to_offer", 0.5),
    st.percentile("median_to_seen", "to_seen", 0.5),
    st.percentile("median_to_accept", "to_accept", 0.5),
    st.percentile("median_to_contact", "to_contact", 0.5),
]


def _speed_row(key: str, label: str, stat: dict) -> dict:
    leads = stat["rows"]
    row = {
        "key": key,
        "label": label,
        "leads": leads,
        "contacted": stat["contacted"],
        "never_contacted_pct": pct(leads - stat["contacted"], leads),
        "median_seconds": secs(stat["median"]),
        "p90_seconds": secs(stat["p90"]),
    }
    for minutes in WITHIN_MINUTES:
        row[f"within_{minutes}_min_pct"] = pct(stat[f"within_{minutes}"], leads)
    row.update(
        median_received_to_offered_seconds=secs(stat["median_to_offer"]),
        median_offered_to_seen_seconds=secs(stat["median_to_seen"]),
        median_offered_to_accepted_seconds=secs(stat["median_to_accept"]),
        median_accepted_to_contact_seconds=secs(stat["median_to_contact"]),
    )
    return row


def speed_to_lead_rows(*, params: ReportParams) -> list[dict]:
    """One row per group (params.group_by) with counts, median/p90 speed, shares within 1/5/30 min and the
    medians of each step; ordered by key; empty range: []."""
    leads = leads_in_scope(params=params)
    clock = clock_for(params=params, leads=leads)
    source, derived = speed_source(leads=leads, params=params, clock=clock)
    stats = speed_stats(source.annotate(key=group_key(params.group_by, clock)), derived, SPEED_STATS)
    names = group_names(params.group_by, [stat["key"] for stat in stats])
    rows = [_speed_row(*names[stat["key"]], stat) for stat in stats]
    if params.group_by in ("hour", "weekday"):
        return rows  # already in clock order
    return sorted(rows, key=lambda row: row["key"])


def speed_to_lead_totals(*, params: ReportParams) -> dict | None:
    """The speed-to-lead row of every lead in scope together (key "all"); None when there are none."""
    leads = leads_in_scope(params=params)
    clock = clock_for(params=params, leads=leads)
    source, derived = speed_source(leads=leads, params=params, clock=clock)
    stats = speed_stats(source.annotate(key=Value(0)), derived, SPEED_STATS)
    return _speed_row("all", "All leads", stats[0]) if stats else None


def bucket_case(speed: str) -> str:
    """The SPEED_BUCKETS index of `speed` (SQL of seconds, repeated: pass a column), the last when NULL."""
    whens = " ".join(f"WHEN {speed} <= {limit} THEN {i}" for i, (_, _, limit) in enumerate(SPEED_BUCKETS)
                     if limit is not None)
    return f"CASE WHEN {speed} IS NULL THEN {len(SPEED_BUCKETS) - 1} {whens} ELSE {len(SPEED_BUCKETS) - 2} END"


def conversion_by_speed_rows(*, params: ReportParams) -> list[dict]:
    """Leads and won rate per response-speed bucket, every bucket listed; empty range: []."""
    leads = leads_in_scope(params=params)
    clock = clock_for(params=params, leads=leads)
    source = leads.annotate(
        speed=seconds_between("received_at", "first_contact_at", clock=clock, business_hours=params.business_hours),
        won=Case(When(outcome="won", then=Value(1)), default=Value(0), output_field=IntegerField()),
    )
    # The bucket in grouped_stats' derived layer reads the speed computed once per row, with no sub-select.
    bucket = bucket_case(connection.ops.quote_name("speed"))
    found = {row["bucket"]: row for row in st.grouped_stats(source=source, groups=["bucket"], inputs=["speed"],
                                                            derived={"bucket": bucket},
                                                            stats=[st.total("won", "won")])}
    if not found:
        return []
    out = []
    for i, (key, label, _) in enumerate(SPEED_BUCKETS):
        row = found.get(i, {"rows": 0, "won": 0})
        out.append({"key": key, "label": label, "leads": row["rows"], "won": row["won"],
                    "won_rate_pct": pct(row["won"], row["rows"])})
    return out
