"""Pinning: turn a model source URI into ``{relative path: {"digest", "size"}}``.

A registered version records the digests of its model's files, so it keeps
loading after its source run is deleted and garbage-collected (the registry
is a gc root, see :func:`litetrack.registry.referenced_digests`).

Sources understood:

* ``runs:/<run_id>/<path>``: the run's artifact manifest under ``path`` (the
  blobs are already in the object store; nothing is copied);
* ``models:/...``: the files of that registered version;
* a local folder (or file), as a path or a ``file://`` URI (a model saved
  with ``save_model``): every file is put into the object store.

Every blob is put or refreshed *before* the version document that pins it is
written: that is the writer's half of the gc grace protocol
(:mod:`litetrack.store.objects`).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from litetrack.errors import (
    ArtifactNotFound,
    InvalidArgument,
    ModelNotFound,
    ModelVersionNotFound,
    UnsupportedURI,
)
from litetrack.store import artifacts
from litetrack.store.location import file_uri_path
from litetrack.store.paths import validate_artifact_path
from litetrack.store.registry.uris import parse_model_uri
from litetrack.validation import validate_run_id

if TYPE_CHECKING:
    from litetrack.store.core import Store

logger = logging.getLogger(__name__)

Files = dict[str, dict[str, Any]]


def _keep(store: Store, files: Files, source: str) -> None:
    """Refresh each blob's mtime (gc grace) and check it is present with its size."""
    objects = store.objects
    for rel, entry in files.items():
        if not objects.touch(entry["digest"], int(entry["size"])):
            raise ArtifactNotFound(
                f"Cannot register {source!r}: the blob of {rel!r} ({entry['digest']}) is missing from "
                f"{objects.root} or has the wrong size; run `python -m litetrack verify`",
                digest=entry["digest"],
            )


def _from_run(store: Store, uri: str, action: str = "register") -> tuple[Files, str]:
    run_id, path = artifacts.parse_runs_uri(uri)
    validate_run_id(run_id)
    prefix = validate_artifact_path(path, allow_empty=True) if path else ""
    entries = artifacts.manifest(store, run_id)  # RunNotFound names the run
    if prefix and prefix in entries:
        files = {prefix.rsplit("/", 1)[-1]: dict(entries[prefix])}
    else:
        files = {p: dict(e) for p, e in artifacts.subtree(entries, prefix).items()}
    if not files:
        top = sorted({p.split("/", 1)[0] for p in entries})
        raise ModelNotFound(
            f"Cannot {action} {uri!r}: run {run_id!r} has no artifacts under {prefix or 'its root'!r}; "
            f"its top-level artifacts: {', '.join(top) or 'none'}",
            uri=uri,
        )
    return files, run_id


def _from_local(store: Store, source: str) -> Files:
    path = source
    if source.startswith("file:"):
        path = file_uri_path(source)
    elif "://" in source or (":" in source.split("/", 1)[0] and len(source.split(":", 1)[0]) > 1):
        raise UnsupportedURI(
            f"Cannot register {source!r}: litetrack registers runs:/<run_id>/<path>, models:/ URIs "
            "and local folders (cloud and server URIs are not supported)",
            uri=source,
        )
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isfile(path):
        ref = store.objects.put_file(path)
        return {os.path.basename(path): {"digest": ref.digest, "size": ref.size}}
    if not os.path.isdir(path):
        raise ModelNotFound(
            f"Cannot register {source!r}: no such folder or file ({path})", uri=source
        )
    files: Files = {}
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames.sort()
        for fname in sorted(filenames):
            full = os.path.join(dirpath, fname)
            rel = validate_artifact_path(os.path.relpath(full, path).replace(os.sep, "/"))
            ref = store.objects.put_file(full)
            files[rel] = {"digest": ref.digest, "size": ref.size}
    if not files:
        raise ModelNotFound(f"Cannot register {source!r}: the folder {path} is empty", uri=source)
    return files


def pin_source(store: Store, source: str, run_id: str | None = None) -> tuple[Files, str | None]:
    """(files, run_id) for a model ``source``; blobs stored or refreshed.

    ``run_id`` defaults to the run of a ``runs:/`` source (or of the version
    a ``models:/`` source names). Raises :class:`InvalidArgument` for a
    malformed source or a ``run_id`` that contradicts it,
    :class:`UnsupportedURI` for remote URIs, :class:`ModelNotFound` /
    ``RunNotFound`` / ``RegisteredModelNotFound`` ... when nothing is there.
    """
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgument(f"Invalid model source {source!r}: expected a URI or a local path")
    if run_id is not None:
        validate_run_id(run_id)
    store.ensure_writable()
    if source.startswith("runs:/"):
        files, uri_run = _from_run(store, source)
        if run_id is not None and run_id != uri_run:
            raise InvalidArgument(
                f"run_id {run_id!r} does not match the run of the source {source!r}"
            )
        _keep(store, files, source)
        if "MLmodel" not in files:
            logger.warning(
                "Registering %s: no MLmodel file at its root; loaders will not find a flavour",
                source,
            )
        return files, uri_run
    if source.startswith("models:/"):
        _, _, vdoc = store.registry.resolve(parse_model_uri(source))
        files = {p: dict(e) for p, e in vdoc["files"].items()}
        _keep(store, files, source)
        return files, run_id or vdoc.get("run_id")
    return _from_local(store, source), run_id


def resolve_files(store: Store, uri: str) -> Files:
    """The files (``{path: {"digest", "size"}}``) of the model a ``models:/``/``runs:/`` URI names.

    Raises ``InvalidArgument`` (malformed URI, unknown stage, listing the
    valid forms), ``RegisteredModelNotFound``, ``ModelVersionNotFound`` (each
    says what exists), ``CorruptDocument`` naming the file.
    """
    if isinstance(uri, str) and uri.startswith("runs:/"):
        files, _ = _from_run(store, uri, action="load")
        return files
    ref = parse_model_uri(uri)
    reg = store.registry
    for attempt in range(3):
        try:
            _, _, vdoc = reg.resolve(ref)
            return dict(vdoc["files"])
        except ModelVersionNotFound:
            # A version deleted between reading model.json and reading its
            # document: read the pointers again (they no longer name it).
            if ref.kind == "version" or attempt == 2:
                raise
    raise AssertionError("unreachable")
