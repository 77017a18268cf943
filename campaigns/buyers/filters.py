"""Pure matching of a lead against buyer filters or price-rule conditions, and buyer schedules (no database).

Conditions are a JSON object, all keys must match:
    {"country": ["US", "CA"], "region": "CA", "postal_code": ["90", "91"], "homeowner": true,
     "fields.income__gte": 50000, "language__not": ["de"], "skill__exists": true}
A key is a lead field (campaign, supplier, country, region, postal_code, language, skill, score), "fields.<name>"
or a bare <name> of the supplier's extra answers; an optional "__<op>" suffix picks the test:
in (default; the lead's value is one of the values), not, prefix (default for postal_code and postal_prefix),
gt, gte, lt, lte (numbers), exists (true: the lead has a value; false: it has none).
"persona" names personas (slugs, defined on the sales floor): {"persona": ["homeowners-ca"]} holds when the lead
is in one of them, "persona__not" when it is in none; the caller puts the lead's personas in its view.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from collections.abc import Iterable, Mapping

from campaigns.models import known_timezones
from campaigns.schedule import window_contains

PERSONA = "persona"
LEAD_KEYS = frozenset({"campaign", "supplier", "country", "region", "postal_code", "language", "skill", "score",
                       PERSONA})
FIELDS_PREFIX = "fields."
OPS = ("in", "not", "prefix", "gt", "gte", "lt", "lte", "exists")
_NUMERIC = {"gt": float.__gt__, "gte": float.__ge__, "lt": float.__lt__, "lte": float.__le__}
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def condition_key_split(key: str) -> tuple[str, str]:
    """('fields.income', 'gte') for 'fields.income__gte'; postal keys default to prefix, others to in."""
    field, _, op = key.partition("__")
    if field == "postal_prefix":
        field, op = "postal_code", op or "prefix"
    if not op:
        op = "prefix" if field == "postal_code" else "in"
    return field, op


def lead_value(*, lead: Mapping[str, object], field: str) -> object:
    """The lead's value for a condition field (None when missing); bare unknown names read `fields`."""
    extra = lead.get("fields")
    extra = extra if isinstance(extra, Mapping) else {}
    if field.startswith(FIELDS_PREFIX):
        return extra.get(field[len(FIELDS_PREFIX):])
    if field in LEAD_KEYS:
        return lead.get(field)
    return extra.get(field)


def _norm(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().casefold()


def _set(raw: object) -> set[str]:
    items = raw if isinstance(raw, (list, tuple, set, frozenset)) else [raw]
    return {v for v in (_norm(x) for x in items if x is not None) if v}


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (list, tuple)):
        return _number(value[0]) if len(value) == 1 else None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def condition_matches(*, key: str, expected: object, lead: Mapping[str, object]) -> bool:
    """True when the lead passes one condition; never raises on bad data (unknown operators fail closed)."""
    field, op = condition_key_split(key)
    raw = lead_value(lead=lead, field=field)
    actual = _set(raw)
    if op in _NUMERIC:
        left, right = _number(raw), _number(expected)
        return left is not None and right is not None and _NUMERIC[op](left, right)
    if op == "exists":
        return bool(actual) == bool(expected)
    wanted = _set(expected)
    if op == "in":
        return bool(actual & wanted)
    if op == "not":
        return not actual & wanted
    if op == "prefix":
        return any(value.startswith(prefix) for value in actual for prefix in wanted)
    return False


def conditions_match(*, conditions: Mapping[str, object] | None, lead: Mapping[str, object]) -> bool:
    """True when every condition matches (no conditions: every lead)."""
    if not conditions:
        return True
    if not isinstance(conditions, Mapping):
        return False
    return all(condition_matches(key=key, expected=value, lead=lead) for key, value in conditions.items())


def conditions_failed(*, conditions: Mapping[str, object] | None, lead: Mapping[str, object]) -> list[str]:
    """The keys the lead does not pass, for explanations."""
    if not conditions:
        return []
    if not isinstance(conditions, Mapping):
        return ["(not an object)"]
    return [key for key, value in conditions.items() if not condition_matches(key=key, expected=value, lead=lead)]


def condition_fields(conditions: Mapping[str, object] | None) -> set[str]:
    """The lead fields a set of conditions reads ('country', 'fields.income', ...)."""
    if not isinstance(conditions, Mapping):
        return set()
    names = set()
    for key in conditions:
        field, _ = condition_key_split(str(key))
        names.add(field if field in LEAD_KEYS or field.startswith(FIELDS_PREFIX) else FIELDS_PREFIX + field)
    return names


def condition_persona_slugs(conditions: object) -> set[str]:
    """The persona slugs the conditions name (lower-cased), empty when they name none."""
    if not isinstance(conditions, Mapping):
        return set()
    slugs: set[str] = set()
    for key, value in conditions.items():
        if condition_key_split(str(key))[0] == PERSONA:
            slugs.update(_set(value))
    return slugs


def names_persona(conditions: object) -> bool:
    """Whether the conditions test the lead's personas (the caller must then put them in the lead's view)."""
    return isinstance(conditions, Mapping) and any(condition_key_split(str(k))[0] == PERSONA for k in conditions)


def conditions_problems(conditions: object) -> list[str]:
    """What is wrong with a conditions object, for the admin (empty when valid)."""
    if conditions in (None, "", {}):
        return []
    if not isinstance(conditions, Mapping):
        return ['Must be a JSON object such as {"country": ["US"]}.']
    problems = []
    for key, value in conditions.items():
        field, op = condition_key_split(str(key))
        if not field or field in (FIELDS_PREFIX, FIELDS_PREFIX.rstrip(".")):
            problems.append(f"{key!r}: name a lead field.")
        elif op not in OPS:
            problems.append(f"{key!r}: unknown test '__{op}'; use one of {', '.join(OPS)}.")
        elif field == PERSONA and (op not in ("in", "not") or not _set(value)):
            problems.append(f"{key!r}: name personas by slug, with no test (in one of them) or __not.")
        elif op in _NUMERIC and _number(value) is None:
            problems.append(f"{key!r}: needs a number.")
        elif op == "exists" and not isinstance(value, bool):
            problems.append(f"{key!r}: needs true or false.")
        elif not _scalar_or_list(value):
            problems.append(f"{key!r}: must be a value or a list of values.")
    return problems


def _scalar_or_list(value: object) -> bool:
    scalar = (str, int, float, bool)
    return isinstance(value, scalar) or (isinstance(value, list) and all(isinstance(v, scalar) for v in value))


def schedule_timezone(schedule: object, default: str) -> str:
    """The schedule's IANA zone, or the default."""
    zone = schedule.get("timezone") if isinstance(schedule, Mapping) else None
    return zone if isinstance(zone, str) and zone in known_timezones() else default


def _windows(schedule: object) -> Iterable[tuple[int, dt.time, dt.time]]:
    for window in (schedule.get("windows") or []) if isinstance(schedule, Mapping) else []:
        opens, closes = _time(window.get("opens", "00:00")), _time(window.get("closes", "00:00"))
        for day in window.get("days", range(7)):
            yield int(day), opens, closes


def _time(text: object) -> dt.time:
    match = _TIME.match(str(text))
    if not match:
        raise ValueError(f"bad time {text!r}")
    return dt.time(int(match[1]), int(match[2]))


def schedule_open(*, schedule: object, at: dt.datetime, default_timezone: str = "UTC") -> bool:
    """Whether a buyer schedule takes leads at `at`; empty or without windows: always. Invalid: closed."""
    if not schedule or not isinstance(schedule, Mapping) or not schedule.get("windows"):
        return True
    local = at.astimezone(zoneinfo.ZoneInfo(schedule_timezone(schedule, default_timezone)))
    try:
        return any(window_contains(weekday=day, opens=opens, closes=closes, local=local)
                   for day, opens, closes in _windows(schedule))
    except (ValueError, TypeError, AttributeError):
        return False


def schedule_problems(schedule: object) -> list[str]:
    """What is wrong with a schedule object, for the admin (empty when valid)."""
    if schedule in (None, "", {}):
        return []
    if not isinstance(schedule, Mapping):
        return ['Must be a JSON object such as {"timezone": "UTC", "windows": [...]}.']
    problems = [f"Unknown key {key!r}; use timezone and windows." for key in schedule if key not in
                ("timezone", "windows")]
    zone = schedule.get("timezone")
    if zone is not None and zone not in known_timezones():
        problems.append(f"{zone!r} is not a known time zone (use e.g. America/New_York).")
    windows = schedule.get("windows", [])
    if not isinstance(windows, list):
        return [*problems, "windows must be a list."]
    for index, window in enumerate(windows):
        if not isinstance(window, Mapping):
            problems.append(f"windows[{index}] must be an object with days, opens and closes.")
            continue
        days = window.get("days", list(range(7)))
        if not isinstance(days, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
            problems.append(f"windows[{index}].days must list weekdays 0 (Monday) to 6 (Sunday).")
        for name in ("opens", "closes"):
            if not _TIME.match(str(window.get(name, "00:00"))):
                problems.append(f"windows[{index}].{name} must be HH:MM.")
    return problems
