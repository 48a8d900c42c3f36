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

The dialect itself (parsing, filter-and-sort) is :mod:`.filters`, loaded with
the filter language by the first search that needs it: a search without a
filter, or with just ``name = '...'`` or ``tags.k = '...'``, and without
``order_by``, takes a shortcut the tests hold to the parser's reading
(``tests/test_registry_search_fast.py``). Versions found in the search cache
become entities without ``ModelVersion.__init__`` (see :func:`_version_entity`).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from litetrack.entities import ALL_STAGES, STAGE_NONE, ModelVersion, RegisteredModel
from litetrack.errors import RegisteredModelNotFound
from litetrack.paging import PagedList, gc_paused, page
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

if TYPE_CHECKING:
    from litetrack.query import Expr, OrderKey

__all__ = ["search_models", "search_versions"]

# The filter language (litetrack.query, ~1.3 ms to import) loads with
# .filters on the first search that has a filter or an order_by other than
# ``name = '...'``; these names stay reachable here for older callers.
_FILTER_NAMES = frozenset(
    {
        "parse_model_filter",
        "parse_version_filter",
        "parse_model_order_by",
        "parse_version_order_by",
        "filter_and_sort",
        "DEFAULT_MODEL_ORDER",
        "DEFAULT_VERSION_ORDER",
        "MODEL_ATTRIBUTES",
        "VERSION_ATTRIBUTES",
    }
)


def __getattr__(name: str) -> Any:
    if name in _FILTER_NAMES:
        from litetrack.store.registry import filters

        return getattr(filters, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SORT_KEY = itemgetter(0, 1, 2)
_NAME = itemgetter("name")


def _no_order(order_by: object) -> bool:
    """``order_by`` absent or empty: what the order parser turns into no keys."""
    return order_by is None or (type(order_by) in (list, tuple) and not order_by)


def _blank(text: object) -> bool:
    """A filter the parser turns into no expression (None, or only whitespace).

    ``str.strip`` and the parser's ``\\s`` agree on what whitespace is (both
    use Unicode's ``isspace``).
    """
    return text is None or (type(text) is str and not text.strip())


def _quoted(text: str) -> str | None:
    """VALUE when ``text`` is ``= 'VALUE'`` (spaces around; VALUE holding no quote), else None."""
    text = text.lstrip()
    if not text.startswith("="):
        return None
    text = text[1:].lstrip()
    if len(text) < 2 or text[0] != "'" or text[-1] != "'" or "'" in text[1:-1]:
        return None
    return text[1:-1]


def _shortcut(text: object) -> tuple[str, str, str] | None:
    """The equality a filter is, when it is exactly ``name = 'NAME'`` or ``tags.KEY = 'VALUE'``.

    Returns ``("attribute", "name", NAME)`` or ``("tag", KEY, VALUE)``, which
    the parser reads as ``Compare(Field(kind, key), "=", value)``: the two
    filters people write most skip the filter language's import. The shortcut
    only takes the plain form (any spacing; KEY one unquoted segment, values
    without quotes); anything else (doubled or double quotes, ``==``, a second
    condition ...) goes to the parser, errors included.
    """
    if type(text) is not str:
        return None
    t = text.strip()
    if t.startswith("name"):
        value = _quoted(t[4:])
        return None if value is None else ("attribute", "name", value)
    if t.startswith("tags."):
        # The parser's unquoted key segment, r"[\w\-/]+" (\w is isalnum or "_").
        end = 5
        while end < len(t) and (t[end].isalnum() or t[end] in "_-/"):
            end += 1
        value = _quoted(t[end:])
        return None if end == 5 or value is None else ("tag", t[5:end], value)
    return None


def search_models(
    reg: RegistryReader,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> PagedList[RegisteredModel]:
    """Registered models matching a filter, ordered (name ASC by default), one page."""
    plain = _blank(filter_string) and _no_order(order_by)
    if not plain:
        from litetrack.store.registry import filters

        expr = filters.parse_model_filter(filter_string)
        keys = filters.parse_model_order_by(order_by)
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
    if plain:
        # What filter_and_sort gives for no filter and the default order (a
        # stable sort by name, which every model document has).
        found = sorted(records, key=_NAME)
    else:
        found = filters.filter_and_sort(
            records, expr, keys, filters.DEFAULT_MODEL_ORDER, filters.MODEL_TIEBREAK
        )
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


def search_versions(
    reg: RegistryReader,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> PagedList[ModelVersion]:
    """Model versions matching a filter, ordered (last update DESC, name ASC, version DESC
    by default, as MLflow), one page."""
    # Thousands of rows and entities, none in a cycle: no collection midway.
    with gc_paused():
        return _search_versions(reg, filter_string, max_results, order_by, page_token)


def _search_versions(
    reg: RegistryReader,
    filter_string: str | None,
    max_results: int | None,
    order_by: list[str] | None,
    page_token: str | None,
) -> PagedList[ModelVersion]:
    expr: Expr | None = None
    keys: list[OrderKey] = []
    # Without an order_by, no filter, "name = '...'" and "tags.k = '...'" need
    # no parser (see _shortcut); their expression is made only if the scan needs it.
    quick = _shortcut(filter_string) if _no_order(order_by) else None
    only = quick[2] if quick is not None and quick[0] == "attribute" else None
    tag = (quick[1], quick[2]) if quick is not None and quick[0] == "tag" else None
    just_name = only is not None  # the filter is just that name comparison
    if quick is None and not (_blank(filter_string) and _no_order(order_by)):
        from litetrack.store.registry import filters

        expr = filters.parse_version_filter(filter_string)
        keys = filters.parse_version_order_by(order_by)
        only = filters.name_equals(expr) if expr is not None else None
        just_name = only is not None and filters.is_single_comparison(expr)
    cache = reg.search_cache()
    cached = cache.models() if cache is not None else None
    if cached is not None:
        if only is not None:
            validate_model_name(only)
            # By name, not model_key(name): no hash needed (each key was checked on entry).
            chosen = [e for e in cached.values() if e.doc["name"] == only]
            if just_name:
                expr = None  # every version of that model matches
        else:
            chosen = [cached[k] for k in sorted(cached)]
        return _search_cached(chosen, expr, keys, max_results, page_token, tag)
    from litetrack.store.registry import filters

    if quick is not None:
        expr = filters.parse_version_filter(filter_string)
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
    found = filters.filter_and_sort(
        records, expr, keys, filters.DEFAULT_VERSION_ORDER, filters.VERSION_TIEBREAK
    )
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
    tag: tuple[str, str] | None = None,
) -> PagedList[ModelVersion]:
    """:func:`search_versions` over the search cache's rows (same records, same order).

    ``tag`` (key, value) stands for the filter ``tags.key = 'value'`` (``expr`` is None then).
    """
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
                # A missing tag is unknown, never equal: get() gives None, and the value is a str.
                if tag is not None and row[9].get(tag[0]) != tag[1]:
                    continue
                t = since.get(row[0])
                updated = row[2] if t is None else max(row[2], t)
                keyed.append((-updated, name, -row[0], entry, row))
        keyed.sort(key=_SORT_KEY)
        return _entities(keyed, 3, max_results, page_token)
    from litetrack.store.registry import filters

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
    found = [
        r["_row"]
        for r in filters.filter_and_sort(
            records, expr, keys, filters.DEFAULT_VERSION_ORDER, filters.VERSION_TIEBREAK
        )
    ]
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
    last: CachedModel | None = None
    for item in items:
        entry = item[at]
        if entry is not last:
            last = entry
            ctx = context.get(id(entry))
            if ctx is None:
                m = entry.doc
                staged = {int(v): s for s, members in m["stages"].items() for v in members}
                ctx = context[id(entry)] = (staged, _aliases_by_version(m))
            m = entry.doc
            staged, aliases = ctx
        out.append(_version_entity(m, item[at + 1], staged, aliases))
    return PagedList(out, items.token)
