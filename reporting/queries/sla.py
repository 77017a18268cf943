"""SLA: offers nobody took in time, and leads that waited longer than their rule allows before a first offer.

A lead's rule is the rule of its first offer. A lead not offered yet (status new or waiting; held leads wait
for their campaign on purpose) is matched against the active rules by the routing engine, oldest first and at
most UNOFFERED_LIMIT of them (the waiting queue is short; the rest are counted under "(not matched)"); with no
matching rule it is judged against the model's default max_wait_seconds. By team: an expired offer counts
for every team of its rep, a late lead for every team of its rule ("(all reps)" for a rule with no teams).
Waiting is real time (business hours do not apply: max_wait_seconds is wall-clock).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.timezone import now as tz_now

from assignments.models import Assignment, RoutingRule
from assignments.selectors import wait_limits
from campaigns.models import Lead
from reporting.queries import stats as st
from reporting.queries.scope import ReportParams, assignments_in_scope, leads_in_scope
from reporting.queries.speed import pct, secs
from reporting.queries.sql import seconds_between

UNOFFERED_LIMIT = 2000
NO_RULE = "(no rule)"
NOT_MATCHED = "(not matched)"
ALL_REPS = "(all reps)"
NO_TEAM = "(no team)"
SLA_GROUPS = ("rule", "team")


def default_max_wait() -> int:
    return RoutingRule._meta.get_field("max_wait_seconds").default


def _first_rule() -> Subquery:
    # Offers made at the same instant are one broadcast under one rule, so offered_at alone orders them.
    first = Assignment.objects.filter(lead=OuterRef("pk")).order_by("offered_at")
    return Subquery(first.values("rule_id")[:1], output_field=IntegerField())


def _offered_by_rule(*, params: ReportParams, rules: dict[int, RoutingRule]) -> dict[int | None, dict]:
    q = connection.ops.quote_name
    limits = " ".join(f"WHEN {int(pk)} THEN {int(rule.max_wait_seconds)}" for pk, rule in rules.items())
    limit = f"CASE {q('rule_id')} {limits} ELSE {int(default_max_wait())} END" if limits else str(default_max_wait())
    source = (leads_in_scope(params=params).filter(assigned_at__isnull=False)
              .annotate(rule_id=_first_rule(), wait=seconds_between("received_at", "assigned_at")))
    stats = st.grouped_stats(
        source=source, groups=["rule_id"], inputs=["wait"],
        derived={"late": f"CASE WHEN {q('wait')} > {limit} THEN 1 ELSE 0 END"},
        stats=[st.total("late", "late"), st.percentile("median_wait", "wait", 0.5),
               st.percentile("p90_wait", "wait", 0.9)],
    )
    return {row["rule_id"]: row for row in stats}


def _unoffered_by_rule(*, params: ReportParams, at) -> dict[int | str, dict]:
    """Leads in scope never offered: per matched rule id (or NO_RULE / NOT_MATCHED), waiting and late counts."""
    pending = (leads_in_scope(params=params).filter(assigned_at__isnull=True,
                                                    status__in=[Lead.Status.NEW, Lead.Status.WAITING])
               .order_by("received_at"))
    limits = wait_limits()
    out: dict[int | str, dict] = {}
    leads = pending.select_related("campaign", "supplier")[:UNOFFERED_LIMIT]
    seen = 0
    for lead in leads:
        seen += 1
        rule_id, max_wait = limits.for_lead(lead=lead, now=at)
        key = rule_id if rule_id is not None else NO_RULE
        bucket = out.setdefault(key, {"waiting": 0, "late": 0})
        bucket["waiting"] += 1
        bucket["late"] += (at - lead.received_at).total_seconds() > max_wait
    if seen == UNOFFERED_LIMIT:
        rest = pending.count() - UNOFFERED_LIMIT
        if rest > 0:
            # Not matched, so judged against nothing: reported as waiting, lateness unknown.
            out[NOT_MATCHED] = {"waiting": rest, "late": 0}
    return out


def _expired_by(*, params: ReportParams, group: str) -> dict:
    """Offers, expired offers and accepted-and-sat offers (first-contact SLA missed) per rule id, or per team."""
    key = F("rule_id") if group == "rule" else Coalesce("rep__teams__name", Value(NO_TEAM))
    offers = (assignments_in_scope(params=params).values(k=key)
              .annotate(offers=Count("pk"), expired=Count("pk", filter=Q(status=Assignment.Status.EXPIRED)),
                        sat=Count("pk", filter=Q(sat_at__isnull=False))))
    return {row["k"]: row for row in offers}


def _blank(key: str, label: str) -> dict:
    return {"key": key, "label": label, "offers": 0, "expired_offers": 0, "expired_pct": None,
            "leads_offered": 0, "late_first_offers": 0, "waiting_now": 0, "waiting_late": 0, "late_leads": 0,
            "late_pct": None, "accepted_and_sat": 0}


def _finish(row: dict) -> dict:
    row["late_leads"] = row["late_first_offers"] + row["waiting_late"]
    row["expired_pct"] = pct(row["expired_offers"], row["offers"])
    row["late_pct"] = pct(row["late_leads"], row["leads_offered"] + row["waiting_now"])
    return row


def sla_rows(*, params: ReportParams) -> list[dict]:
    """Per rule (params.group_by "rule", default) or team ("team"): offers and expired offers, leads first
    offered and how many waited past max_wait_seconds, leads still waiting and how many are already late."""
    at = tz_now()
    rules = {rule.pk: rule for rule in RoutingRule.objects.prefetch_related("teams")}
    offered = _offered_by_rule(params=params, rules=rules)
    unoffered = _unoffered_by_rule(params=params, at=at)
    if params.group_by == "team":
        return _by_team(params=params, rules=rules, offered=offered, unoffered=unoffered)
    expired = _expired_by(params=params, group="rule")
    out = []
    for rule_id in sorted(set(offered) | set(unoffered) | set(expired), key=_rule_order(rules)):
        rule = rules.get(rule_id) if isinstance(rule_id, int) else None  # None and str keys are no-rule buckets
        label = rule.name if rule else (rule_id if isinstance(rule_id, str) else NO_RULE)
        row = _blank(str(rule_id) if rule else label, label)
        row.update(max_wait_seconds=rule.max_wait_seconds if rule else None,
                   offer_timeout_seconds=rule.offer_timeout_seconds if rule else None)
        if rule_id in expired:
            row.update(offers=expired[rule_id]["offers"], expired_offers=expired[rule_id]["expired"],
                       accepted_and_sat=expired[rule_id]["sat"])
        if rule_id in offered:
            stat = offered[rule_id]
            row.update(leads_offered=stat["rows"], late_first_offers=stat["late"],
                       median_wait_seconds=secs(stat["median_wait"]), p90_wait_seconds=secs(stat["p90_wait"]))
        if rule_id in unoffered:
            row.update(waiting_now=unoffered[rule_id]["waiting"], waiting_late=unoffered[rule_id]["late"])
        row.setdefault("median_wait_seconds", None)
        row.setdefault("p90_wait_seconds", None)
        out.append(_finish(row))
    return out


def _rule_order(rules: dict[int, RoutingRule]):
    def order(rule_id):
        rule = rules.get(rule_id)
        return (0, rule.order, rule.pk, "") if rule else (1, 0, 0, str(rule_id))
    return order


def _rule_teams(rule: RoutingRule | None) -> list[str]:
    if rule is None:
        return [NO_TEAM]
    return [team.name for team in rule.teams.all()] or [ALL_REPS]


def _by_team(*, params, rules, offered, unoffered) -> list[dict]:
    rows: dict[str, dict] = {}

    def row_for(team: str) -> dict:
        return rows.setdefault(team, _blank(team, team))

    for team, stat in _expired_by(params=params, group="team").items():
        row_for(team).update(offers=stat["offers"], expired_offers=stat["expired"], accepted_and_sat=stat["sat"])
    for rule_id, stat in offered.items():
        for team in _rule_teams(rules.get(rule_id)):
            row = row_for(team)
            row["leads_offered"] += stat["rows"]
            row["late_first_offers"] += stat["late"]
    for rule_id, stat in unoffered.items():
        for team in _rule_teams(rules.get(rule_id) if isinstance(rule_id, int) else None):
            row = row_for(team)
            row["waiting_now"] += stat["waiting"]
            row["waiting_late"] += stat["late"]
    return [_finish(rows[team]) for team in sorted(rows)]
