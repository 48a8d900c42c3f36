"""Run tables: a search's runs as MLflow's DataFrame, and tables ``log_table`` wrote, read back.

The client (``Client.load_table``) and the fluent API (``litetrack.search_runs``,
``litetrack.load_table``) share these; pandas is imported on first use only.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from litetrack.entities import Run, ViewType
from litetrack.errors import ArtifactNotFound
from litetrack.paging import RUNS_MAX_RESULTS
from litetrack.store import artifacts as _store_artifacts
from litetrack.store.paths import validate_artifact_path
from litetrack.store.search import query_runs

if TYPE_CHECKING:
    import pandas as pd

    from litetrack.store.core import Store

__all__ = ["runs_to_frame", "load_table"]

logger = logging.getLogger(__name__)


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
    # Missing params and tags are NaN, as in MLflow's DataFrame (pandas' "missing").
    params: dict[str, list[Any]] = {k: [float("nan")] * n for k in sorted(param_keys)}
    tags: dict[str, list[Any]] = {k: [float("nan")] * n for k in sorted(tag_keys)}
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
    # Params and tags: pandas infers the dtype, as MLflow lets it (``str`` on pandas 3,
    # ``object`` before), so ``.str`` methods and dtype checks behave as there.
    columns.update({f"params.{k}": pd.Series(v) for k, v in params.items()})
    columns.update({f"tags.{k}": pd.Series(v) for k, v in tags.items()})
    return pd.DataFrame(columns)


def load_table(
    store: Store,
    experiment_id: str,
    artifact_file: str,
    run_ids: Sequence[str] | None = None,
    extra_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The tables ``log_table`` wrote at ``artifact_file`` in runs of one experiment, as one
    DataFrame (MLflow's ``MlflowClient.load_table``).

    ``run_ids`` narrows the runs (a warning names the ones without the table);
    ``extra_columns`` names columns of ``search_runs``' frame (``run_id``,
    ``params.x`` ...) added to each run's rows (``name_`` when the table has that
    column already). Raises :class:`ArtifactNotFound` when no run has the table.
    """
    import pandas as pd  # log_table needs pandas, as in MLflow

    path = validate_artifact_path(artifact_file)
    entry = {"path": path, "type": "table"}
    # The index narrows the search; the exact check below decides (LIKE's _ is a wildcard).
    pattern = f'"path"%:%"{path}",%"type"%:%"table"'.replace("'", "''")
    filter_string = f"tags.mlflow.loggedArtifacts LIKE '%{pattern}%'"
    if run_ids:
        quoted = ", ".join("'" + str(r).replace("'", "''") + "'" for r in run_ids)
        filter_string += f" and attributes.run_id IN ({quoted})"
    runs: list[Run] = []
    token: str | None = None
    while True:
        batch = query_runs(
            store, [experiment_id], filter_string, ViewType.ACTIVE_ONLY, RUNS_MAX_RESULTS,
            None, token,
        )
        runs.extend(
            r for r in batch if entry in json.loads(r.data.tags.get("mlflow.loggedArtifacts", "[]"))
        )
        token = batch.token
        if not token:
            break
    if run_ids and len(runs) != len(set(run_ids)):
        missing = sorted(set(run_ids) - {r.info.run_id for r in runs})
        logger.warning(
            "Not all runs have the table %s; these runs are skipped: %s", artifact_file, missing
        )
    if not runs:
        raise ArtifactNotFound(
            # MLflow's sentence first: code may match it.
            "No runs found with the corresponding table artifact: "
            f"no run has the table {artifact_file!r}"
            + (f" among {list(run_ids)}" if run_ids else "")
            + f" in experiment {experiment_id!r}",
            path=path,
        )
    frame_of_runs = runs_to_frame(runs)
    frames = []
    for _, run in frame_of_runs.iterrows():
        text = _store_artifacts.read_bytes(store, run["run_id"], path).decode("utf-8")
        frame = pd.read_json(io.StringIO(text), orient="split")
        for column in extra_columns or ():
            frame[f"{column}_" if column in frame else column] = run[column]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
