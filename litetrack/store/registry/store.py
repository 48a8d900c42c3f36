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
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litetrack.entities import (
    ACTIVE_STAGES,
    STAGE_ARCHIVED,
    STAGE_NONE,
    ModelVersion,
    RegisteredModel,
    canonical_stage,
)
from litetrack.errors import AlreadyExists, CorruptDocument, InvalidArgument
from litetrack.paging import PagedList
from litetrack.store.location import remote_registry_uri
from litetrack.store.registry import docs, history, pinning, search
from litetrack.store.registry.checks import (
    model_key,
    now_ms,
    validate_alias,
    validate_comment,
    validate_description,
    validate_model_name,
    validate_tags,
    validate_version,
)
from litetrack.store.registry.docs import aliases_of, stage_of
from litetrack.store.registry.reader import MODEL_DOC, VERSIONS_DIR, RegistryReader, version_entity
from litetrack.store.registry.uris import ModelRef
from litetrack.store.runs import current_user
from litetrack.validation import validate_key, validate_tag_value

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
    "validate_version",
    "validate_tags",
    "MODEL_DOC",
    "VERSIONS_DIR",
]


class RegistryStore(RegistryReader):
    """All registry operations on one store. Get one with :func:`registry_for`.

    Methods return plain documents or entities; the client mixin and the
    fluent functions wrap them with MLflow's signatures.
    """

    def _read_for_write(self, name: str) -> tuple[str, dict[str, Any]]:
        key, mdoc = self.read_model(name)
        mdoc["latest"] = self._heal_latest(key, mdoc)
        return key, mdoc

    def _new_model_doc(
        self, name: str, tags: dict[str, str], description: str | None, ts: int
    ) -> dict[str, Any]:
        return {
            "schema_version": docs.MODEL_SCHEMA_VERSION,
            "id": secrets.token_hex(16),
            "name": name,
            "creation_timestamp": ts,
            "last_updated_timestamp": ts,
            "description": description,
            "tags": tags,
            "aliases": {},
            "stages": {},
            "latest": 0,
        }

    def _create_locked(
        self, name: str, tags: dict[str, str], description: str | None
    ) -> tuple[str, dict[str, Any]]:
        key = model_key(name)
        folder = f"{self._dir}/{key}"
        try:
            existing = docs.read_model_doc(self.model_path(key))
        except (FileNotFoundError, NotADirectoryError):
            existing = None
        if existing is not None:
            if existing["name"] == name:
                raise AlreadyExists(
                    f"Registered model {name!r} already exists (created "
                    f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(existing['creation_timestamp'] / 1000))})",
                    name=name,
                )
            if self._finish_rename(key, existing, locked=True) is None:
                raise CorruptDocument(
                    f"Folder {folder} holds model {existing['name']!r}, not {name!r}; "
                    "move it away by hand",
                    path=self.model_path(key),
                )
        ts = now_ms()
        mdoc = self._new_model_doc(name, tags, description, ts)
        if os.path.isdir(folder):
            # A crashed create or registration left the folder without a model
            # document: its version documents belong to no model.
            shutil.rmtree(folder)
        os.makedirs(f"{folder}/{VERSIONS_DIR}")
        docs.write_doc(self.model_path(key), mdoc)
        self._log([history.event(name, mdoc["id"], "create_model", new=name, when=ts)])
        return key, mdoc

    def create_model(
        self, name: str, tags: dict[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """Create a registered model; :class:`AlreadyExists` if the name is taken."""
        name = validate_model_name(name)
        tags = validate_tags(tags)
        description = validate_description(description)
        with self.locked(name):
            key, mdoc = self._create_locked(name, tags, description)
        return self.model_entity(key, mdoc)

    def _update_model(
        self, name: str, change: Callable[[dict[str, Any], int], list[dict[str, Any]]]
    ) -> tuple[str, dict[str, Any]]:
        """Read-modify-write ``model.json`` under the lock; ``change`` returns history events."""
        with self.locked(name):
            key, mdoc = self._read_for_write(name)
            ts = now_ms()
            events = change(mdoc, ts)
            mdoc["last_updated_timestamp"] = ts
            docs.write_doc(self.model_path(key), mdoc)
            self._log(events)
        return key, mdoc

    def update_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a registered model's description."""
        description = validate_description(description)

        def change(mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
            old, mdoc["description"] = mdoc.get("description"), description
            return [
                history.event(name, mdoc["id"], "update_model", old=old, new=description, when=ts)
            ]

        key, mdoc = self._update_model(name, change)
        return self.model_entity(key, mdoc)

    def set_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model."""
        key = validate_key(key, "tag key")
        value = validate_tag_value(key, value)

        def change(mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
            old = mdoc["tags"].get(key)
            mdoc["tags"][key] = value
            return [
                history.event(
                    name,
                    mdoc["id"],
                    "set_model_tag",
                    old={key: old} if old is not None else None,
                    new={key: value},
                    when=ts,
                )
            ]

        self._update_model(name, change)

    def delete_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model (no error if absent, as in MLflow)."""
        key = validate_key(key, "tag key")

        def change(mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
            if key not in mdoc["tags"]:
                return []
            old = mdoc["tags"].pop(key)
            return [history.event(name, mdoc["id"], "delete_model_tag", old={key: old}, when=ts)]

        self._update_model(name, change)

    def rename_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model (versions, stages, aliases and history follow)."""
        name = validate_model_name(name)
        new_name = validate_model_name(new_name)
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
                    f"Cannot rename {name!r} to {new_name!r}: a registered model with that name exists",
                    name=new_name,
                )
            if os.path.isdir(new_folder):
                shutil.rmtree(new_folder)  # leftover of a crashed create (no model.json)
            ts = now_ms()
            mdoc["name"] = new_name
            mdoc["last_updated_timestamp"] = ts
            docs.write_doc(self.model_path(key), mdoc)
            os.rename(f"{self._dir}/{key}", new_folder)
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
            gone = f"{trash}/{key}.{os.getpid()}.{secrets.randbelow(10**9)}"
            os.rename(f"{self._dir}/{key}", gone)  # the commit: the model disappears at once
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
        shutil.rmtree(gone, ignore_errors=True)
        # Also what a process killed while deleting left behind.
        for left in os.listdir(trash):
            shutil.rmtree(f"{trash}/{left}", ignore_errors=True)

    # -- writing: versions ----------------------------------------------------------
    def create_version(
        self,
        name: str,
        source: str,
        files: dict[str, dict[str, Any]],
        *,
        run_id: str | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        run_link: str | None = None,
        create_model: bool = False,
    ) -> ModelVersion:
        """Register pinned ``files`` as the next version of ``name``.

        The blobs must already be in the object store (put or refreshed just
        before: see the gc protocol in :mod:`litetrack.store.objects`). With
        ``create_model`` a missing registered model is created first, under
        the same lock.
        """
        name = validate_model_name(name)
        tags = validate_tags(tags)
        description = validate_description(description)

        user = current_user()
        size = sum(int(e["size"]) for e in files.values())
        with self.locked(name):
            key = model_key(name)
            if create_model and self._try_read_model(key, name) is None:
                key, mdoc = self._create_locked(name, {}, None)
            else:
                key, mdoc = self._read_for_write(name)
            ts = now_ms()
            version = mdoc["latest"] + 1
            vdoc = {
                "schema_version": docs.VERSION_SCHEMA_VERSION,
                "version": version,
                "creation_timestamp": ts,
                "last_updated_timestamp": ts,
                "user_id": user,
                "description": description,
                "source": source,
                "run_id": run_id,
                "run_link": run_link,
                "status": "READY",
                "tags": tags,
                "files": files,
                "size": size,
            }
            # The commit: link never replaces, so a number is never given twice
            # (a document beyond `latest` is a registration that crashed after
            # committing: it stands, and we take the next number).
            while not docs.create_doc_exclusive(self.version_path(key, version), vdoc):
                version += 1
                vdoc["version"] = version
            self._log(
                [
                    history.event(
                        name,
                        mdoc["id"],
                        "create_version",
                        version=version,
                        new={"source": source, "run_id": run_id, "size": size},
                        when=ts,
                        user=user,
                    )
                ]
            )
            mdoc["latest"] = version
            mdoc["last_updated_timestamp"] = ts
            docs.write_doc(self.model_path(key), mdoc)
        return version_entity(mdoc, vdoc)

    def _update_version(
        self,
        name: str,
        version: Any,
        change: Callable[[dict[str, Any], dict[str, Any], int], list[dict[str, Any]]],
    ) -> ModelVersion:
        v = validate_version(version)
        with self.locked(name):
            key, mdoc = self._read_for_write(name)
            vdoc = self.read_version(key, mdoc, v)
            ts = now_ms()
            events = change(mdoc, vdoc, ts)
            if events:
                vdoc["last_updated_timestamp"] = ts
                docs.write_doc(self.version_path(key, v), vdoc)
                self._log(events)
        return version_entity(mdoc, vdoc)

    def update_version(self, name: str, version: Any, description: str | None) -> ModelVersion:
        """Set a version's description."""
        description = validate_description(description)

        def change(mdoc: dict[str, Any], vdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
            old, vdoc["description"] = vdoc.get("description"), description
            return [
                history.event(
                    name,
                    mdoc["id"],
                    "update_version",
                    version=vdoc["version"],
                    old=old,
                    new=description,
                    when=ts,
                )
            ]

        return self._update_version(name, version, change)

    def set_version_tag(self, name: str, version: Any, key: Any, value: Any) -> None:
        """Set a tag on a model version."""
        key = validate_key(key, "tag key")
        value = validate_tag_value(key, value)

        def change(mdoc: dict[str, Any], vdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
            old = vdoc["tags"].get(key)
            vdoc["tags"][key] = value
            return [
                history.event(
                    name,
                    mdoc["id"],
                    "set_version_tag",
                    version=vdoc["version"],
                    old={key: old} if old is not None else None,
                    new={key: value},
                    when=ts,
                )
            ]

        self._update_version(name, version, change)

    def delete_version_tag(self, name: str, version: Any, key: Any) -> None:
        """Remove a tag from a model version (no error if absent, as in MLflow)."""
        key = validate_key(key, "tag key")

        def change(mdoc: dict[str, Any], vdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
            if key not in vdoc["tags"]:
                return []
            old = vdoc["tags"].pop(key)
            return [
                history.event(
                    name,
                    mdoc["id"],
                    "delete_version_tag",
                    version=vdoc["version"],
                    old={key: old},
                    when=ts,
                )
            ]

        self._update_version(name, version, change)

    def delete_version(self, name: str, version: Any) -> None:
        """Delete a version: its stage and aliases go first, then its document becomes a tombstone."""
        v = validate_version(version)
        with self.locked(name):
            key, mdoc = self._read_for_write(name)
            vdoc = self.read_version(key, mdoc, v)
            ts = now_ms()
            stage = stage_of(mdoc, v)
            if stage != STAGE_NONE:
                del mdoc["stages"][stage][str(v)]
                if not mdoc["stages"][stage]:
                    del mdoc["stages"][stage]
            aliases = aliases_of(mdoc, v)
            for a in aliases:
                del mdoc["aliases"][a]
            mdoc["last_updated_timestamp"] = ts
            docs.write_doc(self.model_path(key), mdoc)
            tomb = {
                "schema_version": docs.VERSION_SCHEMA_VERSION,
                "version": v,
                "deleted": True,
                "deleted_timestamp": ts,
                "creation_timestamp": vdoc["creation_timestamp"],
                "source": vdoc["source"],
                "run_id": vdoc.get("run_id"),
            }
            docs.write_doc(self.version_path(key, v), tomb)
            self._log(
                [
                    history.event(
                        name,
                        mdoc["id"],
                        "delete_version",
                        version=v,
                        old={"stage": stage, "aliases": aliases, "source": vdoc["source"]},
                        when=ts,
                    )
                ]
            )

    def transition(
        self,
        name: str,
        version: Any,
        stage: Any,
        archive_existing: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to ``stage``; with ``archive_existing`` the others in it go to Archived.

        One atomic rewrite of ``model.json``: concurrent transitions never
        leave two versions where each put only one.
        """
        v = validate_version(version)
        stage = canonical_stage(stage)
        comment = validate_comment(comment)
        if not isinstance(archive_existing, bool):
            raise InvalidArgument(
                f"archive_existing_versions must be True or False, not {archive_existing!r}"
            )
        if archive_existing and stage not in ACTIVE_STAGES:
            raise InvalidArgument(
                f"archive_existing_versions=True only applies to stages {' and '.join(ACTIVE_STAGES)}, "
                f"not {stage!r}"
            )
        with self.locked(name):
            key, mdoc = self._read_for_write(name)
            vdoc = self.read_version(key, mdoc, v)
            ts = now_ms()
            old = stage_of(mdoc, v)
            events = []
            if old != STAGE_NONE:
                del mdoc["stages"][old][str(v)]
            if archive_existing:
                for other in sorted(mdoc["stages"].get(stage, {}), key=int):
                    del mdoc["stages"][stage][other]
                    mdoc["stages"].setdefault(STAGE_ARCHIVED, {})[other] = ts
                    events.append(
                        history.event(
                            name,
                            mdoc["id"],
                            "transition_stage",
                            version=int(other),
                            old=stage,
                            new=STAGE_ARCHIVED,
                            comment=f"archived by the move of version {v} to {stage}",
                            when=ts,
                        )
                    )
            if stage != STAGE_NONE:
                mdoc["stages"].setdefault(stage, {})[str(v)] = ts
            mdoc["stages"] = {s: m for s, m in mdoc["stages"].items() if m}
            events.insert(
                0,
                history.event(
                    name,
                    mdoc["id"],
                    "transition_stage",
                    version=v,
                    old=old,
                    new=stage,
                    comment=comment,
                    when=ts,
                ),
            )
            mdoc["last_updated_timestamp"] = ts
            docs.write_doc(self.model_path(key), mdoc)
            self._log(events)
        return version_entity(mdoc, vdoc)

    def set_alias(self, name: str, alias: str, version: Any, comment: str | None = None) -> None:
        """Point ``alias`` at ``version`` (moving it if it pointed elsewhere)."""
        alias = validate_alias(alias)
        v = validate_version(version)
        comment = validate_comment(comment)
        with self.locked(name):
            key, mdoc = self._read_for_write(name)
            self.read_version(key, mdoc, v)
            ts = now_ms()
            old = mdoc["aliases"].get(alias)
            mdoc["aliases"][alias] = v
            mdoc["last_updated_timestamp"] = ts
            docs.write_doc(self.model_path(key), mdoc)
            self._log(
                [
                    history.event(
                        name,
                        mdoc["id"],
                        "set_alias",
                        version=v,
                        old=old,
                        new=v,
                        comment=comment or None,
                        when=ts,
                    )
                    | {"alias": alias}
                ]
            )

    def delete_alias(self, name: str, alias: str, comment: str | None = None) -> bool:
        """Remove ``alias``; False if it was not set (not an error, as in MLflow)."""
        if not isinstance(alias, str) or not alias:
            raise InvalidArgument(f"Invalid alias {alias!r}: expected a non-empty string")
        comment = validate_comment(comment)
        with self.locked(name):
            key, mdoc = self._read_for_write(name)
            if alias not in mdoc["aliases"]:
                return False
            ts = now_ms()
            old = mdoc["aliases"].pop(alias)
            mdoc["last_updated_timestamp"] = ts
            docs.write_doc(self.model_path(key), mdoc)
            self._log(
                [
                    history.event(
                        name,
                        mdoc["id"],
                        "delete_alias",
                        version=old,
                        old=old,
                        comment=comment,
                        when=ts,
                    )
                    | {"alias": alias}
                ]
            )
        return True

    # -- the registry's facade for the API layer --------------------------------------
    # (Store.registry loads this module on first use, so the API layer reaches
    # pinning and search through these methods rather than importing them.)
    def register(
        self,
        source: str | os.PathLike[str],
        name: str,
        *,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        run_link: str | None = None,
        create_model: bool = True,
    ) -> ModelVersion:
        """Pin the files of ``source`` and register them as the next version of ``name``.

        See :func:`litetrack.store.registry.pinning.register_source`.
        """
        return pinning.register_source(
            self.store,
            source,
            name,
            run_id=run_id,
            tags=tags,
            description=description,
            run_link=run_link,
            create_model=create_model,
        )

    def resolve_files(self, uri: str) -> dict[str, dict[str, Any]]:
        """The pinned files of the model a ``models:/`` or ``runs:/`` URI names."""
        return pinning.resolve_files(self.store, uri)

    def search_models(
        self,
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
        page_token: str | None,
    ) -> PagedList[RegisteredModel]:
        """Registered models matching a filter, ordered, one page (see :mod:`.search`)."""
        return search.search_models(self, filter_string, max_results, order_by, page_token)

    def search_versions(
        self,
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
        page_token: str | None,
    ) -> PagedList[ModelVersion]:
        """Model versions matching a filter, ordered, one page (see :mod:`.search`)."""
        return search.search_versions(self, filter_string, max_results, order_by, page_token)

    def get_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at; ``ModelVersionNotFound`` lists the existing aliases."""
        if not isinstance(alias, str) or not alias:
            raise InvalidArgument(f"Invalid alias {alias!r}: expected a non-empty string")
        _, mdoc, vdoc = self.resolve(ModelRef(name, "alias", alias))
        return version_entity(mdoc, vdoc)


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
