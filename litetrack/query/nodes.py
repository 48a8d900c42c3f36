"""The filter language's syntax tree, the records it is evaluated against, and printing.

A parsed filter is a small immutable tree of the node classes below. The same
tree drives the brute-force evaluator (:mod:`litetrack.query.evaluate`) and the
SQL compiler (:mod:`litetrack.query.sql`), so both agree on meaning by
construction; :func:`format_filter` prints a tree back into a string that
parses to an equal tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from litetrack.errors import InvalidArgument

__all__ = [
    "AGGREGATES",
    "DATASET_KEYS",
    "Kind",
    "Field",
    "Compare",
    "InList",
    "IsNull",
    "And",
    "Or",
    "Not",
    "Expr",
    "OrderKey",
    "MetricSummary",
    "RunRecord",
    "ExperimentRecord",
    "format_filter",
    "format_order_key",
]

#: Metric aggregates over history; ``last`` is what a bare ``metrics.x`` means.
AGGREGATES: tuple[str, ...] = ("last", "min", "max", "first", "count")

Kind = Literal["metric", "param", "tag", "attribute", "dataset"]

#: What ``dataset.<key>`` may name: the dataset inputs a run logged (MLflow's
#: ``SearchUtils.DATASET_ATTRIBUTES``).
DATASET_KEYS: tuple[str, ...] = ("name", "digest", "context")

#: Comparison operators a :class:`Compare` node may carry, upper case.
COMPARE_OPS: frozenset[str] = frozenset({"=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE"})

_PREFIX = {
    "metric": "metrics", "param": "params", "tag": "tags", "attribute": "attributes",
    "dataset": "dataset",
}
# One unquoted key segment as the parser reads it (see parse._BARE_SEGMENT).
_BARE_SEGMENT = re.compile(r"[\w\-/]+")


@dataclass(frozen=True, slots=True)
class Field:
    """What a predicate looks at: ``metrics.loss.min`` is ``Field("metric", "loss", "min")``.

    ``aggregate`` is one of :data:`AGGREGATES` for metrics and ``None`` for
    every other kind. ``key`` is the canonical attribute name for attributes
    (aliases such as ``created`` are resolved by the parser).
    """

    kind: Kind
    key: str
    aggregate: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _PREFIX:
            raise InvalidArgument(f"Field kind {self.kind!r} is not one of {sorted(_PREFIX)}")
        if self.kind == "metric":
            if self.aggregate not in AGGREGATES:
                raise InvalidArgument(
                    f"Metric aggregate {self.aggregate!r} is not one of {list(AGGREGATES)}"
                )
        elif self.aggregate is not None:
            raise InvalidArgument(f"Only metrics take an aggregate, not {self.kind} {self.key!r}")
        if not self.key:
            raise InvalidArgument("A field key cannot be empty")
        if self.kind == "dataset" and self.key not in DATASET_KEYS:
            raise InvalidArgument(
                f"Invalid dataset key {self.key!r}: expected one of {list(DATASET_KEYS)}"
            )


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``; ``op`` is one of ``= != < <= > >= LIKE ILIKE``.

    ``value`` is a float for metrics, an int or float for numeric attributes,
    a str for everything else (and always a str pattern for LIKE/ILIKE).
    """

    field: Field
    op: str
    value: float | int | str


@dataclass(frozen=True, slots=True)
class InList:
    """``field IN (v1, v2 ...)``, or ``NOT IN`` when ``negated``; values are strings."""

    field: Field
    values: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull:
    """``field IS NULL`` (``IS NOT NULL`` when ``negated``); NaN metrics count as NULL."""

    field: Field
    negated: bool = False


@dataclass(frozen=True, slots=True)
class And:
    """Conjunction of two or more sub-expressions."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Disjunction of two or more sub-expressions."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """Negation; in three-valued logic NOT unknown is unknown."""

    item: Expr


Expr = Compare | InList | IsNull | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One ``order_by`` entry: a field and a direction. Missing values sort last either way."""

    field: Field
    ascending: bool = True


@dataclass(slots=True)
class MetricSummary:
    """The aggregates of one metric's history the index keeps per run."""

    last: float
    min: float
    max: float
    first: float
    count: int


@dataclass(slots=True)
class RunRecord:
    """The searchable facts of one run (times are ms since the epoch)."""

    run_id: str
    experiment_id: str
    run_name: str | None
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    user_id: str | None
    lifecycle_stage: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    #: Bytes of all artifacts and of the model folders among them (the ``ls``
    #: columns ``size`` and ``model_size``); None when unknown.
    artifact_size: int | None = None
    model_size: int | None = None
    #: The dataset inputs: (name, digest, context or None), one per input.
    datasets: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def duration(self) -> int | None:
        """End minus start in ms; None while either is unknown (as the index computes it)."""
        if self.start_time is None or self.end_time is None:
            return None
        return self.end_time - self.start_time


@dataclass(slots=True)
class ExperimentRecord:
    """The searchable facts of one experiment (times are ms since the epoch)."""

    experiment_id: str
    name: str
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None
    lifecycle_stage: str = "active"


# ---------------------------------------------------------------------------
# printing


def _quote(text: str, quote: str) -> str:
    # SQL-style escaping (double the quote) is the only escape the parser
    # knows; backslashes stay literal so Windows paths need no escaping.
    return quote + text.replace(quote, quote * 2) + quote


def _format_key(f: Field) -> str:
    segments = f.key.split(".")
    bare = all(_BARE_SEGMENT.fullmatch(s) for s in segments)
    if bare and f.kind == "metric" and len(segments) > 1 and segments[-1] in AGGREGATES:
        # "metrics.loss.min" would read back as the min of "loss".
        bare = False
    return f.key if bare else _quote(f.key, "`")


def format_field(f: Field) -> str:
    """Print a field the way the parser reads it (``metrics.`my loss`.min``)."""
    text = f"{_PREFIX[f.kind]}.{_format_key(f)}"
    if f.kind == "metric" and f.aggregate != "last":
        text += f".{f.aggregate}"
    return text


def _format_value(value: float | int | str) -> str:
    if isinstance(value, str):
        return _quote(value, "'")
    if isinstance(value, bool):
        raise InvalidArgument(f"A filter value cannot be a bool: {value!r}")
    if isinstance(value, float) and value != value:
        raise InvalidArgument("A filter value cannot be NaN")
    # repr() round-trips floats exactly and prints inf as "inf", which the
    # parser accepts as a number.
    return repr(value)


def format_filter(expr: Expr | None) -> str:
    """Print ``expr`` as a filter string that :func:`parse_filter` reads back to an equal tree.

    ``None`` (match everything) prints as ``""``. Every compound operand is
    parenthesised, so the output does not depend on operator precedence.
    Raises :class:`InvalidArgument` for a tree that has no textual form
    (e.g. a NaN value or an empty ``IN`` list).
    """
    if expr is None:
        return ""
    return _format(expr)


def _format_operand(expr: Expr) -> str:
    text = _format(expr)
    return f"({text})" if isinstance(expr, (And, Or, Not)) else text


def _format(expr: Expr) -> str:
    if isinstance(expr, Compare):
        return f"{format_field(expr.field)} {expr.op} {_format_value(expr.value)}"
    if isinstance(expr, InList):
        if not expr.values:
            raise InvalidArgument("An IN list cannot be empty")
        values = ", ".join(_format_value(v) for v in expr.values)
        op = "NOT IN" if expr.negated else "IN"
        return f"{format_field(expr.field)} {op} ({values})"
    if isinstance(expr, IsNull):
        return f"{format_field(expr.field)} IS {'NOT ' if expr.negated else ''}NULL"
    if isinstance(expr, Not):
        return f"NOT {_format_operand(expr.item)}"
    if isinstance(expr, (And, Or)):
        if len(expr.items) < 2:
            raise InvalidArgument(f"{type(expr).__name__} needs at least two items")
        joiner = " AND " if isinstance(expr, And) else " OR "
        return joiner.join(_format_operand(item) for item in expr.items)
    raise InvalidArgument(f"Not a filter expression: {expr!r}")


def format_order_key(key: OrderKey) -> str:
    """Print an order key as an ``order_by`` string (``"metrics.rmse DESC"``)."""
    return f"{format_field(key.field)} {'ASC' if key.ascending else 'DESC'}"
