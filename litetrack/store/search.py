"""Finding runs and experiments in one store: filter, order, page.

Runs are found through the derived SQLite index when it is available (see
:mod:`litetrack.store.index`) and by a scan of the JSON documents otherwise;
both give the same answer, order included (a property test checks it).
Paging follows :mod:`litetrack.paging`. The API on top (``Client.search_runs``,
``litetrack.search_runs`` with its DataFrame) is :mod:`litetrack.search`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from litetrack.entities import Experiment, Run, ViewType
from litetrack.errors import ExperimentNotFound, InvalidArgument
from litetrack.paging import (
    EXPERIMENTS_MAX_RESULTS,
    RUNS_MAX_RESULTS,
    PagedList,
    check_max_results,
    decode_token,
    encode_token,
    gc_paused,
)
from litetrack.query import (
    ExperimentRecord,
    MetricSummary,
    RunRecord,
    fields_of,
    matches,
    matches_experiment,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_records,
)
from litetrack.store.experiments import doc_to_experiment
from litetrack.store.runs import artifact_sizes, doc_to_run, effective_status, run_view

if TYPE_CHECKING:
    from litetrack.store.core import Store

__all__ = [
    "dataset_facts",
    "doc_to_record",
    "experiments_text",
    "explain_empty",
    "gc_paused",
    "query_experiments",
    "query_run_views",
    "query_runs",
    "run_keys",
    "scan_documents",
]

logger = logging.getLogger(__name__)


def dataset_facts(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(name, digest, context) of each dataset input of a run document."""
    facts = []
    for entry in doc.get("inputs") or ():
        # A damaged document must not break a search: odd entries are skipped,
        # an odd context reads as none (index and scan alike).
        dataset = entry.get("dataset") if isinstance(entry, dict) else None
        if not isinstance(dataset, dict):
            continue
        name, digest = dataset.get("name"), dataset.get("digest")
        if not isinstance(name, str) or not isinstance(digest, str):
            continue
        tags = entry.get("tags")
        context = tags.get("mlflow.data.context") if isinstance(tags, dict) else None
        facts.append((name, digest, context if isinstance(context, str) else None))
    return facts


def doc_to_record(doc: dict[str, Any]) -> RunRecord:
    """The searchable facts of a (folded) run document."""
    metrics = {}
    for key, s in (doc.get("metrics") or {}).items():
        value = float(s["value"])
        metrics[key] = MetricSummary(
            last=value,
            min=s.get("min") if s.get("min") is not None else float("nan"),
            max=s.get("max") if s.get("max") is not None else float("nan"),
            first=s.get("first") if s.get("first") is not None else value,
            count=int(s.get("count", 1)),
        )
    # A run view carries its sizes; a folded document its artifacts (as doc_to_run reads them).
    sizes = doc.get("sizes") or artifact_sizes(doc.get("artifacts") or {})
    return RunRecord(
        run_id=doc["run_id"],
        experiment_id=doc["experiment_id"],
        run_name=doc.get("run_name"),
        status=effective_status(doc),
        start_time=doc.get("start_time"),
        end_time=doc.get("end_time"),
        artifact_uri=doc["artifact_uri"],
        user_id=doc.get("user_id"),
        lifecycle_stage=doc.get("lifecycle_stage", "active"),
        params=dict(doc.get("params") or {}),
        tags=dict(doc.get("tags") or {}),
        metrics=metrics,
        artifact_size=sizes[0],
        model_size=sizes[1],
        datasets=dataset_facts(doc),
    )


def scan_documents(
    store: Store, experiment_ids: Sequence[str], stages: Sequence[str]
) -> Iterable[dict[str, Any]]:
    """Every folded run document of the experiments, in the given lifecycle stages.

    A run whose document is damaged is skipped with a warning, as the index
    does: one bad file must not fail every search (``verify`` names it).
    """
    wanted = set(experiment_ids)
    allowed = set(stages)

    def skip(run_id: str, error: Exception) -> None:
        logger.warning("Search: skipping run %s: %s", run_id, error)

    for doc in store.runs.iter_docs(on_error=skip):
        if doc["experiment_id"] in wanted and doc.get("lifecycle_stage", "active") in allowed:
            yield doc


def query_runs(
    store: Store,
    experiment_ids: Sequence[str],
    filter_string: str | None = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = 1000,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
) -> PagedList[Run]:
    """One page of runs matching the filter, in order; ``.token`` for the next page.

    A first page that comes back empty because an experiment id or a filter
    key is unknown (a likely typo) is still empty, as in MLflow, but logged
    as a warning that names it (:func:`explain_empty`).
    """
    with gc_paused():
        docs, token, _ = _query_docs(
            store, experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
        )
        if not docs and not page_token and max_results != 0:
            for problem in explain_empty(store, experiment_ids, filter_string):
                logger.warning("search_runs found no runs: %s", problem)
        return PagedList([doc_to_run(d) for d in docs], token)


def explain_empty(store: Store, experiment_ids: Sequence[str], filter_string: str | None) -> list[str]:
    """Why a search of these experiments may have found nothing: unknown experiment ids, and
    metric, param or tag keys of the filter that no run of the experiments has (deleted runs
    included), with the near ones. Empty when nothing looks like a typo.

    MLflow answers such a search with no runs (and so does litetrack:
    scripts rely on it); saying why keeps a typo from passing for an answer.
    """
    import difflib

    problems: list[str] = []
    known: list[str] = []
    for experiment_id in dict.fromkeys(experiment_ids):
        try:
            store.experiments.read(experiment_id)
            known.append(experiment_id)
        except (ExperimentNotFound, InvalidArgument):
            problems.append(f"no experiment with id {experiment_id!r} (experiments: {experiments_text(store)})")
    fields = [f for f in fields_of(parse_filter(filter_string)) if f.kind in ("metric", "param", "tag")]
    if not fields or not known:
        return problems
    keys = run_keys(store, known, ViewType.ALL)
    if not any(keys.values()):
        return problems  # experiments without runs: nothing to mistype
    where = f"experiment {known[0]!r}" if len(known) == 1 else "experiments " + ", ".join(map(repr, known))
    for kind, key in dict.fromkeys((f.kind, f.key) for f in fields):
        have = keys[kind + "s"]
        if key in have:
            continue
        near = difflib.get_close_matches(key, have, n=2, cutoff=0.7)
        hint = (
            f"did you mean {' or '.join(repr(n) for n in near)}?" if near
            else f"its {kind}s: {', '.join(have[:12]) or 'none'}{' ...' if len(have) > 12 else ''}"
        )
        problems.append(f"no run in {where} has the {kind} {key!r}; {hint}")
    return problems


def query_run_views(
    store: Store,
    experiment_ids: Sequence[str],
    filter_string: str | None = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = 1000,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
) -> PagedList[dict[str, Any]]:
    """:func:`query_runs`, as run views (:func:`~litetrack.store.runs.run_view`) instead of runs.

    For readers that show thousands of runs (``ls``): building a :class:`Run`
    per run costs as much as the query. Every key of ``run_view`` is present;
    a metric is its latest value (None for NaN from the index: read it with
    :func:`~litetrack.store.runs.view_metric`); the
    status is the stored one (report :func:`effective_status`).
    """
    with gc_paused():
        docs, token, from_index = _query_docs(
            store, experiment_ids, filter_string, run_view_type, max_results, order_by, page_token
        )
        return PagedList(docs if from_index else [run_view(d) for d in docs], token)


def _query_docs(
    store: Store,
    experiment_ids: Sequence[str],
    filter_string: str | None,
    run_view_type: int,
    max_results: int | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[dict[str, Any]], str | None, bool]:
    """(index views or, from a scan, folded documents; the next token; whether from the index)."""
    expr = parse_filter(filter_string)
    keys = parse_order_by(order_by or None)  # a bare string gets its own message
    stages = ViewType.stages(run_view_type)
    # MLflow 3.17's SQL store refuses 0 ("must be a positive integer"); the
    # fluent search_runs answers max_results=0 itself, without asking.
    limit = check_max_results(max_results, RUNS_MAX_RESULTS)
    offset = decode_token(page_token)
    if not store.exists():
        return [], None, True
    index = store.search_index()
    docs: list[dict[str, Any]] | None = None
    if index is not None:
        try:
            docs, more = index.search(experiment_ids, stages, expr, keys, limit, offset)
        except (sqlite3.Error, OSError) as e:
            # The index is only a cache: a locked or broken one (or a folder
            # in its place, which cannot be rebuilt) must not fail the
            # search, just slow it down.
            logger.warning("Search index unavailable (%s); scanning the run documents", e)
    from_index = docs is not None
    if docs is None:
        by_id = {d["run_id"]: d for d in scan_documents(store, experiment_ids, stages)}
        records = [r for r in map(doc_to_record, by_id.values()) if matches(expr, r)]
        ordered = sort_records(records, keys)
        end = None if limit is None else offset + limit
        docs = [by_id[r.run_id] for r in ordered[offset:end]]
        more = end is not None and end < len(ordered)
    token = encode_token(offset + len(docs)) if more else None
    return docs, token, from_index


def experiments_text(store: Store, most: int = 12) -> str:
    """The store's experiments as ``id 'name'``, at most ``most`` of them (for error messages)."""
    docs = store.experiments.list_docs()
    listed = ", ".join(f"{d['experiment_id']} {d['name']!r}" for d in docs[:most])
    return listed + (f" and {len(docs) - most} more" if len(docs) > most else "")


def run_keys(
    store: Store, experiment_ids: Sequence[str], run_view_type: int = ViewType.ACTIVE_ONLY
) -> dict[str, list[str]]:
    """Every param, metric and tag key of the experiments' runs: ``{"params": [...], ...}``, sorted.

    From the index when available (one query, kept until the index changes),
    else by a scan of the documents.
    """
    stages = ViewType.stages(run_view_type)
    if not store.exists():
        return {"params": [], "metrics": [], "tags": []}
    index = store.search_index()
    if index is not None:
        try:
            return index.run_keys(list(experiment_ids), list(stages))
        except (sqlite3.Error, OSError) as e:
            logger.warning("Search index unavailable (%s); scanning the run documents", e)
    found: dict[str, set[str]] = {"params": set(), "metrics": set(), "tags": set()}
    for doc in scan_documents(store, experiment_ids, stages):
        for kind, keys in found.items():
            keys.update(doc.get(kind) or {})
    return {kind: sorted(keys) for kind, keys in found.items()}


def query_experiments(
    store: Store,
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
    page_token: str | None = None,
) -> PagedList[Experiment]:
    """One page of experiments matching an experiment filter (``name``, ``tags.X`` ...)."""
    expr = parse_experiment_filter(filter_string)
    keys = parse_experiment_order_by(order_by or None)  # a bare string: its own message
    stages = set(ViewType.stages(view_type))
    limit = check_max_results(max_results, EXPERIMENTS_MAX_RESULTS)
    offset = decode_token(page_token)
    # No early return for a missing store: it still lists the Default experiment.
    docs = {d["experiment_id"]: d for d in store.experiments.list_docs()}
    records = [
        ExperimentRecord(
            experiment_id=d["experiment_id"],
            name=d["name"],
            tags=dict(d.get("tags") or {}),
            creation_time=d.get("creation_time"),
            last_update_time=d.get("last_update_time"),
            lifecycle_stage=d.get("lifecycle_stage", "active"),
        )
        for d in docs.values()
        if d.get("lifecycle_stage", "active") in stages
    ]
    records = [r for r in records if matches_experiment(expr, r)]
    ordered = sort_experiments(records, keys)
    end = None if limit is None else offset + limit
    page = ordered[offset:end]
    more = end is not None and end < len(ordered)
    return PagedList(
        [doc_to_experiment(docs[r.experiment_id]) for r in page],
        encode_token(offset + len(page)) if more else None,
    )
