"""Reps: what they were offered and did with it, how fast, what they won, and whether routing was fair.

Offers are Assignment rows of the leads in scope (received in the range); "accepted" counts offers accepted
(including ones later completed). Fairness compares, per routing rule, each rep's share of the rule's offers
with the share the rule's strategy intends among the rule's current eligible members (active reps of its
teams, or every active rep when it has none): an equal share for round robin, least busy and broadcast,
weight / total weight for weighted, none for the performance-based strategies (they favour the best on
purpose).

Declines by reason: Assignment.decline_reason holds a decline reason code (ReasonCode of kind "decline",
shown by its label, active or not) or, from before the reason lists, free text (trimmed, grouped case- and
space-insensitively, shown as the most frequent spelling); a blank reason is "(no reason given)".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, Value, When

from assignments.models import Assignment, ReasonCode, Rep, RoutingRule
from assignments.routing.facts import Strategy
from reporting.queries import stats as st
from reporting.queries.scope import ReportParams, assignments_in_scope, leads_in_scope
from reporting.queries.speed import full_name_label, pct, secs
from reporting.queries.sql import seconds_between

EQUAL_SHARE = {Strategy.ROUND_ROBIN, Strategy.LEAST_BUSY, Strategy.BROADCAST}
ACCEPTED = (Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED)
NO_REASON = "(no reason given)"


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def rep_rows(*, params: ReportParams) -> list[dict]:
    """One row per rep offered a lead in scope: offers by outcome, acceptance rate, median response
    (offered -> responded, accepted offers; real time), leads won, current load / capacity, and leads claimed
    from the open pool with the median time they spent there (pooled -> claimed)."""
    source = assignments_in_scope(params=params).annotate(
        key=F("rep_id"),
        accepted=_flag(Q(status__in=ACCEPTED)), declined=_flag(Q(status=Assignment.Status.DECLINED)),
        expired=_flag(Q(status=Assignment.Status.EXPIRED)), revoked=_flag(Q(status=Assignment.Status.REVOKED)),
        open=_flag(Q(status=Assignment.Status.OFFERED)), from_pool=_flag(Q(claimed=True)),
        response=Case(When(status__in=ACCEPTED, then=seconds_between("offered_at", "responded_at"))),
        pool_wait=Case(When(claimed=True, then=seconds_between("lead__pooled_at", "offered_at"))),
    )
    offers = st.grouped_stats(source=source, groups=["key"], stats=[
        st.total("accepted", "accepted"), st.total("declined", "declined"), st.total("expired", "expired"),
        st.total("revoked", "revoked"), st.total("open", "open"), st.percentile("median_response", "response", 0.5),
        st.total("claimed", "from_pool"), st.percentile("median_pool_wait", "pool_wait", 0.5),
    ])
    if not offers:
        return []
    reps = {pk: rest for pk, *rest in Rep.objects.filter(pk__in=[row["key"] for row in offers])
            .annotate(label=full_name_label("user__"))
            .values_list("pk", "user_id", "user__username", "label", "load", "capacity")}
    won = dict(leads_in_scope(params=params).filter(owner_id__in=[user_id for user_id, *_ in reps.values()],
                                                    outcome="won")
               .values("owner_id").annotate(n=Count("pk")).values_list("owner_id", "n"))
    out = []
    for row in offers:
        user_id, username, label, load, capacity = reps[row["key"]]
        out.append({
            "key": username, "label": label, "offered": row["rows"], "accepted": row["accepted"],
            "declined": row["declined"], "expired": row["expired"], "revoked": row["revoked"], "open": row["open"],
            "acceptance_rate_pct": pct(row["accepted"], row["rows"]),
            "median_response_seconds": secs(row["median_response"]),
            "won": won.get(user_id, 0), "load": load, "capacity": capacity, "load_pct": pct(load, capacity),
            "claimed": row["claimed"], "median_pool_wait_seconds": secs(row["median_pool_wait"]),
        })
    return sorted(out, key=lambda row: row["key"])


def _declines(*, params: ReportParams) -> dict[int, list[dict]]:
    """rep id -> its declines per reason, most first (ties by reason): {"reason", "code", "declines"}.
    One GROUP BY query over the offers, and the reason list."""
    counts = (assignments_in_scope(params=params).filter(status=Assignment.Status.DECLINED)
              .values("rep_id", "decline_reason").annotate(n=Count("pk")).values_list("rep_id", "decline_reason", "n"))
    labels = dict(ReasonCode.objects.filter(kind=ReasonCode.Kind.DECLINE).values_list("code", "label"))
    merged: dict[int, dict[tuple[str, str], dict]] = {}
    spellings: dict[tuple[int, str], dict[str, int]] = {}
    for rep_id, raw, n in counts:
        text = " ".join((raw or "").split())
        item: dict[str, str | None]
        if text in labels:
            group, item = ("code", text), {"reason": labels[text], "code": text}
        else:
            group, item = ("text", text.casefold()), {"reason": text or NO_REASON, "code": None}
            if text:
                spelled = spellings.setdefault((rep_id, group[1]), {})
                spelled[text] = spelled.get(text, 0) + n
        entry = merged.setdefault(rep_id, {}).setdefault(group, {**item, "declines": 0})
        entry["declines"] += n
    out: dict[int, list[dict]] = {}
    for rep_id, groups in merged.items():
        for (kind, key), entry in groups.items():
            if kind == "text" and key:  # the most frequent spelling, then the first alphabetically
                entry["reason"] = min(spellings[(rep_id, key)].items(), key=lambda pair: (-pair[1], pair[0]))[0]
        out[rep_id] = sorted(groups.values(), key=lambda entry: (-entry["declines"], entry["reason"]))
    return out


def rep_decline_rows(*, params: ReportParams) -> list[dict]:
    """Per rep with declined offers in scope, per reason: declines and their share of the rep's declines;
    ordered by username, then most declines first."""
    declines = _declines(params=params)
    if not declines:
        return []
    reps = {pk: (username, label) for pk, username, label in Rep.objects.filter(pk__in=declines)
            .annotate(label=full_name_label("user__")).values_list("pk", "user__username", "label")}
    out = []
    for rep_id in sorted(declines, key=lambda pk: reps[pk][0]):
        username, label = reps[rep_id]
        total = sum(entry["declines"] for entry in declines[rep_id])
        out += [{"key": username, "label": label, "reason": entry["reason"], "code": entry["code"],
                 "declines": entry["declines"], "share_pct": pct(entry["declines"], total)}
                for entry in declines[rep_id]]
    return out


def _active_reps() -> tuple[dict[int, tuple[str, str, int]], dict[int, set[int]]]:
    """Active reps as rep id -> (username, label, weight), and rep id -> team ids (2 queries)."""
    reps = {pk: (username, label, weight) for pk, username, label, weight in
            Rep.objects.filter(active=True).annotate(label=full_name_label("user__"))
            .values_list("pk", "user__username", "label", "weight")}
    teams: dict[int, set[int]] = {}
    for rep_id, team_id in Rep.teams.through.objects.filter(rep_id__in=reps).values_list("rep_id", "team_id"):
        teams.setdefault(rep_id, set()).add(team_id)
    return reps, teams


def _members(rule: RoutingRule, *, reps: dict[int, tuple[str, str, int]],
             teams: dict[int, set[int]]) -> dict[int, tuple[str, str, int]]:
    """rep id -> (username, label, weight) of the rule's eligible members now (rule teams prefetched)."""
    team_ids = {team.pk for team in rule.teams.all()}
    if not team_ids:
        return reps
    return {pk: rep for pk, rep in reps.items() if teams.get(pk, set()) & team_ids}


def rep_fairness_rows(*, params: ReportParams) -> list[dict]:
    """Per rule with offers in scope, per eligible or offered rep: offers, share of the rule's offers and the
    share its strategy intends (None for performance-based strategies). The team filter picks the reps shown,
    shares stay relative to all the rule's offers."""
    counts = (assignments_in_scope(params=params, with_team=False).filter(rule__isnull=False)
              .values("rule_id", "rep_id", username=F("rep__user__username"),
                      label=full_name_label("rep__user__"))
              .annotate(offers=Count("pk")))
    by_rule: dict[int, dict[int, Mapping[str, Any]]] = {}
    for item in counts:
        by_rule.setdefault(item["rule_id"], {})[item["rep_id"]] = item
    team_reps = set(Rep.objects.filter(teams=params.team).values_list("pk", flat=True)) if params.team else None
    out = []
    reps, teams = _active_reps()
    for rule in RoutingRule.objects.filter(pk__in=by_rule).prefetch_related("teams").order_by("order", "pk"):
        offered = by_rule[rule.pk]
        members = _members(rule, reps=reps, teams=teams)
        total = sum(item["offers"] for item in offered.values())
        weights = sum(weight for _, _, weight in members.values())
        for rep_id in sorted(set(members) | set(offered), key=lambda r: (members.get(r) or
                                                                        (offered[r]["username"],))[0]):
            if team_reps is not None and rep_id not in team_reps:
                continue
            username, label, weight = members.get(rep_id) or (offered[rep_id]["username"], offered[rep_id]["label"],
                                                              0)
            if rule.strategy in EQUAL_SHARE:
                intended = pct(1 if rep_id in members else 0, len(members)) if members else None
            elif rule.strategy == Strategy.WEIGHTED:
                intended = pct(weight if rep_id in members else 0, weights) if weights else None
            else:
                intended = None
            share = pct(offered.get(rep_id, {}).get("offers", 0), total)
            out.append({
                "rule": rule.name, "rule_id": rule.pk, "strategy": rule.strategy, "key": username, "label": label,
                "offers": offered.get(rep_id, {}).get("offers", 0), "share_pct": share, "intended_pct": intended,
                "difference_pct": None if intended is None or share is None else round(share - intended, 2),
            })
    return out
