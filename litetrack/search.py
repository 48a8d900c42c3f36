"""Searching runs and experiments: filter strings, ordering, paging, pandas results.

Runs are found through the derived SQLite index when it is available (see
:mod:`litetrack.store.index`) and by a scan of the JSON documents otherwise;
both give the same answer, order included (a property test checks it).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from litetrack.client import PagedList
from litetrack.entities import Experiment, Run, ViewType
from litetrack.errors import InvalidArgument
from litetrack.query import (
    ExperimentRecord,
    MetricSummary,
    RunRecord,
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
from litetrack.store.runs import doc_to_run, effective_status

if TYPE_CHECKING:
    import pandas as pd

    from litetrack.store.core import Store

__all__ = ["search_runs", "query_runs", "query_experiments", "doc_to_record"]

logger = logging.getLogger(__name__)


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
    )


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except Exception:  # noqa: BLE001 - any garbage token gets the same clear error
        raise InvalidArgument(
            f"Invalid page_token {token!r}: pass the .token of a previous search result"
        ) from None


def _check_max_results(max_results: int | None) -> int | None:
    if max_results is None:
        return None
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise InvalidArgument(f"Invalid max_results {max_results!r}: must be a positive integer")
    return max_results


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
    """One page of runs matching the filter, in order; ``.token`` for the next page."""
    expr = parse_filter(filter_string)
    keys = parse_order_by(list(order_by) if order_by else None)
    stages = ViewType.stages(run_view_type)
    limit = _check_max_results(max_results)
    offset = _decode_token(page_token)
    if not store.exists():
        return PagedList([], None)
    index = store.search_index()
    docs: list[dict[str, Any]] | None = None
    if index is not None:
        import sqlite3

        try:
            docs, more = index.search(experiment_ids, stages, expr, keys, limit, offset)
        except sqlite3.Error as e:
            # The index is only a cache: a locked or broken one must not
            # fail the search, just slow it down.
            logger.warning("Search index unavailable (%s); scanning the run documents", e)
    if docs is None:
        by_id = {d["run_id"]: d for d in scan_documents(store, experiment_ids, stages)}
        records = [r for r in map(doc_to_record, by_id.values()) if matches(expr, r)]
        ordered = sort_records(records, keys)
        end = None if limit is None else offset + limit
        docs = [by_id[r.run_id] for r in ordered[offset:end]]
        more = end is not None and end < len(ordered)
    token = _encode_token(offset + len(docs)) if more else None
    return PagedList([doc_to_run(d) for d in docs], token)


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
    keys = parse_experiment_order_by(list(order_by) if order_by else None)
    stages = set(ViewType.stages(view_type))
    limit = _check_max_results(max_results)
    offset = _decode_token(page_token)
    if not store.exists():
        return PagedList([], None)
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
        _encode_token(offset + len(page)) if more else None,
    )


def runs_to_frame(runs: Sequence[Run]) -> pd.DataFrame:
    """MLflow's search_runs DataFrame: info columns, then metrics.*, params.*, tags.*."""
    import pandas as pd

    info: dict[str, list[Any]] = {
        "run_id": [],
        "experiment_id": [],
        "status": [],
        "artifact_uri": [],
        "start_time": [],
        "end_time": [],
    }
    metric_keys: dict[str, None] = {}
    param_keys: dict[str, None] = {}
    tag_keys: dict[str, None] = {}
    for run in runs:
        metric_keys.update(dict.fromkeys(run.data.metrics))
        param_keys.update(dict.fromkeys(run.data.params))
        tag_keys.update(dict.fromkeys(run.data.tags))
    n = len(runs)
    metrics = {k: [float("nan")] * n for k in sorted(metric_keys)}
    params: dict[str, list[Any]] = {k: [None] * n for k in sorted(param_keys)}
    tags: dict[str, list[Any]] = {k: [None] * n for k in sorted(tag_keys)}
    for i, run in enumerate(runs):
        ri = run.info
        info["run_id"].append(ri.run_id)
        info["experiment_id"].append(ri.experiment_id)
        info["status"].append(ri.status)
        info["artifact_uri"].append(ri.artifact_uri)
        info["start_time"].append(ri.start_time)
        info["end_time"].append(ri.end_time)
        for k, v in run.data.metrics.items():
            metrics[k][i] = v
        for k, p in run.data.params.items():
            params[k][i] = p
        for k, t in run.data.tags.items():
            tags[k][i] = t
    columns: dict[str, Any] = dict(info)
    for col in ("start_time", "end_time"):
        columns[col] = pd.to_datetime(pd.Series(info[col], dtype="float64"), unit="ms", utc=True)
    columns.update({f"metrics.{k}": pd.Series(v, dtype="float64") for k, v in metrics.items()})
    columns.update({f"params.{k}": pd.Series(v, dtype="object") for k, v in params.items()})
    columns.update({f"tags.{k}": pd.Series(v, dtype="object") for k, v in tags.items()})
    return pd.DataFrame(columns)


def search_runs(
    experiment_ids: str | list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: list[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Search runs (MLflow's ``mlflow.search_runs``).

    Returns a pandas DataFrame (``output_format="pandas"``) or a list of
    :class:`Run` (``"list"``). Without experiment ids or names, searches the
    active experiment (or every experiment with ``search_all_experiments``).
    """
    from litetrack import fluent
    from litetrack.client import Client

    if output_format not in ("pandas", "list"):
        raise InvalidArgument(
            f"Invalid output_format {output_format!r}: expected 'pandas' or 'list'"
        )
    client = Client()
    store = client.store
    ids: list[str] = []
    if isinstance(experiment_ids, (str, int)):
        ids = [str(experiment_ids)]
    elif experiment_ids:
        ids = [str(e) for e in experiment_ids]
    for name in experiment_names or ():
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            ids.append(exp.experiment_id)
    if not ids and not experiment_names:
        if search_all_experiments:
            ids = [e.experiment_id for e in client.search_experiments(ViewType.ALL)]
        else:
            ids = [fluent._current_experiment_id(client)]
    runs = list(query_runs(store, ids, filter_string, run_view_type, max_results, order_by))
    if output_format == "list":
        return runs
    return runs_to_frame(runs)
