"""Suppliers and campaigns: what was posted, what it became, what it cost and earned.

Cost is the sum of Lead.cost (the supplier's cost_per_lead copied onto each lead at intake, so a later price
change does not rewrite history); revenue is the sum of Lead.revenue, which a lead earns only when sold to a buyer
(its price, less a return) or won by a rep (its campaign's price_per_lead); margin = revenue - cost. Sold counts
leads sold to a buyer, returned those a buyer sent back (returned_amount: the revenue reversed). Attempts are
IntakeAttempt rows (each stored attempt once; idempotent replays are not new attempts) and have no team, so
the team filter narrows only the lead columns.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from campaigns.lifecycle import CLOSED
from campaigns.models import IntakeAttempt, LeadDistribution
from reporting.queries.scope import ReportParams, attempts_in_scope, leads_in_scope
from reporting.queries.speed import pct

NO_CAMPAIGN = "(no campaign)"
OUTCOMES = {IntakeAttempt.Outcome.ACCEPTED: "accepted", IntakeAttempt.Outcome.DUPLICATE: "duplicates",
            IntakeAttempt.Outcome.REJECTED: "rejected", IntakeAttempt.Outcome.INVALID: "invalid"}
CENT = Decimal("0.01")


def money(value: Decimal | None) -> float | None:
    return None if value is None else float(Decimal(value).quantize(CENT))


def _ratio(value: Decimal, count: int) -> float | None:
    return money(value / count) if count else None


def _source_rows(*, params: ReportParams, by: str) -> list[dict]:
    key_field, label_field = ("supplier__name", "supplier__name") if by == "supplier" else \
        ("campaign__slug", "campaign__name")
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))
    lead_stats = (leads_in_scope(params=params).values(key=F(key_field), label=F(label_field))
                  .annotate(leads=Count("pk"), contacted=Count("first_contact_at"),
                            won=Count("pk", filter=Q(outcome="won")),
                            cost=Coalesce(Sum("cost"), zero), revenue=Coalesce(Sum("revenue"), zero),
                            # distribution and buyer_return are one-to-one: the joins do not multiply rows.
                            sold=Count("pk", filter=Q(distribution__state=LeadDistribution.State.SOLD)),
                            returned=Count("buyer_return"),
                            returned_amount=Coalesce(Sum("buyer_return__amount"), zero),
                            # "recycled" is the lead's own count of cycles: these names stay clear of it.
                            n_recycled=Count("pk", filter=Q(recycled__gt=0)),
                            n_recycled_won=Count("pk", filter=Q(recycled__gt=0, outcome="won")),
                            n_recycled_open=Count("pk", filter=Q(recycled__gt=0) & ~Q(status__in=CLOSED))))
    attempt_stats = (attempts_in_scope(params=params)
                     .values(key=F(key_field), label=F(label_field), outcome_=F("outcome"), reason_=F("reason"))
                     .annotate(n=Count("pk")))
    rows: dict[str, dict] = {}

    def row_for(key: str | None, label: str | None) -> dict:
        key = key if key is not None else NO_CAMPAIGN
        return rows.setdefault(key, {
            "key": key, "label": label if label is not None else key, "attempts": 0, "accepted": 0,
            "duplicates": 0, "rejected": 0, "invalid": 0, "rejected_by_reason": {}, "leads": 0, "contacted": 0,
            "won": 0, "cost": Decimal("0"), "revenue": Decimal("0"), "sold": 0, "returned": 0,
            "returned_amount": Decimal("0"), "recycled": 0, "recycled_won": 0, "recycled_open": 0,
        })

    for item in attempt_stats:
        row = row_for(item["key"], item["label"])
        row["attempts"] += item["n"]
        column = OUTCOMES.get(item["outcome_"])
        if column:
            row[column] += item["n"]
        if item["outcome_"] == IntakeAttempt.Outcome.REJECTED:
            reason = item["reason_"] or "unspecified"
            row["rejected_by_reason"][reason] = row["rejected_by_reason"].get(reason, 0) + item["n"]
    for stat in lead_stats:
        row = row_for(stat["key"], stat["label"])
        row.update(leads=stat["leads"], contacted=stat["contacted"], won=stat["won"], cost=stat["cost"],
                   revenue=stat["revenue"], sold=stat["sold"], returned=stat["returned"],
                   returned_amount=stat["returned_amount"], recycled=stat["n_recycled"],
                   recycled_won=stat["n_recycled_won"], recycled_open=stat["n_recycled_open"])
    out = []
    for key in sorted(rows):
        row = rows[key]
        cost, revenue = row["cost"], row["revenue"]
        row["rejected_by_reason"] = dict(sorted(row["rejected_by_reason"].items()))
        row.update(
            contact_rate_pct=pct(row["contacted"], row["leads"]),
            conversion_rate_pct=pct(row["won"], row["leads"]),
            cost=money(cost), cost_per_lead=_ratio(cost, row["leads"]), cost_per_sale=_ratio(cost, row["won"]),
            revenue=money(revenue), margin=money(revenue - cost),
            margin_pct=pct(float(revenue - cost), float(revenue)) if revenue else None,
            return_rate_pct=pct(row["returned"], row["sold"]), returned_amount=money(row["returned_amount"]),
        )
        out.append(row)
    return out


def supplier_rows(*, params: ReportParams) -> list[dict]:
    """One row per supplier with attempts, outcomes, rejections by reason, contact/conversion rate and money."""
    return _source_rows(params=params, by="supplier")


def campaign_rows(*, params: ReportParams) -> list[dict]:
    """One row per campaign (key = slug) with the same columns as supplier_rows."""
    return _source_rows(params=params, by="campaign")


def reason_codes(rows: list[dict]) -> list[str]:
    """Every rejection reason present in the rows, sorted: one table column each."""
    return sorted({reason for row in rows for reason in row["rejected_by_reason"]})

