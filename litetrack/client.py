"""``litetrack.Client``: the explicit-id API (MLflow's ``MlflowClient``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from litetrack import settings
from litetrack.data import input_entry, log_inputs
from litetrack.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from litetrack.errors import ExperimentNotFound, InvalidArgument, InvalidMetricValue, InvalidState
from litetrack.paging import PagedList
from litetrack.payloads import dict_to_text, figure_bytes, store_image, store_table, text_bytes
from litetrack.registry.client import RegistryClientMixin
from litetrack.store.artifacts import (
    download,
    list_artifacts,
    log_artifact,
    log_artifacts,
    log_bytes,
)
from litetrack.store.core import Store, get_store
from litetrack.store.experiments import doc_to_experiment
from litetrack.store.location import current_store_path, path_from_uri
from litetrack.store.runs import NOTE_TAG, PARENT_TAG
from litetrack.validation import (
    MAX_EXPERIMENT_TAG_VALUE_LENGTH,
    validate_experiment_id,
    validate_key,
    validate_name,
    validate_run_id,
    validate_tag_value,
)


def _history_order(m: Metric) -> tuple[int, int, float]:
    value = m.value
    # MLflow's SQL store keeps a NaN as 0 (beside an is_nan flag) and sorts it there.
    return (m.timestamp, m.step, 0.0 if value != value else value)  # noqa: PLR0124


def resolve_store(tracking_uri: str | os.PathLike[str] | None) -> Store:
    """The store named by ``tracking_uri``, or the current default one."""
    path = path_from_uri(tracking_uri) if tracking_uri is not None else current_store_path()
    return get_store(path)


class Client(RegistryClientMixin):
    """Operations on experiments and runs, each taking explicit ids.

    ``Client(tracking_uri=None)`` uses the store chosen by
    :func:`litetrack.set_tracking_uri` / ``LITETRACK_STORE`` / the default.
    """

    def __init__(self, tracking_uri: str | os.PathLike[str] | None = None) -> None:
        self._store = resolve_store(tracking_uri)
        self.tracking_uri = str(self._store.root)
        self._pid = os.getpid()

    @property
    def store(self) -> Store:
        """The underlying store."""
        return self._store

    # -- experiments ------------------------------------------------------------
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> str:
        """Create an experiment and return its id; names are unique."""
        self._store.ensure_writable()
        clean = {
            validate_key(k, "tag key"): validate_tag_value(k, v, MAX_EXPERIMENT_TAG_VALUE_LENGTH)
            for k, v in (tags or {}).items()
        }
        return self._store.experiments.create(name, artifact_location, clean)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id; :class:`ExperimentNotFound` if none."""
        experiment_id = validate_experiment_id(experiment_id)  # a malformed id is invalid first
        if not self._store.exists() and experiment_id != "0":
            raise ExperimentNotFound(
                f"No Experiment with id={experiment_id} exists: store {str(self._store.root)!r} "
                "does not exist yet"
            )
        return doc_to_experiment(self._store.experiments.read(validate_experiment_id(experiment_id)))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment called ``name`` (active or deleted), or None."""
        doc = self._store.experiments.find_by_name(name)
        return doc_to_experiment(doc) if doc else None

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        """Experiments matching a filter (``name``, ``tags.X``, ``creation_time`` ...)."""
        # The query language loads on the first search, not at `import litetrack`
        # (it would add a third to its import time); it never imports this module.
        from litetrack.store.search import query_experiments

        return query_experiments(
            self._store, view_type, max_results, filter_string, order_by, page_token
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment (the new name must be unused)."""
        self._store.experiments.update(validate_experiment_id(experiment_id), name=new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs (restorable until ``gc``).

        As in MLflow, the experiment's runs then read ``lifecycle_stage="deleted"``.
        """
        experiment_id = validate_experiment_id(experiment_id)
        self._store.experiments.set_lifecycle(experiment_id, LifecycleStage.DELETED)
        self._set_runs_lifecycle(experiment_id, LifecycleStage.ACTIVE, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a soft-deleted experiment and its runs (as MLflow does)."""
        experiment_id = validate_experiment_id(experiment_id)
        self._store.experiments.set_lifecycle(experiment_id, LifecycleStage.ACTIVE)
        self._set_runs_lifecycle(experiment_id, LifecycleStage.DELETED, LifecycleStage.ACTIVE)

    def _set_runs_lifecycle(self, experiment_id: str, old: str, new: str) -> None:
        run_ids = [
            d["run_id"]
            for d in self._store.runs.iter_docs()
            if d["experiment_id"] == experiment_id and d.get("lifecycle_stage", "active") == old
        ]
        for run_id in run_ids:
            self._store.runs.set_lifecycle(run_id, new)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        """Set a tag on an experiment."""
        key = validate_key(key, "tag key")
        self._store.experiments.update(
            validate_experiment_id(experiment_id),
            tags={key: validate_tag_value(key, value, MAX_EXPERIMENT_TAG_VALUE_LENGTH)},
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment."""
        self._store.experiments.update(validate_experiment_id(experiment_id), delete_tags=[key])

    # -- runs ----------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """Create a RUNNING run in an active experiment and return it."""
        return self._create_run(experiment_id, start_time, tags, run_name).get_run()

    def _create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
        parent_run_id: str | None = None,
        description: str | None = None,
    ) -> _CreatedRun:
        self._store.ensure_writable()
        experiment_id = validate_experiment_id(experiment_id)
        exp = (
            self._store.experiments.ensure_default()  # recorded by the first run in it
            if experiment_id == "0"
            else self._store.experiments.read(experiment_id)
        )
        if exp["lifecycle_stage"] != LifecycleStage.ACTIVE:
            raise InvalidState(
                f"Cannot create a run in experiment {experiment_id!r} ({exp['name']!r}): "
                "it is deleted (restore it first)"
            )
        clean_tags = {}
        for k, v in (tags or {}).items():
            k = validate_key(k, "tag key")
            clean_tags[k] = validate_tag_value(k, v)
        if description is not None:
            clean_tags[NOTE_TAG] = validate_tag_value(NOTE_TAG, description)
        if run_name == "":
            run_name = None  # MLflow generates a name for "" as for None
        if run_name is not None:
            run_name = validate_name(run_name, "run name")
            tagged = clean_tags.get("mlflow.runName")
            if tagged is not None and tagged != run_name:
                raise InvalidArgument(
                    "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                    f"different values (run_name={run_name!r}, mlflow.runName={tagged!r})"
                )
        if parent_run_id is not None:
            validate_run_id(parent_run_id)
        writer = self._store.runs.create(
            experiment_id,
            run_name=run_name,
            start_time=start_time,
            tags=clean_tags,
            parent_run_id=parent_run_id,
        )
        return _CreatedRun(self, writer.run_id)

    def get_run(self, run_id: str) -> Run:
        """The run with this id (params, latest metrics, tags); :class:`RunNotFound` if none."""
        return self._store.runs.get(validate_run_id(run_id))

    def get_parent_run(self, run_id: str) -> Run | None:
        """The parent of a nested run (its ``mlflow.parentRunId`` tag), or None."""
        parent = self.get_run(run_id).data.tags.get(PARENT_TAG)
        return self.get_run(parent) if parent else None

    def _writer(self, run_id: str) -> Any:
        return self._store.runs.writer(validate_run_id(run_id))

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        **_: Any,
    ) -> None:
        """Append one metric point to a run (allowed on finished runs, as in MLflow)."""
        self._writer(run_id).log_metric(key, value, timestamp, step)

    def log_param(self, run_id: str, key: str, value: Any, **_: Any) -> Any:
        """Log a param; re-logging the same value is fine, another value is an error."""
        self._writer(run_id).log_params({validate_key(key, "param key"): value})
        return value

    def set_tag(self, run_id: str, key: str, value: Any, **_: Any) -> None:
        """Set a tag on a run (``mlflow.runName`` renames the run)."""
        self._writer(run_id).set_tags({validate_key(key, "tag key"): value})

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a tag from a run."""
        self._writer(run_id).delete_tag(key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        **_: Any,
    ) -> None:
        """Log metrics, params and tags at once: all validated, then one write."""
        for i, m in enumerate(metrics):
            if getattr(m, "value", 0) is None:
                # MLflow's words and its path to the value in the request
                raise InvalidMetricValue(
                    f"Missing value for required parameter 'metrics[{i}].value' (metric "
                    f"{m.key!r}): must be a real number (NaN and +/-inf allowed), got None"
                )
        param_map: dict[str, Any] = {}
        for p in params:
            validate_key(p.key, "param key")
            if p.key in param_map and param_map[p.key] != str(p.value):
                raise InvalidArgument(
                    f"Duplicate parameter keys have been submitted: [{p.key!r}], with "
                    f"different values {param_map[p.key]!r} and {str(p.value)!r}"
                )
            param_map[p.key] = str(p.value)
        self._writer(run_id).log_batch(
            metrics, param_map, {validate_key(t.key, "tag key"): t.value for t in tags}
        )

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point logged for a metric, ordered as MLflow 3.17 orders them: by timestamp,
        then step, then value (a NaN as 0). Points logged in order (the usual case) keep it."""
        points = self._store.runs.metric_history(validate_run_id(run_id), key)
        # Points are logged with the clock's stamps, so the log is nearly always sorted
        # already and the sort is linear; explicit timestamps may not be.
        points.sort(key=_history_order)
        return points

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        """Finish a run: status FINISHED by default, end time now by default.

        With ``LITETRACK_PUSH_ON_END=NAME`` set (cluster workers), the run is
        then pushed to remote ``NAME``; a failed push only logs a warning.
        """
        self._store.runs.set_status(validate_run_id(run_id), status or RunStatus.FINISHED, end_time)
        remote = settings.push_on_end()
        if remote:
            # Imported here: the push machinery is only loaded by those who use it.
            from litetrack.store.remote.sync import push_on_end

            push_on_end(self._store, run_id, remote)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        """Change a run's status and/or name."""
        if status is not None:
            self._store.runs.set_status(validate_run_id(run_id), status)
        if name:  # MLflow leaves the name alone for None and ""
            self.set_tag(run_id, "mlflow.runName", name)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (restorable until ``gc``)."""
        self._store.runs.set_lifecycle(validate_run_id(run_id), LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        """Restore a soft-deleted run."""
        self._store.runs.set_lifecycle(validate_run_id(run_id), LifecycleStage.ACTIVE)

    # -- artifacts -------------------------------------------------------------
    def log_artifact(self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Log a local file as an artifact of the run (stored once per distinct content)."""
        log_artifact(self._store, validate_run_id(run_id), local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        """Log every file under a local folder as artifacts of the run."""
        log_artifacts(self._store, validate_run_id(run_id), local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Log a string as the text artifact ``artifact_file`` (through this client's store)."""
        log_bytes(self._store, validate_run_id(run_id), text_bytes(text), artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Log a dict as a JSON or YAML artifact (by the file extension)."""
        self.log_text(run_id, dict_to_text(dictionary, artifact_file), artifact_file)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None) -> None:
        """Log a matplotlib or plotly figure as an image artifact."""
        log_bytes(self._store, validate_run_id(run_id), figure_bytes(figure, artifact_file, save_kwargs), artifact_file)

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Log a table (dict of columns or DataFrame) as JSON; rows append to an existing one."""
        store_table(self._store, validate_run_id(run_id), data, artifact_file)

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: list[str] | None = None,
        extra_columns: list[str] | None = None,
    ) -> Any:
        """The tables ``log_table`` wrote at ``artifact_file`` in the experiment's runs (or in
        ``run_ids`` of it), as one pandas DataFrame; ``extra_columns`` names ``search_runs``
        columns (``run_id``, ``params.x`` ...) added to each run's rows.

        Raises :class:`ArtifactNotFound` when no run has the table.
        """
        # Loaded on first use, as the searches are: it brings the query language.
        from litetrack.tables import load_table

        experiment_id = validate_experiment_id(experiment_id)
        return load_table(self._store, experiment_id, artifact_file, run_ids, extra_columns)

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Log a numpy array or PIL image: at ``artifact_file``, or as step ``step`` of ``key``."""
        store_image(self._store, validate_run_id(run_id), image, artifact_file, key, step, timestamp)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[Any]:
        """Entries directly under ``path`` (``.path``, ``.is_dir``, ``.file_size``)."""
        return list_artifacts(self._store, validate_run_id(run_id), path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Copy artifacts at ``path`` to ``dst_path`` (a temp folder by default); return the local
        path: ``dst_path/<last part of path>``, as MLflow 3 places it."""
        run_id = validate_run_id(run_id)
        return download(self._store, run_id, path or None, dst_path, by_basename=True)

    # -- inputs -----------------------------------------------------------------
    def log_inputs(self, run_id: str, datasets: Sequence[Any] | None = None, **_: Any) -> None:
        """Record datasets a run used (one write; repeats of name+digest+context skipped).

        Each item is a :class:`~litetrack.entities.DatasetInput` (dataset dict
        and tags, the context in ``mlflow.data.context``) or a dataset from
        :mod:`litetrack.data` (no context).
        """
        entries = [
            input_entry(d.dataset, None, d.tags) if isinstance(d, DatasetInput) else input_entry(d)
            for d in datasets or ()
        ]
        log_inputs(self._store, validate_run_id(run_id), entries)

    def search_runs(
        self,
        experiment_ids: str | list[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        """Runs of the given experiments matching ``filter_string``, ordered, one page.

        The returned list has ``token`` for the next page (pass it back as
        ``page_token``), None on the last page.
        """
        from litetrack.store.search import query_runs  # on first search, as above

        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [str(experiment_ids)]
        return query_runs(
            self._store,
            [validate_experiment_id(e) for e in experiment_ids],
            filter_string,
            run_view_type,
            max_results,
            order_by,
            page_token,
        )


class _CreatedRun:
    """A just-created run: its id and a lazy way to read it back."""

    __slots__ = ("client", "run_id")

    def __init__(self, client: Client, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def get_run(self) -> Run:
        return self.client.get_run(self.run_id)


#: MLflow's name (``from mlflow.client import MlflowClient``), kept for drop-in use.
MlflowClient = Client
