"""Engine-aware SQL building blocks: epoch seconds, local (time-zone) clocks, business time, PERCENTILE_CONT.

Every expression yields the same number on SQLite and PostgreSQL. SQLite has no time-zone database, so a
local clock there adds the zone's UTC offset chosen by a binary CASE over the offset changes (DST) of the
span asked for; PostgreSQL uses AT TIME ZONE. Times before 1970 are not supported (reports never need them).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, Expression, FloatField, Func, IntegerField
from django.db.models.sql.compiler import SQLCompiler

DAY = 86_400
WEEK = 7 * DAY
# Business hours for business_hours=1: the first BUSINESS_DAYS weekdays from Monday, START..END local time.
BUSINESS_DAYS = 5
BUSINESS_START = 9 * 3600
BUSINESS_END = 17 * 3600


def _unsupported(self: Func, compiler: SQLCompiler, connection: BaseDatabaseWrapper, function: str | None = None,
                 template: str | None = None, arg_joiner: str | None = None, **extra_context: Any) -> NoReturn:
    """Func.as_sql of the expressions below, which have SQL for SQLite and PostgreSQL only."""
    raise NotSupportedError(f"{type(self).__name__} supports SQLite and PostgreSQL, not {connection.vendor}.")


def _floor(connection, sql: str) -> str:
    # Values are >= 0 (times after 1970), so truncation is floor on SQLite.
    return f"FLOOR({sql})" if connection.vendor == "postgresql" else f"CAST(({sql}) AS INTEGER)"


def _least(connection, a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if connection.vendor == "postgresql" else f"MIN({a}, {b})"


def _greatest(connection, a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if connection.vendor == "postgresql" else f"MAX({a}, {b})"


def let(connection, value_sql: str, body: str, name: str) -> str:
    """SQL evaluating value_sql once per row and `body` (which reads it as `name`) over it."""
    # PostgreSQL would inline a plain sub-select and repeat value_sql; OFFSET 0 keeps it a single evaluation.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    return f"(SELECT {body} FROM (SELECT {value_sql} AS {name}{fence}) AS {name}_t)"


@functools.lru_cache(maxsize=256)
def offset_changes(tz: str, start: dt.date, end: dt.date) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(epochs, offsets): offsets[0] holds before epochs[0], offsets[i + 1] from epochs[i]; exact to the second."""
    zone = ZoneInfo(tz)
    step = dt.timedelta(hours=6)  # zones change offset at most a few times a year, never twice in 6 hours

    def offset(epoch: int) -> int:
        delta = dt.datetime.fromtimestamp(epoch, dt.UTC).astimezone(zone).utcoffset()
        if delta is None:  # never: an aware datetime has an offset
            raise ValueError(f"{tz} gives no UTC offset at {epoch}")
        return int(delta.total_seconds())

    at = int(dt.datetime.combine(start, dt.time(), dt.UTC).timestamp())
    stop = int(dt.datetime.combine(end, dt.time(), dt.UTC).timestamp())
    epochs, offsets = [], [offset(at)]
    while at < stop:
        nxt = at + int(step.total_seconds())
        if offset(nxt) != offsets[-1]:
            lo, hi = at, nxt  # offset(lo) is the old one, offset(hi) the new one
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == offsets[-1] else (lo, mid)
            epochs.append(hi)
            offsets.append(offset(hi))
        at = nxt
    return tuple(epochs), tuple(offsets)


def _offset_case(column: str, epochs: tuple[int, ...], offsets: tuple[int, ...]) -> str:
    """A binary CASE picking the offset of the piece `column` (UTC epoch seconds) falls in."""
    if not epochs:
        return str(offsets[0])
    mid = len(epochs) // 2
    return (f"CASE WHEN {column} < {epochs[mid]} THEN {_offset_case(column, epochs[:mid], offsets[:mid + 1])} "
            f"ELSE {_offset_case(column, epochs[mid + 1:], offsets[mid + 1:])} END")


@functools.cache
def utc_zone_names() -> frozenset[str]:
    return frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


class Clock:
    """Where local time comes from: an IANA zone and, for SQLite, the span of dates it must cover."""

    def __init__(self, *, tz: str, start: dt.date, end: dt.date):
        self.tz = tz
        self.start = start
        self.end = end

    def is_utc(self) -> bool:
        return self.tz in utc_zone_names()

    def changes(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return offset_changes(self.tz, self.start, self.end)


class Epoch(Func):
    """Seconds since 1970-01-01 UTC as a float; NULL stays NULL. SQLite resolves milliseconds."""

    arity = 1
    output_field = FloatField()
    as_sql = _unsupported

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(ROUND((julianday({sql}) - 2440587.5) * 86400000.0) / 1000.0)", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # date_part() is float8 already; EXTRACT() goes through numeric, 3x the CPU on a million rows.
        return f"date_part('epoch', {sql})", params


class _LocalFunc(Func):
    """Base of expressions computed from the local wall-clock epoch `l` (seconds, as if local time were UTC)."""

    arity = 1
    as_sql = _unsupported

    def __init__(self, expression, *, clock: Clock, **extra):
        self.clock = clock
        super().__init__(expression, **extra)

    def body(self, connection, l_sql: str) -> str:
        """SQL of the result in terms of the local epoch `l_sql` (which it may repeat freely)."""
        return l_sql

    def _local_part(self, compiler, part: str) -> tuple[str, tuple]:
        """PostgreSQL only: date_part(`part`) of the source's wall-clock time in the clock's zone, and its params."""
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date_part('{part}', ({sql} AT TIME ZONE %s))", (*params, self.clock.tz)

    def _local(self, compiler, connection) -> tuple[str, tuple, str]:
        """(SQL evaluated once per row, its params, the local epoch in terms of `_e` = that SQL)."""
        if connection.vendor == "postgresql":
            return (*self._local_part(compiler, "epoch"), "_e")
        sql, params = compiler.compile(Epoch(self.source_expressions[0]))
        if self.clock.is_utc():
            return sql, tuple(params), "_e"
        epochs, offsets = self.clock.changes()
        return sql, tuple(params), f"(_e + {_offset_case('_e', epochs, offsets)})"

    def _as_vendor(self, compiler, connection, **extra):
        value, params, local = self._local(compiler, connection)
        if type(self).body is _LocalFunc.body and local == "_e":
            return value, params  # the local epoch itself: nothing repeats it
        return let(connection, value, self.body(connection, local), "_e"), params

    as_sqlite = as_postgresql = _as_vendor


class LocalEpoch(_LocalFunc):
    """The wall-clock time in the clock's zone, as epoch seconds (float)."""

    output_field = FloatField()


class _LocalPart(_LocalFunc):
    """A whole number of the wall-clock time: from the local epoch (body), or on PostgreSQL from date_part(`part`)
    put into `pg_sql`, without a per-row sub-select (which costs more than the arithmetic it saves)."""

    output_field = IntegerField()
    part: str
    pg_sql = "CAST({} AS INTEGER)"

    def as_postgresql(self, compiler, connection, **extra):
        value, params = self._local_part(compiler, self.part)
        return self.pg_sql.format(value), params


class LocalHour(_LocalPart):
    """Hour of day 0-23 in the clock's zone."""

    part = "hour"

    def body(self, connection, l_sql):
        hour = _floor(connection, f"({l_sql} - {DAY} * {_floor(connection, f'{l_sql} / {DAY}')}) / 3600")
        return f"CAST({hour} AS INTEGER)"


class LocalWeekday(_LocalPart):
    """Weekday 0 (Monday) - 6 (Sunday) in the clock's zone."""

    part = "isodow"  # Monday 1 - Sunday 7
    pg_sql = "(CAST({} AS INTEGER) - 1)"

    def body(self, connection, l_sql):
        # 1970-01-01 was a Thursday: shifting by 3 days puts Monday 1969-12-29 at 0.
        days = _floor(connection, f"({l_sql} + {3 * DAY}) / {DAY}")
        return f"CAST(({days} - 7 * {_floor(connection, f'{days} / 7')}) AS INTEGER)"


def business_epoch_sql(connection, l_sql: str) -> str:
    """Business seconds elapsed from Monday 1969-12-29 00:00 local to the local epoch `l_sql` (repeated freely:
    pass a column or a once-evaluated value). The difference of two is the business time between them."""
    per_day = BUSINESS_END - BUSINESS_START
    since_monday = f"({l_sql} + {3 * DAY})"
    week = _floor(connection, f"{since_monday} / {WEEK}")
    in_week = f"({since_monday} - {WEEK} * {week})"
    day = _floor(connection, f"{in_week} / {DAY}")
    in_day = f"({in_week} - {DAY} * {day})"
    today = _least(connection, _greatest(connection, f"{in_day} - {BUSINESS_START}", "0"), str(per_day))
    return (f"({week} * {BUSINESS_DAYS * per_day} + {_least(connection, day, str(BUSINESS_DAYS))} * {per_day}"
            f" + CASE WHEN {day} < {BUSINESS_DAYS} THEN {today} ELSE 0 END)")


class BusinessEpoch(_LocalFunc):
    """business_epoch_sql() of a timestamp: only BUSINESS_START..BUSINESS_END on the first BUSINESS_DAYS days of
    each week count, so Friday 16:55 to Monday 09:05 is 600 seconds."""

    output_field = FloatField()

    def body(self, connection, l_sql):
        return business_epoch_sql(connection, l_sql)


def seconds_between(start, end, *, clock: Clock | None = None, business_hours: bool = False) -> Expression:
    """end - start in seconds (float, NULL if either is NULL); business time only when business_hours, which needs
    the clock (business hours are local)."""
    if business_hours:
        if clock is None:
            raise ValueError("business_hours needs a clock")
        return BusinessEpoch(end, clock=clock) - BusinessEpoch(start, clock=clock)
    return Epoch(end) - Epoch(start)


class PercentileCont(Aggregate):
    """PostgreSQL's PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY expr): linear interpolation, NULLs ignored."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression, percentile: float, **extra):
        percentile = float(percentile)
        if not 0.0 <= percentile <= 1.0:
            raise ValueError(f"percentile must be within 0..1, not {percentile}")
        super().__init__(expression, percentile=repr(percentile), **extra)

    def as_sqlite(self, compiler, connection, **extra):
        raise NotSupportedError("SQLite has no PERCENTILE_CONT: use reporting.queries.stats.grouped_stats().")
