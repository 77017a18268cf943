"""Validation and normalisation helpers: code lists, phones, emails, suppression values, echo safety."""

import pytest

from campaigns.services.iso639 import ISO_639_1
from campaigns.services.normalise import (
    ISO_3166_ALPHA2,
    LeadInvalid,
    LeadRefused,
    lead_payload_parse,
    phone_normalise,
    shown,
    suppression_value_normalise,
)


def test_code_lists():
    assert len(ISO_3166_ALPHA2) == 249
    assert {"US", "DE", "AQ", "UM", "PN"} <= ISO_3166_ALPHA2
    assert not {"AC", "TA", "XK", "UK", "EU"} & ISO_3166_ALPHA2
    assert len(ISO_639_1) == 184
    assert {"en", "es", "zh", "bh"} <= ISO_639_1 and "eng" not in ISO_639_1


@pytest.mark.parametrize(("raw", "country", "e164"), [
    pytest.param("(415) 555-0100", "US", "+14155550100", id="national-us"),
    pytest.param("+1 415 555 0100", "", "+14155550100", id="international-no-country"),
    pytest.param("020 7946 0958", "GB", "+442079460958", id="national-gb-trunk-zero"),
    pytest.param("+44 20 7946 0958", "US", "+442079460958", id="international-over-another-country"),
    pytest.param("030 1234567", "DE", "+49301234567", id="national-de"),
    pytest.param("+61 2 9374 4000", "AQ", "+61293744000", id="international-country-without-phone-region"),
])
def test_phone_normalise(raw, country, e164):
    assert phone_normalise(raw=raw, country=country) == e164


@pytest.mark.parametrize(("raw", "country"), [("12345", "US"), ("+999", ""), ("abc", "US"), ("555-0100", "")])
def test_phone_not_a_number(raw, country):
    with pytest.raises(LeadRefused) as refused:
        phone_normalise(raw=raw, country=country)
    assert refused.value.reason == "invalid_contact"


def test_payload_parse_trims_and_cases():
    lead = lead_payload_parse(payload={"campaign": " solar-us ", "country": " de ", "language": "DE",
                                       "first_name": "  Jürgen ", "region": None, "fields": None})
    assert (lead.campaign, lead.country, lead.language, lead.first_name, lead.region, lead.fields) == (
        "solar-us", "DE", "de", "Jürgen", "", {})


def test_payload_collects_every_error():
    with pytest.raises(LeadInvalid) as invalid:
        lead_payload_parse(payload={"phone": 1, "email": ["a"], "external_id": "x" * 129, "extra": 1})
    assert invalid.value.errors == {
        "extra": ["Unknown field. Put extra answers in \"fields\"."],
        "phone": ["Must be a string."],
        "email": ["Must be a string."],
        "external_id": ["Ensure this field has no more than 128 characters."],
        "campaign": ["This field is required."],
    }


@pytest.mark.parametrize(("kind", "value", "normalised"), [
    ("phone", " +1 (415) 555-0100 ", "+14155550100"),
    ("email", "Ada@Example.COM", "ada@example.com"),
    ("email_domain", "@Example.COM.", "example.com"),
])
def test_suppression_value_normalise(kind, value, normalised):
    assert suppression_value_normalise(kind=kind, value=value) == normalised


@pytest.mark.parametrize(("kind", "value"), [("phone", "4155550100"), ("email", "nope"), ("email_domain", "a b"),
                                             ("fax", "1")])
def test_suppression_value_refused(kind, value):
    with pytest.raises(ValueError):
        suppression_value_normalise(kind=kind, value=value)


def test_shown_escapes_what_a_database_or_log_could_choke_on():
    assert shown("Zoë") == "Zoë"
    assert shown("a\x00b") == "a\\x00b"
    assert shown("\ud800") == "\\ud800"
    assert shown("x" * 50) == "x" * 40 + "…"
