"""The registry on disk: ``<store>/registry/``.

Layout::

    registry/<key>/model.json          one registered model (small; see docs.py)
    registry/<key>/versions/<n>.json   one document per version, files pinned by digest
    registry/.locks/<key>.lock         per-model cross-process lock (flock)
    registry/.trash/                   models being deleted (renamed here, then removed)
    registry/history.jsonl             append-only log of every change (see history.py)

``<key>`` is a readable slug of the name plus 16 hex digits of its SHA-256,
so any name (spaces, ``/``, ``..``, unicode, case variants) maps to one safe
folder name; the real name is kept inside ``model.json`` and checked on read.

Why this shape: registering a version writes one new small document and
rewrites ``model.json``, which holds no per-version data except the few
versions that are in a stage or carry an alias. So a registration costs the
same at version 10 and at version 100,000, and resolving
``models:/NAME/Production`` or ``@alias`` is two small reads.

Concurrency and crash safety
----------------------------
Every change to a model happens under its lock and commits with atomic file
operations, in an order where a crash at any instant leaves a readable
registry:

* registering: pin the files (blobs put or refreshed first, so gc keeps them),
  then under the lock create ``versions/<n>.json`` with ``os.link`` (never
  replaces: this is the commit, and no number is ever given twice), append the
  history line, then rewrite ``model.json`` with ``latest = n``. A crash after
  the version document leaves ``latest`` one behind; readers and the next
  writer notice ``versions/<latest+1>.json`` and move past it.
* stages and aliases live only in ``model.json``, so a transition (with
  ``archive_existing_versions``) or an alias move is one atomic replace:
  concurrent transitions always leave exactly one version where they put it.
* deleting a version removes its stage and aliases from ``model.json`` first,
  then turns its document into a tombstone (its number is never reused).
* renaming rewrites the name inside ``model.json``, then renames the folder to
  the new key (both keys locked). A crash in between leaves the folder under
  the old key with the new name inside; listing the registry finishes the
  rename.

Readers take no lock: each document they read is whole.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litetrack.clock import now_ms
from litetrack.entities import RegisteredModel
from litetrack.errors import AlreadyExists, CorruptDocument, InvalidState
from litetrack.store.fs import remove_tree
from litetrack.store.location import remote_registry_uri
from litetrack.store.registry import docs, history
from litetrack.store.registry.checks import (
    model_key,
    validate_model_name,
    validate_new_model_name,
    validate_tags,
    validate_version,
)
from litetrack.store.registry.docs import aliases_of, stage_of
from litetrack.store.registry.reader import MODEL_DOC, VERSIONS_DIR, version_entity
from litetrack.store.registry.writer import RegistryWriter

if TYPE_CHECKING:
    from litetrack.store.core import Store

__all__ = [
    "RegistryStore",
    "registry_for",
    "model_key",
    "version_entity",
    "stage_of",
    "aliases_of",
    "validate_model_name",
    "validate_new_model_name",
    "validate_version",
    "validate_tags",
    "MODEL_DOC",
    "VERSIONS_DIR",
]


class RegistryStore(RegistryWriter):
    """All registry operations on one store's folder. Get one with :func:`registry_for`.

    The operations themselves are :class:`~litetrack.store.registry.writer.RegistryWriter`'s;
    this class gives them the folder's primitives (every change under the
    model's ``flock``, documents replaced with ``os.replace`` and versions
    created with ``os.link``), plus rename and delete, which move folders.
    """

    # -- the document primitives: a folder under a per-model flock ----------------------
    def _model_for_update(self, name: str) -> tuple[str, dict[str, Any], None]:
        key, mdoc = self.read_model(name)
        return key, mdoc, None

    def _version_for_update(
        self, key: str, mdoc: dict[str, Any], version: int
    ) -> tuple[dict[str, Any], None]:
        # Under the lock, as before any change here: step past a crashed registration.
        mdoc["latest"] = self._heal_latest(key, mdoc)
        return self.read_version(key, mdoc, version), None

    def _replace_doc(self, path: str, doc: dict[str, Any], token: Any) -> bool:
        # The caller holds the model's lock: nobody else can have replaced it.
        docs.write_doc(path, doc)
        self._journal_path(path)
        return True

    def _create_doc(self, path: str, doc: dict[str, Any]) -> bool:
        if not docs.create_doc_exclusive(path, doc):
            return False
        self._journal_path(path)
        return True

    def _put_doc(self, path: str, doc: dict[str, Any]) -> None:
        docs.write_doc(path, doc)
        self._journal_path(path)

    def _journal_path(self, path: str) -> None:
        """Journal the document just written at ``path`` (for the search cache, see cache.py)."""
        rel = path[len(self._dir) + 1 :].split("/")
        self._journal(rel[0] if rel[1] == MODEL_DOC else f"{rel[0]}/{rel[2][:-5]}")

    def _create_model_doc(self, key: str, mdoc: dict[str, Any]) -> bool:
        folder = f"{self._dir}/{key}"
        try:
            existing = docs.read_model_doc(self.model_path(key))
        except (FileNotFoundError, NotADirectoryError):
            existing = None
        if existing is not None:
            if existing["name"] == mdoc["name"]:
                return False
            if self._finish_rename(key, existing, locked=True) is None:
                raise CorruptDocument(
                    f"Folder {folder} holds model {existing['name']!r}, not {mdoc['name']!r}; "
                    "move it away by hand",
                    path=self.model_path(key),
                )
        if os.path.isdir(folder):
            # A crashed create or registration left the folder without a model
            # document: its version documents belong to no model.
            remove_tree(folder)
        os.makedirs(f"{folder}/{VERSIONS_DIR}")
        docs.write_doc(self.model_path(key), mdoc)
        self._journal(key)
        return True

    def _already_exists(self, name: str) -> AlreadyExists:
        try:
            created = docs.read_model_doc(self.model_path(model_key(name)))["creation_timestamp"]
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created / 1000))
            when = f" {when}"
        except (FileNotFoundError, NotADirectoryError, CorruptDocument):
            when = ""
        return AlreadyExists(
            f"Registered Model (name={name}) already exists: registered model {name!r} "
            f"was created{when or ' before'}",
            name=name,
        )

    def _too_busy(self, name: str) -> InvalidState:
        # Unreachable: under the lock every replace succeeds at the first attempt.
        return InvalidState(f"Registered model {name!r} kept changing; try again")

    def _create_locked(
        self, name: str, tags: dict[str, str], description: str | None
    ) -> tuple[str, dict[str, Any]]:
        """Create a model while holding its lock (the MLflow importer's entry)."""
        created = self._create(name, tags, description)
        if created is None:
            raise self._already_exists(name)
        return created

    # -- rename and delete: folder moves, local only ----------------------------------
    def _read_for_write(self, name: str) -> tuple[str, dict[str, Any]]:
        key, mdoc = self.read_model(name)
        mdoc["latest"] = self._heal_latest(key, mdoc)
        return key, mdoc

    def rename_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model (versions, stages, aliases and history follow)."""
        name = validate_model_name(name)
        new_name = validate_new_model_name(new_name, "new_name")
        with self.locked(name, new_name):
            key, mdoc = self._read_for_write(name)
            new_key = model_key(new_name)
            new_folder = f"{self._dir}/{new_key}"
            try:
                other = docs.read_model_doc(self.model_path(new_key))
            except (FileNotFoundError, NotADirectoryError):
                other = None
            if other is not None or name == new_name:
                raise AlreadyExists(
                    f"Registered Model (name={new_name}) already exists: cannot rename {name!r} "
                    f"to {new_name!r}",
                    name=new_name,
                )
            if os.path.isdir(new_folder):
                remove_tree(new_folder)  # leftover of a crashed create (no model.json)
            ts = now_ms()
            mdoc["name"] = new_name
            mdoc["last_updated_timestamp"] = ts
            docs.write_doc(self.model_path(key), mdoc)
            # Journalled before the folder moves: a process killed in between
            # leaves a folder whose model.json names another key, which the
            # search cache then hands to the scan (that finishes the rename).
            self._journal(key)
            os.rename(f"{self._dir}/{key}", new_folder)
            self._journal(key, new_key)
            self._log(
                [
                    history.event(
                        new_name, mdoc["id"], "rename_model", old=name, new=new_name, when=ts
                    )
                ]
            )
        return self.model_entity(new_key, mdoc)

    def delete_model(self, name: str) -> None:
        """Delete a registered model and all its versions (their files stop being gc roots)."""
        with self.locked(name):
            key, mdoc = self._read_for_write(name)
            trash = f"{self._dir}/.trash"
            os.makedirs(trash, exist_ok=True)
            gone = f"{trash}/{key}.{os.getpid()}.{os.urandom(4).hex()}"
            os.rename(f"{self._dir}/{key}", gone)  # the commit: the model disappears at once
            self._journal(key)
            self._log(
                [
                    history.event(
                        name,
                        mdoc["id"],
                        "delete_model",
                        old=name,
                        new={"latest_version": mdoc["latest"]},
                    )
                ]
            )
        remove_tree(gone, ignore_errors=True)
        # Also what a process killed while deleting left behind.
        for left in os.listdir(trash):
            remove_tree(f"{trash}/{left}", ignore_errors=True)


_registries: dict[tuple[int, Path], RegistryStore] = {}
_registries_lock = threading.Lock()


def registry_for(store: Store) -> RegistryStore:
    """The :class:`RegistryStore` of ``store`` (one per store and process).

    With a registry URI set (``set_registry_uri``, ``LITETRACK_REGISTRY_URI``)
    it is the shared registry on that remote instead.
    """
    uri = remote_registry_uri()
    if uri is not None:
        from litetrack.store.remote.registry import remote_registry_for  # the remote extra, lazily

        return remote_registry_for(store, uri)  # type: ignore[return-value]
    k = (os.getpid(), store.root)
    reg = _registries.get(k)
    if reg is None or reg.store is not store:
        with _registries_lock:
            reg = _registries.get(k)
            if reg is None or reg.store is not store:
                reg = _registries[k] = RegistryStore(store)
    return reg
