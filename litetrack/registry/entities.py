"""Registry entities: registered models, model versions, their tags and aliases.

They mirror MLflow's ``mlflow.entities.model_registry`` (same attribute names
and meaning). ``ModelVersion.version`` is an ``int``, as MLflow's local
stores (file and SQL) return it; MLflow's REST client returns a ``str``, so
code that must work with both compares ``str(mv.version)``. Every function
taking a version accepts either (``3`` or ``"3"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from litetrack.entities import _Entity
from litetrack.errors import InvalidArgument

__all__ = [
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
        f"Invalid model version stage {stage!r}: expected one of {', '.join(ALL_STAGES)} "
        "(case-insensitive)",
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


def _tag_dict(tags: Mapping[str, str] | Sequence[Any] | None) -> dict[str, str]:
    # MLflow builds entities from lists of tag objects; plain dicts are easier.
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return dict(tags)
    return {t.key: t.value for t in tags}


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
