"""Reading the JSON documents of the store, validated on every read.

Writers build plain dicts (cheaper than model_dump on the hot path); readers
check every document, so a hand-edited or corrupted document is reported with
the file and the field instead of failing deep inside. The schema is the
pydantic models of :mod:`litetrack.store.schema`; reads first apply a fast
structural check of the same fields and import pydantic (~90 ms) only to
explain a document that fails it.
Documents carry ``schema_version``; older versions are upgraded on read by
the ``_upgrade_*`` functions (there is only version 1 so far).
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal

from litetrack.errors import CorruptDocument

RUN_SCHEMA_VERSION = 1
EXPERIMENT_SCHEMA_VERSION = 1


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


# Fast structural checks, equivalent to the pydantic models for the fields
# litetrack reads. A listing of 10,000 runs would otherwise pay pydantic's
# validation per document; the models run only to explain a failure (and in
# `verify`, which checks every document with them).
_STATUSES = frozenset(("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"))
_STAGES = frozenset(("active", "deleted"))


def _is_int(v: Any) -> bool:
    return type(v) is int


def _opt_int(v: Any) -> bool:
    return v is None or type(v) is int


def _str_map(v: Any) -> bool:
    return type(v) is dict and all(type(x) is str for x in v.values())


def _opt_str(v: Any) -> bool:
    return v is None or type(v) is str


def _opt_dict(v: Any) -> bool:
    return v is None or type(v) is dict


def _number(v: Any) -> bool:
    return type(v) is float or type(v) is int


def _metric_ok(m: dict[str, Any]) -> bool:
    return (
        _number(m["value"])
        and _is_int(m["timestamp"])
        and _is_int(m["step"])
        and all(m.get(k) is None or _number(m[k]) for k in ("min", "max", "first"))
        and _is_int(m.get("count", 1))
    )


def _looks_like_run(d: dict[str, Any]) -> bool:
    try:
        if not (
            type(d["run_id"]) is str
            and type(d["experiment_id"]) is str
            and type(d["artifact_uri"]) is str
            and d["status"] in _STATUSES
            and d.get("lifecycle_stage", "active") in _STAGES
            and _opt_int(d.get("start_time"))
            and _opt_int(d.get("end_time"))
            and _opt_int(d.get("deleted_time"))
            and _opt_int(d.get("pid"))
            and _is_int(d.get("log_offset", 0))
            and _str_map(d.get("params", {}))
            and _str_map(d.get("tags", {}))
            and type(d.get("inputs", [])) is list
            and all(type(i) is dict for i in d.get("inputs", []))
            and _opt_str(d.get("run_name"))
            and _opt_str(d.get("user_id"))
            and _opt_str(d.get("host"))
            and _opt_str(d.get("proc_start"))
            and _opt_str(d.get("parent_run_id"))
            and _opt_dict(d.get("source"))
            and _opt_dict(d.get("environment"))
        ):
            return False
        for m in d.get("metrics", {}).values():
            if not _metric_ok(m):
                return False
        for a in d.get("artifacts", {}).values():
            if not (type(a["digest"]) is str and _is_int(a["size"])):
                return False
        return True
    except (KeyError, TypeError, AttributeError):
        return False


def _looks_like_experiment(d: dict[str, Any]) -> bool:
    try:
        return (
            type(d.get("experiment_id")) is str
            and type(d.get("name")) is str
            and type(d.get("artifact_location")) is str
            and d.get("lifecycle_stage", "active") in _STAGES
            and _str_map(d.get("tags", {}))
            and _opt_int(d.get("creation_time"))
            and _opt_int(d.get("last_update_time"))
            and _opt_int(d.get("deleted_time"))
        )
    except TypeError:  # an unhashable lifecycle_stage (a list) read from a damaged file
        return False


def validate_fully(raw: dict[str, Any], path: str, kind: Literal["run", "experiment"]) -> dict[str, Any]:
    """Validate with the pydantic schema; return the normalised document.

    Raises :class:`CorruptDocument` naming the file and the field.
    """
    from litetrack.store.schema import (
        validate,  # pydantic: only for a document the fast check refused
    )

    message, doc = validate(raw, kind)
    if message is not None:
        raise CorruptDocument(f"Corrupt document {path}: {message}", path=path)
    return doc


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
    if kind == "run":
        _check_version(raw, RUN_SCHEMA_VERSION, path)
        if _looks_like_run(raw):
            return raw
    else:
        _check_version(raw, EXPERIMENT_SCHEMA_VERSION, path)
        if _looks_like_experiment(raw):
            return raw
    # The fast check failed: the schema either explains why, or accepts the
    # document after coercion (e.g. "1" for 1), and we use its normal form.
    return validate_fully(raw, path, kind)


def read_doc(path: str | os.PathLike[str], kind: Literal["run", "experiment"]) -> dict[str, Any]:
    """Read and validate a document; ``FileNotFoundError`` passes through."""
    # os-level reads: a buffered file object costs more than reading a
    # small document (the index reads thousands of them after a sweep).
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) > size:  # it grew since the fstat: read the rest
            chunks = [data]
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
            data = b"".join(chunks)
    finally:
        os.close(fd)
    return parse_doc(data, os.fspath(path), kind)
