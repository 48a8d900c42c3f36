"""What :mod:`litetrack.importers.mlflow_files` reads out of an MLflow file store.

Plain dataclasses with MLflow's field names, so the importer can map them onto
litetrack's entities without MLflow installed. Times are epoch milliseconds,
as MLflow stores them. Raw URIs are kept as MLflow wrote them, next to the
``Path`` they were resolved to inside the folder being read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DELETED_STAGE",
    "LOGGED_MODEL_STATUS",
    "RUN_STATUS",
    "MetricPoint",
    "MlflowExperiment",
    "MlflowLoggedModel",
    "MlflowModelVersion",
    "MlflowRegisteredModel",
    "MlflowRun",
    "ModelMetricPoint",
    "Problem",
]

#: ``(timestamp_ms, value, step)``: one line of a run's metric file.
MetricPoint = tuple[int, float, int]
#: ``(timestamp_ms, value, step, run_id, dataset_name, dataset_digest)``: one
#: line of a logged model's metric file (MLflow 3).
ModelMetricPoint = tuple[int, float, int, "str | None", "str | None", "str | None"]

# mlflow.entities.RunStatus and LoggedModelStatus, as stored (ints).
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}
#: ``current_stage`` of a model version deleted from the file registry: the
#: folder stays on disk.
DELETED_STAGE = "Deleted_Internal"


@dataclass(frozen=True)
class Problem:
    """Something in the store that could not be read, or was read with a loss."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class MlflowExperiment:
    """An experiment folder (``<exp_id>/`` or ``.trash/<exp_id>/``)."""

    experiment_id: str
    name: str
    #: As written by MLflow (an absolute URI of the machine that made the store).
    artifact_location: str | None
    lifecycle_stage: str
    creation_time: int | None
    last_update_time: int | None
    tags: dict[str, str]
    #: The experiment's folder here (under ``.trash`` when deleted).
    path: Path
    #: ``artifact_location`` resolved inside the store being read, if found.
    artifact_dir: Path | None = None


@dataclass
class MlflowRun:
    """A run folder, with everything logged to it."""

    run_id: str
    experiment_id: str
    run_name: str | None
    status: str
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str
    user_id: str | None
    #: As written by MLflow.
    artifact_uri: str | None
    #: ``artifact_uri`` resolved inside the store being read; ``None`` if it is
    #: not there (remote artifact store, deleted folder ...: see ``problems``).
    artifact_dir: Path | None
    params: dict[str, str]
    tags: dict[str, str]
    #: key -> every line of its metric file, in file order (duplicates kept).
    metrics: dict[str, list[MetricPoint]]
    #: Datasets the run read: the dataset's ``meta.yaml`` (name, digest,
    #: source_type, source, schema, profile) plus ``dataset_id`` and the input
    #: ``tags`` (``mlflow.data.context``).
    inputs: list[dict[str, Any]] = field(default_factory=list)
    #: MLflow 3: ids of logged models the run used as inputs.
    model_inputs: list[str] = field(default_factory=list)
    #: MLflow 3: ``{"model_id", "step"}`` of logged models the run produced.
    outputs: list[dict[str, Any]] = field(default_factory=list)
    #: MLflow 3 metrics logged with a dataset: key -> ``(index into
    #: metrics[key], dataset_name, dataset_digest)``.
    metric_datasets: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    deleted_time: int | None = None
    path: Path | None = None


@dataclass
class MlflowLoggedModel:
    """An MLflow 3 logged model (``<exp_id>/models/<model_id>/``)."""

    model_id: str
    experiment_id: str
    name: str | None
    source_run_id: str | None
    status: str
    status_message: str | None
    model_type: str | None
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    lifecycle_stage: str
    artifact_location: str | None
    artifact_dir: Path | None
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, list[ModelMetricPoint]]
    path: Path | None = None


@dataclass
class MlflowModelVersion:
    """One ``version-<n>/`` of a registered model."""

    name: str
    version: int
    #: "None", "Staging", "Production", "Archived", or ``Deleted_Internal``
    #: for a deleted version (MLflow keeps its folder).
    current_stage: str
    description: str | None
    #: As given to MLflow: ``runs:/...``, ``models:/...``, ``file://...`` ...
    source: str | None
    run_id: str | None
    tags: dict[str, str]
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    #: Where the model's files are, resolved inside the store being read
    #: (from ``storage_uri``, else ``source``); ``None`` if not found.
    storage_location: Path | None
    #: The ``storage_location`` MLflow wrote (older versions write none).
    storage_uri: str | None = None
    model_id: str | None = None
    status: str | None = None
    user_id: str | None = None
    run_link: str | None = None
    aliases: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def deleted(self) -> bool:
        return self.current_stage == DELETED_STAGE


@dataclass
class MlflowRegisteredModel:
    """A registered model of the file registry (``models/<name>/``)."""

    name: str
    description: str | None
    tags: dict[str, str]
    #: alias -> version number, from the ``aliases/`` folder.
    aliases: dict[str, int]
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    #: Every version folder, deleted ones included, by version number.
    versions: list[MlflowModelVersion]
    path: Path | None = None
