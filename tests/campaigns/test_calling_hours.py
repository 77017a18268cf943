"""Calling hours, pure: the lead's time zone from phone / region / postal code / country, and the calling window
on the lead's wall clock across daylight-saving changes in both hemispheres. No database."""

import datetime as dt

import pytest

from campaigns.calling_hours import CallingWindow, calling_hold_reason, calling_state, lead_intake_hold_reason
from campaigns.models import Campaign
from campaigns.services.lead_timezone import lead_timezone_derive

AT = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
WINDOW = CallingWindow(starts=dt.time(8), ends=dt.time(21))


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize("phone, country, region, postal_code, zone", [
    # One zone for the number.
    ("+18085550100", "US", "", "", "Pacific/Honolulu"),
    ("+34911234567", "ES", "", "", "Europe/Madrid"),
    ("+34928123456", "ES", "", "", "Atlantic/Canary"),  # a Las Palmas landline
    ("+61293744000", "AU", "", "", "Australia/Sydney"),
    ("+14155550100", "US", "", "", "America/Los_Angeles"),
    ("+4915112345678", "DE", "", "", "Europe/Berlin"),
    ("+442079460000", "GB", "", "", "Europe/London"),
    ("+74232123456", "RU", "", "", "Asia/Vladivostok"),
    # The phone comes first: a California number with a New York address is called on California's clock.
    ("+14155550100", "US", "NY", "10001", "America/Los_Angeles"),
    # +61 mobiles span every Australian zone: the state or the postcode narrows them.
    ("+61412345678", "AU", "", "", ""),
    ("+61412345678", "AU", "NSW", "", "Australia/Sydney"),
    ("+61412345678", "AU", "Western Australia", "", "Australia/Perth"),
    ("+61412345678", "AU", "", "6000", "Australia/Perth"),
    ("+61412345678", "AU", "", "2880", "Australia/Broken_Hill"),  # NSW, on South Australia's clock
    ("+61893744000", "AU", "", "", ""),  # 08: Adelaide or Perth
    ("+61893744000", "AU", "SA", "", "Australia/Adelaide"),
    # +7 mobiles span Russia's eleven zones; no Russian region table, and the country is not one clock.
    ("+79161234567", "RU", "", "", ""),
    ("+79161234567", "RU", "Moscow", "101000", ""),
    # +1 toll-free: every North American zone. A one-zone state settles it; Texas needs its ZIP.
    ("+18005550100", "US", "", "", ""),
    ("+18005550100", "US", "California", "", "America/Los_Angeles"),
    ("+18005550100", "US", "TX", "", ""),
    ("+18005550100", "US", "TX", "79901", "America/Denver"),  # El Paso
    ("+18005550100", "US", "TX", "75201", "America/Chicago"),  # Dallas
    # +1 208 (Idaho) lies on the Pacific / Mountain line: the ZIP decides.
    ("+12085550100", "US", "ID", "", ""),
    ("+12085550100", "US", "ID", "83814", "America/Los_Angeles"),  # Coeur d'Alene
    ("+12085550100", "US", "ID", "83702", "America/Boise"),
    # +1 701 (North Dakota) spans Central and Mountain; the state alone is split too.
    ("+17015550100", "US", "ND", "", ""),
    # +34 mobiles: mainland or Canaries.
    ("+34612345678", "ES", "", "", ""),
    ("+34612345678", "ES", "", "28001", "Europe/Madrid"),
    ("+34612345678", "ES", "", "35001", "Atlantic/Canary"),
    ("+34612345678", "ES", "Canarias", "", "Atlantic/Canary"),
    ("+34612345678", "ES", "Madrid", "", "Europe/Madrid"),
    # No phone: the place, then the country when it is one clock.
    ("", "DE", "", "", "Europe/Berlin"),
    ("", "GB", "", "", "Europe/London"),
    ("", "US", "", "", ""),
    ("", "US", "Hawaii", "", "Pacific/Honolulu"),
    ("", "US", "", "33101", "America/New_York"),  # Miami
    ("", "US", "", "32501", "America/Chicago"),  # Pensacola
    ("", "CA", "", "M5V 3L9", "America/Toronto"),
    ("", "ES", "", "", ""),
    ("", "", "", "", ""),
    ("not a phone", "", "", "", ""),
])
def test_lead_timezone_derive(phone, country, region, postal_code, zone):
    assert lead_timezone_derive(phone=phone, country=country, region=region, postal_code=postal_code, at=AT) == zone


@pytest.mark.parametrize("zone, at, is_open, opens_at, closes_at, local", [
    # US/Hawaii: no daylight saving, 08:00-21:00 HST is 18:00-07:00 UTC all year.
    ("US/Hawaii", utc(2026, 3, 8, 17, 0), False, utc(2026, 3, 8, 18, 0), None, "07:00"),
    ("US/Hawaii", utc(2026, 3, 8, 18, 0), True, None, utc(2026, 3, 9, 7, 0), "08:00"),
    ("US/Hawaii", utc(2026, 3, 9, 6, 59), True, None, utc(2026, 3, 9, 7, 0), "20:59"),
    ("US/Hawaii", utc(2026, 3, 9, 7, 0), False, utc(2026, 3, 9, 18, 0), None, "21:00"),
    ("US/Hawaii", utc(2026, 7, 1, 17, 59), False, utc(2026, 7, 1, 18, 0), None, "07:59"),
    # Europe/Madrid: the clocks go forward on Sunday 29 March 2026 at 01:00 UTC, back on Sunday 25 October.
    ("Europe/Madrid", utc(2026, 3, 28, 6, 30), False, utc(2026, 3, 28, 7, 0), None, "07:30"),
    ("Europe/Madrid", utc(2026, 3, 29, 6, 30), True, None, utc(2026, 3, 29, 19, 0), "08:30"),
    ("Europe/Madrid", utc(2026, 3, 29, 5, 59), False, utc(2026, 3, 29, 6, 0), None, "07:59"),
    ("Europe/Madrid", utc(2026, 3, 28, 20, 0), False, utc(2026, 3, 29, 6, 0), None, "21:00"),  # opens after the change
    ("Europe/Madrid", utc(2026, 10, 24, 20, 0), False, utc(2026, 10, 25, 7, 0), None, "22:00"),  # back to CET
    ("Europe/Madrid", utc(2026, 10, 25, 19, 59), True, None, utc(2026, 10, 25, 20, 0), "20:59"),
    ("Europe/Madrid", utc(2026, 10, 25, 20, 0), False, utc(2026, 10, 26, 7, 0), None, "21:00"),
    # Australia/Sydney: clocks go back on Sunday 5 April 2026 (16:00 UTC the day before), forward on Sunday 4 October.
    ("Australia/Sydney", utc(2026, 4, 4, 10, 30), False, utc(2026, 4, 4, 22, 0), None, "21:30"),
    ("Australia/Sydney", utc(2026, 4, 4, 20, 0), False, utc(2026, 4, 4, 22, 0), None, "06:00"),
    ("Australia/Sydney", utc(2026, 4, 4, 21, 30), False, utc(2026, 4, 4, 22, 0), None, "07:30"),  # 08:30 in AEDT
    ("Australia/Sydney", utc(2026, 10, 3, 10, 30), True, None, utc(2026, 10, 3, 11, 0), "20:30"),
    ("Australia/Sydney", utc(2026, 10, 3, 11, 0), False, utc(2026, 10, 3, 21, 0), None, "21:00"),
    ("Australia/Sydney", utc(2026, 10, 3, 21, 0), True, None, utc(2026, 10, 4, 10, 0), "08:00"),
])
def test_calling_window_on_the_leads_wall_clock(zone, at, is_open, opens_at, closes_at, local):
    state = calling_state(zone=zone, window=WINDOW, at=at)
    assert (state.is_open, state.opens_at, state.closes_at, f"{state.local:%H:%M}") == (
        is_open, opens_at, closes_at, local)


def test_a_window_starting_in_the_skipped_hour_opens_at_the_jump_and_in_the_repeated_hour_at_its_first_pass():
    spring = calling_state(zone="America/New_York", window=CallingWindow(starts=dt.time(2, 30), ends=dt.time(21)),
                           at=utc(2026, 3, 8, 5, 0))  # midnight EST; 02:00-03:00 does not exist that night
    assert (spring.is_open, spring.opens_at) == (False, utc(2026, 3, 8, 7, 0))  # 03:00 EDT
    autumn = calling_state(zone="America/New_York", window=CallingWindow(starts=dt.time(1, 30), ends=dt.time(21)),
                           at=utc(2026, 11, 1, 4, 0))  # midnight EDT; 01:00-02:00 happens twice
    assert (autumn.is_open, autumn.opens_at) == (False, utc(2026, 11, 1, 5, 30))  # 01:30 EDT, the first pass


def test_no_window_means_calling_is_always_open():
    state = calling_state(zone="Europe/Madrid", window=None, at=utc(2026, 3, 29, 2, 0))
    assert (state.is_open, state.opens_at, state.closes_at) == (True, None, None)


def campaign(**fields) -> Campaign:
    defaults = {"timezone": "America/Chicago", "calling_starts": dt.time(8), "calling_ends": dt.time(21),
                "outside_calling_hours": Campaign.OutsideCallingHours.HOLD}
    return Campaign(**{**defaults, **fields})


def test_a_holding_campaign_holds_outside_the_leads_window_and_says_when_it_opens():
    night_in_chicago = utc(2026, 12, 7, 10, 0)  # 04:00 CST, 11:00 CET
    assert calling_hold_reason(campaign=campaign(), lead_timezone="America/Chicago", at=night_in_chicago) == (
        "Outside calling hours in the lead's time (opens 08:00 America/Chicago)")
    assert calling_hold_reason(campaign=campaign(), lead_timezone="Europe/Madrid", at=night_in_chicago) == ""
    # Unknown zone: the campaign's.
    assert calling_hold_reason(campaign=campaign(), lead_timezone="", at=night_in_chicago) == (
        "Outside calling hours in the lead's time (opens 08:00 America/Chicago, the campaign's zone)")


@pytest.mark.parametrize("fields", [
    {"outside_calling_hours": Campaign.OutsideCallingHours.OFFER},  # offered with calling disabled instead
    {"calling_starts": None, "calling_ends": None},  # no window
    {"distribution_mode": Campaign.Distribution.BUYERS_ONLY},  # buyers, not reps, take it
])
def test_only_a_holding_window_for_reps_holds(fields):
    assert calling_hold_reason(campaign=campaign(**fields), lead_timezone="America/Chicago",
                               at=utc(2026, 12, 7, 10, 0)) == ""


def test_office_hours_hold_before_calling_hours():
    assert lead_intake_hold_reason(campaign=campaign(), campaign_open=False, lead_timezone="Europe/Madrid",
                                   at=AT) == "Campaign outside office hours: held until it opens."
