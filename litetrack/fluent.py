"""The module-level tracking API (MLflow's fluent API): an active-run stack per thread.

``log_metric`` without an active run starts one, as MLflow does. A run left
open when the interpreter exits is ended FINISHED, or FAILED when the
interpreter exits on an uncaught exception.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal

from litetrack import clock, settings
from litetrack.capture import on_run_start
from litetrack.client import Client
from litetrack.data import input_entry
from litetrack.data import log_inputs as record_inputs
from litetrack.entities import Experiment, LifecycleStage, Metric, Run, RunStatus, ViewType
from litetrack.errors import ExperimentAlreadyExists, InvalidArgument, InvalidState, LitetrackError
from litetrack.store.location import (
    current_store_path,
    get_tracking_uri,
    is_tracking_uri_set,
    set_tracking_uri,
)
from litetrack.store.runs import NOTE_TAG, PARENT_TAG, USER_TAG, RunWriter, current_user
from litetrack.validation import validate_experiment_id, validate_key

__all__ = [
    "ActiveRun",
    "set_tracking_uri",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "set_experiment",
    "create_experiment",
    "get_experiment",
    "get_experiment_by_name",
    "search_experiments",
    "delete_experiment",
    "start_run",
    "end_run",
    "active_run",
    "last_active_run",
    "log_param",
    "log_params",
    "log_metric",
    "log_metrics",
    "set_tag",
    "set_tags",
    "delete_tag",
    "get_run",
    "delete_run",
    "get_parent_run",
    "log_input",
    "active_run_writer",
    "current_experiment_id",
]



class _State(threading.local):
    def __init__(self) -> None:
        self.stack: list[ActiveRun] = []


_local = _State()
_active_experiment: tuple[Any, str] | None = None  # (store path, experiment id)
_last_active_run_id: str | None = None
_all_active: dict[str, ActiveRun] = {}  # every live fluent run, for atexit
_exit_hooked = False
_uncaught = False
#: Called with (client, run_id, kwargs of start_run) after a new run is created
#: (source and environment capture register here).
run_start_hooks: list[Callable[[Client, str, dict[str, Any]], None]] = [on_run_start]


class ActiveRun:
    """The run returned by :func:`start_run`; a context manager that ends it.

    As in MLflow, ``info``, ``data`` and ``inputs`` are a snapshot of the run
    (taken on first access, so starting a run reads nothing back); use
    :func:`get_run` for the current state.
    """

    def __init__(self, client: Client, run_id: str, writer: RunWriter) -> None:
        self._client = client
        self.run_id = run_id
        self.writer = writer
        self._snapshot: Run | None = None

    def _run(self) -> Run:
        return self._client.get_run(self.run_id)

    def _snap(self) -> Run:
        if self._snapshot is None:
            self._snapshot = self._run()
        return self._snapshot

    @property
    def info(self) -> Any:
        """The run's :class:`~litetrack.entities.RunInfo` (snapshot)."""
        return self._snap().info

    @property
    def data(self) -> Any:
        """The run's :class:`~litetrack.entities.RunData` (snapshot)."""
        return self._snap().data

    @property
    def inputs(self) -> Any:
        """The run's dataset inputs (snapshot)."""
        return self._snap().inputs

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if exc_type is None:
            status = RunStatus.FINISHED
        elif issubclass(exc_type, KeyboardInterrupt):
            status = RunStatus.KILLED
        else:
            status = RunStatus.FAILED
        # End this run (and any nested run left open inside it).
        stack = _local.stack
        if self in stack:
            while stack and stack[-1] is not self:
                end_run(status)
            end_run(status)
        return False  # re-raise

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.run_id!r}>"


_cached_client: Client | None = None


def _client() -> Client:
    # One Client per store in use: building one resolves the store path,
    # which the fluent calls would otherwise repeat on every run.
    global _cached_client
    path = current_store_path()
    client = _cached_client
    if client is None or client.store.root != path or client._pid != os.getpid():
        client = _cached_client = Client(path)
    return client


def _hook_exit() -> None:
    global _exit_hooked
    if _exit_hooked:
        return
    _exit_hooked = True
    previous = sys.excepthook

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        global _uncaught
        _uncaught = True
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook
    atexit.register(_end_all_at_exit)


def _end_all_at_exit() -> None:
    status = RunStatus.FAILED if _uncaught else RunStatus.FINISHED
    for active in list(_all_active.values()):
        try:
            active._client.set_terminated(active.run_id, status)
            active._client.store.runs.release(active.run_id)
        except Exception:  # noqa: BLE001 - best effort at exit; the run will read as KILLED
            pass
    _all_active.clear()


# -- experiments ------------------------------------------------------------------


def _experiment_id_from_env(client: Client) -> str | None:
    exp_id = settings.mlflow_experiment_id()
    if exp_id:
        return exp_id
    name = settings.mlflow_experiment_name()
    if name:
        exp = client.get_experiment_by_name(name)
        if exp is None:
            return _create_or_get(client, name)
        return exp.experiment_id
    return None


def _create_or_get(client: Client, name: str) -> str:
    try:
        return client.create_experiment(name)
    except ExperimentAlreadyExists:
        # Another process created it between our lookup and our create.
        exp = client.get_experiment_by_name(name)
        assert exp is not None
        return exp.experiment_id


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment active (by name or id), creating it by name when missing.

    Returns the experiment. Raises :class:`InvalidArgument` when neither or
    both are given, :class:`ExperimentNotFound` for an unknown id and
    :class:`InvalidState` for a deleted experiment.
    """
    global _active_experiment
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidArgument(
            "Must specify exactly one of: `experiment_id` or `experiment_name` "
            f"(got experiment_name={experiment_name!r}, experiment_id={experiment_id!r})"
        )
    client = _client()
    if experiment_id is not None:
        exp = client.get_experiment(validate_experiment_id(experiment_id))
    else:
        assert experiment_name is not None
        found = client.get_experiment_by_name(experiment_name)
        if found is None:
            exp = client.get_experiment(_create_or_get(client, experiment_name))
        else:
            exp = found
    if exp.lifecycle_stage != LifecycleStage.ACTIVE:
        raise InvalidState(
            f"Cannot set a deleted experiment {exp.name!r} (id {exp.experiment_id!r}) as the "
            "active experiment; restore it first with Client().restore_experiment(...)",
            error_code="INVALID_PARAMETER_VALUE",  # MLflow's code for this case
        )
    _active_experiment = (client.store.root, exp.experiment_id)
    return exp


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    """Create an experiment; return its id."""
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id."""
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return _client().get_experiment_by_name(name)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    """Experiments matching ``filter_string``, as a list."""
    return list(_client().search_experiments(view_type, max_results, filter_string, order_by))


def delete_experiment(experiment_id: str) -> None:
    """Soft-delete an experiment."""
    _client().delete_experiment(experiment_id)


def current_experiment_id(client: Client) -> str:
    """The id of the experiment new runs of ``client``'s store go to.

    The one set with :func:`set_experiment` for that store, else
    ``MLFLOW_EXPERIMENT_ID`` / ``MLFLOW_EXPERIMENT_NAME``, else ``"0"``.
    """
    if _active_experiment is not None and _active_experiment[0] == client.store.root:
        return _active_experiment[1]
    return _experiment_id_from_env(client) or "0"


# -- runs -------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    capture_source: bool | None = None,
    capture_environment: bool | None = None,
) -> ActiveRun:
    """Start a new run, or resume ``run_id``, and make it the active run.

    Usable as a context manager: leaving the block ends the run FINISHED, or
    FAILED when an exception escapes (the exception is re-raised). A second
    top-level run while one is active needs ``nested=True``.
    ``capture_source`` / ``capture_environment`` switch the source and
    environment capture off (or on) for this run. Without ``run_id``, a run
    named by ``LITETRACK_RUN_ID`` or ``MLFLOW_RUN_ID`` is resumed (once: the
    variables are removed), as MLflow does for ``mlflow run``. Raises
    :class:`InvalidArgument` when ``description`` and an
    ``mlflow.note.content`` tag are both given, and :class:`LitetrackError`
    when ``parent_run_id`` is not the active run.
    """
    client = _client()
    stack = _local.stack
    if stack and not nested and parent_run_id is None:
        raise InvalidState(
            f"Run with UUID {stack[-1].run_id} is already active. To start a new run, first end "
            "the current run with end_run(). To start a nested run, call start_run with nested=True"
        )
    if tags and description is not None and NOTE_TAG in tags:
        # MLflow raises whenever both are given; the two would fight over one tag.
        raise InvalidArgument(
            # MLflow's sentence, its missing space included: code may match it.
            f"Description is already set via the tag {NOTE_TAG} in tags.Remove the key "
            f"{NOTE_TAG} from the tags or omit the description."
        )
    if run_id is None:
        run_id = _handed_run_id(client)
    if run_id is not None:
        run = client.get_run(run_id)
        if experiment_id is not None and str(experiment_id) != run.info.experiment_id:
            raise InvalidArgument(
                f"Run {run_id!r} belongs to experiment {run.info.experiment_id!r}, not "
                f"{experiment_id!r}"
            )
        if any(a.run_id == run_id for a in stack):
            raise InvalidState(f"Run {run_id!r} is already active in this thread")
        client.store.runs.release(run_id)  # writer state re-read after the status change
        writer = client.store.runs.resume(run_id)
        if tags:
            writer.set_tags(dict(tags))
        if run_name is not None:
            writer.set_tags({"mlflow.runName": run_name})
        if description is not None:
            writer.set_tags({NOTE_TAG: description})
    else:
        if parent_run_id is not None and stack and parent_run_id != stack[-1].run_id:
            current = stack[-1].run_id
            raise LitetrackError(
                f"Current run with UUID {current} does not match the specified parent_run_id "
                f"{parent_run_id}. To start a new nested run under the parent run with UUID "
                f"{current}, first end the current run with end_run()."
            )
        exp_id = str(experiment_id) if experiment_id is not None else current_experiment_id(client)
        parent = parent_run_id or (stack[-1].run_id if stack and nested else None)
        # MLflow's default context tag goes in with the run's first document
        # (the capture hook would otherwise spend an append on it); tags
        # passed to start_run win, as MLflow's context tags yield to the user's.
        create_tags = {USER_TAG: current_user(), **tags} if tags else {USER_TAG: current_user()}
        created = client._create_run(
            exp_id, tags=create_tags, run_name=run_name, parent_run_id=parent, description=description
        )
        run_id = created.run_id
        writer = client.store.runs.writer(run_id)
        opts = {"capture_source": capture_source, "capture_environment": capture_environment}
        for hook in run_start_hooks:
            hook(client, run_id, opts)
    active = ActiveRun(client, run_id, writer)
    stack.append(active)
    _all_active[run_id] = active
    _hook_exit()
    return active


def _handed_run_id(client: Client) -> str | None:
    """The run named by LITETRACK_RUN_ID / MLFLOW_RUN_ID, taken out of the environment.

    Taken out (as MLflow does) so that it is resumed once: a later
    ``start_run()`` in the same process opens a new run.
    """
    handed = settings.take_handed_run_id()
    if handed is None:
        return None
    run = client.get_run(handed)
    active = _active_experiment
    in_store = active is not None and active[0] == client.store.root
    if in_store and active is not None and active[1] != run.info.experiment_id:
        raise LitetrackError(
            f"Cannot start run with ID {handed} because active run ID does not match "
            "environment run ID. Make sure --experiment-name or --experiment-id matches "
            "experiment set with set_experiment(), or just use command-line arguments"
        )
    return handed


def end_run(status: str = RunStatus.FINISHED) -> None:
    """End the active run (FINISHED unless ``status`` says otherwise). No-op without one."""
    global _last_active_run_id
    stack = _local.stack
    if not stack:
        return
    active = stack[-1]
    # Ended first, popped after: an end that fails (a full disk) leaves the
    # run active, so end_run() can be called again once space is freed.
    active._client.set_terminated(active.run_id, RunStatus.from_string(status))
    stack.pop()
    _all_active.pop(active.run_id, None)
    active._client.store.runs.release(active.run_id)
    _last_active_run_id = active.run_id


def active_run() -> ActiveRun | None:
    """The active run of this thread, or None."""
    stack = _local.stack
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, else the last run ended in this process, else None."""
    stack = _local.stack
    if stack:
        return stack[-1]._run()
    if _last_active_run_id is None:
        return None
    return _client().get_run(_last_active_run_id)


def active_run_writer(run_id: str | None = None) -> RunWriter:
    """The writer of the active run (one is started when none is active), or of ``run_id``.

    The one owner of "the active run" for the modules that log to it
    (artifacts, models, autolog); ``run_id`` names a run of the store in use.
    """
    stack = _local.stack
    if run_id is None:
        if stack:
            return stack[-1].writer
        return start_run().writer
    for active in stack:
        if active.run_id == run_id:
            return active.writer
    return _client().store.runs.writer(run_id)


class RunOperations:
    """What MLflow's asynchronous logging returns (``synchronous=False``).

    litetrack's writes are durable when the call returns, so :meth:`wait`
    has nothing to wait for; it exists so that MLflow code calling it works.
    """

    def wait(self) -> None:
        """Return at once: the operation is already complete."""


def _operations(synchronous: bool | None) -> RunOperations | None:
    return RunOperations() if synchronous is False else None


def flush_async_logging() -> None:
    """MLflow's wait for pending asynchronous logging: nothing is ever pending here."""


def enable_system_metrics_logging() -> None:
    """Accepted and ignored, as ``log_system_metrics`` is: system metrics are out of scope."""


def disable_system_metrics_logging() -> None:
    """Accepted and ignored (see :func:`enable_system_metrics_logging`)."""


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    **_: Any,
) -> RunOperations | None:
    """Append one metric point to the active run (starting one if needed).

    Durable against a process kill when it returns. Raises
    :class:`InvalidMetricValue` for values that are not real numbers. With
    ``synchronous=False`` returns a :class:`RunOperations` (as MLflow does).
    """
    active_run_writer(run_id).log_metric(key, value, timestamp, step)
    return _operations(synchronous)


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    **_: Any,
) -> RunOperations | None:
    """Log several metrics at the same step with one write (all validated first)."""
    ts = timestamp if timestamp is not None else clock.now_ms()
    active_run_writer(run_id).log_batch([Metric(k, v, ts, step or 0) for k, v in metrics.items()])
    return _operations(synchronous)


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    """Log a param on the active run; returns the value (a :class:`RunOperations`
    with ``synchronous=False``)."""
    active_run_writer().log_params({validate_key(key, "param key"): value})
    return value if synchronous is not False else RunOperations()


def log_params(
    params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None
) -> RunOperations | None:
    """Log several params with one write."""
    active_run_writer(run_id).log_params(params)
    return _operations(synchronous)


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> RunOperations | None:
    """Set a tag on the active run."""
    active_run_writer().set_tags({validate_key(key, "tag key"): value})
    return _operations(synchronous)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> RunOperations | None:
    """Set several tags with one write."""
    active_run_writer().set_tags(tags)
    return _operations(synchronous)


def delete_tag(key: str) -> None:
    """Delete a tag from the active run."""
    active_run_writer().delete_tag(key)


def get_run(run_id: str) -> Run:
    """The run with this id."""
    return _client().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The parent of a nested run, or None."""
    run = get_run(run_id)
    parent = run.data.tags.get(PARENT_TAG)
    return get_run(parent) if parent else None


def delete_run(run_id: str) -> None:
    """Soft-delete a run."""
    _client().delete_run(run_id)


def log_input(
    dataset: Any, context: str | None = None, tags: dict[str, Any] | None = None
) -> None:
    """Record that the active run (started if needed) used ``dataset``.

    ``dataset`` comes from :mod:`litetrack.data` (``from_pandas``,
    ``from_numpy``, ``from_file``); ``context`` (``"training"``,
    ``"validation"`` ...) becomes the ``mlflow.data.context`` tag. Only the
    description is recorded, never the data; the same dataset and context
    logged again to the run is recorded once. Raises :class:`InvalidArgument`
    for something that is not a dataset.
    """
    entry = input_entry(dataset, context, tags)  # validated before a run is started
    record_inputs(_client().store, active_run_writer().run_id, [entry])


def log_inputs(
    datasets: list[Any] | None = None,
    contexts: list[str | None] | None = None,
    tags_list: list[dict[str, Any] | None] | None = None,
    models: Any = None,
) -> None:
    """Record several datasets the active run used, with one write (MLflow's ``log_inputs``).

    ``contexts`` and ``tags_list``, when given, pair with ``datasets`` by
    position. Raises :class:`InvalidArgument` when the lists differ in length.
    """
    datasets = list(datasets or [])
    for name, values in (("contexts", contexts), ("tags_list", tags_list)):
        if values is not None and len(values) != len(datasets):
            raise InvalidArgument(
                f"log_inputs: {name} has {len(values)} items for {len(datasets)} datasets; "
                "pass one per dataset (or None)"
            )
    contexts = contexts or [None] * len(datasets)
    tags_list = tags_list or [None] * len(datasets)
    entries = [input_entry(d, c, t) for d, c, t in zip(datasets, contexts, tags_list, strict=True)]
    if entries:
        record_inputs(_client().store, active_run_writer().run_id, entries)


# -- experiment tags (the experiment new runs go to) ---------------------------------


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the current experiment (the one :func:`set_experiment` chose, else Default)."""
    client = _client()
    client.set_experiment_tag(current_experiment_id(client), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    """Set several tags on the current experiment."""
    client = _client()
    experiment_id = current_experiment_id(client)
    for key, value in tags.items():
        client.set_experiment_tag(experiment_id, key, value)


def delete_experiment_tag(key: str) -> None:
    """Remove a tag from the current experiment."""
    client = _client()
    client.delete_experiment_tag(current_experiment_id(client), key)
