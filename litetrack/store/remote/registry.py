"""The central registry: the model registry's documents on a remote, written with conditional puts.

``litetrack.set_registry_uri("s3://bucket/team")`` (or ``LITETRACK_REGISTRY_URI``)
makes every registry call act on the remote, so a team shares one registry
without a server. The layout mirrors the local one, under ``registry/``::

    registry/<key>/model.json               the model: latest, stages, aliases, tags
    registry/<key>/versions/<n>.json        one document per version, files pinned by digest
    registry/<key>/history/<ms>-<rand>.json the history events of one change
    objects/sha256/ab/<62 hex>              the blobs (shared with push/pull)

There are no locks: the storage's conditional writes serialise writers.

* **registering**: upload the model's blobs the remote lacks, *then* create
  ``versions/<n>.json`` with create-if-absent (``If-None-Match: *``) for
  ``n = latest + 1``; if another writer took ``n``, try ``n + 1``. The
  create is the commit: no number is ever given twice. Then ``latest`` in
  ``model.json`` is raised with compare-and-swap (``If-Match`` on its ETag),
  re-read and retried on conflict; a registration killed before that leaves
  ``latest`` behind, and readers step past it (they look for ``latest + 1``).
* **stages, aliases, model tags and descriptions** live in ``model.json``:
  each change is a read, a change, and a compare-and-swap, retried from the
  read when another writer got there first. So ``archive_existing_versions``
  moves are atomic: concurrent moves leave exactly one version in the stage.
* **version tags and descriptions**: compare-and-swap on the version document.

Reading reuses :class:`~litetrack.store.registry.reader.RegistryReader` with its
few I/O primitives pointed at the remote. ``models:/`` resolution downloads
the version's blobs the local store lacks into its object store (hashed on
the way in, so a blob that does not match its digest never lands), and later
loads find them there.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from litetrack.entities import (
    ACTIVE_STAGES,
    STAGE_ARCHIVED,
    STAGE_NONE,
    ModelVersion,
    RegisteredModel,
    canonical_stage,
)
from litetrack.errors import (
    AlreadyExists,
    ChecksumMismatch,
    CorruptDocument,
    InvalidArgument,
    InvalidState,
    RegisteredModelNotFound,
    RemoteError,
    RemoteNotFound,
)
from litetrack.paging import PagedList
from litetrack.store.fs import dumps, ensure_dir
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
from litetrack.store.registry.reader import RegistryReader, version_entity
from litetrack.store.registry.uris import ModelRef
from litetrack.store.remote import Remote, open_remote
from litetrack.validation import validate_key, validate_tag_value

if TYPE_CHECKING:
    from litetrack.store.core import Store

#: Compare-and-swap attempts before a change gives up (each re-reads the document).
CAS_ATTEMPTS = 64
PREFIX = "registry"


def blob_key(digest: str) -> str:
    """Where a blob lives on the remote (the same place push puts it)."""
    return f"objects/sha256/{digest[:2]}/{digest[2:]}"


class RemoteRegistry(RegistryReader):
    """The registry of a remote, used from a local store (its object store holds the blob cache)."""

    def __init__(self, store: Store, remote: Remote) -> None:
        super().__init__(store)
        self.remote = remote
        self._dir = f"{remote.url.rstrip('/')}/{PREFIX}"

    def __repr__(self) -> str:
        return f"RemoteRegistry({self.remote.url!r})"

    # -- keys and raw documents ------------------------------------------------------
    def model_path(self, key: str) -> str:
        """``registry/<key>/model.json`` (a remote key)."""
        return f"{PREFIX}/{key}/model.json"

    def version_path(self, key: str, version: int) -> str:
        """``registry/<key>/versions/<n>.json`` (a remote key)."""
        return f"{PREFIX}/{key}/versions/{version}.json"

    def _where(self, rkey: str) -> str:
        return f"{self.remote.name}:{rkey}"

    def _load(self, rkey: str) -> tuple[dict[str, Any], str] | None:
        try:
            data, etag = self.remote.get(rkey)
        except RemoteNotFound:
            return None
        try:
            doc = json.loads(data)
        except ValueError:
            raise CorruptDocument(
                f"Corrupt registry document {self._where(rkey)}: not JSON"
            ) from None
        if not isinstance(doc, dict):
            raise CorruptDocument(f"Corrupt registry document {self._where(rkey)}: not an object")
        return doc, etag

    def _model_with_etag(self, name: str) -> tuple[str, dict[str, Any], str]:
        key = model_key(validate_model_name(name))
        got = self._load(self.model_path(key))
        if got is None or got[0].get("name") != name:
            raise self._not_found(name)
        return key, docs.check_model_doc(got[0], self._where(self.model_path(key))), got[1]

    # -- RegistryReader's I/O primitives, on the remote ----------------------------------
    @contextmanager
    def locked(self, *names: str) -> Iterator[None]:
        """No locks on a remote: every write is conditional instead."""
        yield

    def _not_found(self, name: str) -> RegisteredModelNotFound:
        count = sum(1 for _ in self._model_keys())
        if count > 50:
            # Reading every model.json to name them would make a miss cost O(models) requests.
            known = f"{count} models (list them with `python -m litetrack models ls`)"
        else:
            known = ", ".join(repr(n) for n in sorted(self.model_names())) or "none"
        return RegisteredModelNotFound(
            f"No registered model named {name!r} in the registry {self.remote.url!r}; "
            f"registered models: {known}",
            name=name,
        )

    def _try_read_model(self, key: str, name: str) -> dict[str, Any] | None:
        got = self._load(self.model_path(key))
        if got is None or got[0].get("name") != name:
            return None
        return docs.check_model_doc(got[0], self._where(self.model_path(key)))

    def _read_version_doc(self, key: str, version: int) -> dict[str, Any] | None:
        got = self._load(self.version_path(key, version))
        if got is None:
            return None
        return docs.check_version_doc(got[0], self.version_path(key, version))

    def _heal_latest(self, key: str, mdoc: dict[str, Any]) -> int:
        latest = int(mdoc["latest"])
        while self.remote.head(self.version_path(key, latest + 1)) is not None:
            latest += 1
        return latest

    def iter_models(
        self, on_error: Callable[[str, CorruptDocument], None] | None = None, repair: bool = True
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, model doc) of every model on the remote, in key order."""
        for key in sorted(self._model_keys()):
            rkey = self.model_path(key)
            try:
                got = self._load(rkey)
                if got is None:
                    continue
                yield key, docs.check_model_doc(got[0], self._where(rkey))
            except CorruptDocument as e:
                if on_error is None:
                    raise
                on_error(rkey, e)

    def _model_keys(self) -> Iterator[str]:
        for m in self.remote.list(f"{PREFIX}/"):
            if m.key.endswith("/model.json") and m.key.count("/") == 2:
                yield m.key.split("/")[1]

    def iter_versions(self, key: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Version documents of one model, highest number first."""
        prefix = f"{PREFIX}/{key}/versions/"
        numbers = sorted(
            (
                int(m.key[len(prefix) : -5])
                for m in self.remote.list(prefix)
                if m.key.endswith(".json") and m.key[len(prefix) : -5].isdigit()
            ),
            reverse=True,
        )
        for v in numbers:
            vdoc = self._read_version_doc(key, v)
            if vdoc is not None and (include_deleted or not vdoc.get("deleted")):
                yield vdoc

    def _log(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        key = model_key(events[0]["model"])
        rkey = f"{PREFIX}/{key}/history/{now_ms():013d}-{secrets.token_hex(4)}.json"
        self.remote.put(rkey, dumps({"events": events}))

    def history(self, name: str) -> list[dict[str, Any]]:
        """History records of the model called ``name``, oldest first."""
        prefix = f"{PREFIX}/{model_key(validate_model_name(name))}/history/"
        records: list[dict[str, Any]] = []
        for rkey in sorted(m.key for m in self.remote.list(prefix)):
            got = self._load(rkey)
            if got is not None and isinstance(got[0].get("events"), list):
                records.extend(r for r in got[0]["events"] if isinstance(r, dict))
        records.sort(key=lambda r: r.get("time") or 0)
        return records

    def referenced_digests(self) -> set[str]:
        """The gc roots of the *local* store's own registry (gc never touches a remote).

        The blobs this shared registry pins live on the remote; the local
        copies models:/ loads leave are a cache gc may drop (the next load
        fetches them again). A local registry kept from before the registry
        URI was set keeps its blobs.
        """
        return RegistryReader(self.store).referenced_digests()

    def check_documents(self) -> list[tuple[str, str]]:
        """The *local* registry's document problems: ``verify`` checks the store, not the remote.

        The shared registry is the remote's (``verify --remote`` checks a remote).
        """
        return RegistryReader(self.store).check_documents()

    # -- the facade the API layer calls (as RegistryStore's) ----------------------------
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
        """Pin ``source``'s files locally and register them as the next version on the remote."""
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
        """The files a ``models:/`` or ``runs:/`` URI names (fetched into the local store)."""
        return pinning.resolve_files(self.store, uri)

    def search_models(
        self,
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
        page_token: str | None,
    ) -> PagedList[RegisteredModel]:
        """Registered models on the remote matching a filter, ordered, one page."""
        return search.search_models(self, filter_string, max_results, order_by, page_token)

    def search_versions(
        self,
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
        page_token: str | None,
    ) -> PagedList[ModelVersion]:
        """Model versions on the remote matching a filter, ordered, one page."""
        return search.search_versions(self, filter_string, max_results, order_by, page_token)

    def get_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at (its documents only: no file is downloaded)."""
        if not isinstance(alias, str) or not alias:
            raise InvalidArgument(f"Invalid alias {alias!r}: expected a non-empty string")
        _, mdoc, vdoc = RegistryReader.resolve(self, ModelRef(name, "alias", alias))
        return version_entity(mdoc, vdoc)

    def resolve(self, ref: ModelRef) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """Resolve a ``models:/`` reference; the version's files are then in the local store."""
        key, mdoc, vdoc = super().resolve(ref)
        self.fetch_files(vdoc["files"])
        return key, mdoc, vdoc

    # -- blobs -----------------------------------------------------------------------------
    def fetch_files(self, files: dict[str, dict[str, Any]]) -> None:
        """Download the blobs of ``files`` the local object store lacks (digest-checked)."""
        objects = self.store.objects
        missing = {e["digest"] for e in files.values() if not objects.exists(e["digest"])}
        if not missing:
            return
        self.store.ensure_writable()
        tmp_dir = ensure_dir(objects.root / "tmp")
        for digest in sorted(missing):
            with tempfile.NamedTemporaryFile(dir=tmp_dir, prefix=f".tmp-{os.getpid()}-reg-") as f:
                self.remote.download(blob_key(digest), f)  # type: ignore[arg-type]
                f.flush()
                ref = objects.put_file(f.name)
            if ref.digest != digest:
                raise ChecksumMismatch(
                    f"registry {self.remote.url!r}: blob {digest} hashes to {ref.digest}",
                    path=blob_key(digest),
                    expected=digest,
                    actual=ref.digest,
                )

    def _upload_files(self, files: dict[str, dict[str, Any]]) -> None:
        """Send the blobs the remote lacks (before any document pins them)."""
        for entry in files.values():
            digest = entry["digest"]
            if self.remote.head(blob_key(digest)) is None:
                self.remote.put_file(blob_key(digest), self.store.objects.path_for(digest))

    # -- conditional writes ----------------------------------------------------------------
    def _cas_model(
        self, name: str, change: Callable[[str, dict[str, Any], int], list[dict[str, Any]] | None]
    ) -> tuple[str, dict[str, Any]]:
        """Read ``model.json``, apply ``change``, replace it if nobody else did meanwhile; retry."""
        for attempt in range(CAS_ATTEMPTS):
            key, mdoc, etag = self._model_with_etag(name)
            mdoc["latest"] = self._heal_latest(key, mdoc)
            ts = now_ms()
            events = change(key, mdoc, ts)
            if events is None:
                return key, mdoc  # nothing to change
            mdoc["last_updated_timestamp"] = ts
            if self.remote.put_if_match(self.model_path(key), dumps(mdoc), etag) is not None:
                self._log(events)
                return key, mdoc
            _backoff(attempt)
        raise _too_busy(self.remote, name)

    def _cas_version(
        self,
        name: str,
        version: Any,
        change: Callable[[dict[str, Any], dict[str, Any], int], list[dict[str, Any]]],
    ) -> ModelVersion:
        v = validate_version(version)
        for attempt in range(CAS_ATTEMPTS):
            key, mdoc = self.read_model(name)
            rkey = self.version_path(key, v)
            got = self._load(rkey)
            if got is None:
                raise self._version_not_found(mdoc, v)
            vdoc = docs.check_version_doc(got[0], rkey)
            if vdoc.get("deleted"):
                raise self._version_not_found(mdoc, v, " (it was deleted)")
            ts = now_ms()
            events = change(mdoc, vdoc, ts)
            if not events:
                return version_entity(mdoc, vdoc)
            vdoc["last_updated_timestamp"] = ts
            if self.remote.put_if_match(rkey, dumps(vdoc), got[1]) is not None:
                self._log(events)
                return version_entity(mdoc, vdoc)
            _backoff(attempt)
        raise _too_busy(self.remote, name)

    # -- models ------------------------------------------------------------------------------
    def _new_model_doc(
        self, name: str, tags: dict[str, str], description: str | None
    ) -> dict[str, Any]:
        ts = now_ms()
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

    def _create(self, name: str, tags: dict[str, str], description: str | None) -> bool:
        mdoc = self._new_model_doc(name, tags, description)
        key = model_key(name)
        created = self.remote.put_if_absent(self.model_path(key), dumps(mdoc)) is not None
        if created:
            self._log(
                [
                    history.event(
                        name, mdoc["id"], "create_model", new=name, when=mdoc["creation_timestamp"]
                    )
                ]
            )
        return created

    def create_model(
        self, name: str, tags: dict[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """Create a registered model with create-if-absent; :class:`AlreadyExists` if taken."""
        name = validate_model_name(name)
        tags = validate_tags(tags)
        description = validate_description(description)
        if not self._create(name, tags, description):
            raise AlreadyExists(
                f"Registered model {name!r} already exists in the registry {self.remote.url!r}",
                name=name,
            )
        return self.get_model(name)

    def update_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a registered model's description."""
        description = validate_description(description)

        def change(key: str, mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
            old, mdoc["description"] = mdoc.get("description"), description
            return [
                history.event(name, mdoc["id"], "update_model", old=old, new=description, when=ts)
            ]

        key, mdoc = self._cas_model(name, change)
        return self.model_entity(key, mdoc)

    def set_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model."""
        key = validate_key(key, "tag key")
        value = validate_tag_value(key, value)

        def change(_: str, mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
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

        self._cas_model(name, change)

    def delete_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model (no error if absent)."""
        key = validate_key(key, "tag key")

        def change(_: str, mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]] | None:
            if key not in mdoc["tags"]:
                return None
            old = mdoc["tags"].pop(key)
            return [history.event(name, mdoc["id"], "delete_model_tag", old={key: old}, when=ts)]

        self._cas_model(name, change)

    def rename_model(self, name: str, new_name: str) -> RegisteredModel:
        """Not offered on a shared registry: other machines resolve the old name."""
        raise InvalidState(
            f"renaming registered models is not supported on the shared registry "
            f"{self.remote.url!r}"
        )

    def delete_model(self, name: str) -> None:
        """Delete a model: its versions first, then ``model.json`` (blobs stay on the remote)."""
        key, _ = self.read_model(name)
        for m in list(self.remote.list(f"{PREFIX}/{key}/versions/")):
            self.remote.delete(m.key)
        self.remote.delete(self.model_path(key))

    # -- versions --------------------------------------------------------------------------
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
        """Register pinned ``files`` as the next version of ``name`` (see the module docstring)."""
        name = validate_model_name(name)
        tags = validate_tags(tags)
        description = validate_description(description)
        from litetrack.store.runs import current_user

        user = current_user()
        size = sum(int(e["size"]) for e in files.values())
        key = model_key(name)
        if create_model and self._try_read_model(key, name) is None:
            self._create(name, {}, None)  # lost a race to create it: fine, it exists
        key, mdoc = self.read_model(name)
        self._upload_files(files)  # blobs before the document that pins them
        version = self._heal_latest(key, mdoc) + 1
        ts = now_ms()
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
        # The commit: create-if-absent never replaces, so a number is never given twice.
        while self.remote.put_if_absent(self.version_path(key, version), dumps(vdoc)) is None:
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

        # Raise `latest` (readers step past it anyway; this keeps their walk short).
        for attempt in range(CAS_ATTEMPTS):
            key, m, etag = self._model_with_etag(name)
            if m["latest"] >= version:
                break
            m["latest"] = version
            m["last_updated_timestamp"] = ts
            if self.remote.put_if_match(self.model_path(key), dumps(m), etag) is not None:
                break
            _backoff(attempt)
        key, mdoc = self.read_model(name)
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

        return self._cas_version(name, version, change)

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

        self._cas_version(name, version, change)

    def delete_version_tag(self, name: str, version: Any, key: Any) -> None:
        """Remove a tag from a model version (no error if absent)."""
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

        self._cas_version(name, version, change)

    def delete_version(self, name: str, version: Any) -> None:
        """Delete a version: out of its stage and aliases first (CAS), then a tombstone."""
        v = validate_version(version)

        def change(key: str, mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
            vdoc = self.read_version(key, mdoc, v)
            stage = stage_of(mdoc, v)
            if stage != STAGE_NONE:
                del mdoc["stages"][stage][str(v)]
                mdoc["stages"] = {s: m for s, m in mdoc["stages"].items() if m}
            aliases = aliases_of(mdoc, v)
            for a in aliases:
                del mdoc["aliases"][a]
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

        tomb: dict[str, Any] = {}
        key, _ = self._cas_model(name, change)
        self.remote.put(self.version_path(key, v), dumps(tomb))

    def transition(
        self,
        name: str,
        version: Any,
        stage: Any,
        archive_existing: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to ``stage`` (one compare-and-swap of ``model.json``, retried)."""
        v = validate_version(version)
        stage = canonical_stage(stage)
        comment = validate_comment(comment)
        if not isinstance(archive_existing, bool):
            raise InvalidArgument(
                f"archive_existing_versions must be True or False, not {archive_existing!r}"
            )
        if archive_existing and stage not in ACTIVE_STAGES:
            raise InvalidArgument(
                "archive_existing_versions=True only applies to stages "
                f"{' and '.join(ACTIVE_STAGES)}, not {stage!r}"
            )
        found: dict[str, Any] = {}

        def change(key: str, mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
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

        _, mdoc = self._cas_model(name, change)
        return version_entity(mdoc, found["vdoc"])

    def set_alias(self, name: str, alias: str, version: Any, comment: str | None = None) -> None:
        """Point ``alias`` at ``version`` (compare-and-swap of ``model.json``)."""
        alias = validate_alias(alias)
        v = validate_version(version)
        comment = validate_comment(comment)

        def change(key: str, mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]]:
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

        self._cas_model(name, change)

    def delete_alias(self, name: str, alias: str, comment: str | None = None) -> bool:
        """Remove ``alias``; False if it was not set."""
        if not isinstance(alias, str) or not alias:
            raise InvalidArgument(f"Invalid alias {alias!r}: expected a non-empty string")
        comment = validate_comment(comment)
        removed: list[bool] = []

        def change(key: str, mdoc: dict[str, Any], ts: int) -> list[dict[str, Any]] | None:
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

        self._cas_model(name, change)
        return bool(removed)


def _backoff(attempt: int) -> None:
    # Jittered, growing pauses spread writers that collided on one document.
    time.sleep(random.uniform(0, min(0.5, 0.005 * 2**attempt)))


def _too_busy(remote: Remote, name: str) -> RemoteError:
    return RemoteError(
        f"registry {remote.url!r}: model {name!r} kept changing during {CAS_ATTEMPTS} attempts; "
        "try again",
        remote=remote.name,
    )


# -- the registry URI ----------------------------------------------------------------------
_registries: dict[tuple[int, str, str], RemoteRegistry] = {}
_lock = threading.Lock()


def remote_registry_for(store: Store, uri: str) -> RemoteRegistry:
    """The :class:`RemoteRegistry` at ``uri`` used from ``store`` (one per process)."""
    k = (os.getpid(), uri, str(store.root))
    reg = _registries.get(k)
    if reg is None or reg.store is not store:
        with _lock:
            reg = _registries.get(k)
            if reg is None or reg.store is not store:
                reg = _registries[k] = RemoteRegistry(store, open_remote(uri, name=uri))
    return reg
