"""The report pages' tables: columns, the text of each cell (shared by HTML and CSV), charts, and the registry.

A table's `fields` are the one list of its columns: the page and the CSV show them, and the report API
(reporting/api) documents and returns exactly them, plus each row's machine `key`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.utils.safestring import SafeString

from reporting import selectors
from reporting.charts import bar_chart, duration_text, number_text, pct_text
from reporting.filters import ReportFilter, SlaFilter, SpeedFilter


@dataclass(frozen=True)
class Column:
    """key: a row key, or "dict_key.inner" for a value inside a dict column; kind: text|int|number|seconds|pct|money
    (number: a mean or median of counts, 2 decimals).

    What the API says of the field: help (its description), null (may be null; None: numbers, seconds, percent
    or money may, counts and text not), whole (seconds as an integer), optional (only some groupings have it: the
    page shows it when the rows do, the API does not require it), each (a dict of counts: one page column per
    inner key found in the rows).
    """

    key: str
    header: str
    kind: str = "int"
    help: str = ""
    null: bool | None = None
    whole: bool = False
    optional: bool = False
    each: bool = False

    @property
    def nullable(self) -> bool:
        return self.kind in ("number", "seconds", "pct", "money") if self.null is None else self.null

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
    if kind in ("number", "pct", "money"):
        return f"{value:.2f}"
    if kind == "seconds":
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def shown(fields: tuple[Column, ...], rows: list[dict]) -> list[Column]:
    """The columns the page shows for these rows: optional ones when the rows have them, dicts one per key."""
    out = []
    for column in fields:
        if column.optional and not (rows and column.key in rows[0]):
            continue
        if column.each:
            inner = sorted({key for row in rows for key in row.get(column.key) or {}})
            out += [replace(column, key=f"{column.key}.{key}", header=f"{column.header}: {key}", each=False)
                    for key in inner]
        else:
            out.append(column)
    return out


@dataclass(frozen=True)
class Table:
    """fields: every column the table can have, in page order; pick: which of them the page shows for the rows."""

    name: str
    title: str
    selector: Callable[..., list[dict]]
    fields: tuple[Column, ...]
    chart: Callable[[list[dict]], SafeString] | None = None
    pick: Callable[[tuple[Column, ...], list[dict]], list[Column]] = shown

    def columns(self, rows: list[dict]) -> list[Column]:
        return self.pick(self.fields, rows)

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

    def table_named(self, name: str) -> Table:
        """The table `name`, for code that names a table of the registry; KeyError if the report has none."""
        table = self.table(name)
        if table is None:
            raise KeyError(f"report {self.slug!r} has no table {name!r}")
        return table


def label(header: str) -> Column:
    """The group's name as the page shows it (the API also carries the group's machine `key`)."""
    return Column("label", header, "text", help="How the page names the group.")


def label_chart(title: str, key: str, value_text: Callable[[float | None], str],
                ghost: str = "", ghost_name: str = "") -> Callable[[list[dict]], SafeString]:
    """A table's chart: one bar per row, named by the row's `label` and as long as its `key` value (with a lighter
    bar behind it of its `ghost` value, when given)."""

    def chart(rows: list[dict]) -> SafeString:
        return bar_chart(title=title, bars=[(r["label"], r[key]) for r in rows], value_text=value_text,
                         ghost=[r[ghost] for r in rows] if ghost else None, ghost_name=ghost_name)

    return chart


GROUP = label("Group")
SPEED_COLUMNS = (
    GROUP, Column("leads", "Leads", help="Leads received in the range."),
    Column("contacted", "Contacted", help="Leads with a first contact."),
    Column("never_contacted_pct", "Never contacted %", "pct", help="Leads not contacted, of all leads"),
    Column("median_seconds", "Median (s)", "seconds", help="Median received -> first contact (contacted leads)."),
    Column("p90_seconds", "P90 (s)", "seconds", help="90th percentile received -> first contact."),
    *[Column(f"within_{minutes}_min_pct", f"≤ {minutes} min %", "pct",
             help=f"Leads contacted within {minutes} min, of all leads") for minutes in selectors.WITHIN_MINUTES],
    Column("median_received_to_offered_seconds", "Received → offered (s)", "seconds",
           help="System delay: received -> first offered."),
    Column("median_offered_to_seen_seconds", "Offered → seen (s)", "seconds",
           help="System delay: first offered -> first shown in a rep's browser."),
    Column("median_offered_to_accepted_seconds", "Offered → accepted (s)", "seconds",
           help="Human delay: first offered -> accepted."),
    Column("median_accepted_to_contact_seconds", "Accepted → contact (s)", "seconds",
           help="Human delay: accepted -> first contact."),
)
CONVERSION_COLUMNS = (
    label("Contacted"), Column("leads", "Leads"), Column("won", "Won"),
    Column("won_rate_pct", "Won rate %", "pct", help="Won leads, of the bucket's leads"),
)


speed_chart = label_chart("Median speed to lead", "median_seconds", duration_text, "p90_seconds", "p90")


conversion_chart = label_chart("Won rate by response speed", "won_rate_pct", pct_text)


SOURCE_COLUMNS = (
    GROUP, Column("attempts", "Attempts", help="Intake attempts (each stored attempt once)."),
    Column("accepted", "Accepted"), Column("duplicates", "Duplicates"), Column("rejected", "Rejected"),
    Column("rejected_by_reason", "Rejected", each=True, help="Rejected attempts per reason code."),
    Column("invalid", "Invalid", help="Malformed posts (400)."), Column("leads", "Leads"),
    Column("contacted", "Contacted"), Column("won", "Won"),
    Column("contact_rate_pct", "Contact rate %", "pct", help="Contacted, of leads"),
    Column("conversion_rate_pct", "Conversion %", "pct", help="Won, of leads"),
    Column("cost", "Cost", "money", help="Sum of Lead.cost (supplier price copied at intake)"),
    Column("cost_per_lead", "Cost / lead", "money", help="cost / leads"),
    Column("cost_per_sale", "Cost / sale", "money", help="cost / won"),
    Column("revenue", "Revenue", "money",
           help="Sum of Lead.revenue: buyer prices of leads sold (less returns) and campaign prices of leads won"),
    Column("margin", "Margin", "money", help="revenue - cost"),
    Column("margin_pct", "Margin %", "pct", help="margin, of revenue"),
    Column("sold", "Sold to buyers", help="Leads sold to a buyer."),
    Column("returned", "Returned", help="Sold leads a buyer returned."),
    Column("return_rate_pct", "Return rate %", "pct", help="Returned, of sold"),
    Column("returned_amount", "Returned amount", "money", help="Revenue reversed by returns"),
    Column("recycled", "Recycled", help="Leads that went back to routing after going nowhere with a rep."),
    Column("recycled_won", "Recycled, won", help="Recycled leads won since."),
    Column("recycled_open", "Recycled, still open", help="Recycled leads not won, lost or sold yet."),
)


source_chart = label_chart("Conversion rate", "conversion_rate_pct", pct_text)


BUYER_COLUMNS = (
    label("Buyer"), Column("pings", "Pings", help="Pings sent (no personal data)."),
    Column("bids", "Bids", help="Pings answered with a bid or an acceptance."),
    Column("bid_rate_pct", "Bid rate %", "pct", help="Bids, of pings"),
    Column("posts", "Posts", help="Posts of the full lead (retries of a post count once)."),
    Column("accepted", "Accepted", help="Posts the buyer accepted."),
    Column("rejected", "Rejected", help="Pings and posts the buyer refused."),
    Column("timeouts", "Timeouts", help="Pings and posts not answered within the buyer's timeout."),
    Column("errors", "Errors", help="Pings and posts that failed (network error, 5xx, unreadable answer)."),
    Column("won", "Won", help="Leads sold to the buyer."),
    Column("returned", "Returned", help="Leads the buyer returned."),
    Column("return_rate_pct", "Return rate %", "pct", help="Returned, of won"),
    Column("revenue", "Revenue", "money", help="Sale prices less the amounts returned"),
    Column("average_price", "Average price", "money", help="Mean sale price of the leads won"),
    Column("mean_response_seconds", "Mean response (s)", "seconds", help="Mean latency of pings and posts."),
    Column("median_response_seconds", "Median response (s)", "seconds", help="Median latency of pings and posts."),
)


buyer_chart = label_chart("Revenue by buyer", "revenue", number_text)


REP_COLUMNS = (
    label("Rep"), Column("offered", "Offered"), Column("accepted", "Accepted"),
    Column("declined", "Declined"), Column("expired", "Expired"), Column("revoked", "Revoked"),
    Column("open", "Open", help="Offers still waiting for an answer."),
    Column("acceptance_rate_pct", "Acceptance %", "pct", help="Accepted, of offered"),
    Column("median_response_seconds", "Median response (s)", "seconds",
           help="Median offered -> responded of accepted offers."),
    Column("won", "Won", help="Leads owned by the rep and won."),
    Column("load", "Load", null=True, help="Open leads now."), Column("capacity", "Capacity", null=True),
    Column("load_pct", "Load %", "pct", help="load, of capacity"),
    Column("claimed", "Claimed", help="Leads the rep claimed from the open pool (counted among accepted)."),
    Column("median_pool_wait_seconds", "Median time in pool (s)", "seconds",
           help="Median pooled -> claimed of the leads the rep claimed."),
)
DECLINE_COLUMNS = (
    label("Rep"),
    Column("reason", "Reason", "text", help="The decline reason's label, legacy free text, or \"(no reason given)\"."),
    Column("code", "Code", "text", null=True, help="The decline reason code; null for free text and no reason."),
    Column("declines", "Declines", help="Offers the rep declined with this reason."),
    Column("share_pct", "Share %", "pct", help="Of the rep's declines"),
)
FAIRNESS_COLUMNS = (
    Column("rule", "Rule", "text"), Column("rule_id", "Rule id"), Column("strategy", "Strategy", "text"),
    label("Rep"), Column("offers", "Offers", help="Offers under the rule to this rep."),
    Column("share_pct", "Share %", "pct", help="The rep's share of the rule's offers"),
    Column("intended_pct", "Intended %", "pct",
           help="The share the strategy intends; null for performance-based strategies"),
    Column("difference_pct", "Difference (points)", "pct", help="share - intended"),
)


rep_chart = label_chart("Acceptance rate", "acceptance_rate_pct", pct_text)


SLA_COLUMNS = (
    label("Rule"),
    Column("max_wait_seconds", "Max wait (s)", "seconds", whole=True, optional=True, help="By rule only."),
    Column("offer_timeout_seconds", "Offer timeout (s)", "seconds", whole=True, optional=True,
           help="By rule only."),
    Column("offers", "Offers"), Column("expired_offers", "Expired offers"),
    Column("expired_pct", "Expired %", "pct", help="Expired, of offers"),
    Column("leads_offered", "Leads offered", help="Leads first offered under the rule / team."),
    Column("late_first_offers", "Offered late", help="Of those, offered after max_wait_seconds."),
    Column("waiting_now", "Waiting now", help="Leads not offered yet."),
    Column("waiting_late", "Waiting, late", help="Of those, already waiting longer than max_wait_seconds."),
    Column("late_leads", "Late leads"),
    Column("late_pct", "Late %", "pct", help="Late leads, of leads offered or waiting"),
    Column("accepted_and_sat", "Accepted and sat",
           help="Accepted leads not contacted within the rule's first-contact SLA (taken back or escalated)."),
    Column("median_wait_seconds", "Median wait (s)", "seconds", optional=True,
           help="By rule only: median received -> first offered."),
    Column("p90_wait_seconds", "P90 wait (s)", "seconds", optional=True,
           help="By rule only: 90th percentile received -> first offered."),
)


def sla_columns(fields: tuple[Column, ...], rows: list[dict]) -> list[Column]:
    """By rule: every column; by team: the rule-only ones left out, and the group is a team."""
    by_rule = bool(rows) and "max_wait_seconds" in rows[0]
    columns = shown(fields, rows)
    return columns if by_rule else [replace(c, header="Team") if c.key == "label" else c for c in columns]


sla_chart = label_chart("Late leads", "late_pct", pct_text)


# The columns of follow-up by rep and by campaign, after the group's label.
FOLLOWUP_COLUMNS = (
    Column("leads", "Leads", help="Leads received in the range."),
    Column("contacted", "Contacted", help="Leads with at least one contact attempt."),
    Column("attempts_per_lead", "Attempts / lead", "number", help="Mean contact attempts per contacted lead"),
    Column("followed_up", "Followed up", help="Contacted leads with a second attempt."),
    Column("median_first_to_second_seconds", "First → second attempt (s)", "seconds",
           help="Median time from a lead's first to its second attempt, over the followed-up leads (business "
                "time with business_hours=1)."),
    Column("given_up_after_one", "Given up after 1",
           help="Contacted leads with exactly one attempt, not won, whose attempt is at least 24 h old at report "
                "time (younger ones may still get a second attempt)."),
    Column("given_up_after_one_pct", "Given up after 1 %", "pct", help="Given up after one attempt, of contacted"),
    Column("connected", "Connected", help="Leads with an attempt whose outcome is connected or won."),
    Column("median_attempts_to_connect", "Attempts to connect", "number",
           help="Median number of the first connected/won attempt (1 = reached at the first attempt), over the "
                "connected leads"),
    *[Column(f"won_rate_{key}_pct", f"Won % ({text})", "pct",
             help=f"Won leads, of the leads with {text.replace('5+ ', '5 or more ')}")
      for key, text, attempts in selectors.ATTEMPT_BUCKETS if attempts],
)
ATTEMPTS_COLUMNS = (
    label("Attempts"), Column("leads", "Leads", help="Leads with this many contact attempts."),
    Column("leads_pct", "Leads %", "pct", help="Of all leads in the range"),
    Column("won", "Won"), Column("won_rate_pct", "Won rate %", "pct", help="Won leads, of the bucket's leads"),
)


followup_chart = label_chart("Contact attempts per lead", "attempts_per_lead", number_text)


attempts_chart = label_chart("Won rate by contact attempts", "won_rate_pct", pct_text)


REPORTS = {report.slug: report for report in [
    Report("speed-to-lead", "Speed to lead", "Received → first contact, split into system delay "
           "(received → offered → seen) and human delay (offered → accepted → contact).", SpeedFilter,
           [Table("main", "Speed to lead", selectors.speed_to_lead_rows, SPEED_COLUMNS, speed_chart)]),
    Report("conversion-by-speed", "Conversion by speed", "Won rate of the leads contacted within each time.",
           ReportFilter, [Table("main", "Won rate by response speed", selectors.conversion_by_speed_rows,
                                CONVERSION_COLUMNS, conversion_chart)]),
    Report("suppliers", "Suppliers", "What each supplier posted, what it became, what it cost and earned.",
           ReportFilter, [Table("main", "Suppliers", selectors.supplier_rows, SOURCE_COLUMNS, source_chart)]),
    Report("campaigns", "Campaigns", "What each campaign received, what it became, what it cost and earned.",
           ReportFilter, [Table("main", "Campaigns", selectors.campaign_rows, SOURCE_COLUMNS, source_chart)]),
    Report("buyers", "Buyers", "What each buyer was pinged and posted, bid, bought, returned and paid, and how fast "
           "it answered.", ReportFilter,
           [Table("main", "Buyers", selectors.buyer_rows, BUYER_COLUMNS, buyer_chart)]),
    Report("reps", "Reps", "Offers and what reps did with them; fairness of each routing rule.", ReportFilter,
           [Table("main", "Reps", selectors.rep_rows, REP_COLUMNS, rep_chart),
            Table("fairness", "Fairness: share of each rule's offers vs intended", selectors.rep_fairness_rows,
                  FAIRNESS_COLUMNS),
            Table("declines", "Declines by reason", selectors.rep_decline_rows, DECLINE_COLUMNS)]),
    Report("sla", "SLA", "Offers that expired and leads that waited longer than their rule allows.", SlaFilter,
           [Table("main", "SLA", selectors.sla_rows, SLA_COLUMNS, sla_chart, sla_columns)]),
    Report("follow-up", "Follow-up", "What happens after the first contact attempt: attempts per lead, time to "
           "the second attempt, leads given up after one attempt, attempts to connect, won rate by attempts.",
           ReportFilter,
           [Table("main", "Follow-up by rep (lead owner)", selectors.followup_rep_rows,
                  (label("Rep"), *FOLLOWUP_COLUMNS), followup_chart),
            Table("campaigns", "Follow-up by campaign", selectors.followup_campaign_rows,
                  (label("Campaign"), *FOLLOWUP_COLUMNS), followup_chart),
            Table("personas", "Follow-up by persona (when the lead came in)", selectors.followup_persona_rows,
                  (label("Persona"), *FOLLOWUP_COLUMNS), followup_chart),
            Table("attempts", "Won rate by contact attempts", selectors.won_by_attempts_rows, ATTEMPTS_COLUMNS,
                  attempts_chart)]),
]}
