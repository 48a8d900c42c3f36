"""Schemas of the JSON documents in the store, validated on every read.

Writers build plain dicts (cheaper than model_dump on the hot path); readers
validate with these pydantic models, so a hand-edited or corrupted document
is reported with the file and the field instead of failing deep inside.
Documents carry ``schema_version``; older versions are upgraded on read by
the ``_upgrade_*`` functions (there is only version 1 so far).
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from litetrack.errors import CorruptDocument

RUN_SCHEMA_VERSION = 1
EXPERIMENT_SCHEMA_VERSION = 1

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


def _check_version(raw: dict[str, Any], current: int, path: str) -> None:
    version = raw.get("schema_version")
    if not isinstance(version, int):
        raise CorruptDocument(
            f"Corrupt document {path}: missing or invalid 'schema_version'", path=path
        )
    if version > current:
        raise CorruptDocument(
            f"Document {path} has schema_version {version}, newer than this litetrack "
            f"understands ({current}); upgrade litetrack to read it",
            path=path,
        )


def parse_doc(data: bytes, path: str, kind: Literal["run", "experiment"]) -> dict[str, Any]:
    """Validate a document read from ``path``; return it as a plain dict.

    Raises :class:`CorruptDocument` naming the file and what is wrong.
    """
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise CorruptDocument(f"Corrupt document {path}: not valid JSON ({e})", path=path) from None
    if not isinstance(raw, dict):
        raise CorruptDocument(f"Corrupt document {path}: expected a JSON object", path=path)
    model: type[_Doc]
    if kind == "run":
        _check_version(raw, RUN_SCHEMA_VERSION, path)
        model = RunDoc
    else:
        _check_version(raw, EXPERIMENT_SCHEMA_VERSION, path)
        model = ExperimentDoc
    try:
        model.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CorruptDocument(
            f"Corrupt document {path}: field {where!r}: {first['msg']}", path=path
        ) from None
    return raw


def read_doc(path: str | os.PathLike[str], kind: Literal["run", "experiment"]) -> dict[str, Any]:
    """Read and validate a document; ``FileNotFoundError`` passes through."""
    with open(path, "rb") as f:
        data = f.read()
    return parse_doc(data, os.fspath(path), kind)
