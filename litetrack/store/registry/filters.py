"""The registry's filter dialect: parsing ``search_registered_models`` and
``search_model_versions`` filters and ``order_by``, and the brute-force
filter-and-sort the searches share (see :mod:`.search`).

Apart from :mod:`.search` so that a search without a filter or ordering, or
with just ``name = '...'``, never imports the filter language (~1.3 ms of a
fresh process's first search).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.query.evaluate import evaluate
from litetrack.query.nodes import And, Compare, Expr, Field, OrderKey
from litetrack.query.parse import _Dialect, _Parser, check_no_duplicate_keys, syntax_error

__all__ = [
    "MODEL_ATTRIBUTES",
    "VERSION_ATTRIBUTES",
    "DEFAULT_MODEL_ORDER",
    "DEFAULT_VERSION_ORDER",
    "MODEL_TIEBREAK",
    "VERSION_TIEBREAK",
    "parse_model_filter",
    "parse_version_filter",
    "parse_model_order_by",
    "parse_version_order_by",
    "filter_and_sort",
    "name_equals",
    "is_single_comparison",
]

_PREFIXES: dict[str, Any] = {
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
}

MODEL_ATTRIBUTES = {"name": False, "creation_timestamp": True, "last_updated_timestamp": True}
VERSION_ATTRIBUTES = {
    "name": False,
    "version_number": True,
    "run_id": False,
    "source_path": False,
    "current_stage": False,
    "user_id": False,
    "creation_timestamp": True,
    "last_updated_timestamp": True,
}

# The parser's hints name "experiment" and "run" surfaces; a registry dialect
# reuses the experiment wording (no metrics, no params), which fits.
_MODEL_DIALECT = _Dialect(
    what="registered model",
    prefixes=_PREFIXES,
    attributes=MODEL_ATTRIBUTES,
    order_attributes=MODEL_ATTRIBUTES,
    # "timestamp" is MLflow's recommended order key, meaning last_updated_timestamp.
    aliases={
        "creation_time": "creation_timestamp",
        "last_update_time": "last_updated_timestamp",
        "timestamp": "last_updated_timestamp",
    },
)
_VERSION_DIALECT = _Dialect(
    what="model version",
    prefixes=_PREFIXES,
    attributes=VERSION_ATTRIBUTES,
    order_attributes=VERSION_ATTRIBUTES,
    aliases={
        "version": "version_number",
        "source": "source_path",
        "stage": "current_stage",
        "creation_time": "creation_timestamp",
        "last_update_time": "last_updated_timestamp",
        "timestamp": "last_updated_timestamp",
    },
)


class _RegistryParser(_Parser):
    """The run-filter parser with the prefix check worded for registry fields."""

    def parse_field(self, *, for_order: bool) -> Field:
        self.skip_ws()
        start = self.pos
        if start < len(self.text) and self.text[start] not in "'\"`":
            m = self.text[start:].split(".", 1)
            head = m[0].strip()
            if (
                len(m) == 2
                and head
                and head.replace("_", "").isalnum()
                and head not in self.dialect.prefixes
            ):
                raise syntax_error(
                    f"unknown prefix {head!r}; {self.dialect.what}s have tags. and attributes "
                    f"({', '.join(self.dialect.attributes)})",
                    self.text,
                    start,
                    self.what,
                )
        return super().parse_field(for_order=for_order)


def _check_text(text: object, what: str) -> None:
    if not isinstance(text, str):
        raise InvalidArgument(f"A {what} must be a string, not {type(text).__name__}: {text!r}")


def _parse(text: str | None, dialect: _Dialect) -> Expr | None:
    if text is None:
        return None
    _check_text(text, "filter")
    return _RegistryParser(text, dialect).parse()


def parse_model_filter(text: str | None) -> Expr | None:
    """Parse a ``search_registered_models`` filter; None/blank matches all."""
    return _parse(text, _MODEL_DIALECT)


def parse_version_filter(text: str | None) -> Expr | None:
    """Parse a ``search_model_versions`` filter; None/blank matches all."""
    return _parse(text, _VERSION_DIALECT)


def _parse_order(order_by: Iterable[str] | None, dialect: _Dialect) -> list[OrderKey]:
    if order_by is None:
        return []
    if isinstance(order_by, str):
        raise InvalidArgument(
            f"order_by must be a list of strings, not the string {order_by!r} (write [{order_by!r}])"
        )
    keys = []
    items = list(order_by)
    for item in items:
        _check_text(item, "order_by entry")
        keys.append(_RegistryParser(item, dialect, what="order_by").parse_order_key())
    check_no_duplicate_keys(keys, items)  # as MLflow's SQL registry store
    return keys


def parse_model_order_by(order_by: Iterable[str] | None) -> list[OrderKey]:
    """Parse ``order_by`` for registered models (``name``, timestamps, ``tags.x``; ASC/DESC)."""
    return _parse_order(order_by, _MODEL_DIALECT)


def parse_version_order_by(order_by: Iterable[str] | None) -> list[OrderKey]:
    """Parse ``order_by`` for model versions."""
    return _parse_order(order_by, _VERSION_DIALECT)


def _value(record: dict[str, Any], field: Field) -> Any:
    if field.kind == "tag":
        return record["tags"].get(field.key)
    return record.get(field.key)


def filter_and_sort(
    records: Iterable[dict[str, Any]],
    expr: Expr | None,
    keys: Sequence[OrderKey],
    default: Sequence[OrderKey],
    tiebreak: Sequence[OrderKey] = (),
) -> list[dict[str, Any]]:
    """Records (flat dicts with a ``tags`` dict) matching ``expr``, ordered.

    Without ``keys`` the order is ``default``; with them, ``keys`` then the
    ``tiebreak`` keys whose field ``keys`` do not name, as MLflow's stores do
    (versions: ``name ASC``, ``version_number DESC``; its default order's
    ``last_updated_timestamp DESC`` is not added behind an explicit order).
    Missing values sort last in both directions, as in run searches.
    """
    out = [r for r in records if expr is None or evaluate(expr, partial(_value, r)) is True]
    named = {k.field for k in keys}
    order = [*keys, *(t for t in tiebreak if t.field not in named)] if keys else list(default)
    for key in reversed(order):
        present, missing = [], []
        for r in out:
            v = _value(r, key.field)
            if v is None:
                missing.append(r)
            else:
                present.append((v, r))
        present.sort(key=_FIRST, reverse=not key.ascending)
        out = [r for _, r in present]
        out += missing
    return out


_FIRST = itemgetter(0)


DEFAULT_MODEL_ORDER = (OrderKey(Field("attribute", "name"), True),)
#: MLflow's default: most recently updated first; name and version break ties.
DEFAULT_VERSION_ORDER = (
    OrderKey(Field("attribute", "last_updated_timestamp"), False),
    OrderKey(Field("attribute", "name"), True),
    OrderKey(Field("attribute", "version_number"), False),
)

#: What MLflow adds behind an explicit ``order_by`` (fields already named are skipped).
MODEL_TIEBREAK = DEFAULT_MODEL_ORDER
VERSION_TIEBREAK = DEFAULT_VERSION_ORDER[1:]


def name_equals(expr: Any) -> str | None:
    """The name a filter pins with a top-level ``name = '...'`` (to scan only that model)."""
    items = expr.items if isinstance(expr, And) else (expr,)
    for item in items:
        if (
            isinstance(item, Compare)
            and item.op == "="
            and item.field.kind == "attribute"
            and item.field.key == "name"
            and isinstance(item.value, str)
        ):
            return item.value
    return None


def is_single_comparison(expr: Expr | None) -> bool:
    """Whether ``expr`` is one comparison (no AND, OR or NOT around it)."""
    return isinstance(expr, Compare)
