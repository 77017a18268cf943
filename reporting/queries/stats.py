"""Grouped counts, sums and percentiles in one query, computed by the database on both engines.

The source queryset gives one row per item with its group and value columns; optional `derived` columns are
SQL over those (computed once per row in a layer of their own, so a long expression never runs twice).
PostgreSQL then aggregates with PERCENTILE_CONT (the PercentileCont aggregate). SQLite has no percentile
function: the rows go into a materialized CTE; counts and sums are a GROUP BY over it; each ranked column gets
its own narrow sub-select where ROW_NUMBER()/COUNT() windows partitioned by the group rank the non-NULL
values, and the aggregate picks the two neighbouring values and interpolates linearly, exactly as
PERCENTILE_CONT does (pos = p * (n - 1); v[floor] + (pos - floor) * (v[floor + 1] - v[floor])).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Literal

from django.db import connection, transaction
from django.db.models import FloatField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query

from reporting.queries.sql import PercentileCont

Op = Literal["rows", "count", "at_most", "sum", "percentile"]
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
# SQLite before 3.35 has no MATERIALIZED hint; its CTEs are then planned like sub-selects.
MATERIALIZED = "MATERIALIZED " if sqlite3.sqlite_version_info >= (3, 35) else ""
WORK_MEM = "256MB"


def _check(*identifiers: str) -> None:
    for ident in identifiers:
        if ident and not IDENTIFIER.match(ident):
            raise ValueError(f"not a plain identifier: {ident!r}")


@dataclass(frozen=True)
class Stat:
    """One output column: rows in the group, non-NULL values of a column, values <= arg, their sum, or the
    arg-th percentile (0..1) of a column."""

    name: str
    op: Op
    column: str = ""
    arg: float = 0.0

    def __post_init__(self):
        _check(self.name, self.column)
        if (self.op != "rows") != bool(self.column):
            raise ValueError(f"{self.op} needs exactly one column")


def rows(name: str) -> Stat:
    return Stat(name, "rows")


def count(name: str, column: str) -> Stat:
    return Stat(name, "count", column)


def at_most(name: str, column: str, limit: float) -> Stat:
    return Stat(name, "at_most", column, float(limit))


def total(name: str, column: str) -> Stat:
    return Stat(name, "sum", column)


def percentile(name: str, column: str, p: float) -> Stat:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"percentile must be within 0..1, not {p}")
    return Stat(name, "percentile", column, float(p))


def grouped_stats(*, source: QuerySet, groups: list[str], stats: list[Stat],
                  derived: dict[str, str] | None = None, inputs: list[str] | None = None) -> list[dict]:
    """One dict per group present in `source`, ordered by group, with "rows" (rows in the group) and each stat.

    `source` is annotated with every group and stat column that is not `derived`; `derived` maps a column name
    (a stat column or a group) to SQL over the quoted `inputs` (source annotations), built by the caller for
    this connection.
    Groups with no rows are absent, so an empty source gives []. Percentiles ignore NULLs and are NULL when a
    group has no value.
    """
    derived = derived or {}
    _check(*groups, *derived, *(inputs or []))
    plain = _plain([rows("rows"), *stats], derived)
    selected = list(dict.fromkeys([*(g for g in groups if g not in derived), *plain, *(inputs or [])]))
    inner, params = source.values(*selected).order_by().query.sql_with_params()
    return grouped_stats_sql(inner=inner, params=tuple(params), groups=groups, stats=stats, derived=derived)


def _plain(stats: list[Stat], derived: dict[str, str]) -> list[str]:
    return [c for c in dict.fromkeys(s.column for s in stats if s.column) if c not in derived]


def grouped_stats_sql(*, inner: str, params: tuple, groups: list[str], stats: list[Stat],
                      derived: dict[str, str] | None = None) -> list[dict]:
    """grouped_stats() over rows given as SQL: `inner` (with its `params`) selects, under their names, every
    group and stat column that is not `derived`, and every column the `derived` SQL reads."""
    derived = derived or {}
    _check(*groups, *derived)
    stats = [rows("rows"), *stats]
    plain = _plain(stats, derived)
    if connection.vendor == "postgresql":
        sql, extra = _postgresql(inner, groups, plain, derived, stats)
        params = (*extra, *params)  # the aggregates' params come first in the text
    else:
        sql = _sqlite(inner, groups, plain, derived, stats)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # JIT-compiling these long expressions costs more than it saves (1 s of 1.5 s measured on 100k leads).
            cursor.execute("SET LOCAL jit = off")
            # The GROUP BY sort holds every row in scope (~110 MB per million leads): in memory, not on disk.
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]  # a name per column
    return [row for row in found if row["rows"]]


def _layer(inner: str, groups: list[str], plain: list[str], derived: dict[str, str], fence: str) -> str:
    """The rows with their derived columns computed once each."""
    q = connection.ops.quote_name
    columns = [q(c) for c in (*groups, *plain) if c not in derived] + [f"{sql} AS {q(name)}"
                                                                        for name, sql in derived.items()]
    return f"SELECT {', '.join(columns)} FROM ({inner}{fence}) AS _raw"


def _postgresql(inner, groups, plain, derived, stats) -> tuple[str, tuple]:
    q = connection.ops.quote_name
    compiler = Query(None).get_compiler(connection=connection)
    selects, params = [q(g) for g in groups], []
    for stat in stats:
        col = q(stat.column) if stat.column else ""
        if stat.op == "rows":
            sql = "COUNT(*)"
        elif stat.op == "count":
            sql = f"COUNT({col})"
        elif stat.op == "at_most":
            sql = f"COUNT(*) FILTER (WHERE {col} <= {stat.arg!r})"
        elif stat.op == "sum":
            sql = f"COALESCE(SUM({col}), 0)"
        else:
            sql, extra = compiler.compile(PercentileCont(RawSQL(col, (), output_field=FloatField()), stat.arg))
            params.extend(extra)
        selects.append(f"{sql} AS {q(stat.name)}")
    rows_sql = _layer(inner, groups, plain, derived, " OFFSET 0") if derived else inner
    keys = ", ".join(q(g) for g in groups)
    # OFFSET 0 keeps PostgreSQL from inlining the sub-selects, so each row's expressions run once.
    return (f"SELECT {', '.join(selects)} FROM ({rows_sql} OFFSET 0) AS _src GROUP BY {keys} ORDER BY {keys}",
            tuple(params))


def _sqlite(inner, groups, plain, derived, stats) -> str:
    q = connection.ops.quote_name
    plain_stats = [s for s in stats if s.op != "percentile"]
    ranked = list(dict.fromkeys(s.column for s in stats if s.op == "percentile"))
    keys = ", ".join(q(g) for g in groups)
    if derived:
        # Two materialized steps: SQLite would otherwise substitute the inner expressions into the derived ones.
        ctes = [f"_raw_rows AS {MATERIALIZED}({inner})",
                f"_src AS {MATERIALIZED}({_layer('SELECT * FROM _raw_rows', groups, plain, derived, '')})"]
    else:
        ctes = [f"_src AS {MATERIALIZED}({inner})"]
    ctes.append(f"_all AS (SELECT {keys}, {', '.join(f'{_sqlite_aggregate(s, q)} AS {q(s.name)}' for s in plain_stats)}"
                f" FROM _src GROUP BY {keys})")
    selects = [f"_all.{q(g)}" for g in groups] + [f"_all.{q(s.name)}" for s in plain_stats]
    joins = []
    for n, column in enumerate(ranked):
        # One narrow sort per ranked column: only the group and the non-NULL values travel through it.
        mine = [s for s in stats if s.op == "percentile" and s.column == column]
        ctes.append(
            f"_r{n} AS (SELECT {keys}, {', '.join(f'{_sqlite_percentile(s.arg)} AS {q(s.name)}' for s in mine)} "
            f"FROM (SELECT {keys}, {q(column)} AS _v, ROW_NUMBER() OVER _w - 1 AS _i, "
            "COUNT(*) OVER (_w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS _n "
            f"FROM _src WHERE {q(column)} IS NOT NULL WINDOW _w AS (PARTITION BY {keys} ORDER BY {q(column)})) "
            f"GROUP BY {keys})")
        selects += [f"_r{n}.{q(s.name)}" for s in mine]
        joins.append(f" LEFT JOIN _r{n} ON " + " AND ".join(f"_all.{q(g)} IS _r{n}.{q(g)}" for g in groups))
    return (f"WITH {', '.join(ctes)} SELECT {', '.join(selects)} FROM _all{''.join(joins)} "
            f"ORDER BY {', '.join(f'_all.{q(g)}' for g in groups)}")


def _sqlite_aggregate(stat: Stat, q) -> str:
    if stat.op == "rows":
        return "COUNT(*)"
    col = q(stat.column)
    if stat.op == "count":
        return f"COUNT({col})"
    if stat.op == "at_most":
        return f"COALESCE(SUM(CASE WHEN {col} <= {stat.arg!r} THEN 1 ELSE 0 END), 0)"
    return f"COALESCE(SUM({col}), 0)"


def _sqlite_percentile(p: float) -> str:
    """PERCENTILE_CONT(p) over one group of the ranked sub-select (_v, 0-based rank _i, count _n)."""
    position = f"((_n - 1) * {p!r})"
    floor = f"CAST({position} AS INTEGER)"
    low = f"MAX(CASE WHEN _i = {floor} THEN _v END)"
    high = f"MAX(CASE WHEN _i = {floor} + 1 THEN _v END)"
    return f"({low} + MAX({position} - {floor}) * (COALESCE({high}, {low}) - {low}))"
