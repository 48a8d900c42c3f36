"""The registry's JSON documents: reading, checking, upgrading, writing.

Two kinds of document (see :mod:`litetrack.store.registry.store` for the layout):

``model.json`` (one per registered model, small whatever its version count)::

    {"schema_version": 1, "id": "<uuid hex>", "name": "taxi duration",
     "creation_timestamp": 1700000000000, "last_updated_timestamp": ...,
     "description": null, "tags": {"team": "ml"},
     "aliases": {"champion": 3},
     "stages": {"Production": {"3": 1700000000500}, "Archived": {"1": ...}},
     "latest": 7}

``stages`` maps each stage except None to ``{version: time it entered}``; a
version found in none of them is in stage None. ``latest`` is the highest
version number ever given (deleted versions keep their number, as in MLflow).

``versions/<n>.json`` (one per version)::

    {"schema_version": 1, "version": 3, "creation_timestamp": ...,
     "last_updated_timestamp": ..., "user_id": "ana", "description": null,
     "source": "runs:/<run_id>/model", "run_id": "<run_id>", "run_link": null,
     "status": "READY", "tags": {},
     "files": {"MLmodel": {"digest": "<sha256>", "size": 312}, ...},
     "size": 48211}

A deleted version keeps a tombstone ``{"schema_version": 1, "version": 3,
"deleted": true, ...}`` without ``files``, so its number is never reused and
its blobs stop being garbage-collection roots.

Documents are checked by hand rather than with pydantic: resolving
``models:/NAME/Production`` in a fresh serving process then costs no
pydantic import (~0.1 s). A document that fails a check raises
:class:`~litetrack.errors.CorruptDocument` naming the file and the field.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from litetrack.errors import CorruptDocument
from litetrack.store.fs import atomic_create, atomic_write, dumps

MODEL_SCHEMA_VERSION = 1
VERSION_SCHEMA_VERSION = 1
# A pattern, compiled (and cached) by ``re`` on first use: searches never need it.
_DIGEST_RE = r"[0-9a-f]{64}"
_STAGE_KEYS = ("Staging", "Production", "Archived")


def _corrupt(path: str, what: str) -> CorruptDocument:
    return CorruptDocument(
        f"Corrupt registry document {path}: {what}. Fix or restore the file; "
        "the registry history (registry/history.jsonl) records every change made to it",
        path=path,
    )


def _load(path: str) -> dict[str, Any]:
    """Parse the JSON object at ``path``; FileNotFoundError passes through."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise _corrupt(path, f"not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise _corrupt(path, "expected a JSON object")
    return doc


def _check_schema(doc: dict[str, Any], path: str, current: int) -> None:
    version = doc.get("schema_version")
    if type(version) is not int:
        raise _corrupt(path, "missing or invalid 'schema_version'")
    if version > current:
        raise CorruptDocument(
            f"Registry document {path} has schema_version {version}, newer than this "
            f"litetrack understands ({current}); upgrade litetrack to read it",
            path=path,
        )


def _field(
    doc: dict[str, Any], key: str, types: tuple[type, ...], path: str, *, optional: bool = False
) -> Any:
    if key not in doc:
        if optional:
            return None
        raise _corrupt(path, f"field {key!r} is missing")
    value = doc[key]
    if value is None and optional:
        return None
    # bool is an int subclass; no registry field is a bool where an int is expected.
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        names = " or ".join(t.__name__ for t in types)
        raise _corrupt(path, f"field {key!r} must be {names}, not {value!r}"[:300])
    return value


def _str_map(doc: dict[str, Any], key: str, path: str) -> dict[str, str]:
    value = _field(doc, key, (dict,), path)
    for k, v in value.items():
        if not isinstance(v, str):
            raise _corrupt(path, f"field {key}.{k} must be a string, not {v!r}"[:300])
    return value  # type: ignore[no-any-return]


def check_model_doc(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """Validate a ``model.json`` (in place); return it."""
    _check_schema(doc, path, MODEL_SCHEMA_VERSION)
    _field(doc, "id", (str,), path)
    _field(doc, "name", (str,), path)
    _field(doc, "creation_timestamp", (int,), path)
    _field(doc, "last_updated_timestamp", (int,), path)
    _field(doc, "description", (str,), path, optional=True)
    _str_map(doc, "tags", path)
    latest = _field(doc, "latest", (int,), path)
    if latest < 0:
        raise _corrupt(path, f"field 'latest' must be >= 0, not {latest}")
    aliases = _field(doc, "aliases", (dict,), path)
    for alias, version in aliases.items():
        if type(version) is not int or not 1 <= version <= latest:
            raise _corrupt(
                path, f"alias {alias!r} points to {version!r}, not a version 1..{latest}"
            )
    stages = _field(doc, "stages", (dict,), path)
    seen: dict[str, str] = {}
    for stage, members in stages.items():
        if stage not in _STAGE_KEYS:
            raise _corrupt(
                path, f"unknown stage {stage!r} in 'stages' (expected {', '.join(_STAGE_KEYS)})"
            )
        if not isinstance(members, dict):
            raise _corrupt(path, f"stages.{stage} must be an object {{version: time}}")
        for v, since in members.items():
            if not v.isdigit() or not 1 <= int(v) <= latest or type(since) is not int:
                raise _corrupt(path, f"stages.{stage} has a bad entry {v!r}: {since!r}")
            if v in seen:
                raise _corrupt(path, f"version {v} is in two stages ({seen[v]} and {stage})")
            seen[v] = stage
    return doc


def check_version_doc(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """Validate a ``versions/<n>.json`` (in place); return it."""
    _check_schema(doc, path, VERSION_SCHEMA_VERSION)
    version = _field(doc, "version", (int,), path)
    expected = os.path.basename(path).partition(".")[0]
    if str(version) != expected:
        raise _corrupt(
            path, f"field 'version' is {version}, but the file is named for version {expected}"
        )
    _field(doc, "creation_timestamp", (int,), path)
    if doc.get("deleted"):
        return doc
    _field(doc, "last_updated_timestamp", (int,), path)
    _field(doc, "user_id", (str,), path, optional=True)
    _field(doc, "description", (str,), path, optional=True)
    _field(doc, "source", (str,), path)
    _field(doc, "run_id", (str,), path, optional=True)
    _field(doc, "run_link", (str,), path, optional=True)
    _field(doc, "status", (str,), path)
    _str_map(doc, "tags", path)
    _field(doc, "size", (int,), path)
    files = _field(doc, "files", (dict,), path)
    for rel, entry in files.items():
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("digest"), str)
            or not re.fullmatch(_DIGEST_RE, entry["digest"])
            or type(entry.get("size")) is not int
        ):
            raise _corrupt(path, f'files.{rel} must be {{"digest": <sha256 hex>, "size": <int>}}')
    return doc


def read_model_doc(path: str) -> dict[str, Any]:
    """Read and validate a ``model.json``; FileNotFoundError passes through."""
    return check_model_doc(_load(path), path)


def read_version_doc(path: str) -> dict[str, Any]:
    """Read and validate a version document; FileNotFoundError passes through."""
    return check_version_doc(_load(path), path)


def write_doc(path: str, doc: dict[str, Any]) -> None:
    """Replace ``path`` atomically with ``doc`` (the one way a registry document is written)."""
    atomic_write(path, dumps(doc))


def create_doc_exclusive(path: str, doc: dict[str, Any]) -> bool:
    """Write ``doc`` at ``path`` only if no file has that name; False if one exists."""
    return atomic_create(path, dumps(doc))


def salvage_digests(path: str) -> set[str]:
    """Every SHA-256-looking string in a (possibly corrupt) document.

    Garbage collection treats them as referenced: a damaged version document
    must never let gc delete the model files it may still point to.
    """
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return set()
    return set(re.findall(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", text))


def stage_of(mdoc: dict[str, Any], version: int) -> str:
    """The stage ``version`` is in, per ``model.json``."""
    v = str(version)
    for stage, members in mdoc["stages"].items():
        if v in members:
            return stage  # type: ignore[no-any-return]
    return "None"


def aliases_of(mdoc: dict[str, Any], version: int) -> list[str]:
    """The aliases pointing at ``version``, sorted."""
    return sorted(a for a, v in mdoc["aliases"].items() if v == version)
