"""CSV export of a report table: exactly the page's cells, with text cells neutralised against formula injection."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse

from reporting.tables import Column

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would read as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_text(*, columns: list[Column], cells: list[list[tuple[str, str, str]]]) -> str:
    """Header row plus one row per table row; numbers as the page shows them, text neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(column.header) for column in columns])
    for row in cells:
        writer.writerow([neutralise(text) if kind == "text" else text for text, kind, _ in row])
    return out.getvalue()


def csv_response(*, columns: list[Column], cells: list[list[tuple[str, str, str]]], filename: str) -> HttpResponse:
    response = HttpResponse(csv_text(columns=columns, cells=cells), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
