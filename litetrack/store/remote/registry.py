"""The central registry: the model registry's documents on a remote, written with conditional puts.

``litetrack.set_registry_uri("s3://bucket/team")`` (or ``LITETRACK_REGISTRY_URI``)
makes every registry call act on the remote, so a team shares one registry
without a server. The layout mirrors the local one, under ``registry/``::

    registry/<key>/model.json               the model: latest, stages, aliases, tags
    registry/<key>/versions/<n>.json        one document per version, files pinned by digest
    registry/<key>/history/<ns>-<rand>.json the history events of one change
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
few I/O primitives pointed at the remote; every change is
:class:`~litetrack.store.registry.writer.RegistryWriter`'s, the same code as
the local registry's, with create-if-absent and compare-and-swap as its
document primitives. ``models:/`` resolution downloads
the version's blobs the local store lacks into its object store (hashed on
the way in, so a blob that does not match its digest never lands), and later
loads find them there.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from litetrack import clock
from litetrack.entities import RegisteredModel
from litetrack.errors import (
    AlreadyExists,
    CorruptDocument,
    InvalidState,
    RegisteredModelNotFound,
    RemoteError,
    RemoteNotFound,
)
from litetrack.store.fs import dumps, ensure_dir
from litetrack.store.registry import docs
from litetrack.store.registry.checks import model_key, validate_model_name
from litetrack.store.registry.reader import RegistryReader
from litetrack.store.registry.uris import ModelRef
from litetrack.store.registry.writer import CAS_ATTEMPTS, RegistryWriter
from litetrack.store.remote import Remote, open_remote
from litetrack.store.remote.blobs import blob_key, download_blob

if TYPE_CHECKING:
    from litetrack.store.core import Store

PREFIX = "registry"

_stamp_lock = threading.Lock()
_last_stamp = 0


def _history_stamp() -> int:
    """Nanoseconds since the epoch, strictly increasing within this process.

    A history key starts with it, and keys sort in the order of their stamps:
    changes a process makes in one millisecond (a fast machine makes several)
    then read back in the order they were committed, not in the random order
    of the keys' suffixes. (Keys written before this were ``<ms>-<rand>``: the
    events' own times order them against these.)
    """
    global _last_stamp
    with _stamp_lock:
        _last_stamp = max(clock.now_ns(), _last_stamp + 1)
        return _last_stamp


class RemoteRegistry(RegistryWriter):
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

    def version_docs(self, key: str) -> list[dict[str, Any]]:
        """The live version documents of one model, read afresh (no folder mtime to cache on)."""
        return list(self.iter_versions(key))

    def search_cache(self) -> None:
        """None: a remote has no local search cache (searches read the documents)."""
        return None

    def _log(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        key = model_key(events[0]["model"])
        rkey = f"{PREFIX}/{key}/history/{_history_stamp():019d}-{secrets.token_hex(4)}.json"
        self.remote.put(rkey, dumps({"events": events}))

    def history(self, name: str) -> list[dict[str, Any]]:
        """History records of the model called ``name``, oldest first.

        Ordered by time, then by key: a process's changes in one millisecond
        keep the order it made them in (see :func:`_history_stamp`).
        """
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
            download_blob(
                self.remote,
                objects,
                digest,
                tmp_dir,
                where=f"registry {self.remote.url!r}",
                tag="reg",
            )

    def _upload_files(self, files: dict[str, dict[str, Any]]) -> None:
        """Send the blobs the remote lacks (before any document pins them)."""
        for entry in files.values():
            digest = entry["digest"]
            if self.remote.head(blob_key(digest)) is None:
                self.remote.put_file(blob_key(digest), self.store.objects.path_for(digest))

    # -- the document primitives of RegistryWriter: conditional writes, no lock ----------
    def _model_for_update(self, name: str) -> tuple[str, dict[str, Any], str]:
        return self._model_with_etag(name)

    def _version_for_update(
        self, key: str, mdoc: dict[str, Any], version: int
    ) -> tuple[dict[str, Any], str]:
        rkey = self.version_path(key, version)
        got = self._load(rkey)
        if got is None:
            raise self._version_not_found(mdoc, version)
        vdoc = docs.check_version_doc(got[0], rkey)
        if vdoc.get("deleted"):
            raise self._version_not_found(mdoc, version, " (it was deleted)")
        return vdoc, got[1]

    def _replace_doc(self, path: str, doc: dict[str, Any], token: Any) -> bool:
        # If-Match: only if nobody replaced it since we read it.
        return self.remote.put_if_match(path, dumps(doc), token) is not None

    def _create_doc(self, path: str, doc: dict[str, Any]) -> bool:
        # If-None-Match: *: never replaces.
        return self.remote.put_if_absent(path, dumps(doc)) is not None

    def _put_doc(self, path: str, doc: dict[str, Any]) -> None:
        self.remote.put(path, dumps(doc))

    def _create_model_doc(self, key: str, mdoc: dict[str, Any]) -> bool:
        return self._create_doc(self.model_path(key), mdoc)

    def _already_exists(self, name: str) -> AlreadyExists:
        return AlreadyExists(
            f"Registered model {name!r} already exists in the registry {self.remote.url!r}",
            name=name,
        )

    def _too_busy(self, name: str) -> RemoteError:
        return RemoteError(
            f"registry {self.remote.url!r}: model {name!r} kept changing during "
            f"{CAS_ATTEMPTS} attempts; try again",
            remote=self.remote.name,
        )

    # -- rename and delete ----------------------------------------------------------------
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
