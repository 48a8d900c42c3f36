"""Compile filter trees and order keys into one SQLite query over the search index.

The index is derived data (see DESIGN.md): ``runs`` holds one row per run,
``params``/``tags``/``metrics`` one row per (run, key). :func:`compile_sql`
returns ``SELECT runs.run_id FROM runs ... WHERE ... ORDER BY ...`` whose
result equals :func:`~litetrack.query.evaluate.matches` +
:func:`~litetrack.query.evaluate.sort_records`, order included.

Why it agrees with the Python evaluator:

* every (table, key) the query touches becomes one ``LEFT JOIN`` on the
  table's primary key, so a missing key reads as NULL and SQL's own
  three-valued logic gives "unknown" exactly where the evaluator does;
* SQLite stores NaN as NULL; ``!=`` on a metric also holds where the
  metric's row exists with a NULL (NaN) value, as in the evaluator;
* LIKE is compiled to GLOB (SQLite's LIKE ignores ASCII case), ILIKE to a
  registered function that runs the evaluator's own matcher;
* strings compare with the BINARY collation, i.e. by code point, like Python.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from litetrack.errors import InvalidArgument
from litetrack.query.evaluate import ilike
from litetrack.query.nodes import (
    AGGREGATES,
    And,
    Compare,
    Expr,
    Field,
    InList,
    IsNull,
    Not,
    Or,
    OrderKey,
    RunRecord,
)
from litetrack.query.parse import RUN_ATTRIBUTES

__all__ = ["INDEX_SCHEMA", "configure_connection", "compile_sql", "like_to_glob", "load_records"]

#: DDL of the search index. Column meanings are fixed. ``doc`` is the run's
#: view as JSON (what results are built from) and ``mstats`` its metrics'
#: ``[last, min, max, first, count]`` (what the metrics table is filled from,
#: see ``litetrack.store.index``). The (key, value)
#: indexes let SQLite start a search from the most selective predicate (a
#: range of one metric, one param value) instead of probing every run, and
#: read a metric index in order to skip the sort. Run ``ANALYZE`` after a
#: bulk (re)build so the planner knows which predicate is the selective one.
INDEX_SCHEMA = """\
CREATE TABLE IF NOT EXISTS runs(
  run_id TEXT PRIMARY KEY,
  experiment_id TEXT NOT NULL,
  run_name TEXT,
  status TEXT NOT NULL,
  start_time INTEGER,
  end_time INTEGER,
  artifact_uri TEXT,
  user_id TEXT,
  lifecycle_stage TEXT NOT NULL,
  artifact_size INTEGER,
  model_size INTEGER,
  mstats TEXT,
  doc TEXT);
CREATE TABLE IF NOT EXISTS params(
  run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT,
  PRIMARY KEY(run_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags(
  run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT,
  PRIMARY KEY(run_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metrics(
  run_id TEXT NOT NULL, key TEXT NOT NULL,
  last REAL, min REAL, max REAL, first REAL, count INTEGER,
  PRIMARY KEY(run_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inputs(
  run_id TEXT NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL, context TEXT);
CREATE INDEX IF NOT EXISTS inputs_by_run ON inputs(run_id);
CREATE INDEX IF NOT EXISTS inputs_by_name ON inputs(name);
CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs(experiment_id, start_time);
CREATE INDEX IF NOT EXISTS params_by_value ON params(key, value);
CREATE INDEX IF NOT EXISTS tags_by_value ON tags(key, value);
CREATE INDEX IF NOT EXISTS metrics_by_last ON metrics(key, last);
"""

_RUNS_COLUMNS = frozenset(
    ["run_id", "experiment_id", "run_name", "status", "start_time", "end_time", "artifact_uri",
     "user_id", "lifecycle_stage", "doc", "mstats", "artifact_size", "model_size"]
)

#: Name of the SQL function :func:`configure_connection` registers for ILIKE.
ILIKE_FUNCTION = "litetrack_ilike"

_TABLES = {"metric": "metrics", "param": "params", "tag": "tags"}
# SQLite joins at most 64 tables; keys beyond this many are read with a
# correlated subquery on the same primary key instead of a join.
_MAX_JOINS = 48
_INT64 = (-(2**63), 2**63 - 1)


def _sql_ilike(value: str | None, pattern: str | None) -> int | None:
    # NULL in, NULL out: keeps SQL's three-valued logic intact.
    if value is None or pattern is None:
        return None
    return int(ilike(str(value), str(pattern)))


def configure_connection(conn: sqlite3.Connection) -> None:
    """Prepare ``conn`` for queries from :func:`compile_sql` (registers the ILIKE function).

    Call it once per connection; it changes no pragma, so other queries on the
    connection behave as before.
    """
    conn.create_function(ILIKE_FUNCTION, 2, _sql_ilike, deterministic=True)


def load_records(conn: sqlite3.Connection, records: Iterable[RunRecord]) -> None:
    """Insert or replace ``records`` in the index tables.

    ``doc`` holds only the record's sizes (``{"sizes": [artifact, model]}``).

    A run's previous params, tags and metrics rows are deleted first, so the
    index holds exactly what the record says. NaN metric values become NULL
    (sqlite3 binds NaN as NULL), which is what the evaluator expects. The
    caller owns the transaction.
    """
    for r in records:
        for table in ("params", "tags", "metrics", "inputs"):
            conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (r.run_id,))
        conn.execute(
            "INSERT OR REPLACE INTO runs(run_id, experiment_id, run_name, status, start_time,"
            " end_time, artifact_uri, user_id, lifecycle_stage, artifact_size, model_size, doc)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                r.run_id,
                r.experiment_id,
                r.run_name,
                r.status,
                r.start_time,
                r.end_time,
                r.artifact_uri,
                r.user_id,
                r.lifecycle_stage,
                r.artifact_size,
                r.model_size,
                json.dumps({"sizes": [r.artifact_size, r.model_size]}),
            ),
        )
        conn.executemany(
            "INSERT INTO params(run_id, key, value) VALUES (?,?,?)",
            [(r.run_id, k, v) for k, v in r.params.items()],
        )
        conn.executemany(
            "INSERT INTO tags(run_id, key, value) VALUES (?,?,?)",
            [(r.run_id, k, v) for k, v in r.tags.items()],
        )
        conn.executemany(
            'INSERT INTO metrics(run_id, key, last, min, max, first, "count")'
            " VALUES (?,?,?,?,?,?,?)",
            [(r.run_id, k, m.last, m.min, m.max, m.first, m.count) for k, m in r.metrics.items()],
        )
        conn.executemany(
            "INSERT INTO inputs(run_id, name, digest, context) VALUES (?,?,?,?)",
            [(r.run_id, *d) for d in r.datasets],
        )


def like_to_glob(pattern: str) -> str:
    """Translate a LIKE pattern into an equivalent, case-sensitive GLOB pattern.

    ``%`` (or a run of them) → ``*``, ``_`` → ``?``; GLOB's own metacharacters ``* ? [`` are
    bracketed so they match literally.
    """
    out: list[str] = []
    for char in pattern:
        if char == "%":
            # A run of % is one *: fewer stars, less work for SQLite's matcher.
            if not out or out[-1] != "*":
                out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


def _bind(value: float | int | str) -> float | int | str:
    # sqlite3 cannot bind ints beyond 64 bits; a float compares the same way
    # against the ms timestamps stored in the index.
    if isinstance(value, int) and not isinstance(value, bool):
        if not _INT64[0] <= value <= _INT64[1]:
            return float(value)
    return value


class _Compiler:
    def __init__(self) -> None:
        self.joins: dict[tuple[str, str], str] = {}
        self.join_sql: list[str] = []
        self.join_params: list[object] = []

    def column(self, field: Field, params: list[object]) -> str:
        """SQL for ``field``'s value (NULL when missing); may append to ``params``."""
        if field.kind == "attribute":
            if field.key not in RUN_ATTRIBUTES:
                raise InvalidArgument(f"Unknown run attribute {field.key!r}")
            if field.key == "duration":
                # NULL when either time is NULL, like RunRecord.duration.
                return "(runs.end_time - runs.start_time)"
            return f"runs.{field.key}"
        table = _TABLES.get(field.kind)
        if table is None:
            raise InvalidArgument(f"Unknown field kind {field.kind!r}")
        if field.kind == "metric":
            aggregate = field.aggregate or "last"
            if aggregate not in AGGREGATES:
                raise InvalidArgument(f"Unknown metric aggregate {aggregate!r}")
            value_column = f'"{aggregate}"'
        else:
            value_column = "value"
        alias = self.joins.get((table, field.key))
        if alias is None and len(self.joins) >= _MAX_JOINS:
            params.append(field.key)
            return (
                f"(SELECT {value_column} FROM {table} "
                f"WHERE {table}.run_id = runs.run_id AND {table}.key = ?)"
            )
        if alias is None:
            alias = f"{table[0]}{len(self.joins)}"
            self.joins[(table, field.key)] = alias
            # The join condition is the table's whole primary key, so each
            # join is one B-tree probe per run and never duplicates rows.
            self.join_sql.append(
                f"LEFT JOIN {table} AS {alias} ON {alias}.run_id = runs.run_id AND {alias}.key = ?"
            )
            self.join_params.append(field.key)
        return f"{alias}.{value_column}"

    def present(self, field: Field, params: list[object]) -> str | None:
        """SQL true when the run has a row for a metric ``field`` (even a NULL/NaN one).

        None for other kinds, whose rows never hold NULL.
        """
        if field.kind != "metric":
            return None
        alias = self.joins.get(("metrics", field.key))
        if alias is not None:
            return f"{alias}.run_id IS NOT NULL"
        params.append(field.key)
        return (
            "EXISTS (SELECT 1 FROM metrics WHERE metrics.run_id = runs.run_id"
            " AND metrics.key = ?)"
        )

    def dataset(self, expr: Compare | InList | IsNull, params: list[object]) -> str:
        """A dataset predicate: some input of the run satisfies it (MLflow's meaning)."""
        column = f"inputs.{expr.field.key}"
        if isinstance(expr, IsNull):
            exists = (
                "EXISTS (SELECT 1 FROM inputs WHERE inputs.run_id = runs.run_id "
                f"AND {column} IS NOT NULL)"
            )
            return exists if expr.negated else f"NOT {exists}"
        if isinstance(expr, InList):
            if not expr.values:
                raise InvalidArgument("An IN list cannot be empty")
            params.extend(expr.values)
            marks = ", ".join("?" * len(expr.values))
            condition = f"{column} {'NOT IN' if expr.negated else 'IN'} ({marks})"
        elif expr.op == "LIKE":
            params.append(like_to_glob(str(expr.value)))
            condition = f"{column} GLOB ?"
        elif expr.op == "ILIKE":
            params.append(str(expr.value))
            condition = f"{ILIKE_FUNCTION}({column}, ?)"
        elif expr.op in ("=", "!="):
            params.append(str(expr.value))
            condition = f"{column} {expr.op} ?"
        else:
            raise InvalidArgument(f"Operator {expr.op!r} cannot be used with dataset fields")
        # "IS 1": a NULL context makes the condition NULL, which must not count.
        return (
            "EXISTS (SELECT 1 FROM inputs WHERE inputs.run_id = runs.run_id "
            f"AND ({condition}) IS 1)"
        )

    def expr(self, expr: Expr, params: list[object]) -> str:
        if isinstance(expr, (Compare, InList, IsNull)) and expr.field.kind == "dataset":
            return self.dataset(expr, params)
        if isinstance(expr, Compare):
            start = len(params)
            column = self.column(expr.field, params)
            if expr.op == "LIKE":
                params.append(like_to_glob(str(expr.value)))
                return f"{column} GLOB ?"
            if expr.op == "ILIKE":
                params.append(str(expr.value))
                return f"{ILIKE_FUNCTION}({column}, ?)"
            if expr.op not in ("=", "!=", "<", "<=", ">", ">="):
                raise InvalidArgument(f"Unknown comparison operator {expr.op!r}")
            if isinstance(expr.value, float) and expr.value != expr.value:
                raise InvalidArgument("A filter value cannot be NaN")
            params.append(_bind(expr.value))
            if expr.op == "!=" and expr.field.kind == "metric":
                # NaN (a row holding NULL) != x is true, as in MLflow and the
                # evaluator; a missing metric (no row) stays unknown.
                params.extend(params[start : len(params) - 1])  # column's own, if any
                present = self.present(expr.field, params)
                return f"({column} != ? OR ({column} IS NULL AND {present}))"
            return f"{column} {expr.op} ?"
        if isinstance(expr, InList):
            if not expr.values:
                raise InvalidArgument("An IN list cannot be empty")
            column = self.column(expr.field, params)
            params.extend(expr.values)
            marks = ", ".join("?" * len(expr.values))
            return f"{column} {'NOT IN' if expr.negated else 'IN'} ({marks})"
        if isinstance(expr, IsNull):
            return f"{self.column(expr.field, params)} IS {'NOT ' if expr.negated else ''}NULL"
        if isinstance(expr, Not):
            return f"NOT ({self.expr(expr.item, params)})"
        if isinstance(expr, (And, Or)):
            joiner = " AND " if isinstance(expr, And) else " OR "
            return "(" + joiner.join(self.expr(item, params) for item in expr.items) + ")"
        raise InvalidArgument(f"Not a filter expression: {expr!r}")


def _in_list(column: str, values: Sequence[str], where: list[str], params: list[object]) -> None:
    if isinstance(values, str):
        raise InvalidArgument(f"Expected a list of strings for {column}, not {values!r}")
    if not values:
        where.append("0")  # an empty list selects nothing, as IN () would
        return
    where.append(f"{column} IN ({', '.join('?' * len(values))})")
    params.extend(values)


def compile_sql(
    expr: Expr | None,
    order_keys: Sequence[OrderKey] | None = None,
    *,
    experiment_ids: Sequence[str] | None = None,
    lifecycle_stages: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int | None = None,
    columns: Sequence[str] = ("run_id",),
) -> tuple[str, list[object]]:
    """Compile a filter and order into ``(sql, params)`` selecting ``runs.run_id`` in order.

    ``columns`` chooses other columns of ``runs`` to select (in that order).

    ``experiment_ids`` / ``lifecycle_stages`` restrict the runs (``None`` = no
    restriction, ``[]`` = nothing); ``limit``/``offset`` page the result. The
    order is ``order_keys`` (missing values last) then start_time DESC, run_id
    ASC, so pages never overlap. Run the query on a connection prepared with
    :func:`configure_connection`. Raises :class:`InvalidArgument` for a tree
    the parser could not have produced.
    """
    compiler = _Compiler()
    where: list[str] = []
    where_params: list[object] = []
    if experiment_ids is not None:
        _in_list("runs.experiment_id", experiment_ids, where, where_params)
    if lifecycle_stages is not None:
        _in_list("runs.lifecycle_stage", lifecycle_stages, where, where_params)
    if expr is not None:
        where.append(compiler.expr(expr, where_params))

    order_params: list[object] = []
    order_sql = []
    for key in order_keys or ():
        if key.field.kind == "dataset":
            raise InvalidArgument(f"Runs cannot be ordered by a dataset field: {key.field!r}")
        order_sql.append(
            f"{compiler.column(key.field, order_params)} "
            f"{'ASC' if key.ascending else 'DESC'} NULLS LAST"
        )
        present = compiler.present(key.field, order_params)
        if present is not None:
            # NaN (a row holding NULL) sorts before a missing metric (no row), as in MLflow.
            order_sql.append(f"({present}) DESC")
    order_sql += ["runs.start_time DESC NULLS LAST", "runs.run_id ASC"]

    for col in columns:
        if col not in _RUNS_COLUMNS:
            raise InvalidArgument(f"Unknown runs column {col!r}: expected one of {sorted(_RUNS_COLUMNS)}")
    select = ", ".join(f"runs.{col}" for col in columns)
    parts = [f"SELECT {select} FROM runs", *compiler.join_sql]
    if where:
        parts.append("WHERE " + " AND ".join(where))
    parts.append("ORDER BY " + ", ".join(order_sql))
    page_params: list[object] = []
    if limit is not None or offset is not None:
        for name, value in (("limit", limit), ("offset", offset)):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise InvalidArgument(f"{name} must be a non-negative int, not {value!r}")
        parts.append("LIMIT ? OFFSET ?")
        page_params = [-1 if limit is None else limit, offset or 0]
    return "\n".join(parts), [*compiler.join_params, *where_params, *order_params, *page_params]
