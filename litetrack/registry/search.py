"""``search_registered_models`` and ``search_model_versions`` filters and ordering.

The filter language is the one of run searches (:mod:`litetrack.query`):
same grammar (AND, OR, NOT, parentheses, ``=``, ``!=``, ``LIKE``, ``ILIKE``,
``IN``, ``IS NULL``), same three-valued evaluation, same error messages with
a caret. Only the fields differ:

* registered models: ``name``, ``tags.<key>``, ``creation_timestamp``,
  ``last_updated_timestamp``;
* model versions: ``name``, ``version_number`` (or ``version``), ``run_id``,
  ``source_path`` (or ``source``), ``current_stage`` (or ``stage``),
  ``user_id``, ``tags.<key>``, ``creation_timestamp``,
  ``last_updated_timestamp``.

MLflow's examples (``name = 'x'``, ``name LIKE '%x%'``, ``run_id = '...'``,
``tags.k = 'v'``, ``version_number > 3``) all read the same here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from litetrack.errors import InvalidArgument
from litetrack.query.evaluate import evaluate
from litetrack.query.nodes import Expr, Field, OrderKey
from litetrack.query.parse import _Dialect, _Parser, syntax_error

__all__ = [
    "parse_model_filter",
    "parse_version_filter",
    "parse_model_order_by",
    "parse_version_order_by",
    "filter_and_sort",
    "page",
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
    aliases={"creation_time": "creation_timestamp", "last_update_time": "last_updated_timestamp"},
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
    for item in order_by:
        _check_text(item, "order_by entry")
        keys.append(_RegistryParser(item, dialect, what="order_by").parse_order_key())
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
) -> list[dict[str, Any]]:
    """Records (flat dicts with a ``tags`` dict) matching ``expr``, ordered by ``keys`` then ``default``.

    Missing values sort last in both directions, as in run searches.
    """
    out = [r for r in records if expr is None or evaluate(expr, partial(_value, r)) is True]
    for key in reversed([*keys, *default]):
        present = [(v, r) for r in out if (v := _value(r, key.field)) is not None]
        missing = [r for r in out if _value(r, key.field) is None]
        present.sort(key=lambda item: item[0], reverse=not key.ascending)
        out = [r for _, r in present] + missing
    return out


def page(
    items: list[Any], max_results: int | None, page_token: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the token of the next (None on the last page)."""
    if max_results is None:
        max_results = limit
    if (
        isinstance(max_results, bool)
        or not isinstance(max_results, int)
        or not 1 <= max_results <= limit
    ):
        raise InvalidArgument(
            f"Invalid max_results {max_results!r}: expected an integer from 1 to {limit}"
        )
    start = 0
    if page_token:
        try:
            start = int(json.loads(base64.b64decode(page_token))["offset"])
            if start < 0:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise InvalidArgument(
                f"Invalid page_token {page_token!r}: pass the .token of a previous page"
            ) from None
    end = start + max_results
    token = (
        base64.b64encode(json.dumps({"offset": end}).encode()).decode()
        if end < len(items)
        else None
    )
    return items[start:end], token


DEFAULT_MODEL_ORDER = (OrderKey(Field("attribute", "name"), True),)
DEFAULT_VERSION_ORDER = (
    OrderKey(Field("attribute", "name"), True),
    OrderKey(Field("attribute", "version_number"), False),
)
