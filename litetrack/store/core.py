"""The store: one folder holding experiments, runs, objects, the registry and the index."""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from litetrack.store.experiments import ExperimentStore
from litetrack.store.location import check_store_path
from litetrack.store.runs import RunStore

if TYPE_CHECKING:
    from litetrack.store.objects import ObjectStore


class Store:
    """All the parts of one store folder. Get one with :func:`get_store`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.experiments = ExperimentStore(root)
        self.runs = RunStore(root)
        self._ready = False

    def ensure_writable(self) -> None:
        """Create the folder on first write; raise StoreError if it cannot be used."""
        if not self._ready:
            check_store_path(self.root, create=True)
            self._ready = True

    def exists(self) -> bool:
        """Whether the store folder exists (readers of a missing store get empty results)."""
        return self.root.is_dir()

    @cached_property
    def objects(self) -> ObjectStore:
        """The content-addressed blob store (``objects/``)."""
        from litetrack.store.objects import ObjectStore

        return ObjectStore(self.root / "objects")

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
