"""Reports for managers: each selector takes validated ReportParams and returns rows of plain dicts.

Every number is computed by the database (GROUP BY, and percentiles with PERCENTILE_CONT on PostgreSQL or
window functions on SQLite, same linear interpolation); an empty range gives []. Durations are seconds
(floats, rounded to the millisecond), shares are percentages rounded to 2 decimals, money has 2 decimals.
"""

from __future__ import annotations

from dataclasses import replace

from reporting.queries.buyers import buyer_rows
from reporting.queries.followup import (
    ATTEMPT_BUCKETS,
    FOLLOWUP_GROUPS,
    followup_campaign_rows,
    followup_persona_rows,
    followup_rep_rows,
    won_by_attempts_rows,
)
from reporting.queries.reps import rep_decline_rows, rep_fairness_rows, rep_rows
from reporting.queries.scope import ReportParams
from reporting.queries.sla import SLA_GROUPS, sla_rows
from reporting.queries.sources import campaign_rows, reason_codes, supplier_rows
from reporting.queries.speed import (
    SPEED_BUCKETS,
    SPEED_GROUPS,
    WITHIN_MINUTES,
    conversion_by_speed_rows,
    pct,
    speed_to_lead_rows,
    speed_to_lead_totals,
)

__all__ = [
    "ATTEMPT_BUCKETS", "FOLLOWUP_GROUPS", "SLA_GROUPS", "SPEED_BUCKETS", "SPEED_GROUPS", "WITHIN_MINUTES",
    "ReportParams", "buyer_rows", "campaign_rows", "conversion_by_speed_rows", "followup_campaign_rows",
    "followup_persona_rows", "followup_rep_rows", "reason_codes",
    "rep_decline_rows", "rep_fairness_rows", "rep_rows", "report_headlines", "sla_rows", "speed_to_lead_rows",
    "speed_to_lead_totals", "supplier_rows", "won_by_attempts_rows",
]


def report_headlines(*, params: ReportParams) -> dict:
    """The morning numbers for the index page: speed of all leads, won rate, SLA misses, money."""
    speed = speed_to_lead_totals(params=params)
    suppliers = supplier_rows(params=params)
    sla = sla_rows(params=replace(params, group_by="rule"))
    leads = sum(row["leads"] for row in suppliers)
    won = sum(row["won"] for row in suppliers)
    cost = sum(row["cost"] or 0 for row in suppliers)
    revenue = sum(row["revenue"] or 0 for row in suppliers)
    return {
        "speed": speed,
        "leads": leads,
        "won": won,
        "won_rate_pct": pct(won, leads),
        "attempts": sum(row["attempts"] for row in suppliers),
        "expired_offers": sum(row["expired_offers"] for row in sla),
        "late_leads": sum(row["late_leads"] for row in sla),
        "cost": round(cost, 2),
        "revenue": round(revenue, 2),
        "margin": round(revenue - cost, 2),
    }
