"""Buyers: what each buyer was pinged and posted, what it bid, bought and sent back, what it paid, how fast it answered.

All of it for the leads received in the range (of the campaign / supplier); test sends are left out and buyers have
no team. A ping that answered with a bid or an acceptance is a bid; "won" counts the leads sold to the buyer
(LeadDistribution), "accepted" its posts it accepted; revenue is the sale prices minus the amounts returned, the
same figure Lead.revenue holds for those leads. Response times are each ping's and post's latency (real time).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, Count, F, FloatField, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Cast

from campaigns.models import Buyer, BuyerDelivery
from reporting.queries import stats as st
from reporting.queries.scope import ReportParams, deliveries_in_scope, returns_in_scope, sales_in_scope
from reporting.queries.sources import money
from reporting.queries.speed import pct, secs

Outcome, Stage = BuyerDelivery.Outcome, BuyerDelivery.Stage


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def buyer_rows(*, params: ReportParams) -> list[dict]:
    """One row per buyer pinged, posted or sold a lead in scope: pings, bids, posts, accepted, rejected, timeouts,
    errors, leads won, returns and return rate, revenue (net of returns), average sale price, mean and median
    response time (seconds)."""
    source = deliveries_in_scope(params=params).annotate(
        key=F("buyer_id"), is_ping=_flag(Q(stage=Stage.PING)), is_post=_flag(Q(stage=Stage.POST)),
        is_bid=_flag(Q(stage=Stage.PING, outcome__in=[Outcome.BID, Outcome.ACCEPTED])),
        is_accepted=_flag(Q(stage=Stage.POST, outcome=Outcome.ACCEPTED)),
        is_rejected=_flag(Q(outcome=Outcome.REJECTED)), is_timeout=_flag(Q(outcome=Outcome.TIMEOUT)),
        is_error=_flag(Q(outcome=Outcome.ERROR)), latency=Cast(F("latency_ms"), FloatField()) / 1000.0,
    )
    answers: dict[int, dict] = {row["key"]: row for row in st.grouped_stats(source=source, groups=["key"], stats=[
        st.total("pings", "is_ping"), st.total("bids", "is_bid"), st.total("posts", "is_post"),
        st.total("accepted", "is_accepted"), st.total("rejected", "is_rejected"), st.total("timeouts", "is_timeout"),
        st.total("errors", "is_error"), st.count("timed", "latency"), st.total("latency_total", "latency"),
        st.percentile("median_latency", "latency", 0.5),
    ])}
    sales: dict[int, dict] = {row["buyer_id"]: dict(row) for row in sales_in_scope(params=params).values("buyer_id")
             .annotate(won=Count("pk"), sold_for=Sum("price"))}
    returns: dict[int, dict] = {row["buyer_id"]: dict(row) for row in returns_in_scope(params=params).values("buyer_id")
               .annotate(returned=Count("pk"), returned_amount=Sum("amount"))}
    ids = set(answers) | set(sales) | set(returns)
    names = dict(Buyer.objects.filter(pk__in=ids).values_list("pk", "name"))
    out = []
    empty: dict = {}
    for pk in ids:
        answer, sale, back = answers.get(pk, empty), sales.get(pk, empty), returns.get(pk, empty)
        won, returned = sale.get("won", 0), back.get("returned", 0)
        sold_for = sale.get("sold_for") or Decimal("0")
        timed = answer.get("timed") or 0
        out.append({
            "key": names[pk], "label": names[pk],
            **{name: answer.get(name) or 0 for name in ("pings", "bids", "posts", "accepted", "rejected", "timeouts",
                                                         "errors")},
            "bid_rate_pct": pct(answer.get("bids") or 0, answer.get("pings") or 0),
            "won": won, "returned": returned, "return_rate_pct": pct(returned, won),
            "revenue": money(sold_for - (back.get("returned_amount") or Decimal("0"))),
            "average_price": money(sold_for / won) if won else None,
            "mean_response_seconds": secs(answer["latency_total"] / timed) if timed else None,
            "median_response_seconds": secs(answer.get("median_latency")),
        })
    return sorted(out, key=lambda row: row["key"])
