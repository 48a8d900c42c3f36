"""The pydantic schema of the store's JSON documents (imported only when needed).

:func:`litetrack.store.docs.parse_doc` checks documents with a fast structural
test of the same fields; these models explain what is wrong when that fails,
and ``verify`` applies them to every document.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

Status = Literal["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]
Stage = Literal["active", "deleted"]


class _Doc(BaseModel):
    # Unknown fields are kept (a newer minor writer may add some) but ignored.
    model_config = ConfigDict(extra="allow")


class MetricSummary(_Doc):
    """Latest point of one metric plus aggregates over its history."""

    value: float
    timestamp: int
    step: int
    min: float | None = None
    max: float | None = None
    first: float | None = None
    count: int = 1


class ArtifactEntry(_Doc):
    """One artifact of a run: the digest of its blob and its size."""

    digest: str
    size: int


class RunDoc(_Doc):
    """``runs/<run_id>/run.json``."""

    schema_version: int
    run_id: str
    experiment_id: str
    run_name: str | None = None
    user_id: str | None = None
    status: Status
    start_time: int | None = None
    end_time: int | None = None
    lifecycle_stage: Stage = "active"
    deleted_time: int | None = None
    artifact_uri: str
    pid: int | None = None
    host: str | None = None
    proc_start: str | None = None
    parent_run_id: str | None = None
    params: dict[str, str] = {}
    tags: dict[str, str] = {}
    metrics: dict[str, MetricSummary] = {}
    log_offset: int = 0
    inputs: list[dict[str, Any]] = []
    artifacts: dict[str, ArtifactEntry] = {}
    source: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None


class ExperimentDoc(_Doc):
    """``experiments/<experiment_id>.json``."""

    schema_version: int
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: Stage = "active"
    tags: dict[str, str] = {}
    creation_time: int | None = None
    last_update_time: int | None = None
    deleted_time: int | None = None


def validate(raw: dict[str, Any], kind: Literal["run", "experiment"]) -> tuple[str | None, dict[str, Any]]:
    """(None, normalised document) if ``raw`` is valid, else ("field 'x': what is wrong", raw)."""
    model: type[_Doc] = RunDoc if kind == "run" else ExperimentDoc
    try:
        doc = model.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"field {where!r}: {first['msg']}", raw
    return None, doc.model_dump()
