"""The store: one folder holding experiments, runs, objects, the registry and the index."""

from __future__ import annotations

import logging
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from litetrack.store.experiments import ExperimentStore
from litetrack.store.location import check_store_path, current_store_path, is_store
from litetrack.store.runs import RunStore

if TYPE_CHECKING:
    from litetrack.store.index import SearchIndex
    from litetrack.store.objects import ObjectStore
    from litetrack.store.registry.store import RegistryStore

# The object store, the SQLite index and the registry are imported on first
# use (below), not here: ``import litetrack`` loads this module, and those
# three with sqlite3 and their helpers would triple its import time. They
# import this module only for type annotations, so no cycle hides here.

logger = logging.getLogger(__name__)


class Store:
    """All the parts of one store folder. Get one with :func:`get_store`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.experiments = ExperimentStore(root)
        self.runs = RunStore(root)
        self.runs.on_ends = self._index_catch_up
        self._ready = False
        self._index: SearchIndex | None | bool = None
        self._catch_up_lock = threading.Lock()

    def _index_catch_up(self) -> None:
        """Ingest the runs this process ended into the search index (see ``INDEX_CATCH_UP_EVERY``).

        Never fails nor waits for the run that just ended: the index is a
        cache, and a reader catches it up anyway.
        """
        if not self._catch_up_lock.acquire(blocking=False):
            return  # another thread of this process is at it
        try:
            index = self.search_index()
            if index is not None:
                index.catch_up()
        except Exception as e:  # noqa: BLE001 (a cache: nothing may fail the run)
            logger.debug("Search index not caught up by this writer: %s", e)
        finally:
            self._catch_up_lock.release()

    def ensure_writable(self) -> None:
        """Create the folder on first write; raise StoreError if it cannot be used."""
        if not self._ready:
            check_store_path(self.root, create=True)
            self._ready = True

    def writable(self) -> bool:
        """Whether this process may write in the store folder (and its index, if any)."""
        if not os.access(self.root, os.W_OK | os.X_OK):
            return False
        index = self.root / "index.sqlite"
        return not index.exists() or os.access(index, os.W_OK)

    def exists(self) -> bool:
        """Whether the store folder exists (readers of a missing store get empty results)."""
        return self.root.is_dir()

    @cached_property
    def objects(self) -> ObjectStore:
        """The content-addressed blob store (``objects/``)."""
        from litetrack.store.objects import ObjectStore

        return ObjectStore(self.root / "objects")

    @property
    def registry(self) -> RegistryStore:
        """The model registry (``registry/``): one per store and process."""
        from litetrack.store.registry.store import registry_for

        return registry_for(self)

    def search_index(self) -> SearchIndex | None:
        """The derived search index (None when disabled with ``LITETRACK_INDEX=0``)."""
        if self._index is None:
            from litetrack.store.index import open_index

            if not self.writable() or not is_store(self.root):
                # Reads need read permission only and never create a store:
                # without write permission the index can be neither refreshed
                # nor locked, and a folder that is not a store yet gets none;
                # searches scan the documents instead (the index is a cache).
                return None
            self._index = open_index(self) or False
        return self._index or None  # type: ignore[return-value]

    def run_counts(self) -> dict[str, int]:
        """Active runs per experiment id (from the index when available)."""
        index = self.search_index()
        if index is not None and self.exists():
            import sqlite3  # loaded already: the index uses it

            try:
                return index.run_counts()
            except (sqlite3.Error, OSError) as e:
                # A cache: a broken or locked index (or a folder in its place)
                # makes the count slower, never fail.
                logger.warning("Search index unavailable (%s); counting the run documents", e)
        counts: dict[str, int] = {}
        for doc in self.runs.iter_docs():
            if doc.get("lifecycle_stage", "active") == "active":
                counts[doc["experiment_id"]] = counts.get(doc["experiment_id"], 0) + 1
        return counts

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"


_stores: dict[tuple[int, Path], Store] = {}
_lock = threading.Lock()


def get_store(root: Path | str) -> Store:
    """The :class:`Store` for ``root``, shared within the process (so run writers are shared)."""
    path = Path(root)
    key = (os.getpid(), path)
    store = _stores.get(key)
    if store is None:
        with _lock:
            store = _stores.get(key)
            if store is None:
                store = _stores[key] = Store(path)
    return store


def current_store() -> Store:
    """The store in use: the one :func:`litetrack.set_tracking_uri`, ``LITETRACK_STORE`` or
    the default names (see :func:`litetrack.store.location.current_store_path`).

    The one owner of "the store in use": the fluent API, the artifact
    functions and the model loaders all ask here.
    """
    return get_store(current_store_path())
