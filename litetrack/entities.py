"""The objects litetrack hands back: experiments, runs, metrics, params, tags.

They mirror MLflow's ``mlflow.entities`` (same attribute names and meaning) so
that code written against MLflow reads them unchanged. They are plain slotted
classes rather than pydantic models: a search can build tens of thousands of
them and they are never parsed from untrusted input (the store validates the
documents they are built from).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from litetrack.errors import InvalidArgument

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
    "Dataset",
    "DatasetRecord",
    "InputTag",
    "FileInfo",
    "SourceType",
    "Run",
    "ALL_STAGES",
    "STAGE_NONE",
    "STAGE_STAGING",
    "STAGE_PRODUCTION",
    "STAGE_ARCHIVED",
    "ACTIVE_STAGES",
    "canonical_stage",
    "ModelVersionStatus",
    "RegisteredModel",
    "ModelVersion",
    "RegisteredModelTag",
    "ModelVersionTag",
    "RegisteredModelAlias",
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

            raise InvalidArgument(
                f"Invalid run status {status!r}: expected one of {', '.join(RunStatus.ALL)}"
            )
        return name


class SourceType:
    """Where a run came from (MLflow's ``SourceType``): numbers, as MLflow's enum."""

    NOTEBOOK, JOB, PROJECT, LOCAL, UNKNOWN = range(1, 6)

    _STRING_TO_SOURCETYPE = {
        "NOTEBOOK": NOTEBOOK,
        "JOB": JOB,
        "PROJECT": PROJECT,
        "LOCAL": LOCAL,
        "UNKNOWN": UNKNOWN,
    }
    SOURCETYPE_TO_STRING = {v: k for k, v in _STRING_TO_SOURCETYPE.items()}

    @staticmethod
    def from_string(status_str: str) -> int:
        """``"LOCAL"`` -> 4; any other name raises :class:`InvalidArgument` listing the names."""
        try:
            return SourceType._STRING_TO_SOURCETYPE[status_str]
        except (KeyError, TypeError):
            raise InvalidArgument(
                f"Invalid source type {status_str!r}: expected one of "
                f"{', '.join(SourceType._STRING_TO_SOURCETYPE)}"
            ) from None

    @staticmethod
    def to_string(status: int) -> str:
        """4 -> ``"LOCAL"``; any other number raises :class:`InvalidArgument`."""
        try:
            return SourceType.SOURCETYPE_TO_STRING[status]
        except (KeyError, TypeError):
            raise InvalidArgument(
                f"Invalid source type {status!r}: expected one of "
                f"{sorted(SourceType.SOURCETYPE_TO_STRING)}"
            ) from None


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


class InputTag(RunTag):
    """A tag of a run's dataset input (MLflow's ``InputTag``): ``mlflow.data.context`` ..."""

    __slots__ = ()


class FileInfo(_Entity):
    """An artifact listing entry (MLflow's ``FileInfo``): its path under the run's
    artifact root, whether it is a folder, and its size in bytes (None for a folder)."""

    __slots__ = ("path", "is_dir", "file_size")

    def __init__(self, path: str, is_dir: bool, file_size: int | None) -> None:
        self.path = path
        self.is_dir = is_dir
        self.file_size = file_size


def _tag_dict(tags: Mapping[str, str] | Sequence[Any] | None) -> dict[str, str]:
    # MLflow builds entities from lists of tag objects; plain dicts are easier.
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return dict(tags)
    return {t.key: t.value for t in tags}


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


class Dataset(dict):  # type: ignore[type-arg]
    """A recorded dataset description (MLflow's ``mlflow.entities.Dataset``).

    It is a dict (the JSON form litetrack keeps, ``source``, ``schema`` and
    ``profile`` as objects) that also reads as MLflow's entity: ``.name``,
    ``.digest``, ``.source_type``, and ``.source``, ``.schema``, ``.profile`` as
    JSON strings, so code written from MLflow's docs
    (``json.loads(run.inputs.dataset_inputs[0].dataset.schema)``) works unchanged.
    Built as MLflow builds it, ``Dataset(name, digest, source_type, source,
    schema=None, profile=None)``, or from one mapping (a stored document).
    """

    def __init__(
        self,
        name: str | Mapping[str, Any],
        digest: str | None = None,
        source_type: str | None = None,
        source: Any = None,
        schema: Any = None,
        profile: Any = None,
    ) -> None:
        if isinstance(name, Mapping):
            super().__init__(name)
            return
        fields = {"name": name, "digest": digest, "source_type": source_type,
                  "source": source, "schema": schema, "profile": profile}
        for key in ("name", "digest", "source_type", "source"):
            if fields[key] is None:
                # MLflow's words (its store refuses these at log_inputs)
                raise InvalidArgument(f"Dataset {key} cannot be None: a string is expected")
        for key in ("name", "digest"):
            if not isinstance(fields[key], str):
                raise InvalidArgument(
                    f"Dataset {key} must be a string, got {fields[key]!r}"
                )
        super().__init__({k: v for k, v in fields.items() if v is not None})

    def _json(self, key: str) -> str | None:
        value = self.get(key)
        if value is None or isinstance(value, str):
            return value
        import json  # here: entities are built by the thousand; most never need it

        return json.dumps(value)

    @property
    def name(self) -> str | None:
        """The dataset's name."""
        return self.get("name")

    @property
    def digest(self) -> str | None:
        """The dataset's content digest."""
        return self.get("digest")

    @property
    def source_type(self) -> str | None:
        """Where it came from: ``local``, ``s3``, ``http``, ``code`` ..."""
        return self.get("source_type")

    @property
    def source(self) -> str | None:
        """The source, as MLflow's JSON string (``dataset["source"]`` is the object)."""
        return self._json("source")

    @property
    def schema(self) -> str | None:
        """The schema, as MLflow's JSON string (``dataset["schema"]`` is the object)."""
        return self._json("schema")

    @property
    def profile(self) -> str | None:
        """The profile, as MLflow's JSON string (``dataset["profile"]`` is the object)."""
        return self._json("profile")


#: The name litetrack used before it gave the class MLflow's.
DatasetRecord = Dataset


class DatasetInput(_Entity):
    """A dataset a run used: its description and the context (training, eval ...).

    ``tags`` may be given as a dict or, as MLflow builds it, a list of
    :class:`InputTag`; it reads back as a dict.
    """

    __slots__ = ("dataset", "tags")

    def __init__(
        self, dataset: Mapping[str, Any], tags: Mapping[str, str] | Sequence[Any] | None = None
    ) -> None:
        self.dataset = dataset if type(dataset) is Dataset else Dataset(dataset)
        self.tags = _tag_dict(tags)

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


# -- the model registry (MLflow's mlflow.entities.model_registry) ---------------
#
# Registry entities: registered models, model versions, their tags and aliases.
#
# They mirror MLflow's ``mlflow.entities.model_registry`` (same attribute names
# and meaning). ``ModelVersion.version`` is an ``int``, as MLflow's local
# stores (file and SQL) return it; MLflow's REST client returns a ``str``, so
# code that must work with both compares ``str(mv.version)``. Every function
# taking a version accepts either (``3`` or ``"3"``).

STAGE_NONE = "None"
STAGE_STAGING = "Staging"
STAGE_PRODUCTION = "Production"
STAGE_ARCHIVED = "Archived"
#: Every stage a version can be in, in MLflow's order.
ALL_STAGES: tuple[str, ...] = (STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED)
#: Stages ``archive_existing_versions`` may be used with (MLflow's active stages).
ACTIVE_STAGES: tuple[str, ...] = (STAGE_STAGING, STAGE_PRODUCTION)
_CANONICAL = {s.lower(): s for s in ALL_STAGES}


def canonical_stage(stage: Any) -> str:
    """``"production"`` -> ``"Production"``; any other spelling raises :class:`InvalidArgument`.

    The error lists the valid stages.
    """
    if isinstance(stage, str):
        found = _CANONICAL.get(stage.strip().lower())
        if found is not None:
            return found
    raise InvalidArgument(
        # MLflow's sentence ("Invalid Model Version stage: unknown. Value must be one of
        # None, Staging, Production, Archived."), which code written for MLflow may match.
        f"Invalid Model Version stage: {stage}. Value must be one of "
        f"{', '.join(ALL_STAGES)}. (case-insensitive; got {stage!r})",
        stage=stage,
    )


class ModelVersionStatus:
    """Versions are READY as soon as they exist: registration copies nothing remotely."""

    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


class RegisteredModelTag(_Entity):
    """A tag of a registered model."""

    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self.key = key
        self.value = value


class ModelVersionTag(RegisteredModelTag):
    """A tag of a model version."""

    __slots__ = ()


class RegisteredModelAlias(_Entity):
    """An alias (``champion``) naming one version of a registered model."""

    __slots__ = ("alias", "version")

    def __init__(self, alias: str, version: int) -> None:
        self.alias = alias
        self.version = version


class ModelVersion(_Entity):
    """One numbered version of a registered model (MLflow's ``ModelVersion``).

    ``current_stage`` is one of :data:`ALL_STAGES`; ``aliases`` lists the
    aliases pointing at this version; ``source`` is the URI it was registered
    from and ``run_id`` the run that produced it (None for a local folder).
    The model's files were pinned at registration: they stay loadable after
    the source run is deleted.
    """

    __slots__ = (
        "name",
        "version",
        "creation_timestamp",
        "last_updated_timestamp",
        "description",
        "user_id",
        "current_stage",
        "source",
        "run_id",
        "status",
        "status_message",
        "tags",
        "run_link",
        "aliases",
    )

    def __init__(
        self,
        name: str,
        version: int,
        creation_timestamp: int,
        last_updated_timestamp: int | None = None,
        description: str | None = None,
        user_id: str | None = None,
        current_stage: str | None = None,
        source: str | None = None,
        run_id: str | None = None,
        status: str = ModelVersionStatus.READY,
        status_message: str | None = None,
        tags: Mapping[str, str] | Sequence[Any] | None = None,
        run_link: str | None = None,
        aliases: Sequence[str] | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.description = description
        self.user_id = user_id
        self.current_stage = current_stage
        self.source = source
        self.run_id = run_id
        self.status = status
        self.status_message = status_message
        self.tags = _tag_dict(tags)
        self.run_link = run_link
        self.aliases = list(aliases or [])


class RegisteredModel(_Entity):
    """A named model with numbered versions (MLflow's ``RegisteredModel``).

    ``latest_versions`` holds the newest version of each stage that has one;
    ``aliases`` maps each alias to its version number.
    """

    __slots__ = (
        "name",
        "creation_timestamp",
        "last_updated_timestamp",
        "description",
        "latest_versions",
        "tags",
        "aliases",
    )

    def __init__(
        self,
        name: str,
        creation_timestamp: int | None = None,
        last_updated_timestamp: int | None = None,
        description: str | None = None,
        latest_versions: Sequence[ModelVersion] | None = None,
        tags: Mapping[str, str] | Sequence[Any] | None = None,
        aliases: Mapping[str, int] | Sequence[RegisteredModelAlias] | None = None,
    ) -> None:
        self.name = name
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.description = description
        self.latest_versions = list(latest_versions or [])
        self.tags = _tag_dict(tags)
        if aliases is None:
            self.aliases: dict[str, int] = {}
        elif isinstance(aliases, Mapping):
            self.aliases = dict(aliases)
        else:
            self.aliases = {a.alias: a.version for a in aliases}

    def to_dictionary(self) -> dict[str, Any]:
        """A plain dict of the public fields, versions included."""
        out = super().to_dictionary()
        out["latest_versions"] = [v.to_dictionary() for v in self.latest_versions]
        return out
