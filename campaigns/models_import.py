"""A file of leads a manager imports: its rows as intake payloads, the dry run's outcome of each, then the import's
progress and the outcome of each row taken through intake."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from campaigns.models import Created, Supplier

OUTCOMES = ("accepted", "duplicate", "rejected", "invalid")


class LeadImport(Created):
    """One uploaded CSV or XLSX file of leads from one supplier.

    `rows` holds the file as intake payloads ({"row": spreadsheet row number, "payload": {...}}); `preview` the dry
    run's outcome of every row, `results` the import's, in row order, each row in exactly one outcome. `done` rows
    are imported, each chunk in the same transaction as its leads, so a resumed import starts where it stopped.
    Once done or cancelled, `rows` is emptied: the personal data stays only in the leads made.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking (dry run)"
        CHECKED = "checked", "Checked: confirm to import"
        IMPORTING = "importing"
        DONE = "done"
        CANCELLED = "cancelled"
        FAILED = "failed"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8, help_text="csv or xlsx.")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="lead_imports",
                                 help_text="The supplier the rows come from.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CHECKING)
    total = models.PositiveIntegerField(default=0, help_text="Rows in the file (blank lines not counted).")
    done = models.PositiveIntegerField(default=0, help_text="Rows taken through intake so far.")
    accepted = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    preview_totals = models.JSONField(default=dict, blank=True, help_text="Rows per outcome in the dry run.")
    rows = models.JSONField(default=list, blank=True, editable=False)
    preview = models.JSONField(default=list, blank=True, editable=False)
    results = models.JSONField(default=list, blank=True, editable=False)
    error = models.CharField(max_length=500, blank=True, help_text="Why the check or the import stopped.")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    started_at = models.DateTimeField(null=True, blank=True, help_text="Confirmed: the import began.")
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="leadimport_status_updated")]
        constraints = [
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")), name="leadimport_done_le_total"),
            models.CheckConstraint(
                condition=models.Q(done=models.F("accepted") + models.F("duplicate") + models.F("rejected")
                                   + models.F("invalid")),
                name="leadimport_done_is_outcomes"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.supplier_id}): {self.status} {self.done}/{self.total}"

    @property
    def counts(self) -> dict[str, int]:
        """Rows imported per outcome."""
        return {outcome: getattr(self, outcome) for outcome in OUTCOMES}
