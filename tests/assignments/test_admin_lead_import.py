"""The lead list's Import: upload with a chosen supplier, a dry-run page with every row's outcome, confirm, the
progress page and the download of every row's outcome; a file that cannot be used is a form error."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from campaigns.models import IntakeAttempt, Lead, LeadImport
from campaigns.services import intake
from campaigns.services import lead_import as service
from tests.factories import CampaignFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:campaigns_lead_import")
CSV_TEXT = ("campaign,first_name,last_name,email,phone,country\n"
            "solar-us,Ada,Lovelace,ada@example.com,+14155550100,US\n"
            "solar-us,<b>Bob</b>,Smith,bob@example.com,+14155550101,US\n"
            "solar-us,Ada,Lovelace,ada@example.com,+14155550100,US\n"
            "nowhere,Cy,Young,cy@example.com,+14155550102,US\n"
            "solar-us,Di,Ng,di@example.com,12,US\n")


@pytest.fixture(autouse=True)
def routed(monkeypatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(intake, "leads_routing_enqueue", lambda *, lead_ids: calls.extend(lead_ids))
    return calls


@pytest.fixture
def supplier(db):
    return SupplierFactory(name="Acme", campaigns=[CampaignFactory(slug="solar-us")])


def upload(client, supplier, content: bytes, name: str = "leads.csv", file_format: str = "0"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(IMPORT, {"resource": "0", "supplier": supplier.pk, "format": file_format,
                                "import_file": file})


def page(client, lead_import, **params):
    return client.get(reverse("admin:campaigns_leadimport_change", args=[lead_import.pk]), params)


def test_the_import_page_asks_for_the_supplier_and_names_the_columns(manager_web, supplier):
    body = manager_web.get(IMPORT).content.decode()
    assert 'name="supplier"' in body and "Acme" in body
    for column in ("campaign", "first_name", "postal_code", "external_id", "fields (a JSON object)"):
        assert column in body
    assert ">csv<" in body.lower() and ">xlsx<" in body.lower()


def test_upload_dry_run_confirm_and_download(manager_web, manager, supplier, routed,
                                             django_capture_on_commit_callbacks):
    response = upload(manager_web, supplier, CSV_TEXT.encode())
    lead_import = LeadImport.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/leadimport/{lead_import.pk}/change/")
    assert lead_import.created_by == manager and lead_import.supplier == supplier
    assert not Lead.objects.exists() and not IntakeAttempt.objects.exists()

    body = page(manager_web, lead_import).content.decode()
    assert "Dry run: what importing would do" in body and "Confirm: import these rows" in body
    assert "&lt;b&gt;Bob&lt;/b&gt;" in body and "<b>Bob</b>" not in body
    assert "repeated_row" in body and "Unknown campaign" in body and "invalid_contact" in body
    assert "5 of 5" in body  # rows accounted for

    with django_capture_on_commit_callbacks(execute=True):
        done = manager_web.post(reverse("admin:campaigns_leadimport_confirm", args=[lead_import.pk]), follow=True)
    assert "Imported: 2 accepted, 1 duplicate, 1 rejected, 1 invalid." in done.content.decode()
    lead_import.refresh_from_db()
    assert lead_import.status == "done" and lead_import.confirmed_by == manager
    assert Lead.objects.count() == 2 and sorted(routed) == sorted(Lead.objects.values_list("pk", flat=True))
    result = page(manager_web, lead_import).content.decode()
    first = Lead.objects.get(first_name="Ada")
    assert reverse("admin:campaigns_lead_change", args=[first.pk]) in result

    download = manager_web.get(reverse("admin:campaigns_leadimport_download", args=[lead_import.pk]))
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(row["row"], row["outcome"]) for row in rows] == [
        ("2", "accepted"), ("3", "accepted"), ("4", "duplicate"), ("5", "invalid"), ("6", "rejected")]
    assert rows[2]["earlier_row"] == "2" and rows[0]["lead"] == str(first.pk)


def test_outcome_filter_and_pages(manager_web, supplier, monkeypatch):
    from campaigns import admin_lead_entry

    monkeypatch.setattr(admin_lead_entry, "PREVIEW_PAGE_ROWS", 2)
    upload(manager_web, supplier, CSV_TEXT.encode())
    lead_import = LeadImport.objects.get()
    invalid = page(manager_web, lead_import, outcome="invalid").content.decode()
    assert "Unknown campaign" in invalid and "Lovelace" not in invalid
    assert "Page 1 of 3" in page(manager_web, lead_import).content.decode()


@pytest.mark.parametrize("content,message", [
    ("campaign,email\nsolar-us,zoë@example.com\n".encode("latin-1"), "The file is not UTF-8 text"),
    (b"first_name\nAda\n", "Missing column(s): campaign, phone or email."),
    (b"", "The submitted file is empty."),
])
def test_a_file_that_cannot_be_used_is_a_form_error(manager_web, supplier, content, message):
    response = upload(manager_web, supplier, content)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors)
    assert not LeadImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(manager_web, supplier, monkeypatch):
    from campaigns import admin_lead_entry

    monkeypatch.setattr(admin_lead_entry, "IMPORT_MAX_BYTES", 10)
    response = upload(manager_web, supplier, CSV_TEXT.encode())
    assert "per import" in str(response.context["form"].errors["import_file"])


def test_the_supplier_is_required(manager_web, supplier):
    file = io.BytesIO(CSV_TEXT.encode())
    file.name = "leads.csv"
    response = manager_web.post(IMPORT, {"resource": "0", "format": "0", "import_file": file})
    assert response.context["form"].errors["supplier"] == ["This field is required."]


def test_a_big_file_is_checked_and_imported_in_the_background(
        manager_web, supplier, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(service, "BACKGROUND_ABOVE_ROWS", 3)
    monkeypatch.setattr(service, "CHUNK_ROWS", 2)
    monkeypatch.setattr(service, "TASK_BUDGET_SECONDS", 0)
    with django_capture_on_commit_callbacks() as check:
        upload(manager_web, supplier, CSV_TEXT.encode())
    lead_import = LeadImport.objects.get()
    body = page(manager_web, lead_import).content.decode()
    assert "Checking every row" in body and 'http-equiv="refresh"' in body
    with django_capture_on_commit_callbacks(execute=True):
        for callback in check:
            callback()
    with django_capture_on_commit_callbacks() as runs:
        manager_web.post(reverse("admin:campaigns_leadimport_confirm", args=[lead_import.pk]))
    with django_capture_on_commit_callbacks():
        runs[0]()  # one chunk, then it queues the next run (not run here: as if the worker were slow)
    body = page(manager_web, lead_import).content.decode()
    assert "Importing: 2 of 5 rows done (40%)" in body and 'http-equiv="refresh"' in body
    with django_capture_on_commit_callbacks(execute=True):
        manager_web.post(reverse("admin:campaigns_leadimport_resume", args=[lead_import.pk]))
    lead_import.refresh_from_db()
    assert lead_import.status == "done" and lead_import.done == 5 and Lead.objects.count() == 2
    assert 'http-equiv="refresh"' not in page(manager_web, lead_import).content.decode()


def test_only_managers_confirm(client, supplier, manager_web):
    upload(manager_web, supplier, CSV_TEXT.encode())
    lead_import = LeadImport.objects.get()
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_leadimport", "view_lead"]))
    client.force_login(clerk)
    assert page(client, lead_import).status_code == 200
    assert "Confirm: import" not in page(client, lead_import).content.decode()
    assert client.post(reverse("admin:campaigns_leadimport_confirm", args=[lead_import.pk])).status_code == 403
    assert client.get(reverse("admin:campaigns_leadimport_confirm", args=[lead_import.pk])).status_code == 403
    assert not Lead.objects.exists()


def test_an_xlsx_file_is_imported_too(manager_web, supplier):
    from openpyxl import Workbook

    book = Workbook()
    for line in CSV_TEXT.splitlines():
        book.active.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    response = upload(manager_web, supplier, out.getvalue(), name="leads.xlsx", file_format="1")
    assert response.status_code == 302
    assert LeadImport.objects.get().preview_totals == {"accepted": 2, "duplicate": 1, "rejected": 1, "invalid": 1}
