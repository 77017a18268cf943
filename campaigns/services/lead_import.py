"""Leads from a CSV or XLSX file: read once, checked in a dry run that writes no lead, then taken through intake.

Every row goes through the same intake as the API's bulk posts (validation, phone normalisation, suppression,
dedup, caps, routing), as the chosen supplier. A row without an external_id gets one derived from its content, so
importing the same file again (or a file repeating a row) makes no second lead: intake answers a known
(supplier, external_id) with its first answer, which the import reports as a duplicate.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, TypedDict

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.timezone import now

from campaigns import tasks_import
from campaigns.models import LeadImport, Supplier
from campaigns.models_import import OUTCOMES
from campaigns.services.intake_bulk import ItemAnswer, lead_intake_items
from campaigns.services.normalise import STRING_FIELDS, shown
from leadcrm.after_commit import enqueue_on_commit
from leadcrm.errors import ServiceError

IMPORT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_ROWS = 20_000
# A file with more rows is checked and imported by a background task, with its progress on the import's page.
BACKGROUND_ABOVE_ROWS = 500
# Rows per transaction of the import: each chunk commits with its progress, so a crash loses no row.
CHUNK_ROWS = 500
# A task run stops taking chunks after this long and queues the next run (well inside django-q2's timeout).
TASK_BUDGET_SECONDS = 20.0
DERIVED_ID_PREFIX = "row-"
COLUMNS = STRING_FIELDS  # campaign (slug), names, email, phone, country, region, postal_code, language, ...
COLUMN_ALIASES = {"campaign_slug": "campaign", "firstname": "first_name", "lastname": "last_name",
                  "e_mail": "email", "phone_number": "phone", "zip": "postal_code", "postcode": "postal_code",
                  "state": "region"}
FORMATS = ("csv", "xlsx")
FORMULA_CALL = re.compile(r"[A-Za-z_.]+\s*\(")


class RowResult(TypedDict):
    """The outcome of one row: in exactly one of OUTCOMES, with the ids and row it refers to."""

    row: int  # the spreadsheet row number (the header is row 1)
    outcome: str
    reason: str
    detail: str
    lead: int | None  # accepted: the new lead; a duplicate of a file row already imported: that lead
    duplicate_of: int | None  # an earlier stored lead
    earlier_row: int | None  # an earlier row of the file it repeats or duplicates
    external_id: str


class _ImportRowBase(TypedDict):
    row: int  # the spreadsheet row number
    payload: dict[str, Any]  # what intake is given


class ImportRow(_ImportRowBase, total=False):
    errors: dict[str, list[str]]  # found by the import itself (formulas, ragged rows): never given to intake


def _header(raw: object) -> str:
    name = str(raw or "").strip().lower().replace(" ", "_").replace("-", "_")
    return COLUMN_ALIASES.get(name, name)


def _cell(value: object) -> str:
    """A cell as text: spreadsheets give numbers (a phone typed as 14155550100) and dates as such."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _records(*, content: bytes, file_format: str) -> list[list[str]]:
    if file_format == "csv":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ServiceError("import_encoding", f"The file is not UTF-8 text (byte {error.start + 1} cannot be "
                               "read): save it as \"CSV UTF-8\" and upload it again.", field="import_file") from None
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count)  # Excel writes ";" where "," is the decimal mark
        try:
            return [[_cell(value) for value in record]
                    for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
        except csv.Error as error:
            raise ServiceError("import_unreadable", f"The CSV cannot be read: {error}.", field="import_file") from None
    if file_format == "xlsx":
        import tablib

        try:
            sheet = tablib.Dataset().load(io.BytesIO(content), format="xlsx", headers=False)
        except Exception:  # openpyxl raises many kinds for a file that is not a workbook
            raise ServiceError("import_unreadable", "The file is not an XLSX workbook that can be read.",
                               field="import_file") from None
        return [[_cell(value) for value in record] for record in sheet]
    raise ServiceError("import_format", f"Unknown format '{shown(file_format)}': use {' or '.join(FORMATS)}.",
                       field="format")


def derived_external_id(*, payload: dict[str, Any]) -> str:
    """A stable external_id for a row that has none: the same content always gives the same id."""
    content = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return DERIVED_ID_PREFIX + hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def lead_import_rows_read(*, content: bytes, file_format: str) -> list[ImportRow]:
    """The file's rows as intake payloads; ServiceError (field "import_file") when the file cannot be used.

    Columns: the intake fields (campaign is the campaign's slug), any other column becomes an answer in `fields`,
    and a `fields` column may hold a JSON object of answers. Blank lines are skipped; empty cells are left out.
    """
    if len(content) > IMPORT_MAX_BYTES:
        raise ServiceError("import_too_large", f"The file is {len(content) / 1e6:.1f} MB; at most "
                           f"{IMPORT_MAX_BYTES // (1024 * 1024)} MB per import.", field="import_file")
    records = _records(content=content, file_format=file_format)
    while records and not any(records[0]):
        records.pop(0)
    if not records:
        raise ServiceError("import_empty", "The file is empty: it needs a header row and rows of leads.",
                           field="import_file")
    headers = [_header(raw) for raw in records[0]]
    repeated = sorted(name for name, count in Counter(filter(None, headers)).items() if count > 1)
    if repeated:
        raise ServiceError("import_columns", f"Column(s) {', '.join(repeated)} appear more than once.",
                           field="import_file")
    missing = [name for name in ("campaign",) if name not in headers]
    if "phone" not in headers and "email" not in headers:
        missing.append("phone or email")
    if missing:
        raise ServiceError("import_columns", f"Missing column(s): {', '.join(missing)}. The columns are "
                           f"{', '.join(COLUMNS)}, plus any extra answers.", field="import_file")
    rows: list[ImportRow] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(record):
            continue
        row: ImportRow = {"row": number, "payload": _payload(headers, record)}
        errors = _row_problems(headers, record)
        if errors:
            row["errors"] = errors
        rows.append(row)
    if not rows:
        raise ServiceError("import_empty", "The file has a header row but no leads.", field="import_file")
    if len(rows) > IMPORT_MAX_ROWS:
        raise ServiceError("import_too_large", f"The file has {len(rows)} rows; at most {IMPORT_MAX_ROWS} per "
                           "import: split it.", field="import_file")
    return rows


def _payload(headers: list[str], record: list[str]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    fields_raw = ""
    for position, value in enumerate(record):
        name = headers[position] if position < len(headers) else ""
        if not value:
            continue
        if name in COLUMNS:
            payload[name] = value
        elif name == "fields":
            fields_raw = value
        else:
            answers[name or f"column_{position + 1}"] = value
    if fields_raw:
        try:
            decoded = json.loads(fields_raw)
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            payload["fields"] = fields_raw  # intake answers it with its own message
        else:
            answers = {**decoded, **answers}
    if answers and "fields" not in payload:
        payload["fields"] = answers
    if not payload.get("external_id"):
        payload["external_id"] = derived_external_id(payload=payload)
    return payload


def formula_problem(value: str) -> str | None:
    """Why a text cell would run as a formula when the file is opened in a spreadsheet, or None."""
    if value.startswith("="):
        return "Looks like a spreadsheet formula (starts with '='): remove it."
    if value[:1] in "+-@" and FORMULA_CALL.match(value[1:]):
        return f"Looks like a spreadsheet formula (starts with '{value[0]}' and a function call): remove it."
    return None


def _row_problems(headers: list[str], record: list[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(record) > len(headers) and any(record[len(headers):]):
        errors["non_field_errors"] = [f"{len(record)} cells for {len(headers)} columns."]
    for position, value in enumerate(record[:len(headers)]):
        name = headers[position]
        if name not in ("phone", "email", "fields", "external_id") and value and formula_problem(value):
            errors[name or f"column_{position + 1}"] = [formula_problem(value) or ""]
    return errors


def lead_import_create(*, supplier: Supplier, user: User | None, file_name: str, content: bytes,
                       file_format: str) -> LeadImport:
    """Store the file's rows for `supplier` and check them (the dry run): at once for a small file, else in the
    background. ServiceError (field "import_file") when the file cannot be used; writes nothing but the import."""
    rows = lead_import_rows_read(content=content, file_format=file_format)
    lead_import = LeadImport.objects.create(
        supplier=supplier, created_by=user, file_name=file_name[:255], file_format=file_format,
        total=len(rows), rows=rows, status=LeadImport.Status.CHECKING)
    if len(rows) > BACKGROUND_ABOVE_ROWS:
        lead_import_run_enqueue(lead_import=lead_import)
        return lead_import
    return lead_import_check(lead_import_id=lead_import.pk)


def lead_import_check(*, lead_import_id: int) -> LeadImport:
    """The dry run: every row decided by intake against the database as it stands, its outcome stored in the
    import's preview. Writes no lead, intake log, counter or task. A no-op unless the import is checking."""
    lead_import = LeadImport.objects.get(pk=lead_import_id)
    if lead_import.status != LeadImport.Status.CHECKING:
        return lead_import
    preview = _rows_decide(lead_import.supplier, lead_import.rows, dry_run=True)
    totals = Counter(result["outcome"] for result in preview)
    LeadImport.objects.filter(pk=lead_import_id, status=LeadImport.Status.CHECKING).update(
        status=LeadImport.Status.CHECKED, preview=preview,
        preview_totals={outcome: totals[outcome] for outcome in OUTCOMES}, updated_at=now())
    lead_import.refresh_from_db()
    return lead_import


def lead_import_confirm(*, lead_import_id: int, user: User | None) -> LeadImport:
    """Start importing a checked file (once: ServiceError "import_not_checked" otherwise): at once for a small
    file, else in the background."""
    updated = LeadImport.objects.filter(pk=lead_import_id, status=LeadImport.Status.CHECKED).update(
        status=LeadImport.Status.IMPORTING, confirmed_by=user, started_at=now(), updated_at=now())
    if not updated:
        raise ServiceError("import_not_checked", "This import is not waiting for confirmation.")
    lead_import = LeadImport.objects.get(pk=lead_import_id)
    if lead_import.total > BACKGROUND_ABOVE_ROWS:
        lead_import_run_enqueue(lead_import=lead_import)
        return lead_import
    return lead_import_run(lead_import_id=lead_import_id, budget_seconds=math.inf)


def lead_import_run_enqueue(*, lead_import: LeadImport) -> None:
    """Queue the import's next run (or its check, while it is checking) once the current transaction commits."""
    if lead_import.status == LeadImport.Status.CHECKING:
        enqueue_on_commit(tasks_import.lead_import_check_task, lead_import.pk,
                          key=f"lead-import-{lead_import.pk}-check")
    elif lead_import.status == LeadImport.Status.IMPORTING:
        enqueue_on_commit(tasks_import.lead_import_run_task, lead_import.pk,
                          key=f"lead-import-{lead_import.pk}-{lead_import.done}")


def lead_import_run(*, lead_import_id: int, budget_seconds: float | None = None) -> LeadImport:
    """Take the import's next rows through intake, CHUNK_ROWS per transaction together with the progress, until
    every row is done (status done) or the budget is spent (then the next run is queued). Safe to run twice or
    after a crash: a chunk is taken only by the run that moves `done` past it, and a row intake already answered
    gets that answer again. budget_seconds: TASK_BUDGET_SECONDS when None."""
    budget = TASK_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    rows: list[ImportRow] = LeadImport.objects.values_list("rows", flat=True).get(pk=lead_import_id)  # never change
    while True:
        lead_import, finished = _chunk_import(lead_import_id, rows)
        if finished:
            return lead_import
        if time.monotonic() - started >= budget:
            lead_import_run_enqueue(lead_import=lead_import)
            return lead_import


@transaction.atomic
def _chunk_import(lead_import_id: int, all_rows: list[ImportRow]) -> tuple[LeadImport, bool]:
    lead_import = LeadImport.objects.select_for_update().defer("rows", "preview").get(pk=lead_import_id)
    if lead_import.status != LeadImport.Status.IMPORTING:
        return lead_import, True
    rows = all_rows[lead_import.done:lead_import.done + CHUNK_ROWS]
    if rows:
        results = _rows_decide(lead_import.supplier, rows, dry_run=False, earlier=all_rows[:lead_import.done])
        for outcome, count in Counter(result["outcome"] for result in results).items():
            setattr(lead_import, outcome, getattr(lead_import, outcome) + count)
        lead_import.results = [*lead_import.results, *results]
        lead_import.done += len(rows)
    finished = lead_import.done >= lead_import.total
    if finished:
        lead_import.status = LeadImport.Status.DONE
        lead_import.finished_at = now()
        lead_import.rows = []  # the file's personal data lives on in the leads alone (and goes with their erasure)
    lead_import.updated_at = now()
    lead_import.save(update_fields=["results", "done", *OUTCOMES, "status", "finished_at", "updated_at",
                                    *(["rows"] if finished else [])])
    return lead_import, finished


def lead_import_cancel(*, lead_import_id: int) -> LeadImport:
    """Drop an import that was not confirmed, and its rows (ServiceError "import_not_checked" otherwise)."""
    updated = LeadImport.objects.filter(pk=lead_import_id, status__in=[
        LeadImport.Status.CHECKING, LeadImport.Status.CHECKED]).update(
        status=LeadImport.Status.CANCELLED, finished_at=now(), updated_at=now(), rows=[])
    if not updated:
        raise ServiceError("import_not_checked", "Only an import that is not confirmed yet can be cancelled.")
    return LeadImport.objects.get(pk=lead_import_id)


def lead_import_resume(*, lead_import_id: int) -> LeadImport:
    """Queue again a check or an import whose task was lost (a crashed worker); harmless when one still runs."""
    lead_import = LeadImport.objects.get(pk=lead_import_id)
    if lead_import.status not in (LeadImport.Status.CHECKING, LeadImport.Status.IMPORTING):
        raise ServiceError("import_not_running", "Only an import being checked or imported can be resumed.")
    lead_import_run_enqueue(lead_import=lead_import)
    return lead_import


def _rows_decide(supplier: Supplier, rows: list[ImportRow], *, dry_run: bool,
                 earlier: Iterable[ImportRow] = ()) -> list[RowResult]:
    """Each row's outcome, in order: rows the import found wrong are invalid, intake answers the others."""
    given = [row for row in rows if not row.get("errors")]
    answered = iter(_row_results(given, lead_intake_items(
        supplier=supplier, payloads=[row["payload"] for row in given], dry_run=dry_run), earlier=earlier))
    return [next(answered) if not row.get("errors") else _invalid(row) for row in rows]


def _invalid(row: ImportRow) -> RowResult:
    errors = row.get("errors") or {}
    return {"row": row["row"], "outcome": "invalid", "reason": "invalid",
            "detail": "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()),
            "lead": None, "duplicate_of": None, "earlier_row": None,
            "external_id": str(row["payload"].get("external_id", ""))}


def _row_results(rows: list[ImportRow], answers: list[ItemAnswer],
                 earlier: Iterable[ImportRow] = ()) -> list[RowResult]:
    """Each row's outcome from intake's answer; a row repeating an earlier one of the file says which."""
    earlier_by_external_id: dict[str, int] = {}
    for row in earlier:
        earlier_by_external_id.setdefault(str(row["payload"].get("external_id", "")), row["row"])
    results = []
    for row, answer in zip(rows, answers, strict=True):
        external_id = str(row["payload"].get("external_id", ""))
        earlier_row = rows[answer.earlier_index]["row"] if answer.earlier_index is not None else None
        if answer.replayed and earlier_row is None:
            earlier_row = earlier_by_external_id.get(external_id)
        results.append(_row_result(row, answer, external_id, earlier_row))
        earlier_by_external_id.setdefault(external_id, row["row"])
    return results


def _row_result(row: ImportRow, answer: ItemAnswer, external_id: str, earlier_row: int | None) -> RowResult:
    result: RowResult = {"row": row["row"], "outcome": answer.outcome, "reason": answer.reason,
                         "detail": answer.detail, "lead": None, "duplicate_of": answer.duplicate_of_id,
                         "earlier_row": earlier_row, "external_id": external_id}
    earlier = f"row {earlier_row} of this file" if earlier_row else "a row imported before"
    if answer.outcome == "invalid":
        result["reason"] = "invalid"
        result["detail"] = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in answer.errors.items())
    elif answer.replayed and answer.outcome == "accepted":
        result["outcome"], result["lead"] = "duplicate", answer.lead_id
        result["reason"] = "repeated_row" if earlier_row else "already_imported"
        result["detail"] = f"Same external_id as {earlier}" + (
            f": already imported as lead {answer.lead_id}." if answer.lead_id else ".")
    elif answer.outcome == "accepted":
        result["lead"] = answer.lead_id
    elif answer.replayed:
        result["detail"] = f"Same external_id as {earlier}, answered then: {answer.detail}"[:500]
    elif answer.outcome == "duplicate" and earlier_row is not None:
        result["detail"] = f"Same phone or email as {earlier}."
    return result
