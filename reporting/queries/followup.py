"""Follow-up: what reps do after the first contact attempt, by lead owner, campaign or persona, and won rate by
attempts.

The leads are the leads in scope (received in the range, of the campaign / supplier, owned by a rep of the
team); their attempts are every ContactAttempt of those leads (whoever made it), in the order of `at` (then
id). A lead in several personas counts once in each persona's row; leads in none make the "(no persona)" row.
Definitions, per group:

- contacted: leads with at least one attempt; attempts per lead: attempts / contacted leads.
- followed up: contacted leads with a second attempt; median first -> second attempt: seconds between the
  lead's first and second attempt (business time with business_hours), over the followed-up leads.
- given up after one attempt: contacted leads with exactly one attempt, not won, whose attempt is at least
  GIVE_UP_AFTER (24 h) old at report time (a fresh lead may still get its second attempt); the percentage is
  of the contacted leads.
- connected: leads with an attempt whose outcome is connected or won; attempts to connect: the number of
  that first connecting attempt (1 = reached at the first attempt), median over the connected leads.
- won: Lead.outcome == "won"; won rate by attempts: won leads of the leads with 1, 2, 3, 4, 5+ attempts.

Everything is one query per table: attempts are numbered with ROW_NUMBER() over each lead, reduced to one
row per lead, joined to the leads in scope, and grouped (with percentiles) by reporting.queries.stats.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import DateTimeField, Expression, F, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.db.models.sql import Query
from django.utils.timezone import now as tz_now

from assignments.models import ContactAttempt
from reporting.queries import stats as st
from reporting.queries.scope import ReportParams, clock_for, leads_in_scope
from reporting.queries.speed import group_names, pct, secs
from reporting.queries.sql import BusinessEpoch, Clock, Epoch

FOLLOWUP_GROUPS = ("rep", "campaign", "persona")
GIVE_UP_AFTER = dt.timedelta(days=1)
CONNECTED = (ContactAttempt.Outcome.CONNECTED, ContactAttempt.Outcome.WON)
WON = "won"
# (key, label, attempts): the last bucket holds that many attempts or more.
ATTEMPT_BUCKETS = (
    ("none", "No attempt", 0),
    ("1", "1 attempt", 1),
    ("2", "2 attempts", 2),
    ("3", "3 attempts", 3),
    ("4", "4 attempts", 4),
    ("5_plus", "5+ attempts", 5),
)
MAX_BUCKET = ATTEMPT_BUCKETS[-1][2]
# The won-rate columns of the rep / campaign tables: one per bucket with at least one attempt.
WON_RATE_BUCKETS = ATTEMPT_BUCKETS[1:]
# Through the personas recorded when the lead was first scored: one row per (lead, persona), NULL for none.
GROUP_COLUMNS = {"rep": "owner_id", "campaign": "campaign_id", "persona": "persona_memberships__persona_id"}


def _compile(expression: Expression) -> tuple[str, list]:
    compiler = Query(None).get_compiler(connection=connection)
    sql, params = compiler.compile(expression)
    return sql, list(params)


def _epoch(column_sql: str, *, clock: Clock | None = None) -> tuple[str, list]:
    """Epoch seconds of a timestamp column (given as SQL); business seconds (since the business epoch) with a
    clock."""
    column = RawSQL(column_sql, (), output_field=DateTimeField())
    return _compile(BusinessEpoch(column, clock=clock) if clock else Epoch(column))


def per_lead_sql(*, params: ReportParams, group_by: str, now: dt.datetime) -> tuple[str, tuple]:
    """One row per lead in scope (by persona: per lead and persona): key (the group id), attempts (0 without any),
    gap (first -> second attempt, seconds), connect_k (the number of its first connected/won attempt), won and
    given_up (0/1)."""
    if group_by not in GROUP_COLUMNS:
        raise ValueError(f"unknown group_by {group_by!r}")
    q = connection.ops.quote_name
    leads = leads_in_scope(params=params)
    clock = clock_for(params=params, leads=leads) if params.business_hours else None
    lead_sql, lead_params = leads.values("id", "outcome", key=F(GROUP_COLUMNS[group_by])).query.sql_with_params()
    numbered = (ContactAttempt.objects.filter(lead_id__in=leads.values("pk")).order_by()
                .annotate(k=Window(RowNumber(), partition_by=[F("lead_id")], order_by=[F("at").asc(), F("pk").asc()]))
                .values("lead_id", "at", "outcome", "k"))
    contacts_sql, contacts_params = numbered.query.sql_with_params()
    second, second_params = _epoch(f'p.{q("second_at")}', clock=clock)
    first, first_params = _epoch(f'p.{q("first_at")}', clock=clock)
    first_real, first_real_params = _epoch(f'p.{q("first_at")}')
    attempts, k, at = q("attempts"), q("k"), q("at")
    sql = (
        f"SELECT l.{q('key')} AS {q('key')}, COALESCE(p.{attempts}, 0) AS {attempts}, "
        f"({second} - {first}) AS {q('gap')}, p.{q('connect_k')} AS {q('connect_k')}, "
        f"CASE WHEN l.{q('outcome')} = %s THEN 1 ELSE 0 END AS {q('won')}, "
        f"CASE WHEN p.{attempts} = 1 AND l.{q('outcome')} <> %s AND {first_real} <= %s THEN 1 ELSE 0 END "
        f"AS {q('given_up')} "
        f"FROM ({lead_sql}) AS l LEFT JOIN ("
        f"SELECT {q('lead_id')}, COUNT(*) AS {attempts}, MAX(CASE WHEN {k} = 1 THEN {at} END) AS {q('first_at')}, "
        f"MAX(CASE WHEN {k} = 2 THEN {at} END) AS {q('second_at')}, "
        f"MIN(CASE WHEN {q('outcome')} IN ({', '.join(['%s'] * len(CONNECTED))}) THEN {k} END) "
        f"AS {q('connect_k')} FROM ({contacts_sql}) AS w GROUP BY {q('lead_id')}"
        f") AS p ON p.{q('lead_id')} = l.{q('id')}"
    )
    cutoff = (now - GIVE_UP_AFTER).timestamp()
    sql_params = (*second_params, *first_params, WON, WON, *first_real_params, cutoff, *lead_params,
                  *(str(outcome) for outcome in CONNECTED), *contacts_params)
    return sql, sql_params


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _bucket_condition(attempts: int) -> str:
    column = connection.ops.quote_name("attempts")
    return f"{column} >= {attempts}" if attempts == MAX_BUCKET else f"{column} = {attempts}"


GROUP_STATS = [
    st.total("contacted", "contacted"), st.total("attempts", "attempts"), st.total("followed_up", "followed_up"),
    st.percentile("median_gap", "gap", 0.5), st.total("given_up", "given_up"),
    st.count("connected", "connect_k"), st.percentile("median_connect", "connect_k", 0.5),
    *[stat for key, _, _ in WON_RATE_BUCKETS for stat in (st.total(f"leads_{key}", f"leads_{key}"),
                                                             st.total(f"won_{key}", f"won_{key}"))],
]


def _group_derived() -> dict[str, str]:
    q = connection.ops.quote_name
    derived = {"contacted": _flag(f"{q('attempts')} > 0"), "followed_up": _flag(f"{q('attempts')} > 1")}
    for key, _, attempts in WON_RATE_BUCKETS:
        derived[f"leads_{key}"] = _flag(_bucket_condition(attempts))
        derived[f"won_{key}"] = f"CASE WHEN {_bucket_condition(attempts)} THEN {q('won')} ELSE 0 END"
    return derived


def _number(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _group_row(key: str, label: str, stat: dict) -> dict:
    contacted = stat["contacted"]
    row = {
        "key": key, "label": label, "leads": stat["rows"], "contacted": contacted,
        # int(): PostgreSQL sums a bigint count as numeric.
        "attempts_per_lead": round(int(stat["attempts"]) / contacted, 2) if contacted else None,
        "followed_up": stat["followed_up"], "median_first_to_second_seconds": secs(stat["median_gap"]),
        "given_up_after_one": stat["given_up"], "given_up_after_one_pct": pct(stat["given_up"], contacted),
        "connected": stat["connected"], "median_attempts_to_connect": _number(stat["median_connect"]),
    }
    for key_, _, _ in WON_RATE_BUCKETS:
        row[f"won_rate_{key_}_pct"] = pct(stat[f"won_{key_}"], stat[f"leads_{key_}"])
    return row


def followup_rows(*, params: ReportParams, group_by: str, now: dt.datetime | None = None) -> list[dict]:
    """One row per lead owner ("rep"), campaign or persona with leads in scope; ordered by key; empty range: []."""
    inner, sql_params = per_lead_sql(params=params, group_by=group_by, now=now or tz_now())
    stats = st.grouped_stats_sql(inner=inner, params=sql_params, groups=["key"], stats=GROUP_STATS,
                                 derived=_group_derived())
    names = group_names(group_by, [stat["key"] for stat in stats])
    return sorted((_group_row(*names[stat["key"]], stat) for stat in stats), key=lambda row: row["key"])


def followup_rep_rows(*, params: ReportParams, now: dt.datetime | None = None) -> list[dict]:
    """Follow-up per lead owner (key: username, "(unassigned)" for leads nobody owns)."""
    return followup_rows(params=params, group_by="rep", now=now)


def followup_campaign_rows(*, params: ReportParams, now: dt.datetime | None = None) -> list[dict]:
    """Follow-up per campaign (key: slug)."""
    return followup_rows(params=params, group_by="campaign", now=now)


def followup_persona_rows(*, params: ReportParams, now: dt.datetime | None = None) -> list[dict]:
    """Follow-up per persona the leads were in when first scored (key: slug, "(no persona)" for leads in none)."""
    return followup_rows(params=params, group_by="persona", now=now)


def won_by_attempts_rows(*, params: ReportParams) -> list[dict]:
    """Leads, their share and won rate per number of attempts (none, 1, 2, 3, 4, 5+), every bucket listed;
    empty range: []."""
    inner, sql_params = per_lead_sql(params=params, group_by="campaign", now=tz_now())
    attempts = connection.ops.quote_name("attempts")
    bucket = f"CASE WHEN {attempts} >= {MAX_BUCKET} THEN {MAX_BUCKET} ELSE {attempts} END"
    found = {row["bucket"]: row for row in st.grouped_stats_sql(inner=inner, params=sql_params, groups=["bucket"],
                                                                derived={"bucket": bucket},
                                                                stats=[st.total("won", "won")])}
    if not found:
        return []
    total = sum(row["rows"] for row in found.values())
    out = []
    for key, label, n in ATTEMPT_BUCKETS:
        row = found.get(n, {"rows": 0, "won": 0})
        out.append({"key": key, "label": label, "leads": row["rows"], "leads_pct": pct(row["rows"], total),
                    "won": row["won"], "won_rate_pct": pct(row["won"], row["rows"])})
    return out
