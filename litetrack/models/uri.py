"""Model URIs -> local model folders: the one place every loader resolves a URI.

Accepted forms:

* ``runs:/<run_id>/<path>``: a model logged with ``log_model`` in the current
  store. Its files are materialised once into a cached read-only folder
  (``<store>/cache/materialized/``); loading it again copies nothing.
* ``models:/<name>/<version>``, ``models:/<name>/<stage>``,
  ``models:/<name>@<alias>``: a registered model, resolved by
  the registry of the store (:meth:`RegistryStore.resolve_files`).
* ``file:///abs/path`` and plain local paths: a folder written by
  ``save_model`` (or by MLflow).

For store-backed URIs the digests come from the run's artifact manifest,
which is the source of truth: a cached folder modified after it was built is
caught when a file is read through :class:`ModelDir`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litetrack.errors import ModelNotFound, UnsupportedURI
from litetrack.store import artifacts as store_artifacts
from litetrack.store.core import current_store
from litetrack.store.location import file_uri_path

__all__ = ["MLMODEL_FILE", "ResolvedModel", "model_folder", "resolve_model"]

#: The file that makes a folder a model (defined here, not in ``model``, so that
#: ``Model.load`` can resolve model URIs without an import cycle).
MLMODEL_FILE = "MLmodel"


@dataclass(frozen=True)
class ResolvedModel:
    """A model folder on local disk, and the digests its store recorded (None for plain folders)."""

    path: Path
    uri: str
    digests: dict[str, str] | None = field(default=None, compare=False)
    #: Keeps ``gc`` from removing a cached folder while it is read (None for plain folders).
    lease: Any = field(default=None, compare=False, repr=False)


def _from_entries(store: Any, entries: dict[str, dict[str, Any]], uri: str) -> ResolvedModel:
    if MLMODEL_FILE not in entries:
        found = sorted(entries)[:10]
        raise ModelNotFound(
            f"No model at {uri}: the artifacts there have no {MLMODEL_FILE} file "
            f"(found {found or 'nothing'}); expected the path given to log_model",
            uri=uri,
        )
    folder, lease = store_artifacts.materialize_held(store, entries)
    return ResolvedModel(folder, uri, {rel: e["digest"] for rel, e in entries.items()}, lease)


def _local(path: Path, uri: str) -> ResolvedModel:
    path = path.expanduser()
    if path.name == MLMODEL_FILE and path.is_file():
        path = path.parent
    if not (path / MLMODEL_FILE).is_file():
        what = "does not exist" if not path.exists() else f"has no {MLMODEL_FILE} file"
        raise ModelNotFound(
            f"No model at {uri}: {path} {what}; expected a folder written by save_model, "
            "a runs:/<run_id>/<path> URI or a models:/<name>/<version> URI",
            uri=uri,
        )
    return ResolvedModel(path.absolute(), uri, None)


def resolve_model(model_uri: str | os.PathLike[str], store: Any = None) -> ResolvedModel:
    """Resolve a model URI to a local folder (see the module doc for the forms).

    ``store`` (a :class:`~litetrack.store.core.Store`) serves ``runs:/`` and
    ``models:/`` URIs; the current store by default.

    Raises :class:`~litetrack.errors.ModelNotFound` when nothing is there,
    :class:`~litetrack.errors.RunNotFound` /
    :class:`~litetrack.errors.ArtifactNotFound` for an unknown run or path,
    :class:`~litetrack.errors.UnsupportedURI` for other schemes.
    """
    if isinstance(model_uri, os.PathLike):
        return _local(Path(model_uri), os.fspath(model_uri))
    if not isinstance(model_uri, str) or not model_uri:
        raise UnsupportedURI(
            f"Invalid model URI {model_uri!r}: expected a non-empty string or path"
        )
    uri = model_uri
    if uri.startswith("runs:"):
        run_id, path = store_artifacts.parse_runs_uri(uri)
        store = store if store is not None else current_store()
        entries = store_artifacts.resolve(store, run_id, path or None)
        return _from_entries(store, store_artifacts.subtree(entries, path), uri)
    if uri.startswith("models:"):
        store = store if store is not None else current_store()
        return _from_entries(store, store.registry.resolve_files(uri), uri)
    if uri.startswith("file:"):
        return _local(Path(file_uri_path(uri)), uri)
    scheme, sep, _ = uri.partition("://")
    if sep and scheme.isidentifier():
        raise UnsupportedURI(
            f"Unsupported model URI {uri!r}: expected runs:/<run_id>/<path>, "
            "models:/<name>/<version>, file:///path or a local folder"
        )
    return _local(Path(uri), uri)


def model_folder(model_uri: str | os.PathLike[str], store: Any = None) -> Path:
    """The local folder holding the model named by ``model_uri`` (see :func:`resolve_model`).

    For ``runs:/`` and ``models:/`` URIs the folder is a cached, shared copy:
    read it, do not modify it.
    """
    return resolve_model(model_uri, store).path
