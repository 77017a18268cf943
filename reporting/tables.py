"""The report pages' tables: columns, the text of each cell (shared by HTML and CSV), charts, and the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from reporting import selectors
from reporting.charts import bar_chart, duration_text, pct_text
from reporting.filters import ReportFilter, SlaFilter, SpeedFilter


@dataclass(frozen=True)
class Column:
    """key: a row key, or "dict_key.inner" for a value inside a dict column; kind: text|int|seconds|pct|money."""

    key: str
    header: str
    kind: str = "int"

    def value(self, row: dict):
        outer, _, inner = self.key.partition(".")
        value = row.get(outer)
        return (value or {}).get(inner, 0) if inner else value

    def text(self, row: dict) -> str:
        return cell_text(self.value(row), self.kind)


def cell_text(value, kind: str) -> str:
    """The one text a cell shows, in the page table and in the CSV alike."""
    if value is None:
        return ""
    if kind in ("pct", "money"):
        return f"{value:.2f}"
    if kind == "seconds":
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    selector: Callable[..., list[dict]]
    columns: Callable[[list[dict]], list[Column]]
    chart: Callable[[list[dict]], SafeString] | None = None

    def render(self, params) -> dict:
        rows = self.selector(params=params)
        columns = self.columns(rows)
        return {"name": self.name, "title": self.title, "columns": columns, "rows": rows,
                "cells": [[(c.text(row), c.kind, _hint(c, row)) for c in columns] for row in rows],
                "chart": self.chart(rows) if self.chart and rows else ""}


def _hint(column: Column, row: dict) -> str:
    return duration_text(column.value(row)) if column.kind == "seconds" and column.value(row) is not None else ""


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    summary: str
    filterset: type[ReportFilter]
    tables: list[Table] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def fixed(*columns: Column) -> Callable[[list[dict]], list[Column]]:
    return lambda rows: list(columns)


GROUP = Column("label", "Group", "text")
SPEED_COLUMNS = fixed(
    GROUP, Column("leads", "Leads"), Column("contacted", "Contacted"),
    Column("never_contacted_pct", "Never contacted %", "pct"),
    Column("median_seconds", "Median (s)", "seconds"), Column("p90_seconds", "P90 (s)", "seconds"),
    Column("within_1_min_pct", "≤ 1 min %", "pct"), Column("within_5_min_pct", "≤ 5 min %", "pct"),
    Column("within_30_min_pct", "≤ 30 min %", "pct"),
    Column("median_received_to_offered_seconds", "Received → offered (s)", "seconds"),
    Column("median_offered_to_seen_seconds", "Offered → seen (s)", "seconds"),
    Column("median_offered_to_accepted_seconds", "Offered → accepted (s)", "seconds"),
    Column("median_accepted_to_contact_seconds", "Accepted → contact (s)", "seconds"),
)


def speed_chart(rows: list[dict]) -> SafeString:
    return bar_chart(title="Median speed to lead", bars=[(r["label"], r["median_seconds"]) for r in rows],
                     value_text=duration_text, ghost=[r["p90_seconds"] for r in rows], ghost_name="p90")


def conversion_chart(rows: list[dict]) -> SafeString:
    return bar_chart(title="Won rate by response speed", bars=[(r["label"], r["won_rate_pct"]) for r in rows],
                     value_text=pct_text)


def source_columns(rows: list[dict]) -> list[Column]:
    reasons = selectors.reason_codes(rows)
    return [
        GROUP, Column("attempts", "Attempts"), Column("accepted", "Accepted"), Column("duplicates", "Duplicates"),
        Column("rejected", "Rejected"),
        *[Column(f"rejected_by_reason.{reason}", f"Rejected: {reason}") for reason in reasons],
        Column("invalid", "Invalid"), Column("leads", "Leads"), Column("contacted", "Contacted"),
        Column("won", "Won"), Column("contact_rate_pct", "Contact rate %", "pct"),
        Column("conversion_rate_pct", "Conversion %", "pct"), Column("cost", "Cost", "money"),
        Column("cost_per_lead", "Cost / lead", "money"), Column("cost_per_sale", "Cost / sale", "money"),
        Column("revenue", "Revenue", "money"), Column("margin", "Margin", "money"),
        Column("margin_pct", "Margin %", "pct"),
    ]


def source_chart(rows: list[dict]) -> SafeString:
    return bar_chart(title="Conversion rate", bars=[(r["label"], r["conversion_rate_pct"]) for r in rows],
                     value_text=pct_text)


REP_COLUMNS = fixed(
    Column("label", "Rep", "text"), Column("offered", "Offered"), Column("accepted", "Accepted"),
    Column("declined", "Declined"), Column("expired", "Expired"), Column("revoked", "Revoked"),
    Column("open", "Open"), Column("acceptance_rate_pct", "Acceptance %", "pct"),
    Column("median_response_seconds", "Median response (s)", "seconds"), Column("won", "Won"),
    Column("load", "Load"), Column("capacity", "Capacity"),
)
FAIRNESS_COLUMNS = fixed(
    Column("rule", "Rule", "text"), Column("strategy", "Strategy", "text"), Column("label", "Rep", "text"),
    Column("offers", "Offers"), Column("share_pct", "Share %", "pct"), Column("intended_pct", "Intended %", "pct"),
    Column("difference_pct", "Difference (points)", "pct"),
)


def rep_chart(rows: list[dict]) -> SafeString:
    return bar_chart(title="Acceptance rate", bars=[(r["label"], r["acceptance_rate_pct"]) for r in rows],
                     value_text=pct_text)


SLA_COMMON = (
    Column("offers", "Offers"), Column("expired_offers", "Expired offers"), Column("expired_pct", "Expired %", "pct"),
    Column("leads_offered", "Leads offered"), Column("late_first_offers", "Offered late"),
    Column("waiting_now", "Waiting now"), Column("waiting_late", "Waiting, late"), Column("late_leads", "Late leads"),
    Column("late_pct", "Late %", "pct"),
)


def sla_columns(rows: list[dict]) -> list[Column]:
    if rows and "max_wait_seconds" in rows[0]:
        return [Column("label", "Rule", "text"), Column("max_wait_seconds", "Max wait (s)", "seconds"),
                Column("offer_timeout_seconds", "Offer timeout (s)", "seconds"), *SLA_COMMON,
                Column("median_wait_seconds", "Median wait (s)", "seconds"),
                Column("p90_wait_seconds", "P90 wait (s)", "seconds")]
    return [Column("label", "Team", "text"), *SLA_COMMON]


def sla_chart(rows: list[dict]) -> SafeString:
    return bar_chart(title="Late leads", bars=[(r["label"], r["late_pct"]) for r in rows], value_text=pct_text)


REPORTS = {report.slug: report for report in [
    Report("speed-to-lead", "Speed to lead", "Received → first contact, split into system delay "
           "(received → offered → seen) and human delay (offered → accepted → contact).", SpeedFilter,
           [Table("main", "Speed to lead", selectors.speed_to_lead_rows, SPEED_COLUMNS, speed_chart)]),
    Report("conversion-by-speed", "Conversion by speed", "Won rate of the leads contacted within each time.",
           ReportFilter, [Table("main", "Won rate by response speed", selectors.conversion_by_speed_rows,
                                fixed(Column("label", "Contacted", "text"), Column("leads", "Leads"),
                                      Column("won", "Won"), Column("won_rate_pct", "Won rate %", "pct")),
                                conversion_chart)]),
    Report("suppliers", "Suppliers", "What each supplier posted, what it became, what it cost and earned.",
           ReportFilter, [Table("main", "Suppliers", selectors.supplier_rows, source_columns, source_chart)]),
    Report("campaigns", "Campaigns", "What each campaign received, what it became, what it cost and earned.",
           ReportFilter, [Table("main", "Campaigns", selectors.campaign_rows, source_columns, source_chart)]),
    Report("reps", "Reps", "Offers and what reps did with them; fairness of each routing rule.", ReportFilter,
           [Table("main", "Reps", selectors.rep_rows, REP_COLUMNS, rep_chart),
            Table("fairness", "Fairness: share of each rule's offers vs intended", selectors.rep_fairness_rows,
                  FAIRNESS_COLUMNS)]),
    Report("sla", "SLA", "Offers that expired and leads that waited longer than their rule allows.", SlaFilter,
           [Table("main", "SLA", selectors.sla_rows, sla_columns, sla_chart)]),
]}
