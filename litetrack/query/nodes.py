"""The filter language's syntax tree, the records it is evaluated against, and printing.

A parsed filter is a small immutable tree of the node classes below. The same
tree drives the brute-force evaluator (:mod:`litetrack.query.evaluate`) and the
SQL compiler (:mod:`litetrack.query.sql`), so both agree on meaning by
construction; :func:`format_filter` prints a tree back into a string that
parses to an equal tree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

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
# One unquoted key segment as the parser reads it (see parse._BARE_SEGMENT): a
# pattern, compiled by ``re`` (once, shared with the parser) when first printed.
_BARE_SEGMENT = r"[\w\-/]+"


class _Value:
    """Slotted classes compared by value, with the repr and pickling a dataclass gives.

    Hand-written rather than ``@dataclass``: importing :mod:`dataclasses`
    (with :mod:`inspect`) and generating the methods of these eleven classes
    cost ~18 ms, paid by the first search of every process.
    """

    __slots__ = ()

    def _names(self) -> tuple[str, ...]:
        return self.__slots__  # type: ignore[return-value]

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._names())

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._names())
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return self.__class__, self._values()


class _Node(_Value):
    """An immutable, hashable tree node (as ``@dataclass(frozen=True, slots=True)``)."""

    __slots__ = ()

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is immutable")

    def __hash__(self) -> int:
        return hash(self._values())


class Field(_Node):
    """What a predicate looks at: ``metrics.loss.min`` is ``Field("metric", "loss", "min")``.

    ``aggregate`` is one of :data:`AGGREGATES` for metrics and ``None`` for
    every other kind. ``key`` is the canonical attribute name for attributes
    (aliases such as ``created`` are resolved by the parser).
    """

    __slots__ = ("kind", "key", "aggregate")
    kind: Kind
    key: str
    aggregate: str | None

    def __init__(self, kind: Kind, key: str, aggregate: str | None = None) -> None:
        self._set(kind=kind, key=key, aggregate=aggregate)
        if kind not in _PREFIX:
            raise InvalidArgument(f"Field kind {kind!r} is not one of {sorted(_PREFIX)}")
        if kind == "metric":
            if aggregate not in AGGREGATES:
                raise InvalidArgument(
                    f"Metric aggregate {aggregate!r} is not one of {list(AGGREGATES)}"
                )
        elif aggregate is not None:
            raise InvalidArgument(f"Only metrics take an aggregate, not {kind} {key!r}")
        if not key:
            raise InvalidArgument("A field key cannot be empty")
        if kind == "dataset" and key not in DATASET_KEYS:
            raise InvalidArgument(
                f"Invalid dataset key {key!r}: expected one of {list(DATASET_KEYS)}"
            )


class Compare(_Node):
    """``field op value``; ``op`` is one of ``= != < <= > >= LIKE ILIKE``.

    ``value`` is a float for metrics, an int or float for numeric attributes,
    a str for everything else (and always a str pattern for LIKE/ILIKE).
    """

    __slots__ = ("field", "op", "value")
    field: Field
    op: str
    value: float | int | str

    def __init__(self, field: Field, op: str, value: float | int | str) -> None:
        self._set(field=field, op=op, value=value)


class InList(_Node):
    """``field IN (v1, v2 ...)``, or ``NOT IN`` when ``negated``; values are strings."""

    __slots__ = ("field", "values", "negated")
    field: Field
    values: tuple[str, ...]
    negated: bool

    def __init__(self, field: Field, values: tuple[str, ...], negated: bool = False) -> None:
        self._set(field=field, values=values, negated=negated)


class IsNull(_Node):
    """``field IS NULL`` (``IS NOT NULL`` when ``negated``); NaN metrics count as NULL."""

    __slots__ = ("field", "negated")
    field: Field
    negated: bool

    def __init__(self, field: Field, negated: bool = False) -> None:
        self._set(field=field, negated=negated)


class And(_Node):
    """Conjunction of two or more sub-expressions."""

    __slots__ = ("items",)
    items: tuple[Expr, ...]

    def __init__(self, items: tuple[Expr, ...]) -> None:
        self._set(items=items)


class Or(_Node):
    """Disjunction of two or more sub-expressions."""

    __slots__ = ("items",)
    items: tuple[Expr, ...]

    def __init__(self, items: tuple[Expr, ...]) -> None:
        self._set(items=items)


class Not(_Node):
    """Negation; in three-valued logic NOT unknown is unknown."""

    __slots__ = ("item",)
    item: Expr

    def __init__(self, item: Expr) -> None:
        self._set(item=item)


Expr = Compare | InList | IsNull | And | Or | Not


class OrderKey(_Node):
    """One ``order_by`` entry: a field and a direction. Missing values sort last either way."""

    __slots__ = ("field", "ascending")
    field: Field
    ascending: bool

    def __init__(self, field: Field, ascending: bool = True) -> None:
        self._set(field=field, ascending=ascending)


class _Record(_Value):
    """A mutable record compared by value (unhashable, as a non-frozen dataclass)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]


class MetricSummary(_Record):
    """The aggregates of one metric's history the index keeps per run."""

    __slots__ = ("last", "min", "max", "first", "count")

    def __init__(self, last: float, min: float, max: float, first: float, count: int) -> None:
        self.last = last
        self.min = min
        self.max = max
        self.first = first
        self.count = count


class RunRecord(_Record):
    """The searchable facts of one run (times are ms since the epoch)."""

    __slots__ = (
        "run_id", "experiment_id", "run_name", "status", "start_time", "end_time",
        "artifact_uri", "user_id", "lifecycle_stage", "params", "tags", "metrics",
        "artifact_size", "model_size", "datasets",
    )

    def __init__(
        self,
        run_id: str,
        experiment_id: str,
        run_name: str | None,
        status: str,
        start_time: int | None,
        end_time: int | None,
        artifact_uri: str,
        user_id: str | None,
        lifecycle_stage: str,
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        metrics: dict[str, MetricSummary] | None = None,
        artifact_size: int | None = None,
        model_size: int | None = None,
        datasets: list[tuple[str, str, str | None]] | None = None,
    ) -> None:
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.run_name = run_name
        self.status = status
        self.start_time = start_time
        self.end_time = end_time
        self.artifact_uri = artifact_uri
        self.user_id = user_id
        self.lifecycle_stage = lifecycle_stage
        self.params: dict[str, str] = {} if params is None else params
        self.tags: dict[str, str] = {} if tags is None else tags
        self.metrics: dict[str, MetricSummary] = {} if metrics is None else metrics
        #: Bytes of all artifacts and of the model folders among them (the ``ls``
        #: columns ``size`` and ``model_size``); None when unknown.
        self.artifact_size = artifact_size
        self.model_size = model_size
        #: The dataset inputs: (name, digest, context or None), one per input.
        self.datasets: list[tuple[str, str, str | None]] = [] if datasets is None else datasets

    @property
    def duration(self) -> int | None:
        """End minus start in ms; None while either is unknown (as the index computes it)."""
        if self.start_time is None or self.end_time is None:
            return None
        return self.end_time - self.start_time


class ExperimentRecord(_Record):
    """The searchable facts of one experiment (times are ms since the epoch)."""

    __slots__ = (
        "experiment_id", "name", "tags", "creation_time", "last_update_time", "lifecycle_stage",
    )

    def __init__(
        self,
        experiment_id: str,
        name: str,
        tags: dict[str, str] | None = None,
        creation_time: int | None = None,
        last_update_time: int | None = None,
        lifecycle_stage: str = "active",
    ) -> None:
        self.experiment_id = experiment_id
        self.name = name
        self.tags: dict[str, str] = {} if tags is None else tags
        self.creation_time = creation_time
        self.last_update_time = last_update_time
        self.lifecycle_stage = lifecycle_stage


# ---------------------------------------------------------------------------
# printing


def _quote(text: str, quote: str) -> str:
    # SQL-style escaping (double the quote) is the only escape the parser
    # knows; backslashes stay literal so Windows paths need no escaping.
    return quote + text.replace(quote, quote * 2) + quote


def _format_key(f: Field) -> str:
    segments = f.key.split(".")
    bare = all(re.fullmatch(_BARE_SEGMENT, s) for s in segments)
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


def fields_of(expr: Expr | None, keys: Sequence[OrderKey] = ()) -> list[Field]:
    """Every field a filter and an order read, in the order they are written (repeats kept)."""
    fields: list[Field] = []
    stack: list[Expr] = [expr] if expr is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack.extend(reversed(node.items))
        elif isinstance(node, Not):
            stack.append(node.item)
        else:
            fields.append(node.field)
    fields.extend(k.field for k in keys)
    return fields
