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

from collections.abc import Iterable, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

from litetrack.entities import ALL_STAGES, STAGE_NONE, ModelVersion, RegisteredModel
from litetrack.errors import InvalidArgument, RegisteredModelNotFound
from litetrack.paging import PagedList, page
from litetrack.query.evaluate import evaluate
from litetrack.query.nodes import And, Compare, Expr, Field, OrderKey
from litetrack.query.parse import _Dialect, _Parser, syntax_error
from litetrack.store.registry.cache import CachedModel
from litetrack.store.registry.checks import validate_model_name
from litetrack.store.registry.docs import stage_of
from litetrack.store.registry.limits import (
    MODELS_DEFAULT_RESULTS,
    MODELS_MAX_RESULTS,
    VERSIONS_DEFAULT_RESULTS,
    VERSIONS_MAX_RESULTS,
)
from litetrack.store.registry.reader import RegistryReader, version_entity

__all__ = [
    "parse_model_filter",
    "parse_version_filter",
    "parse_model_order_by",
    "parse_version_order_by",
    "filter_and_sort",
    "search_models",
    "search_versions",
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
_SORT_KEY = itemgetter(0, 1, 2)


DEFAULT_MODEL_ORDER = (OrderKey(Field("attribute", "name"), True),)
#: MLflow's default: most recently updated first; name and version break ties.
DEFAULT_VERSION_ORDER = (
    OrderKey(Field("attribute", "last_updated_timestamp"), False),
    OrderKey(Field("attribute", "name"), True),
    OrderKey(Field("attribute", "version_number"), False),
)


def search_models(
    reg: RegistryReader,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> PagedList[RegisteredModel]:
    """Registered models matching a filter, ordered (name ASC by default), one page."""
    expr = parse_model_filter(filter_string)
    keys = parse_model_order_by(order_by)
    cache = reg.search_cache()
    cached = cache.models() if cache is not None else None
    pairs = (
        [(k, cached[k].doc) for k in sorted(cached)] if cached is not None else reg.iter_models()
    )
    records = [
        {
            "name": m["name"],
            "creation_timestamp": m["creation_timestamp"],
            "last_updated_timestamp": m["last_updated_timestamp"],
            "tags": m["tags"],
            "_ref": (key, m),
        }
        for key, m in pairs
    ]
    found = filter_and_sort(records, expr, keys, DEFAULT_MODEL_ORDER)
    items = page(
        found,
        max_results if max_results is not None else MODELS_DEFAULT_RESULTS,
        page_token,
        MODELS_MAX_RESULTS,
    )
    if cached is None:
        return PagedList([reg.model_entity(*r["_ref"]) for r in items], items.token)
    return PagedList([_model_entity(cached[r["_ref"][0]]) for r in items], items.token)


def _model_entity(entry: CachedModel) -> RegisteredModel:
    """The :class:`RegisteredModel` of a cached model (as ``RegistryReader.model_entity``)."""
    m = entry.doc
    rows = entry.rows
    staged: dict[int, str] = {int(v): s for s, members in m["stages"].items() for v in members}
    latest: list[ModelVersion] = []
    for stage in ALL_STAGES:
        if stage == STAGE_NONE:
            numbers = [v for v in rows if v not in staged]
        else:
            numbers = [int(v) for v in m["stages"].get(stage) or {} if int(v) in rows]
        if numbers:
            latest.append(_version_entity(m, rows[max(numbers)], staged, _aliases_by_version(m)))
    return RegisteredModel(
        name=m["name"],
        creation_timestamp=m["creation_timestamp"],
        last_updated_timestamp=m["last_updated_timestamp"],
        description=m.get("description"),
        latest_versions=latest,
        tags=m["tags"],
        aliases=m["aliases"],
    )


def _aliases_by_version(m: dict[str, Any]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for alias in sorted(m["aliases"]):
        out.setdefault(m["aliases"][alias], []).append(alias)
    return out


_NEW = object.__new__


def _version_entity(
    m: dict[str, Any], row: list[Any], staged: dict[int, str], aliases: dict[int, list[str]]
) -> ModelVersion:
    """The :class:`ModelVersion` of a cache row (as :func:`version_entity` of its document).

    Built without ``ModelVersion.__init__``: a search may return thousands, and
    its keyword handling and conversions cost 4x the plain slot stores below,
    which give the same object (the row's values are already what ``__init__``
    would store; tags and aliases are fresh copies, as it makes them).
    """
    v = row[0]
    stage = staged.get(v, STAGE_NONE)
    updated = row[2]
    if stage != STAGE_NONE:
        updated = max(updated, m["stages"][stage][str(v)])
    mv: ModelVersion = _NEW(ModelVersion)
    mv.name = m["name"]
    mv.version = v
    mv.creation_timestamp = row[1]
    mv.last_updated_timestamp = updated
    mv.description = row[4]
    mv.user_id = row[3]
    mv.current_stage = stage
    mv.source = row[5]
    mv.run_id = row[6]
    mv.status = row[8]
    mv.status_message = None
    mv.tags = dict(row[9])
    mv.run_link = row[7]
    names = aliases.get(v)
    mv.aliases = list(names) if names else []
    return mv


def _name_equals(expr: Any) -> str | None:
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


def search_versions(
    reg: RegistryReader,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> PagedList[ModelVersion]:
    """Model versions matching a filter, ordered (last update DESC, name ASC, version DESC
    by default, as MLflow), one page."""
    expr = parse_version_filter(filter_string)
    keys = parse_version_order_by(order_by)
    only = _name_equals(expr) if expr is not None else None
    cache = reg.search_cache()
    cached = cache.models() if cache is not None else None
    if cached is not None:
        if only is not None:
            validate_model_name(only)
            # By name, not model_key(name): no hash needed (each key was checked on entry).
            chosen = [e for e in cached.values() if e.doc["name"] == only]
            if isinstance(expr, Compare):
                expr = None  # just "name = '...'": every version of that model matches
        else:
            chosen = [cached[k] for k in sorted(cached)]
        return _search_cached(chosen, expr, keys, max_results, page_token)
    if only is not None:
        try:
            models = [reg.read_model(only)]
        except RegisteredModelNotFound:
            models = []
    else:
        models = list(reg.iter_models())
    records = []
    for key, m in models:
        # Cached while the model's versions folder is unchanged; entities are
        # built for the returned page only.
        for v in reg.version_docs(key):
            stage = stage_of(m, v["version"])
            updated = v["last_updated_timestamp"]
            if stage != STAGE_NONE:
                updated = max(updated, m["stages"][stage][str(v["version"])])
            records.append(
                {
                    "name": m["name"],
                    "version_number": v["version"],
                    "run_id": v.get("run_id"),
                    "source_path": v["source"],
                    "current_stage": stage,
                    "user_id": v.get("user_id"),
                    "creation_timestamp": v["creation_timestamp"],
                    "last_updated_timestamp": updated,
                    "tags": v["tags"],
                    "_docs": (m, v),
                }
            )
    found = filter_and_sort(records, expr, keys, DEFAULT_VERSION_ORDER)
    items = page(
        found,
        max_results if max_results is not None else VERSIONS_DEFAULT_RESULTS,
        page_token,
        VERSIONS_MAX_RESULTS,
    )
    # The entity gets its own tags dict: the cached document must not change.
    return PagedList(
        [version_entity(m, {**v, "tags": dict(v["tags"])}) for m, v in (r["_docs"] for r in items)],
        items.token,
    )


def _search_cached(
    chosen: list[CachedModel],
    expr: Expr | None,
    keys: Sequence[OrderKey],
    max_results: int | None,
    page_token: str | None,
) -> PagedList[ModelVersion]:
    """:func:`search_versions` over the search cache's rows (same records, same order)."""
    if expr is None and not keys:
        # The default order's fields are never missing here, so one sort on a
        # tuple gives what filter_and_sort's three stable passes give (name and
        # version make the order total); ~3x faster at 1,000 versions.
        keyed = []
        for entry in chosen:
            name = entry.doc["name"]
            since = {
                int(v): t for members in entry.doc["stages"].values() for v, t in members.items()
            }
            for row in entry.rows.values():
                t = since.get(row[0])
                updated = row[2] if t is None else max(row[2], t)
                keyed.append((-updated, name, -row[0], entry, row))
        keyed.sort(key=_SORT_KEY)
        return _entities(keyed, 3, max_results, page_token)
    records = []
    for entry in chosen:
        m = entry.doc
        name = m["name"]
        stage_since = {
            int(v): (s, t) for s, members in m["stages"].items() for v, t in members.items()
        }
        for row in entry.rows.values():
            hit = stage_since.get(row[0])
            stage, updated = (hit[0], max(row[2], hit[1])) if hit else (STAGE_NONE, row[2])
            records.append(
                {
                    "name": name,
                    "version_number": row[0],
                    "run_id": row[6],
                    "source_path": row[5],
                    "current_stage": stage,
                    "user_id": row[3],
                    "creation_timestamp": row[1],
                    "last_updated_timestamp": updated,
                    "tags": row[9],
                    "_row": (entry, row),
                }
            )
    found = [r["_row"] for r in filter_and_sort(records, expr, keys, DEFAULT_VERSION_ORDER)]
    return _entities(found, 0, max_results, page_token)


def _entities(
    found: Sequence[tuple[Any, ...]], at: int, max_results: int | None, page_token: str | None
) -> PagedList[ModelVersion]:
    """One page of ``found`` as entities; each item holds a (cached model, row) pair at ``at``."""
    items = page(
        found,
        max_results if max_results is not None else VERSIONS_DEFAULT_RESULTS,
        page_token,
        VERSIONS_MAX_RESULTS,
    )
    out = []
    context: dict[int, tuple[dict[int, str], dict[int, list[str]]]] = {}
    for item in items:
        entry, row = item[at], item[at + 1]
        ctx = context.get(id(entry))
        if ctx is None:
            m = entry.doc
            staged = {int(v): s for s, members in m["stages"].items() for v in members}
            ctx = context[id(entry)] = (staged, _aliases_by_version(m))
        out.append(_version_entity(entry.doc, row, *ctx))
    return PagedList(out, items.token)
