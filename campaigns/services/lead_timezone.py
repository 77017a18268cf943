"""A lead's time zone from what intake knows of them: the phone number, then the region or postal code, then the
country. Pure: no database, no Django.

The rule (README "Calling hours"):

1. The phone's zones (phonenumbers' time-zone data). One zone, or several that keep the same clock all year
   (e.g. +44 7...: London, Jersey, Guernsey, Isle of Man), decides.
2. Several zones that differ (a mobile range, a toll-free number, an area code on a zone line) are narrowed by the
   lead's region, then by its postal code: the zones of the place that agree with one of the phone's zones. A
   place alone decides when the phone gave nothing. Tables: US states (ZIP3 prefixes; Texas, Florida, Idaho and
   Tennessee split by ZIP3), Canadian provinces (postal code's first letter), Australian states (postcodes),
   Spain (provinces: Canary Islands, Ceuta and Melilla). A region is one zone when about 99% of its people keep
   that clock (New South Wales: Sydney, despite Broken Hill); otherwise it lists its zones and needs the phone or
   the postal code (Indiana, Kentucky, the Dakotas, Nebraska, Arizona with the Navajo Nation...).
3. The country's zones (tzdata's zone.tab), narrowed the same way; a country whose zones differ (US, Russia,
   Australia, Spain...) is not enough.
4. Otherwise unknown: "". Calling hours then use the campaign's time zone (campaigns/calling_hours.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import zoneinfo
from collections.abc import Collection, Iterable

import phonenumbers
from phonenumbers import timezone as phone_timezones

UNKNOWN = ""
_SAMPLE_STEP = dt.timedelta(hours=1)

NY, CHI, DEN, PHX = "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix"
LA, BOISE, ANCH, HNL = "America/Los_Angeles", "America/Boise", "America/Anchorage", "Pacific/Honolulu"

# State -> its zone, or its zones when no one clock covers about 99% of its people.
_US_STATES: dict[str, tuple[str, ...]] = {
    "AL": (CHI,), "AK": (ANCH,), "AZ": (PHX, DEN), "AR": (CHI,), "CA": (LA,), "CO": (DEN,), "CT": (NY,),
    "DE": (NY,), "DC": (NY,), "FL": (NY, CHI), "GA": (NY,), "HI": (HNL,), "ID": (BOISE, LA), "IL": (CHI,),
    "IN": ("America/Indiana/Indianapolis", CHI), "IA": (CHI,), "KS": (CHI,), "KY": (NY, CHI), "LA": (CHI,),
    "ME": (NY,), "MD": (NY,), "MA": (NY,), "MI": ("America/Detroit",), "MN": (CHI,), "MS": (CHI,), "MO": (CHI,),
    "MT": (DEN,), "NE": (CHI, DEN), "NV": (LA,), "NH": (NY,), "NJ": (NY,), "NM": (DEN,), "NY": (NY,), "NC": (NY,),
    "ND": (CHI, DEN), "OH": (NY,), "OK": (CHI,), "OR": (LA,), "PA": (NY,), "RI": (NY,), "SC": (NY,),
    "SD": (CHI, DEN), "TN": (CHI, NY), "TX": (CHI, DEN), "UT": (DEN,), "VT": (NY,), "VA": (NY,), "WA": (LA,),
    "WV": (NY,), "WI": (CHI,), "WY": (DEN,), "PR": ("America/Puerto_Rico",), "GU": ("Pacific/Guam",),
    "VI": ("America/St_Thomas",), "AS": ("Pacific/Pago_Pago",), "MP": ("Pacific/Saipan",),
}
_US_STATE_NAMES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "washington dc": "DC", "florida": "FL",
    "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "puerto rico": "PR", "guam": "GU",
}
# ZIP3 prefix ranges -> state (USPS); military and unassigned prefixes are absent.
_US_ZIP3: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"), (6, 7, "PR"), (8, 8, "VI"), (9, 9, "PR"), (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"),
    (39, 49, "ME"), (50, 54, "VT"), (55, 55, "MA"), (56, 59, "VT"), (60, 69, "CT"), (70, 89, "NJ"),
    (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"), (200, 200, "DC"), (201, 201, "VA"), (202, 205, "DC"),
    (206, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"), (270, 289, "NC"), (290, 299, "SC"), (300, 319, "GA"),
    (320, 339, "FL"), (341, 349, "FL"), (350, 369, "AL"), (370, 385, "TN"), (386, 397, "MS"), (398, 399, "GA"),
    (400, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"), (480, 499, "MI"), (500, 528, "IA"), (530, 549, "WI"),
    (550, 567, "MN"), (569, 569, "DC"), (570, 577, "SD"), (580, 588, "ND"), (590, 599, "MT"), (600, 629, "IL"),
    (630, 658, "MO"), (660, 679, "KS"), (680, 693, "NE"), (700, 714, "LA"), (716, 729, "AR"), (730, 749, "OK"),
    (750, 799, "TX"), (800, 816, "CO"), (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"), (850, 865, "AZ"),
    (870, 884, "NM"), (885, 885, "TX"), (889, 898, "NV"), (900, 961, "CA"), (967, 968, "HI"), (969, 969, "GU"),
    (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
)
# States whose zone line follows ZIP3 prefixes: the state's zone, and the prefixes on the other side.
_US_ZIP3_SPLIT: dict[str, tuple[str, dict[int, str]]] = {
    "TX": (CHI, {798: DEN, 799: DEN, 885: DEN}),  # El Paso and Hudspeth counties
    "FL": (NY, {324: CHI, 325: CHI}),  # the Panhandle west of the Apalachicola
    "ID": (BOISE, {835: LA, 838: LA}),  # the Panhandle and Lewiston
    "TN": (CHI, {373: NY, 374: NY, 376: NY, 377: NY, 378: NY, 379: NY}),  # East Tennessee
}

_CA_PROVINCES: dict[str, tuple[str, ...]] = {
    "AB": ("America/Edmonton",), "BC": ("America/Vancouver",), "MB": ("America/Winnipeg",),
    "NB": ("America/Moncton",), "NL": ("America/St_Johns", "America/Goose_Bay"), "NS": ("America/Halifax",),
    "NT": ("America/Edmonton",), "NU": ("America/Iqaluit", "America/Rankin_Inlet", "America/Cambridge_Bay"),
    "ON": ("America/Toronto",), "PE": ("America/Halifax",), "QC": ("America/Toronto",), "SK": ("America/Regina",),
    "YT": ("America/Whitehorse",),
}
_CA_PROVINCE_NAMES = {
    "alberta": "AB", "british columbia": "BC", "manitoba": "MB", "new brunswick": "NB",
    "newfoundland and labrador": "NL", "nova scotia": "NS", "northwest territories": "NT", "nunavut": "NU",
    "ontario": "ON", "prince edward island": "PE", "quebec": "QC", "québec": "QC", "saskatchewan": "SK",
    "yukon": "YT",
}
# A Canadian postal code's first letter -> its province (P, northern Ontario, crosses the Central line: ON + MB).
_CA_POSTAL_FIRST: dict[str, tuple[str, ...]] = {
    "A": _CA_PROVINCES["NL"], "B": _CA_PROVINCES["NS"], "C": _CA_PROVINCES["PE"], "E": _CA_PROVINCES["NB"],
    "G": _CA_PROVINCES["QC"], "H": _CA_PROVINCES["QC"], "J": _CA_PROVINCES["QC"], "K": _CA_PROVINCES["ON"],
    "L": _CA_PROVINCES["ON"], "M": _CA_PROVINCES["ON"], "N": _CA_PROVINCES["ON"],
    "P": ("America/Toronto", "America/Winnipeg"), "R": _CA_PROVINCES["MB"], "S": _CA_PROVINCES["SK"],
    "T": _CA_PROVINCES["AB"], "V": _CA_PROVINCES["BC"], "X": _CA_PROVINCES["NU"] + _CA_PROVINCES["NT"],
    "Y": _CA_PROVINCES["YT"],
}

_AU_STATES: dict[str, tuple[str, ...]] = {
    "NSW": ("Australia/Sydney",), "ACT": ("Australia/Sydney",), "VIC": ("Australia/Melbourne",),
    "QLD": ("Australia/Brisbane",), "SA": ("Australia/Adelaide",), "WA": ("Australia/Perth",),
    "TAS": ("Australia/Hobart",), "NT": ("Australia/Darwin",),
}
_AU_STATE_NAMES = {
    "new south wales": "NSW", "australian capital territory": "ACT", "victoria": "VIC", "queensland": "QLD",
    "south australia": "SA", "western australia": "WA", "tasmania": "TAS", "northern territory": "NT",
}

_ES_CANARY, _ES_CEUTA, _ES_MAINLAND = ("Atlantic/Canary",), ("Africa/Ceuta",), ("Europe/Madrid",)
# Spanish regions as people write them (ISO 3166-2:ES codes, communities, a few provinces), lower-cased; a region
# not named here tells nothing.
_ES_REGIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("cn", "canarias", "islas canarias", "canary islands", "gc", "las palmas", "tf",
                     "santa cruz de tenerife", "tenerife", "gran canaria"), _ES_CANARY),
    **dict.fromkeys(("ce", "ceuta", "ml", "melilla"), _ES_CEUTA),
    **dict.fromkeys(("an", "andalucía", "andalucia", "andalusia", "ar", "aragón", "aragon", "as", "asturias",
                     "cb", "cantabria", "cl", "castilla y león", "castilla y leon", "cm", "castilla-la mancha",
                     "castilla la mancha", "ct", "cataluña", "catalunya", "catalonia", "ex", "extremadura", "ga",
                     "galicia", "ib", "illes balears", "islas baleares", "balearic islands", "md", "madrid",
                     "comunidad de madrid", "mc", "murcia", "región de murcia", "nc", "navarra", "pv",
                     "país vasco", "pais vasco", "euskadi", "basque country", "ri", "la rioja", "vc",
                     "comunidad valenciana", "comunitat valenciana", "valencia", "barcelona", "sevilla"),
                    _ES_MAINLAND),
}


def lead_timezone_derive(*, phone: str, country: str = "", region: str = "", postal_code: str = "",
                         at: dt.datetime | None = None) -> str:
    """The lead's IANA time zone by the module's rule, or "" when the facts do not settle it.

    `phone` is E.164 (as intake normalises it) or empty; `country` ISO 3166-1 alpha-2; `at` (default now) only
    chooses the year over which zones must keep the same clock to count as one.
    """
    year = (at or dt.datetime.now(dt.UTC)).year
    phone_zones, phone_country = _phone_zones(phone)
    country = (country or phone_country).upper()
    settled = _settle(phone_zones, country=country, year=year)
    if settled:
        return settled
    for place in (_region_zones(country=country, region=region),
                  _postal_zones(country=country, postal_code=postal_code),
                  _country_zones(country)):
        if not place:
            continue
        narrowed = _agreeing(phone_zones, place, year=year) if phone_zones else place
        settled = _settle(narrowed or place, country=country, year=year)
        if settled:
            # The place's own name for that clock (Broken Hill rather than the phone's Adelaide).
            return next((zone for zone in place if _same_clock(frozenset((zone, settled)), year)), settled)
    return UNKNOWN


def _phone_zones(phone: str) -> tuple[tuple[str, ...], str]:
    """(the number's known zones, its country) or ((), "") when it does not parse."""
    if not phone:
        return (), ""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return (), ""
    zones = tuple(zone for zone in phone_timezones.time_zones_for_number(number) if zone in _known_zones())
    return zones, phonenumbers.region_code_for_number(number) or ""


def _region_zones(*, country: str, region: str) -> tuple[str, ...]:
    key = " ".join(region.strip().replace(".", "").split()).lower()
    if not key:
        return ()
    if country == "US":
        return _US_STATES.get(_US_STATE_NAMES.get(key, key.upper()), ())
    if country == "CA":
        return _CA_PROVINCES.get(_CA_PROVINCE_NAMES.get(key, key.upper()), ())
    if country == "AU":
        return _AU_STATES.get(_AU_STATE_NAMES.get(key, key.upper()), ())
    if country == "ES":
        return _ES_REGIONS.get(key, ())
    return ()


def _postal_zones(*, country: str, postal_code: str) -> tuple[str, ...]:
    code = postal_code.strip().upper().replace(" ", "")
    if country == "US" and len(code) >= 5 and code[:5].isdigit():
        return _us_zip_zones(int(code[:3]))
    if country == "CA" and code[:1].isalpha():
        return _CA_POSTAL_FIRST.get(code[0], ())
    if country == "AU" and len(code) == 4 and code.isdigit():
        return _au_postcode_zones(int(code))
    if country == "ES" and len(code) == 5 and code.isdigit():
        province = int(code[:2])
        return _ES_CANARY if province in (35, 38) else _ES_CEUTA if province in (51, 52) else _ES_MAINLAND
    return ()


def _us_zip_zones(zip3: int) -> tuple[str, ...]:
    state = next((state for low, high, state in _US_ZIP3 if low <= zip3 <= high), "")
    if state in _US_ZIP3_SPLIT:
        usual, exceptions = _US_ZIP3_SPLIT[state]
        return (exceptions.get(zip3, usual),)
    return _US_STATES.get(state, ())


def _au_postcode_zones(code: int) -> tuple[str, ...]:
    if code == 2880:  # Broken Hill keeps South Australia's clock
        return ("Australia/Broken_Hill",)
    if 200 <= code <= 299 or 1000 <= code <= 2999:
        return _AU_STATES["NSW"]
    if 800 <= code <= 999:
        return _AU_STATES["NT"]
    first = code // 1000
    return {3: _AU_STATES["VIC"], 4: _AU_STATES["QLD"], 5: _AU_STATES["SA"], 6: _AU_STATES["WA"],
            7: _AU_STATES["TAS"], 8: _AU_STATES["VIC"], 9: _AU_STATES["QLD"]}.get(first, ())


def _agreeing(candidates: Iterable[str], place: Iterable[str], *, year: int) -> tuple[str, ...]:
    """The candidates that keep the same clock as one of the place's zones (names differ: Detroit vs New York)."""
    place = tuple(place)
    return tuple(zone for zone in candidates if any(_same_clock(frozenset((zone, other)), year) for other in place))


def _settle(zones: Collection[str], *, country: str, year: int) -> str:
    """The one zone these stand for, or "" when they are none or keep different clocks."""
    if not zones or not _same_clock(frozenset(zones), year):
        return UNKNOWN
    preferred = [zone for zone in _country_zones(country) if zone in zones]
    return preferred[0] if preferred else sorted(zones)[0]


@functools.cache
def _same_clock(zones: frozenset[str], year: int) -> bool:
    if not zones or not zones <= _known_zones():
        return False
    if len(zones) == 1:
        return True
    infos = [zoneinfo.ZoneInfo(zone) for zone in sorted(zones)]
    moment = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    while moment < end:
        offsets = {moment.astimezone(info).utcoffset() for info in infos}
        if len(offsets) > 1:
            return False
        moment += _SAMPLE_STEP
    return True


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def _country_zones(country: str) -> tuple[str, ...]:
    """The country's zones in tzdata's zone.tab order (its most populous first, by tzdata's convention)."""
    return _zone_tab().get(country.upper(), ())


@functools.cache
def _zone_tab() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_ = line.split("\t")
            table.setdefault(code, []).append(zone)
    return {code: tuple(zones) for code, zones in table.items()}
