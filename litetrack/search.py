"""``litetrack.search_runs``: MLflow's run search, with its pandas DataFrame.

The query itself (filter, order, paging, index or scan) is
:mod:`litetrack.store.search`; this module adds what the fluent API needs:
the active experiment by default, experiment names, and the DataFrame.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from litetrack.client import Client
from litetrack.entities import Run, ViewType
from litetrack.errors import InvalidArgument
from litetrack.fluent import current_experiment_id
from litetrack.paging import RUNS_MAX_RESULTS, check_max_results
from litetrack.store.search import experiments_text, query_runs
from litetrack.tables import runs_to_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["search_runs", "runs_to_frame"]

logger = logging.getLogger(__name__)


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
    if output_format not in ("pandas", "list"):
        raise InvalidArgument(
            f"Invalid output_format {output_format!r}: expected 'pandas' or 'list'"
        )
    if experiment_ids and experiment_names:
        raise InvalidArgument(
            "Only experiment_ids or experiment_names can be used, but not both "
            f"(got experiment_ids={experiment_ids!r}, experiment_names={experiment_names!r})"
        )
    check_max_results(max_results, allow_zero=True)
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
        else:
            # MLflow logs this too, and searches the names it found.
            logger.warning(
                "Cannot retrieve experiment by name %r (experiments: %s)", name, experiments_text(store)
            )
    if not ids and not experiment_names:
        if search_all_experiments:
            ids = [e.experiment_id for e in client.search_experiments(ViewType.ALL)]
        else:
            ids = [current_experiment_id(client)]
    # Page through, as MLflow's fluent search_runs does: max_results may exceed
    # the most one page can hold (RUNS_MAX_RESULTS).
    runs: list[Run] = []
    token: str | None = None
    while len(runs) < max_results:
        size = min(max_results - len(runs), RUNS_MAX_RESULTS)
        batch = query_runs(store, ids, filter_string, run_view_type, size, order_by, token)
        runs.extend(batch)
        token = batch.token
        if not token:
            break
    if output_format == "list":
        return runs
    return runs_to_frame(runs)
