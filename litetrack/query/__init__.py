"""The filter language: MLflow search filter strings, order_by, and their SQL form.

Stdlib only: this package sits on every search path and must stay cheap to import.

>>> from litetrack.query import parse_filter, matches
>>> expr = parse_filter("metrics.rmse < 0.5 and params.max_depth = '6'")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litetrack.query.evaluate import (
    ilike,
    like,
    matches,
    matches_experiment,
    sort_experiments,
    sort_records,
)
from litetrack.query.nodes import (
    AGGREGATES,
    DATASET_KEYS,
    And,
    Compare,
    ExperimentRecord,
    Expr,
    Field,
    InList,
    IsNull,
    MetricSummary,
    Not,
    Or,
    OrderKey,
    RunRecord,
    fields_of,
    format_field,
    format_filter,
    format_order_key,
)
from litetrack.query.parse import (
    EXPERIMENT_ATTRIBUTES,
    RUN_ATTRIBUTES,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)

if TYPE_CHECKING:
    from litetrack.query.sql import INDEX_SCHEMA, compile_sql, configure_connection, load_records

_SQL_NAMES = frozenset({"INDEX_SCHEMA", "compile_sql", "configure_connection", "load_records"})


def __getattr__(name: str) -> Any:
    # The SQL compiler (and sqlite3, ~5 ms to import) loads on first use: the
    # registry's searches and the document scans never need it.
    if name in _SQL_NAMES:
        from litetrack.query import sql

        return getattr(sql, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "AGGREGATES",
    "DATASET_KEYS",
    "EXPERIMENT_ATTRIBUTES",
    "INDEX_SCHEMA",
    "RUN_ATTRIBUTES",
    "And",
    "Compare",
    "ExperimentRecord",
    "Expr",
    "Field",
    "InList",
    "IsNull",
    "MetricSummary",
    "Not",
    "Or",
    "OrderKey",
    "RunRecord",
    "compile_sql",
    "configure_connection",
    "fields_of",
    "format_field",
    "format_filter",
    "format_order_key",
    "ilike",
    "like",
    "load_records",
    "matches",
    "matches_experiment",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_order_by",
    "sort_experiments",
    "sort_records",
]
