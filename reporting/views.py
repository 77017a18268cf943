"""Report pages for managers: the index with the morning numbers, and one page per report (form, chart,
tables, CSV of each table with the same query string plus format=csv)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.timezone import now

from campaigns.models import Lead
from leadcrm.roles import manager_required
from reporting import selectors
from reporting.exports import csv_response
from reporting.filters import ReportFilter
from reporting.tables import REPORTS, Report

# Anonymous: to the sign-in page; signed in but not a sales manager: the 403 page saying so.
for_managers = manager_required(message="Reports are for sales managers.")


def quick_ranges(request: HttpRequest, tz: str) -> list[tuple[str, str]]:
    """(label, query string) for today / 7 / 30 days in the chosen zone, keeping the other filters."""
    today = now().astimezone(ZoneInfo(tz)).date()
    out = []
    for label, days in (("Today", 0), ("Last 7 days", 6), ("Last 30 days", 29)):
        query = request.GET.copy()
        query.pop("format", None)
        query["since"], query["until"] = (today - dt.timedelta(days=days)).isoformat(), today.isoformat()
        out.append((label, query.urlencode()))
    return out


def _csv_query(request: HttpRequest, table: str) -> str:
    query: QueryDict = request.GET.copy()
    query["format"] = "csv"
    query["table"] = table
    return query.urlencode()


def _context(request: HttpRequest, filterset, **extra) -> dict:
    tz = filterset.params().tz if filterset.is_valid() else settings.TIME_ZONE
    return {"filterset": filterset, "form": filterset.form, "reports": REPORTS.values(),
            "ranges": quick_ranges(request, tz), "query": request.GET.urlencode(), **extra}


@for_managers
def report_index(request: HttpRequest) -> HttpResponse:
    """Headline numbers for the range, and links to every report."""
    filterset = ReportFilter(request.GET, queryset=Lead.objects.none())
    if not filterset.is_valid():
        return render(request, "reporting/index.html", _context(request, filterset), status=400)
    headlines = selectors.report_headlines(params=filterset.params())
    return render(request, "reporting/index.html", _context(request, filterset, headlines=headlines))


@for_managers
def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    """One report: its form, chart and tables; ?format=csv[&table=name] downloads a table."""
    report: Report | None = REPORTS.get(slug)
    if report is None:
        raise Http404("No such report.")
    filterset = report.filterset(request.GET, queryset=Lead.objects.none())
    if not filterset.is_valid():
        return render(request, "reporting/report.html", _context(request, filterset, report=report), status=400)
    params = filterset.params()
    if request.GET.get("format") == "csv":
        table = report.table(request.GET.get("table", "main"))
        if table is None:
            raise Http404("No such table in this report.")
        rendered = table.render(params)
        suffix = f"-{params.group_by}" if params.group_by else ""
        suffix += "" if table.name == "main" else f"-{table.name}"
        return csv_response(columns=rendered["columns"], cells=rendered["cells"], filename=f"{slug}{suffix}.csv")
    tables = [{**table.render(params), "csv_query": _csv_query(request, table.name)} for table in report.tables]
    return render(request, "reporting/report.html", _context(request, filterset, report=report, tables=tables))
