"""The registry's write logic, written once over a few document primitives.

Registering, stage moves (with ``archive_existing_versions``), aliases, tags,
descriptions, deleting a version, search and ``models:/`` resolution are the
same on every registry; only how a document reaches its storage differs.
:class:`RegistryWriter` holds that logic and asks its implementation for:

* ``_model_for_update(name)`` / ``_version_for_update(key, mdoc, v)``: a
  document plus a *token* for a later conditional replace;
* ``_replace_doc(path, doc, token)``: replace unless someone else did since
  the token was read (False: read again and re-apply the change);
* ``_create_doc(path, doc)``: create only if absent (False: the name is taken);
* ``_put_doc(path, doc)``: replace unconditionally (a version's tombstone);
* ``_create_model_doc(key, mdoc)``: create a model's document if absent;
* ``locked(*names)``, ``_log(events)``, ``_heal_latest`` (from the reader).

The local folder (:class:`~litetrack.store.registry.store.RegistryStore`)
holds a per-model ``flock`` around every change and writes with
``os.replace``/``os.link``, so its replace always succeeds at the first
attempt; a remote (:class:`~litetrack.store.remote.registry.RemoteRegistry`)
takes no lock and uses create-if-absent and compare-and-swap, so a change
that lost a race is re-read, re-applied and retried with jittered backoff.
Either way a change to ``model.json`` is one read, one change, one atomic
write: concurrent transitions leave exactly one version where each put it.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from litetrack.clock import now_ms
from litetrack.entities import (
    ACTIVE_STAGES,
    STAGE_ARCHIVED,
    STAGE_NONE,
    ModelVersion,
    RegisteredModel,
    canonical_stage,
)
from litetrack.errors import AlreadyExists, InvalidArgument, LitetrackError
from litetrack.paging import PagedList
from litetrack.store.registry import docs, history, search
from litetrack.store.registry.checks import (
    model_key,
    validate_alias,
    validate_comment,
    validate_description,
    validate_model_name,
    validate_new_model_name,
    validate_tag_key,
    validate_tag_value,
    validate_tags,
    validate_version,
)
from litetrack.store.registry.docs import aliases_of, stage_of
from litetrack.store.registry.reader import RegistryReader, version_entity
from litetrack.store.registry.uris import ModelRef
from litetrack.store.runs import current_user

__all__ = ["RegistryWriter", "CAS_ATTEMPTS", "new_model_doc"]

#: Conditional-replace attempts before a change gives up (each re-reads the document).
CAS_ATTEMPTS = 64

Events = list[dict[str, Any]]
#: ``change(key, model doc, time)`` edits the model document in place and returns the
#: history events, or None when there is nothing to change (nothing is written).
ModelChange = Callable[[str, dict[str, Any], int], "Events | None"]
#: ``change(model doc, version doc, time)`` edits the version document; empty: nothing to write.
VersionChange = Callable[[dict[str, Any], dict[str, Any], int], Events]


def new_model_doc(
    name: str, tags: dict[str, str], description: str | None, ts: int
) -> dict[str, Any]:
    """A fresh ``model.json`` (see :mod:`.docs`)."""
    return {
        "schema_version": docs.MODEL_SCHEMA_VERSION,
        # What secrets.token_hex(16) returns, without importing secrets (and
        # hmac) on the search path: ~2 ms of every fresh process's first search.
        "id": os.urandom(16).hex(),
        "name": name,
        "creation_timestamp": ts,
        "last_updated_timestamp": ts,
        "description": description,
        "tags": tags,
        "aliases": {},
        "stages": {},
        "latest": 0,
    }


def _backoff(attempt: int) -> None:
    # Jittered, growing pauses spread writers that collided on one document
    # (os.urandom rather than the random module, ~1-2 ms to import on the search path).
    time.sleep(min(0.5, 0.005 * 2**attempt) * int.from_bytes(os.urandom(2), "big") / 0xFFFF)


class RegistryWriter(RegistryReader, ABC):
    """Every registry operation, over the document primitives of one implementation.

    Methods return plain documents or entities; the client mixin and the
    fluent functions wrap them with MLflow's signatures.
    """

    # -- the document primitives an implementation provides ---------------------------
    @abstractmethod
    def _model_for_update(self, name: str) -> tuple[str, dict[str, Any], Any]:
        """(key, ``model.json``, token for :meth:`_replace_doc`); not found raises."""

    @abstractmethod
    def _version_for_update(
        self, key: str, mdoc: dict[str, Any], version: int
    ) -> tuple[dict[str, Any], Any]:
        """(live version document, token); absent or deleted raises ``ModelVersionNotFound``."""

    @abstractmethod
    def _replace_doc(self, path: str, doc: dict[str, Any], token: Any) -> bool:
        """Replace ``path`` with ``doc`` unless it changed since ``token`` was read."""

    @abstractmethod
    def _create_doc(self, path: str, doc: dict[str, Any]) -> bool:
        """Create ``path`` only if absent (never replaces); False when it exists."""

    @abstractmethod
    def _put_doc(self, path: str, doc: dict[str, Any]) -> None:
        """Replace ``path`` with ``doc`` unconditionally (atomically)."""

    @abstractmethod
    def _create_model_doc(self, key: str, mdoc: dict[str, Any]) -> bool:
        """Create the model's ``model.json`` if no model of that name exists; False if one does."""

    @abstractmethod
    def _already_exists(self, name: str) -> AlreadyExists:
        """The error for creating a model whose name is taken."""

    @abstractmethod
    def _too_busy(self, name: str) -> LitetrackError:
        """The error after :data:`CAS_ATTEMPTS` lost races on one document."""

    def _upload_files(self, files: dict[str, dict[str, Any]]) -> None:
        """Make the pinned blobs reachable from the registry before a version pins them.

        Nothing to do where the registry shares the store's object store.
        """

    # -- the two read-modify-write loops ------------------------------------------------
    def _modify_model(
        self,
        name: str,
        change: ModelChange,
        after: Callable[[str], None] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Read ``model.json``, apply ``change``, replace it conditionally; retry on a lost race.

        ``after(key)`` runs once the replace succeeded (still under the lock
        where there is one), before the history events are logged.
        """
        with self.locked(name):
            for attempt in range(CAS_ATTEMPTS):
                key, mdoc, token = self._model_for_update(name)
                mdoc["latest"] = self._heal_latest(key, mdoc)
                ts = now_ms()
                events = change(key, mdoc, ts)
                if events is None:
                    return key, mdoc  # nothing to change
                mdoc["last_updated_timestamp"] = ts
                if self._replace_doc(self.model_path(key), mdoc, token):
                    if after is not None:
                        after(key)
                    self._log(events)
                    return key, mdoc
                _backoff(attempt)
        raise self._too_busy(name)

    def _modify_version(self, name: str, version: Any, change: VersionChange) -> ModelVersion:
        """Read a version document, apply ``change``, replace it conditionally; retry."""
        v = validate_version(version)
        with self.locked(name):
            for attempt in range(CAS_ATTEMPTS):
                key, mdoc, _ = self._model_for_update(name)
                vdoc, token = self._version_for_update(key, mdoc, v)
                ts = now_ms()
                events = change(mdoc, vdoc, ts)
                if not events:
                    return version_entity(mdoc, vdoc)
                vdoc["last_updated_timestamp"] = ts
                if self._replace_doc(self.version_path(key, v), vdoc, token):
                    self._log(events)
                    return version_entity(mdoc, vdoc)
                _backoff(attempt)
        raise self._too_busy(name)

    # -- models -----------------------------------------------------------------------------
    def _create(
        self, name: str, tags: dict[str, str], description: str | None
    ) -> tuple[str, dict[str, Any]] | None:
        """Create the model (caller holds its lock); None when a model of that name exists."""
        validate_new_model_name(name)
        ts = now_ms()
        mdoc = new_model_doc(name, tags, description, ts)
        key = model_key(name)
        if not self._create_model_doc(key, mdoc):
            return None
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
            created = self._create(name, tags, description)
            if created is None:
                raise self._already_exists(name)
        return self.model_entity(*created)

    def update_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a registered model's description."""
        description = validate_description(description)

        def change(_: str, mdoc: dict[str, Any], ts: int) -> Events:
            old, mdoc["description"] = mdoc.get("description"), description
            return [
                history.event(name, mdoc["id"], "update_model", old=old, new=description, when=ts)
            ]

        key, mdoc = self._modify_model(name, change)
        return self.model_entity(key, mdoc)

    def set_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model."""
        key = validate_tag_key(key)
        value = validate_tag_value(key, value)

        def change(_: str, mdoc: dict[str, Any], ts: int) -> Events:
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

        self._modify_model(name, change)

    def delete_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model (no error if absent, as in MLflow)."""
        key = validate_tag_key(key)

        def change(_: str, mdoc: dict[str, Any], ts: int) -> Events | None:
            if key not in mdoc["tags"]:
                return None
            old = mdoc["tags"].pop(key)
            return [history.event(name, mdoc["id"], "delete_model_tag", old={key: old}, when=ts)]

        self._modify_model(name, change)

    # -- versions ---------------------------------------------------------------------------
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
        the same lock. The commit is the create-if-absent of
        ``versions/<n>.json``: it never replaces, so a number is never given
        twice (a document beyond ``latest`` is a registration that crashed
        after committing: it stands, and this one takes the next number).
        ``latest`` in ``model.json`` is raised afterwards.
        """
        name = validate_model_name(name)
        tags = validate_tags(tags)
        description = validate_description(description)

        user = current_user()
        size = sum(int(e["size"]) for e in files.values())
        with self.locked(name):
            key = model_key(name)
            if create_model and self._try_read_model(key, name) is None:
                self._create(name, {}, None)  # None: another writer created it first; fine
            key, mdoc = self.read_model(name)
            self._upload_files(files)  # blobs before the document that pins them
            ts = now_ms()
            version = self._heal_latest(key, mdoc) + 1
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
            while not self._create_doc(self.version_path(key, version), vdoc):
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
            mdoc = self._raise_latest(name, version, ts)
        return version_entity(mdoc, vdoc)

    def _raise_latest(self, name: str, version: int, ts: int) -> dict[str, Any]:
        """Raise ``latest`` in ``model.json`` to ``version`` (readers step past it anyway)."""
        for attempt in range(CAS_ATTEMPTS):
            key, mdoc, token = self._model_for_update(name)
            if mdoc["latest"] >= version:
                return mdoc
            mdoc["latest"] = version
            mdoc["last_updated_timestamp"] = ts
            if self._replace_doc(self.model_path(key), mdoc, token):
                return mdoc
            _backoff(attempt)
        return self.read_model(name)[1]

    def update_version(self, name: str, version: Any, description: str | None) -> ModelVersion:
        """Set a version's description."""
        description = validate_description(description)

        def change(mdoc: dict[str, Any], vdoc: dict[str, Any], ts: int) -> Events:
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

        return self._modify_version(name, version, change)

    def set_version_tag(self, name: str, version: Any, key: Any, value: Any) -> None:
        """Set a tag on a model version."""
        key = validate_tag_key(key)
        value = validate_tag_value(key, value)

        def change(mdoc: dict[str, Any], vdoc: dict[str, Any], ts: int) -> Events:
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

        self._modify_version(name, version, change)

    def delete_version_tag(self, name: str, version: Any, key: Any) -> None:
        """Remove a tag from a model version (no error if absent, as in MLflow)."""
        key = validate_tag_key(key)

        def change(mdoc: dict[str, Any], vdoc: dict[str, Any], ts: int) -> Events:
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

        self._modify_version(name, version, change)

    def delete_version(self, name: str, version: Any) -> None:
        """Delete a version: its stage and aliases go first, then its document becomes a tombstone.

        The tombstone keeps the number (never reused) and drops ``files``, so
        the blobs stop being gc roots.
        """
        v = validate_version(version)
        tomb: dict[str, Any] = {}

        def change(key: str, mdoc: dict[str, Any], ts: int) -> Events:
            vdoc = self.read_version(key, mdoc, v)
            stage = stage_of(mdoc, v)
            if stage != STAGE_NONE:
                del mdoc["stages"][stage][str(v)]
                mdoc["stages"] = {s: m for s, m in mdoc["stages"].items() if m}
            aliases = aliases_of(mdoc, v)
            for a in aliases:
                del mdoc["aliases"][a]
            tomb.clear()
            tomb.update(
                schema_version=docs.VERSION_SCHEMA_VERSION,
                version=v,
                deleted=True,
                deleted_timestamp=ts,
                creation_timestamp=vdoc["creation_timestamp"],
                source=vdoc["source"],
                run_id=vdoc.get("run_id"),
            )
            return [
                history.event(
                    name,
                    mdoc["id"],
                    "delete_version",
                    version=v,
                    old={"stage": stage, "aliases": aliases, "source": vdoc["source"]},
                    when=ts,
                )
            ]

        self._modify_model(
            name, change, after=lambda key: self._put_doc(self.version_path(key, v), tomb)
        )

    # -- stages and aliases (only in model.json: one conditional replace each) ---------------
    def transition(
        self,
        name: str,
        version: Any,
        stage: Any,
        archive_existing: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to ``stage``; with ``archive_existing`` the others in it go to Archived.

        One atomic replace of ``model.json``: concurrent transitions never
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
                # MLflow's words first, then which stages would do.
                "Model version transition cannot archive existing model versions because "
                f"{stage!r} is not an Active stage: archive_existing_versions=True only "
                f"applies to stages {' and '.join(ACTIVE_STAGES)}"
            )
        found: dict[str, Any] = {}

        def change(key: str, mdoc: dict[str, Any], ts: int) -> Events:
            found["vdoc"] = self.read_version(key, mdoc, v)
            old = stage_of(mdoc, v)
            events = [
                history.event(
                    name,
                    mdoc["id"],
                    "transition_stage",
                    version=v,
                    old=old,
                    new=stage,
                    comment=comment,
                    when=ts,
                )
            ]
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
            return events

        _, mdoc = self._modify_model(name, change)
        return version_entity(mdoc, found["vdoc"])

    def set_alias(self, name: str, alias: str, version: Any, comment: str | None = None) -> None:
        """Point ``alias`` at ``version`` (moving it if it pointed elsewhere)."""
        alias = validate_alias(alias)
        v = validate_version(version)
        comment = validate_comment(comment)

        def change(key: str, mdoc: dict[str, Any], ts: int) -> Events:
            self.read_version(key, mdoc, v)
            old = mdoc["aliases"].get(alias)
            mdoc["aliases"][alias] = v
            return [
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

        self._modify_model(name, change)

    def delete_alias(self, name: str, alias: str, comment: str | None = None) -> bool:
        """Remove ``alias``; False if it was not set (not an error, as in MLflow)."""
        if not isinstance(alias, str) or not alias:
            raise InvalidArgument(f"Invalid alias {alias!r}: expected a non-empty string")
        comment = validate_comment(comment)
        removed: list[bool] = []

        def change(_: str, mdoc: dict[str, Any], ts: int) -> Events | None:
            if alias not in mdoc["aliases"]:
                return None
            old = mdoc["aliases"].pop(alias)
            removed.append(True)
            return [
                history.event(
                    name, mdoc["id"], "delete_alias", version=old, old=old, comment=comment, when=ts
                )
                | {"alias": alias}
            ]

        self._modify_model(name, change)
        return bool(removed)

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
        """Pin the files of ``source`` (in the local store) and register them as the next version.

        Name and tags are checked before anything is copied into the object
        store; without ``create_model`` a missing model raises
        ``RegisteredModelNotFound``, also before any copy. Raises what
        :func:`~litetrack.store.registry.pinning.pin_source` and
        :meth:`create_version` raise.
        """
        validate_model_name(name)
        validate_tags(tags)
        if not create_model:
            self.read_model(name)
        elif self._try_read_model(model_key(name), name) is None:
            validate_new_model_name(name)  # before any copy, as the other checks
        source = os.fspath(source) if isinstance(source, os.PathLike) else source
        # Imported here: a process that only reads or searches never needs it.
        from litetrack.store.registry import pinning

        files, run_id = pinning.pin_source(self.store, source, run_id)
        return self.create_version(
            name,
            str(source),
            files,
            run_id=run_id,
            tags=tags,
            description=description,
            run_link=run_link,
            create_model=create_model,
        )

    def resolve_files(self, uri: str) -> dict[str, dict[str, Any]]:
        """The pinned files of the model a ``models:/`` or ``runs:/`` URI names (local blobs)."""
        from litetrack.store.registry import pinning  # see register

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
        """The version ``alias`` points at; ``ModelVersionNotFound`` lists the existing aliases.

        Reads the documents only: a remote downloads no file for this.
        """
        if not isinstance(alias, str) or not alias:
            raise InvalidArgument(f"Invalid alias {alias!r}: expected a non-empty string")
        _, mdoc, vdoc = RegistryReader.resolve(self, ModelRef(name, "alias", alias))
        return version_entity(mdoc, vdoc)
