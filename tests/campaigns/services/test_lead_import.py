"""Leads imported from a file: checked in a dry run that writes nothing, then taken through intake row by row;
every row ends in exactly one outcome, and importing the file again makes no second lead."""

import csv
import io
import time
from collections import Counter

import pytest

from campaigns.models import Campaign, IntakeAttempt, Lead, LeadImport, SuppressionEntry, WebhookDelivery
from campaigns.services import lead_import as service
from campaigns.services.lead_import import (
    lead_import_cancel,
    lead_import_confirm,
    lead_import_create,
    lead_import_rows_read,
)
from leadcrm.errors import ServiceError

HEADER = ["campaign", "first_name", "last_name", "email", "phone", "country", "language", "external_id"]


def csv_bytes(rows, header=HEADER, bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def good(n: int, **overrides) -> list[str]:
    row = {"campaign": "solar-us", "first_name": "Ada", "last_name": f"Lovelace{n}", "email": f"ada{n}@example.com",
           "phone": f"+1415555{n:04d}", "country": "US", "language": "en", "external_id": ""}
    row.update(overrides)
    return [row[name] for name in HEADER]


def counts() -> tuple[int, int, int]:
    return Lead.objects.count(), IntakeAttempt.objects.count(), WebhookDelivery.objects.count()


def create(supplier, content, *, file_format="csv") -> LeadImport:
    return lead_import_create(supplier=supplier, user=None, file_name="leads.csv", content=content,
                              file_format=file_format)


def test_small_file_checks_then_imports(supplier, routed):
    content = csv_bytes([good(1), good(2), good(3, phone="12")], bom=True)
    checked = create(supplier, content)
    assert checked.status == LeadImport.Status.CHECKED
    assert checked.preview_totals == {"accepted": 2, "duplicate": 0, "rejected": 1, "invalid": 0}
    assert [r["outcome"] for r in checked.preview] == ["accepted", "accepted", "rejected"]
    assert checked.preview[2]["reason"] == "invalid_contact"
    assert counts() == (0, 0, 0) and routed == []

    done = lead_import_confirm(lead_import_id=checked.pk, user=None)
    assert done.status == LeadImport.Status.DONE
    assert done.counts == {"accepted": 2, "duplicate": 0, "rejected": 1, "invalid": 0}
    leads = list(Lead.objects.order_by("pk"))
    assert [r["lead"] for r in done.results[:2]] == [lead.pk for lead in leads]
    assert all(lead.supplier == supplier and lead.external_id.startswith("row-") for lead in leads)
    assert leads[0].phone == "+14155550001"
    assert IntakeAttempt.objects.count() == 3
    assert LeadImport.objects.get().rows == []  # the file's personal data is not kept once imported


# --- 10,000 rows, 5% bad in different ways ---------------------------------------------------------------------

UNICODE_NAMES = ["Zoë", "Łukasz", "Søren", "李雷", "Ольга", "José María", "Nguyễn", "Åsa"]
HTML_NAME = "<b>Bob</b><script>alert(1)</script>"


def big_file(n: int = 10_000) -> tuple[list[list[str]], dict[int, tuple[str, str]]]:
    """n rows, 5% bad; expected (outcome, reason) by spreadsheet row number for every bad row."""
    rows, bad = [], {}
    for i in range(n):
        number = i + 2
        row = good(i, first_name=UNICODE_NAMES[i % len(UNICODE_NAMES)] if i % 7 == 0 else "Ada")
        if i % 10 == 3:
            row[HEADER.index("last_name")] = HTML_NAME + str(i)
        kind = (i // 20) % 8 if i % 20 == 7 else -1  # one row in 20 is bad, in turn one of 8 ways
        if kind == 0:
            row[HEADER.index("phone")] = "12345"
            bad[number] = ("rejected", "invalid_contact")
        elif kind == 1:
            row[HEADER.index("campaign")] = "no-such-campaign"
            bad[number] = ("invalid", "invalid")
        elif kind == 2:
            row = list(rows[i - 5])  # the very same row again: same derived external_id
            bad[number] = ("duplicate", "repeated_row")
        elif kind == 3:
            row[HEADER.index("first_name")] = '=HYPERLINK("http://evil.example","click")'
            bad[number] = ("invalid", "invalid")
        elif kind == 4:
            row[HEADER.index("last_name")] = ""  # required by the campaign
            bad[number] = ("invalid", "invalid")
        elif kind == 5:
            row[HEADER.index("phone")] = rows[i - 3][HEADER.index("phone")]  # same phone, another person
            bad[number] = ("duplicate", "duplicate")
        elif kind == 6:
            row[HEADER.index("phone")] = "+12125550123"
            row[HEADER.index("email")] = ""
            bad[number] = ("rejected", "suppressed")
        elif kind == 7:
            row[HEADER.index("country")] = "XX"
            bad[number] = ("invalid", "invalid")
        rows.append(row)
    return rows, bad


def assert_every_row_accounted(results, bad, n):
    assert [r["row"] for r in results] == list(range(2, n + 2))
    for result in results:
        expected = bad.get(result["row"], ("accepted", ""))
        assert (result["outcome"], result["reason"]) == expected, result
        if result["outcome"] != "accepted":
            assert result["detail"], result


def run_on_commit(django_capture_on_commit_callbacks, call):
    with django_capture_on_commit_callbacks(execute=True):
        return call()



def test_ten_thousand_rows_every_row_accounted_and_rerun_makes_no_lead(
        supplier, routed, django_capture_on_commit_callbacks):
    Campaign.objects.filter(slug="solar-us").update(required_fields=["last_name", "country"])
    SuppressionEntry.objects.create(kind="phone", value="+12125550123")
    rows, bad = big_file()
    assert len(bad) == 500
    content = csv_bytes(rows)
    started = time.monotonic()

    lead_import = run_on_commit(django_capture_on_commit_callbacks, lambda: create(supplier, content))
    lead_import.refresh_from_db()  # checked in the background task
    assert lead_import.status == LeadImport.Status.CHECKED
    assert counts() == (0, 0, 0) and routed == []
    assert sum(lead_import.preview_totals.values()) == 10_000
    expected = Counter(outcome for outcome, _ in bad.values())
    assert lead_import.preview_totals == {"accepted": 9_500, "duplicate": expected["duplicate"],
                                          "rejected": expected["rejected"], "invalid": expected["invalid"]}
    assert_every_row_accounted(lead_import.preview, bad, 10_000)

    run_on_commit(django_capture_on_commit_callbacks,
                  lambda: lead_import_confirm(lead_import_id=lead_import.pk, user=None))
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.DONE
    assert lead_import.done == lead_import.total == 10_000
    assert lead_import.counts == lead_import.preview_totals
    assert_every_row_accounted(lead_import.results, bad, 10_000)
    assert Lead.objects.count() == 9_500 == len(set(routed))
    by_row = {r["row"]: r for r in lead_import.results}
    stored = dict(Lead.objects.values_list("pk", "last_name"))
    assert stored[by_row[2 + 3]["lead"]] == HTML_NAME + "3"
    assert set(Lead.objects.filter(first_name__in=UNICODE_NAMES).values_list("first_name", flat=True)) \
        == set(UNICODE_NAMES)
    assert by_row[2 + 47]["earlier_row"] == 2 + 42 and by_row[2 + 107]["earlier_row"] == 2 + 104

    again = run_on_commit(django_capture_on_commit_callbacks, lambda: create(supplier, content))
    again.refresh_from_db()
    assert again.preview_totals["accepted"] == 0
    run_on_commit(django_capture_on_commit_callbacks, lambda: lead_import_confirm(lead_import_id=again.pk, user=None))
    again.refresh_from_db()
    assert Lead.objects.count() == 9_500
    assert again.counts["accepted"] == 0 and sum(again.counts.values()) == 10_000
    assert {r["reason"] for r in again.results if r["row"] not in bad} == {"already_imported"}
    print(f"10,000 rows x4: {time.monotonic() - started:.1f}s")


# --- the file ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content,code,message", [
    (b"", "import_empty", "The file is empty"),
    (b"campaign,email\n", "import_empty", "a header row but no leads"),
    (b"first_name,last_name\nAda,L\n", "import_columns", "Missing column(s): campaign, phone or email."),
    (b"campaign,email,Email\nx,a@b.c,d@e.f\n", "import_columns", "Column(s) email appear more than once."),
    ("campaign,email\nsolar-us,zoë@example.com\n".encode("latin-1"), "import_encoding", "is not UTF-8 text"),
])
def test_a_file_that_cannot_be_used_is_refused_with_a_clear_reason(supplier, content, code, message):
    with pytest.raises(ServiceError) as refused:
        create(supplier, content)
    assert refused.value.code == code and refused.value.field == "import_file"
    assert message in str(refused.value)
    assert not LeadImport.objects.exists()


def test_size_and_row_limits(supplier, monkeypatch):
    monkeypatch.setattr(service, "IMPORT_MAX_BYTES", 100)
    with pytest.raises(ServiceError, match="at most 0 MB per import"):
        create(supplier, csv_bytes([good(i) for i in range(5)]))
    monkeypatch.setattr(service, "IMPORT_MAX_BYTES", 10_000)
    monkeypatch.setattr(service, "IMPORT_MAX_ROWS", 3)
    with pytest.raises(ServiceError, match="The file has 4 rows; at most 3 per import"):
        create(supplier, csv_bytes([good(i) for i in range(4)]))


def test_columns_extra_answers_fields_json_aliases_and_separators():
    content = ("\ufeffCampaign Slug;E-mail;Phone Number;Zip;Roof;fields\n"
               'solar-us;a@example.com;+14155550100;94107;tile;"{""kwh"": 400, ""roof"": ""slate""}"\n'
               ";;;;;\n"
               "solar-us;b@example.com;;;;\n").encode()
    rows = lead_import_rows_read(content=content, file_format="csv")
    assert [row["row"] for row in rows] == [2, 4]  # blank lines skipped, numbered as in a spreadsheet
    first = rows[0]["payload"]
    assert first["campaign"] == "solar-us" and first["email"] == "a@example.com" and first["postal_code"] == "94107"
    assert first["fields"] == {"kwh": 400, "roof": "tile"}  # a column wins over the same key in the JSON
    assert first["external_id"].startswith("row-") and rows[1]["payload"]["external_id"] != first["external_id"]
    assert lead_import_rows_read(content=content, file_format="csv")[0]["payload"] == first  # stable


def test_formula_cells_and_ragged_rows_are_invalid_and_never_reach_intake(supplier):
    content = csv_bytes([good(1, first_name='=HYPERLINK("http://x.example","hi")'),
                         good(2, last_name="@SUM(A1:A9)"), good(3, last_name="-Smith"),
                         good(4) + ["extra"]])
    checked = create(supplier, content)
    assert [(r["outcome"], r["detail"]) for r in checked.preview] == [
        ("invalid", "first_name: Looks like a spreadsheet formula (starts with '='): remove it."),
        ("invalid", "last_name: Looks like a spreadsheet formula (starts with '@' and a function call): remove it."),
        ("accepted", ""),
        ("invalid", "non_field_errors: 9 cells for 8 columns."),
    ]


def test_xlsx_with_numbers_for_phones(supplier, routed):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["campaign", "first_name", "last_name", "email", "phone", "country", "score"])
    sheet.append(["solar-us", "Zoë", "Ng", "zoe@example.com", 4155550100, "US", 7.5])
    out = io.BytesIO()
    book.save(out)
    checked = create(supplier, out.getvalue(), file_format="xlsx")
    assert checked.preview_totals["accepted"] == 1
    lead_import_confirm(lead_import_id=checked.pk, user=None)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.phone, lead.fields) == ("Zoë", "+14155550100", {"score": "7.5"})
    with pytest.raises(ServiceError, match="not an XLSX workbook"):
        create(supplier, b"not a workbook", file_format="xlsx")


# --- dry run, confirmation, background, crash ----------------------------------------------------------------------


def test_the_dry_run_writes_nothing(supplier, routed, django_capture_on_commit_callbacks):
    from campaigns.models import CapCounter

    Campaign.objects.filter(slug="solar-us").update(cap_total=100)
    with django_capture_on_commit_callbacks() as queued:
        checked = create(supplier, csv_bytes([good(i) for i in range(20)]))
    assert checked.preview_totals["accepted"] == 20
    assert counts() == (0, 0, 0) and not CapCounter.objects.exists() and routed == [] and queued == []


def test_confirm_once_and_cancel(supplier, routed):
    checked = create(supplier, csv_bytes([good(1)]))
    lead_import_confirm(lead_import_id=checked.pk, user=None)
    with pytest.raises(ServiceError) as again:
        lead_import_confirm(lead_import_id=checked.pk, user=None)
    assert again.value.code == "import_not_checked"
    assert Lead.objects.count() == 1
    other = create(supplier, csv_bytes([good(2)]))
    assert lead_import_cancel(lead_import_id=other.pk).status == LeadImport.Status.CANCELLED
    with pytest.raises(ServiceError):
        lead_import_confirm(lead_import_id=other.pk, user=None)
    assert Lead.objects.count() == 1


def test_a_big_file_runs_in_the_background_chunk_by_chunk_with_its_progress(
        supplier, routed, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(service, "BACKGROUND_ABOVE_ROWS", 5)
    monkeypatch.setattr(service, "CHUNK_ROWS", 3)
    monkeypatch.setattr(service, "TASK_BUDGET_SECONDS", 0)  # one chunk per task run, then the next run is queued
    with django_capture_on_commit_callbacks() as queued:
        lead_import = create(supplier, csv_bytes([good(i) for i in range(8)]))
    assert lead_import.status == LeadImport.Status.CHECKING and len(queued) == 1
    with django_capture_on_commit_callbacks(execute=True):
        queued[0]()  # the queued check task runs (django-q2 in sync mode)
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.CHECKED

    with django_capture_on_commit_callbacks() as queued:
        assert lead_import_confirm(lead_import_id=lead_import.pk, user=None).status == LeadImport.Status.IMPORTING
    progress = []
    while queued:
        with django_capture_on_commit_callbacks() as next_runs:
            for callback in queued:
                callback()
        lead_import.refresh_from_db()
        progress.append((lead_import.done, lead_import.status))
        queued = [callback for callback in next_runs if "lead_import_run_task" in repr(callback)
                  or "enqueue_now" in repr(callback)]
    assert progress == [(3, "importing"), (6, "importing"), (8, "done")]
    assert Lead.objects.count() == 8 and lead_import.accepted == 8


def test_a_crash_mid_import_loses_no_row_and_resuming_finishes_it(supplier, routed, monkeypatch):
    monkeypatch.setattr(service, "CHUNK_ROWS", 4)
    checked = create(supplier, csv_bytes([good(i) for i in range(10)] + [good(3)]))
    real = service.lead_intake_items
    calls = []

    def crash_on_the_second_chunk(**kwargs):
        calls.append(1)
        answers = real(**kwargs)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return answers

    monkeypatch.setattr(service, "lead_intake_items", crash_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        lead_import_confirm(lead_import_id=checked.pk, user=None)
    half = LeadImport.objects.get(pk=checked.pk)
    assert (half.status, half.done, half.accepted, len(half.results)) == ("importing", 4, 4, 4)
    assert Lead.objects.count() == 4  # the second chunk's leads went with its transaction

    service.lead_import_run(lead_import_id=checked.pk)
    done = LeadImport.objects.get(pk=checked.pk)
    assert done.status == "done" and done.counts == {"accepted": 10, "duplicate": 1, "rejected": 0, "invalid": 0}
    assert [r["row"] for r in done.results] == list(range(2, 13))
    assert Lead.objects.count() == 10 and done.results[-1]["earlier_row"] == 5
    service.lead_import_run(lead_import_id=checked.pk)  # a late duplicate task: nothing more
    assert Lead.objects.count() == 10 and LeadImport.objects.get(pk=checked.pk).done == 11
