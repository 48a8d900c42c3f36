"""Brute-force evaluation of filter trees and ordering, in plain Python.

This is the reference semantics: the SQL compiler must return exactly what
these functions return (the property test checks it). Evaluation follows
SQL's three-valued logic: a comparison on a missing value (absent key, NULL
attribute, NaN metric) is *unknown*, NOT unknown is unknown, and a record
matches only when the whole filter is *true*.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

from litetrack.errors import InvalidArgument
from litetrack.query.nodes import (
    And,
    Compare,
    ExperimentRecord,
    Expr,
    Field,
    InList,
    IsNull,
    Not,
    Or,
    OrderKey,
    RunRecord,
)

__all__ = [
    "like",
    "ilike",
    "matches",
    "matches_experiment",
    "sort_records",
    "sort_experiments",
    "DEFAULT_EXPERIMENT_ORDER",
]

T = TypeVar("T")
Value = Any  # float | int | str | None; Any keeps the comparisons below readable to mypy
Getter = Callable[[Field], Value]


class _LikePattern:
    """A LIKE pattern compiled for matching in time linear in the value.

    Translating the whole pattern to one regex (``%`` → ``.*``) backtracks:
    ``'%%%%%%%%%%x'`` against a long value took seconds per run, and each
    extra ``%`` multiplied that. Here the pattern is split on ``%`` into
    fixed-length segments (``_`` matches exactly one character, so every
    segment has a fixed length), each compiled to a regex without
    quantifiers or alternation. The first segment must match at the start,
    the last one at the end, and the middle ones are found leftmost, in
    order, between them. Leftmost placement is always optimal for
    fixed-length segments, so no choice is ever revisited: the work is at
    most (value length × pattern length) and usually one scan of the value.
    """

    __slots__ = ("head", "head_len", "middle", "tail", "tail_len", "wild")

    def __init__(self, pattern: str, case_insensitive: bool) -> None:
        flags = re.DOTALL | (re.IGNORECASE if case_insensitive else 0)

        def segment(text: str) -> re.Pattern[str]:
            return re.compile("".join("." if c == "_" else re.escape(c) for c in text), flags)

        parts = pattern.split("%")
        self.wild = len(parts) > 1
        self.head = segment(parts[0])
        self.head_len = len(parts[0])
        # A run of % is one %: the empty segments between them drop out.
        self.middle = [segment(p) for p in parts[1:-1] if p]
        self.tail = segment(parts[-1])
        self.tail_len = len(parts[-1])

    def matches(self, value: str) -> bool:
        if not self.wild:
            return self.head.fullmatch(value) is not None
        end = len(value) - self.tail_len
        if (
            end < self.head_len
            or self.head.match(value) is None
            or self.tail.match(value, end) is None
        ):
            return False
        pos = self.head_len
        for seg in self.middle:
            found = seg.search(value, pos, end)
            if found is None:
                return False
            pos = found.end()
        return True


@lru_cache(maxsize=512)
def _like_pattern(pattern: str, case_insensitive: bool) -> _LikePattern:
    # Everything but the two wildcards is literal: MLflow's own file store
    # turns "." in a pattern into a regex wildcard, which is a bug, not a feature.
    return _LikePattern(pattern, case_insensitive)


def like(value: str, pattern: str) -> bool:
    """SQL LIKE, case-sensitive: ``%`` matches any run of characters, ``_`` exactly one.

    Runs in time linear in ``value`` for any pattern (no backtracking).
    """
    return _like_pattern(pattern, False).matches(value)


def ilike(value: str, pattern: str) -> bool:
    """Case-insensitive :func:`like` (Unicode case folding, as Python's ``re.IGNORECASE``)."""
    return _like_pattern(pattern, True).matches(value)


def _missing(value: Value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _compare(op: str, left: Value, right: Value) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "LIKE":
        return like(left, right)
    if op == "ILIKE":
        return ilike(left, right)
    raise InvalidArgument(f"Unknown comparison operator {op!r}")


def evaluate(expr: Expr, get: Getter) -> bool | None:
    """Evaluate ``expr`` in three-valued logic; ``None`` means unknown.

    ``get(field)`` returns the field's value, ``None`` when missing; a NaN
    metric is unknown except that ``!=`` holds for it (as in MLflow).
    """
    if isinstance(expr, (Compare, InList, IsNull)) and expr.field.kind == "dataset":
        return _evaluate_dataset(expr, get(expr.field))
    if isinstance(expr, Compare):
        value = get(expr.field)
        if value is None:
            return None
        if _missing(value):
            # A NaN metric: MLflow's stores compare it as IEEE floats do, so
            # NaN != x is true; every other comparison stays unknown.
            return True if expr.op == "!=" else None
        return _compare(expr.op, value, expr.value)
    if isinstance(expr, InList):
        value = get(expr.field)
        if _missing(value):
            return None
        return (value in expr.values) != expr.negated
    if isinstance(expr, IsNull):
        return _missing(get(expr.field)) != expr.negated
    if isinstance(expr, Not):
        result = evaluate(expr.item, get)
        return None if result is None else not result
    if isinstance(expr, And):
        outcome: bool | None = True
        for item in expr.items:
            result = evaluate(item, get)
            if result is False:
                return False
            if result is None:
                outcome = None
        return outcome
    if isinstance(expr, Or):
        outcome = False
        for item in expr.items:
            result = evaluate(item, get)
            if result is True:
                return True
            if result is None:
                outcome = None
        return outcome
    raise InvalidArgument(f"Not a filter expression: {expr!r}")


def _evaluate_dataset(expr: Compare | InList | IsNull, values: Iterable[str]) -> bool:
    # MLflow's meaning: the run has *some* dataset input for which the
    # comparison holds (inputs without a context take no part in a context
    # comparison). It is never unknown: a run without inputs simply has none.
    if isinstance(expr, IsNull):
        return (not any(True for _ in values)) != expr.negated
    if isinstance(expr, InList):
        return any((v in expr.values) != expr.negated for v in values)
    return any(_compare(expr.op, v, expr.value) for v in values)


def run_value(record: RunRecord, field: Field) -> Value:
    """The value ``field`` names in ``record``; ``None`` when absent.

    A metric that exists with a NaN (or NULL) value gives NaN (``!=`` holds
    for it); any other NaN gives ``None``.
    """
    kind = field.kind
    if kind == "metric":
        summary = record.metrics.get(field.key)
        if summary is None:
            return None
        value = getattr(summary, field.aggregate or "last")
        # The metric exists: a NaN value (None once stored) stays NaN.
        return math.nan if _missing(value) else value
    elif kind == "param":
        value = record.params.get(field.key)
    elif kind == "tag":
        value = record.tags.get(field.key)
    elif kind == "dataset":
        # Every value of that field over the run's inputs (see _evaluate_dataset).
        position = ("name", "digest", "context").index(field.key)
        return [d[position] for d in record.datasets if d[position] is not None]
    else:
        value = getattr(record, field.key)
    return None if _missing(value) else value


def experiment_value(record: ExperimentRecord, field: Field) -> Value:
    """The value ``field`` names in an experiment record; ``None`` when absent."""
    if field.kind == "tag":
        return record.tags.get(field.key)
    if field.kind == "attribute":
        return getattr(record, field.key)
    raise InvalidArgument(f"Experiments have no {field.kind}s: {field!r}")


def matches(expr: Expr | None, record: RunRecord) -> bool:
    """True when ``record`` satisfies ``expr`` (``None`` matches everything).

    A comparison on a missing metric, param or tag is unknown, so neither
    ``=`` nor ``!=`` (nor their negation) matches a run that lacks the key.
    """
    if expr is None:
        return True
    return evaluate(expr, lambda field: run_value(record, field)) is True


def matches_experiment(expr: Expr | None, record: ExperimentRecord) -> bool:
    """True when experiment ``record`` satisfies ``expr`` (from :func:`parse_experiment_filter`)."""
    if expr is None:
        return True
    return evaluate(expr, lambda field: experiment_value(record, field)) is True


#: What a sort key returns for a metric that exists but is NaN: MLflow sorts
#: those after every number and before the runs that lack the metric.
NAN = object()


def _sort_missing_last(items: list[T], key: Callable[[T], Value], ascending: bool) -> list[T]:
    # A stable sort on one key with NaN, then missing values last in both
    # directions; applying it from the last key to the first gives a
    # multi-key order (Python's sort is stable, reverse=True included).
    present: list[tuple[Value, T]] = []
    nan: list[T] = []
    missing: list[T] = []
    for item in items:
        value = key(item)
        if value is None:
            missing.append(item)
        elif value is NAN:
            nan.append(item)
        else:
            present.append((value, item))
    present.sort(key=itemgetter(0), reverse=not ascending)
    return [item for _, item in present] + nan + missing


def _run_sort_value(record: RunRecord, field: Field) -> Value:
    value = run_value(record, field)
    if _missing(value):
        return None if value is None else NAN
    return value


def _run_key(field: Field) -> Callable[[RunRecord], Value]:
    return lambda record: _run_sort_value(record, field)


def _experiment_key(field: Field) -> Callable[[ExperimentRecord], Value]:
    return lambda record: experiment_value(record, field)


def sort_records(records: Iterable[RunRecord], keys: Sequence[OrderKey] | None) -> list[RunRecord]:
    """Return ``records`` ordered by ``keys``, then start_time DESC, then run_id ASC.

    Metrics sort as floats, params and tags as strings; NaN and then missing
    values come last whatever the direction (MLflow's order), and so do runs
    without a start_time.
    """
    out = sorted(records, key=lambda r: r.run_id)
    out = _sort_missing_last(out, lambda r: r.start_time, ascending=False)
    for order in reversed(keys or ()):
        out = _sort_missing_last(out, _run_key(order.field), order.ascending)
    return out


def _experiment_id_key(experiment_id: str) -> tuple[int, int, str]:
    # Experiment ids are decimal strings in practice ("0", "12"); compare them
    # as numbers so "10" follows "9", and put any other id after them.
    if experiment_id.isascii() and experiment_id.isdigit():
        return (0, int(experiment_id), "")
    return (1, 0, experiment_id)


#: MLflow's default experiment order.
DEFAULT_EXPERIMENT_ORDER: tuple[OrderKey, ...] = (
    OrderKey(Field("attribute", "creation_time"), ascending=False),
    OrderKey(Field("attribute", "experiment_id"), ascending=True),
)


def sort_experiments(
    records: Iterable[ExperimentRecord], keys: Sequence[OrderKey] | None
) -> list[ExperimentRecord]:
    """Return experiments ordered like MLflow's ``search_experiments``.

    With no keys: creation_time DESC, experiment_id ASC. Otherwise the given
    keys, then experiment_id DESC as MLflow's tie-breaker unless a key already
    names experiment_id. Missing times sort last in both directions.
    """
    order = list(keys) if keys else list(DEFAULT_EXPERIMENT_ORDER)
    if not any(k.field.key == "experiment_id" for k in order):
        order.append(OrderKey(Field("attribute", "experiment_id"), ascending=False))
    out = list(records)
    for key in reversed(order):
        if key.field.kind == "attribute" and key.field.key == "experiment_id":
            out = _sort_missing_last(
                out, lambda e: _experiment_id_key(e.experiment_id), key.ascending
            )
        else:
            out = _sort_missing_last(out, _experiment_key(key.field), key.ascending)
    return out
