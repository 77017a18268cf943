"""CSV import of suppression entries: normalised like intake, bad rows reported, re-import changes nothing."""

import tablib

from campaigns.models import IntakeAttempt, SuppressionEntry
from campaigns.resources import IntakeAttemptResource, SuppressionEntryResource
from campaigns.services import lead_intake

from .conftest import lead_payload

CSV = """kind,value,reason
phone,+1 (415) 555-0100,do not call
email,Ada@Example.COM,opt-out
domain,@Blocked.Example,competitor
,+44 20 7946 0958,guessed phone
,bob@example.org,guessed email
,spam.example,guessed domain
phone,12345,bad
fax,+14155550100,bad kind
email,,empty
"""


def import_csv(text, dry_run=False):
    return SuppressionEntryResource().import_data(tablib.Dataset().load(text, format="csv"), dry_run=dry_run)


def test_import_normalises_and_reports_bad_rows(db):
    result = import_csv(CSV)
    assert sorted(SuppressionEntry.objects.values_list("kind", "value", "reason")) == [
        ("email", "ada@example.com", "opt-out"),
        ("email", "bob@example.org", "guessed email"),
        ("email_domain", "blocked.example", "competitor"),
        ("email_domain", "spam.example", "guessed domain"),
        ("phone", "+14155550100", "do not call"),
        ("phone", "+442079460958", "guessed phone"),
    ]
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert invalid == {
        7: {"value": ["'12345' is not a valid phone number with +country code."]},
        8: {"kind": ["Unknown kind 'fax': use phone, email or email_domain."]},
        9: {"value": ["Empty value."]},
    }


def test_reimport_changes_nothing(db):
    import_csv(CSV)
    result = import_csv(CSV)
    assert SuppressionEntry.objects.count() == 6
    assert result.totals["new"] == 0 and result.totals["skip"] == 6


def test_imported_entries_suppress_intake(supplier):
    import_csv("Value\n+1 (415) 555-0100\n")
    result = lead_intake(supplier=supplier, payload=lead_payload())
    assert result.body["reason"] == "suppressed"


def test_intake_log_export(supplier):
    lead_intake(supplier=supplier, payload=lead_payload(external_id="e-1"))
    dataset = IntakeAttemptResource().export(IntakeAttempt.objects.all())
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert (row["supplier"], row["campaign"], row["outcome"], row["external_id"]) == (
        "Acme Leads", "solar-us", "accepted", "e-1")
