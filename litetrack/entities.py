"""The objects litetrack hands back: experiments, runs, metrics, params, tags.

They mirror MLflow's ``mlflow.entities`` (same attribute names and meaning) so
that code written against MLflow reads them unchanged. They are plain slotted
classes rather than pydantic models: a search can build tens of thousands of
them and they are never parsed from untrusted input (the store validates the
documents they are built from).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "ViewType",
    "RunStatus",
    "LifecycleStage",
    "Metric",
    "Param",
    "RunTag",
    "ExperimentTag",
    "Experiment",
    "RunInfo",
    "RunData",
    "RunInputs",
    "DatasetInput",
    "Run",
]


class ViewType:
    """Which lifecycle stages a search returns (MLflow's ``ViewType``)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def from_string(cls, view_str: str) -> int:
        """``"active_only"`` / ``"deleted_only"`` / ``"all"`` -> the constant."""
        names = {"active_only": cls.ACTIVE_ONLY, "deleted_only": cls.DELETED_ONLY, "all": cls.ALL}
        try:
            return names[view_str.lower()]
        except (KeyError, AttributeError):
            from litetrack.errors import InvalidArgument

            raise InvalidArgument(
                f"Invalid view type {view_str!r}: expected one of {sorted(names)}"
            ) from None

    @classmethod
    def stages(cls, view_type: int) -> tuple[str, ...]:
        """The lifecycle stages a view type selects."""
        if view_type == cls.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if view_type == cls.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        if view_type == cls.ALL:
            return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)
        from litetrack.errors import InvalidArgument

        raise InvalidArgument(
            f"Invalid run_view_type {view_type!r}: expected ViewType.ACTIVE_ONLY (1), "
            "DELETED_ONLY (2) or ALL (3)"
        )


class LifecycleStage:
    """``active`` or ``deleted`` (soft delete, restorable until gc)."""

    ACTIVE = "active"
    DELETED = "deleted"


class RunStatus:
    """Run statuses, as strings (MLflow stores and returns the names)."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    ALL = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    TERMINAL = (FINISHED, FAILED, KILLED)

    @staticmethod
    def is_terminated(status: str) -> bool:
        """True for FINISHED, FAILED and KILLED."""
        return status in RunStatus.TERMINAL

    @staticmethod
    def to_string(status: str | int) -> str:
        """Accept MLflow's int enum values or names; return the name."""
        if isinstance(status, int):
            # MLflow's protobuf numbering.
            return {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}[status]
        return status

    @staticmethod
    def from_string(status: str) -> str:
        """Validate and normalise a status name (case-insensitive)."""
        name = str(status).upper()
        if name not in RunStatus.ALL:
            from litetrack.errors import InvalidArgument

            raise InvalidArgument(
                f"Invalid run status {status!r}: expected one of {', '.join(RunStatus.ALL)}"
            )
        return name


class _Entity:
    """Equality, repr and dict-style iteration shared by the entities."""

    __slots__ = ()

    def _fields(self) -> tuple[str, ...]:
        return self.__slots__  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields())

    def __hash__(self) -> int:
        return hash(tuple(repr(getattr(self, f)) for f in self._fields()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields())
        return f"<{type(self).__name__}: {inner}>"

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for f in self._fields():
            yield f, getattr(self, f)

    def to_dictionary(self) -> dict[str, Any]:
        """A plain dict of the public fields (MLflow has the same method)."""
        return {k: (v.to_dictionary() if isinstance(v, _Entity) else v) for k, v in self}


class Metric(_Entity):
    """One metric point: key, value, timestamp (ms), step."""

    __slots__ = ("key", "value", "timestamp", "step")

    def __init__(self, key: str, value: float, timestamp: int, step: int = 0) -> None:
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.step = step


class Param(_Entity):
    """A run parameter; values are strings, as in MLflow."""

    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self.key = key
        self.value = value


class RunTag(_Entity):
    """A run tag (string key and value)."""

    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self.key = key
        self.value = value


class ExperimentTag(RunTag):
    """An experiment tag."""

    __slots__ = ()


class Experiment(_Entity):
    """An experiment: a named group of runs."""

    __slots__ = (
        "experiment_id",
        "name",
        "artifact_location",
        "lifecycle_stage",
        "tags",
        "creation_time",
        "last_update_time",
    )

    def __init__(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str,
        lifecycle_stage: str,
        tags: Mapping[str, str] | None = None,
        creation_time: int | None = None,
        last_update_time: int | None = None,
    ) -> None:
        self.experiment_id = experiment_id
        self.name = name
        self.artifact_location = artifact_location
        self.lifecycle_stage = lifecycle_stage
        self.tags = dict(tags or {})
        self.creation_time = creation_time
        self.last_update_time = last_update_time


class RunInfo(_Entity):
    """The bookkeeping of a run (MLflow's ``RunInfo``)."""

    __slots__ = (
        "run_id",
        "run_name",
        "experiment_id",
        "user_id",
        "status",
        "start_time",
        "end_time",
        "artifact_uri",
        "lifecycle_stage",
    )

    def __init__(
        self,
        run_id: str,
        experiment_id: str,
        user_id: str | None,
        status: str,
        start_time: int | None,
        end_time: int | None,
        lifecycle_stage: str,
        artifact_uri: str,
        run_name: str | None = None,
    ) -> None:
        self.run_id = run_id
        self.run_name = run_name
        self.experiment_id = experiment_id
        self.user_id = user_id
        self.status = status
        self.start_time = start_time
        self.end_time = end_time
        self.artifact_uri = artifact_uri
        self.lifecycle_stage = lifecycle_stage

    @property
    def run_uuid(self) -> str:
        """Deprecated MLflow alias of ``run_id``."""
        return self.run_id


class RunData(_Entity):
    """Params, latest metrics and tags of a run, as plain dicts."""

    __slots__ = ("params", "metrics", "tags")

    def __init__(
        self,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        # Plain dicts are taken as they are (searches build thousands of runs
        # from freshly parsed documents); other mappings are copied.
        self.metrics: dict[str, float] = metrics if type(metrics) is dict else dict(metrics or {})
        self.params: dict[str, str] = params if type(params) is dict else dict(params or {})
        self.tags: dict[str, str] = tags if type(tags) is dict else dict(tags or {})


class DatasetInput(_Entity):
    """A dataset a run used: its description and the context (training, eval ...)."""

    __slots__ = ("dataset", "tags")

    def __init__(self, dataset: Mapping[str, Any], tags: Mapping[str, str] | None = None) -> None:
        self.dataset = dict(dataset)
        self.tags = dict(tags or {})

    @property
    def context(self) -> str | None:
        """The ``mlflow.data.context`` tag (training, validation ...)."""
        return self.tags.get("mlflow.data.context")


class RunInputs(_Entity):
    """The dataset inputs of a run."""

    __slots__ = ("dataset_inputs",)

    def __init__(self, dataset_inputs: list[DatasetInput] | None = None) -> None:
        self.dataset_inputs = list(dataset_inputs or [])


class Run(_Entity):
    """A run: ``info``, ``data`` and ``inputs``."""

    __slots__ = ("info", "data", "inputs", "sizes")

    def __init__(self, run_info: RunInfo, run_data: RunData, run_inputs: RunInputs | None = None):
        self.info = run_info
        self.data = run_data
        self.inputs = run_inputs or RunInputs()
        #: (bytes of all artifacts, bytes of logged models), beyond MLflow's Run.
        self.sizes: tuple[int, int] = (0, 0)

    def _fields(self) -> tuple[str, ...]:
        return ("info", "data", "inputs")


# Registry entities live in litetrack.registry.entities (which builds on
# _Entity above); they are re-exported here lazily, as MLflow has them under
# mlflow.entities.model_registry.
_REGISTRY_ENTITIES = frozenset({
    "RegisteredModel",
    "ModelVersion",
    "RegisteredModelTag",
    "ModelVersionTag",
    "RegisteredModelAlias",
    "ModelVersionStatus",
})


def __getattr__(name: str) -> Any:
    if name in _REGISTRY_ENTITIES:
        from litetrack.registry import entities as _registry_entities

        return getattr(_registry_entities, name)
    raise AttributeError(f"module 'litetrack.entities' has no attribute {name!r}")
