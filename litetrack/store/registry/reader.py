"""Reading the registry: models, versions, ``models:/`` resolution, gc roots, history.

:class:`RegistryReader` is the read half of :class:`~litetrack.store.registry.store.RegistryStore`
(the on-disk layout and the crash-safety argument are described there).
Readers take no lock: every document is replaced atomically, so each read
sees a whole document.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from litetrack.entities import (
    ALL_STAGES,
    STAGE_NONE,
    ModelVersion,
    RegisteredModel,
    canonical_stage,
)
from litetrack.errors import (
    AliasNotFound,
    CorruptDocument,
    ModelVersionNotFound,
    RegisteredModelNotFound,
)
from litetrack.store.fs import FileLock, mtime_settled, remove_tree
from litetrack.store.registry import cache, docs, history
from litetrack.store.registry.cache import SearchCache
from litetrack.store.registry.checks import model_key, validate_model_name, validate_version
from litetrack.store.registry.docs import aliases_of, stage_of
from litetrack.store.registry.uris import ModelRef

if TYPE_CHECKING:
    from litetrack.store.core import Store

logger = logging.getLogger(__name__)

MODEL_DOC = "model.json"
VERSIONS_DIR = "versions"


def version_entity(mdoc: dict[str, Any], vdoc: dict[str, Any]) -> ModelVersion:
    """Build the public :class:`ModelVersion` from the two documents."""
    version = vdoc["version"]
    stage = stage_of(mdoc, version)
    updated = vdoc["last_updated_timestamp"]
    if stage != STAGE_NONE:
        updated = max(updated, mdoc["stages"][stage][str(version)])
    return ModelVersion(
        name=mdoc["name"],
        version=version,
        creation_timestamp=vdoc["creation_timestamp"],
        last_updated_timestamp=updated,
        description=vdoc.get("description"),
        user_id=vdoc.get("user_id"),
        current_stage=stage,
        source=vdoc["source"],
        run_id=vdoc.get("run_id"),
        status=vdoc.get("status", "READY"),
        tags=vdoc.get("tags") or {},
        run_link=vdoc.get("run_link"),
        aliases=aliases_of(mdoc, version),
    )


class RegistryReader:
    """The read side of the registry of one store (plus the locks and repairs reads need)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.dir = store.root / "registry"
        self._dir = str(self.dir)
        self.history_path = self.dir / history.HISTORY_FILE
        self._locks: dict[str, FileLock] = {}
        self._locks_guard = threading.Lock()
        #: model key -> ((inode, mtime) of its versions folder, its version documents)
        self._versions_cache: dict[str, tuple[tuple[int, int], list[dict[str, Any]]]] = {}
        self._cache: SearchCache | None = None

    def __repr__(self) -> str:
        return f"RegistryStore({self._dir!r})"

    # -- paths and locks ---------------------------------------------------------
    def model_path(self, key: str) -> str:
        """``registry/<key>/model.json``."""
        return f"{self._dir}/{key}/{MODEL_DOC}"

    def version_path(self, key: str, version: int) -> str:
        """``registry/<key>/versions/<n>.json``."""
        return f"{self._dir}/{key}/{VERSIONS_DIR}/{version}.json"

    def _lock(self, key: str) -> FileLock:
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = FileLock(f"{self._dir}/.locks/{key}.lock")
            return lock

    @contextmanager
    def locked(self, *names: str) -> Iterator[None]:
        """Hold the locks of the named models (in key order, so two renames never deadlock)."""
        self.store.ensure_writable()
        os.makedirs(f"{self._dir}/.locks", exist_ok=True)
        with ExitStack() as stack:
            # Checked here too: every write reaches its model through this lock.
            for key in sorted({model_key(validate_model_name(n)) for n in names}):
                stack.enter_context(self._lock(key))
            yield

    def _log(self, events: list[dict[str, Any]]) -> None:
        history.append(self.history_path, events)

    def _journal(self, *entries: str) -> None:
        """Tell the search cache what just changed (``key`` or ``key/n``; see cache.py)."""
        cache.journal(self._dir, list(entries))

    def search_cache(self) -> SearchCache | None:
        """The search cache of this registry (None where there is none: a remote)."""
        if self._cache is None:
            self._cache = SearchCache(self)
        return self._cache

    # -- reading -------------------------------------------------------------------
    def _not_found(self, name: str) -> RegisteredModelNotFound:
        count = len(self._folder_keys())
        if count > 50:
            # Reading every model.json to name them would make a miss (the
            # "get, else create" idiom) cost O(models).
            known = f"{count} registered models (list them with `python -m litetrack models ls`)"
        else:
            known = "registered models: " + (
                ", ".join(repr(n) for n in sorted(self.model_names())) or "none"
            )
        return RegisteredModelNotFound(
            # MLflow's words first: code written for MLflow matches them.
            f"Registered Model with name={name} not found: no registered model named "
            f"{name!r} in store {str(self.store.root)!r}; {known}",
            name=name,
        )

    def read_model(self, name: str) -> tuple[str, dict[str, Any]]:
        """(key, validated ``model.json``) of the model called ``name``.

        Raises :class:`RegisteredModelNotFound`, or :class:`CorruptDocument`
        naming the file.
        """
        key = model_key(validate_model_name(name))
        doc = self._try_read_model(key, name)
        if doc is None:
            raise self._not_found(name)
        return key, doc

    def _try_read_model(self, key: str, name: str) -> dict[str, Any] | None:
        try:
            doc = docs.read_model_doc(self.model_path(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        # Another name: renamed away (a rename in progress), or a 64-bit hash collision.
        return doc if doc["name"] == name else None

    def _read_version_doc(self, key: str, version: int) -> dict[str, Any] | None:
        try:
            return docs.read_version_doc(self.version_path(key, version))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _version_not_found(
        self, mdoc: dict[str, Any], version: int, why: str = ""
    ) -> ModelVersionNotFound:
        return ModelVersionNotFound(
            f"Model Version (name={mdoc['name']}, version={version}) not found: "
            f"registered model {mdoc['name']!r} has no version {version}{why} "
            f"(versions are numbered 1 to {mdoc['latest']}"
            f"{'' if mdoc['latest'] else ', and none exists yet'})",
            name=mdoc["name"],
            version=version,
        )

    def read_version(self, key: str, mdoc: dict[str, Any], version: int) -> dict[str, Any]:
        """A live version's document; :class:`ModelVersionNotFound` if absent or deleted."""
        vdoc = self._read_version_doc(key, version)
        if vdoc is None:
            raise self._version_not_found(mdoc, version)
        if vdoc.get("deleted"):
            raise self._version_not_found(mdoc, version, " (it was deleted)")
        return vdoc

    def _heal_latest(self, key: str, mdoc: dict[str, Any]) -> int:
        """``latest`` plus any version documents a crashed registration left beyond it."""
        latest = mdoc["latest"]
        while os.path.exists(self.version_path(key, latest + 1)):
            latest += 1
        return latest  # type: ignore[no-any-return]

    def _latest_live(
        self, key: str, mdoc: dict[str, Any], skip: Callable[[int], bool] | None = None
    ) -> dict[str, Any] | None:
        """The highest-numbered live version (optionally skipping some numbers), or None."""
        for v in range(self._heal_latest(key, mdoc), 0, -1):
            if skip is not None and skip(v):
                continue
            vdoc = self._read_version_doc(key, v)
            if vdoc is not None and not vdoc.get("deleted"):
                return vdoc
        return None

    def _latest_in_stage(self, key: str, mdoc: dict[str, Any], stage: str) -> dict[str, Any] | None:
        if stage == STAGE_NONE:
            staged = {int(v) for members in mdoc["stages"].values() for v in members}
            return self._latest_live(key, mdoc, skip=staged.__contains__)
        members = mdoc["stages"].get(stage) or {}
        for v in sorted((int(x) for x in members), reverse=True):
            vdoc = self._read_version_doc(key, v)
            if vdoc is not None and not vdoc.get("deleted"):
                return vdoc
        return None

    def resolve(self, ref: ModelRef) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(key, model doc, version doc) named by a parsed ``models:/`` URI.

        Raises :class:`RegisteredModelNotFound` or :class:`ModelVersionNotFound`
        with what exists instead.
        """
        key, mdoc = self.read_model(ref.name)
        if ref.kind == "version":
            assert isinstance(ref.value, int)
            return key, mdoc, self.read_version(key, mdoc, ref.value)
        if ref.kind == "alias":
            version = mdoc["aliases"].get(ref.value)
            if version is None:
                raise AliasNotFound(
                    f"Registered model alias {ref.value} not found. "
                    f"Registered model {ref.name!r} has no alias {ref.value!r}; aliases: "
                    + (
                        ", ".join(f"{a} -> {v}" for a, v in sorted(mdoc["aliases"].items()))
                        or "none"
                    ),
                    name=ref.name,
                    alias=ref.value,
                )
            return key, mdoc, self.read_version(key, mdoc, version)
        if ref.kind == "latest":
            vdoc = self._latest_live(key, mdoc)
            if vdoc is None:
                raise ModelVersionNotFound(
                    f"Registered model {ref.name!r} has no versions", name=ref.name
                )
            return key, mdoc, vdoc
        stage = str(ref.value)
        vdoc = self._latest_in_stage(key, mdoc, stage)
        if vdoc is None:
            in_use = ", ".join(
                f"{s}: {', '.join(sorted(m, key=int))}"
                for s, m in sorted(mdoc["stages"].items())
                if m
            )
            raise ModelVersionNotFound(
                f"No versions of model with name {ref.name!r} and stage {stage!r} found: "
                f"registered model {ref.name!r} has no version in stage {stage!r}; "
                f"versions in a stage: {in_use or 'none'} (move one with "
                f"transition_model_version_stage or `python -m litetrack models stage`)",
                name=ref.name,
                stage=stage,
            )
        return key, mdoc, vdoc

    def iter_models(
        self, on_error: Callable[[str, CorruptDocument], None] | None = None, repair: bool = True
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key, model doc) of every registered model, in key order.

        A corrupt ``model.json`` goes to ``on_error(path, error)``, or raises.
        A folder left by an interrupted rename is moved to its new key
        (unless ``repair`` is false: callers holding a model lock must not
        take others out of order).
        """
        for key in self._folder_keys():
            path = self.model_path(key)
            try:
                mdoc = docs.read_model_doc(path)
            except (FileNotFoundError, NotADirectoryError):
                continue  # being created, or a leftover of a crashed create
            except CorruptDocument as e:
                if on_error is None:
                    raise
                on_error(path, e)
                continue
            if model_key(mdoc["name"]) != key and repair:
                moved = self._finish_rename(key, mdoc)
                if moved is None:
                    continue
                key, mdoc = moved
            yield key, mdoc

    def model_names(self) -> list[str]:
        """Names of every readable registered model."""
        return [m["name"] for _, m in self.iter_models(on_error=lambda p, e: None, repair=False)]

    def iter_versions(self, key: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Version documents of one model, highest number first."""
        try:
            names = os.listdir(f"{self._dir}/{key}/{VERSIONS_DIR}")
        except FileNotFoundError:
            return
        numbers = sorted(
            (int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit()), reverse=True
        )
        for v in numbers:
            vdoc = self._read_version_doc(key, v)
            if vdoc is not None and (include_deleted or not vdoc.get("deleted")):
                yield vdoc

    def version_docs(self, key: str) -> list[dict[str, Any]]:
        """The live version documents of one model, highest first (do not change them).

        Kept per process while the versions folder is unchanged: every write
        of a version document (a create, or an atomic replace) changes the
        folder's mtime, so a search at 1,000 versions reads one stat instead
        of 1,000 files. A folder's mtime moves in clock ticks, so a listing is
        kept only when taken well after the folder last changed: a change in
        the same tick as the one before could otherwise go unseen.
        """
        try:
            st = os.stat(f"{self._dir}/{key}/{VERSIONS_DIR}")
        except FileNotFoundError:
            return []
        stamp = (st.st_ino, st.st_mtime_ns)
        hit = self._versions_cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        started = time.time_ns()
        found = list(self.iter_versions(key))
        if mtime_settled(st.st_mtime_ns, started):
            if len(self._versions_cache) >= 1024:
                self._versions_cache.clear()
            self._versions_cache[key] = (stamp, found)
        return found

    def get_model(self, name: str) -> RegisteredModel:
        """The :class:`RegisteredModel` called ``name``."""
        key, mdoc = self.read_model(name)
        return self.model_entity(key, mdoc)

    def model_entity(self, key: str, mdoc: dict[str, Any]) -> RegisteredModel:
        """Build a :class:`RegisteredModel` (its ``latest_versions`` read from disk)."""
        return RegisteredModel(
            name=mdoc["name"],
            creation_timestamp=mdoc["creation_timestamp"],
            last_updated_timestamp=mdoc["last_updated_timestamp"],
            description=mdoc.get("description"),
            latest_versions=self.latest_versions(key, mdoc, None),
            tags=mdoc["tags"],
            aliases=mdoc["aliases"],
        )

    def latest_versions(
        self, key: str, mdoc: dict[str, Any], stages: list[str] | None
    ) -> list[ModelVersion]:
        """The newest version of each requested stage (all stages when ``stages`` is empty)."""
        wanted = [canonical_stage(s) for s in stages] if stages else list(ALL_STAGES)
        out = []
        for stage in dict.fromkeys(wanted):
            vdoc = self._latest_in_stage(key, mdoc, stage)
            if vdoc is not None:
                out.append(version_entity(mdoc, vdoc))
        return out

    def get_version(self, name: str, version: Any) -> ModelVersion:
        """One :class:`ModelVersion`."""
        v = validate_version(version)
        key, mdoc = self.read_model(name)
        return version_entity(mdoc, self.read_version(key, mdoc, v))

    # -- writing: models -----------------------------------------------------------

    def _finish_rename(
        self, key: str, mdoc: dict[str, Any], locked: bool = False
    ) -> tuple[str, dict[str, Any]] | None:
        """Move a folder whose model.json names another key (an interrupted rename) to that key."""
        new_key = model_key(mdoc["name"])
        target = f"{self._dir}/{new_key}"
        if os.path.exists(f"{target}/{MODEL_DOC}"):
            logger.warning(
                "Registry folder %s/%s holds model %r, which also exists in %s; leaving it alone",
                self._dir,
                key,
                mdoc["name"],
                target,
            )
            return None
        try:
            ctx = self.locked(mdoc["name"]) if locked else self._locked_keys(key, new_key)
            with ctx:
                # Another process may have finished it meanwhile: check again under the locks.
                try:
                    current = docs.read_model_doc(self.model_path(key))
                except (FileNotFoundError, NotADirectoryError):
                    return None
                if model_key(current["name"]) != new_key or os.path.exists(f"{target}/{MODEL_DOC}"):
                    return None
                if os.path.isdir(target):
                    remove_tree(target)  # leftover of a crashed create (no model.json)
                os.rename(f"{self._dir}/{key}", target)
                self._journal(key, new_key)
                mdoc = current
        except OSError as e:
            logger.warning("Could not finish renaming registry folder %s/%s: %s", self._dir, key, e)
            return None
        logger.warning("Finished an interrupted rename: registry folder %s -> %s", key, new_key)
        return new_key, mdoc

    @contextmanager
    def _locked_keys(self, *keys: str) -> Iterator[None]:
        self.store.ensure_writable()
        os.makedirs(f"{self._dir}/.locks", exist_ok=True)
        with ExitStack() as stack:
            for key in sorted(set(keys)):
                stack.enter_context(self._lock(key))
            yield

    def _folder_keys(self) -> list[str]:
        """The model folders under ``registry/`` (sorted; none when it does not exist)."""
        try:
            return sorted(
                e.name for e in os.scandir(self._dir) if e.is_dir() and not e.name.startswith(".")
            )
        except FileNotFoundError:
            return []

    def _version_files(self, key: str) -> list[str]:
        """Paths of the version documents in one model folder (sorted; temp files skipped)."""
        vdir = f"{self._dir}/{key}/{VERSIONS_DIR}"
        try:
            names = sorted(os.listdir(vdir))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [f"{vdir}/{n}" for n in names if n.endswith(".json") and not n.startswith(".")]

    def referenced_digests(self) -> set[str]:
        """Digests of every file pinned by a live version of any registered model.

        A version document that cannot be parsed contributes every digest-like
        string it contains, so a damaged document never lets gc delete a
        model's files. A model folder whose ``model.json`` is damaged still
        has its versions counted.
        """
        out: set[str] = set()
        for key in self._folder_keys():
            for path in self._version_files(key):
                try:
                    vdoc = docs.read_version_doc(path)
                except FileNotFoundError:
                    continue
                except CorruptDocument:
                    logger.warning(
                        "Corrupt registry document %s: keeping every blob it mentions", path
                    )
                    out |= docs.salvage_digests(path)
                    continue
                if not vdoc.get("deleted"):
                    out.update(e["digest"] for e in vdoc["files"].values())
        return out

    def check_documents(self) -> list[tuple[str, str]]:
        """(path, problem) for every registry document that cannot be read or does not add up.

        Checks every ``model.json`` and ``versions/<n>.json`` (parsed and
        validated), a ``model.json`` next to every versions folder, and that the
        stages and aliases of a model name versions that exist and are live.
        Used by ``verify``; reads only (no lock, no repair, nothing created).
        """
        problems: list[tuple[str, str]] = []
        for key in self._folder_keys():
            live: set[int] = set()
            numbers: set[int] = set()
            vdir = f"{self._dir}/{key}/{VERSIONS_DIR}"
            for path in self._version_files(key):
                try:
                    vdoc = docs.read_version_doc(path)
                except FileNotFoundError:
                    continue
                except CorruptDocument as e:
                    problems.append((path, str(e)))
                    continue
                numbers.add(vdoc["version"])
                if not vdoc.get("deleted"):
                    live.add(vdoc["version"])
            mpath = self.model_path(key)
            try:
                mdoc = docs.read_model_doc(mpath)
            except (FileNotFoundError, NotADirectoryError):
                if numbers:
                    problems.append((
                        mpath,
                        f"missing: {len(numbers)} version document(s) in {vdir} but no "
                        "model.json (a crash during a registration or an import; re-run the "
                        "import)",
                    ))
                continue
            except CorruptDocument as e:
                problems.append((mpath, str(e)))
                continue
            named = [
                (f"stage {stage}", int(v))
                for stage, members in mdoc["stages"].items()
                for v in members
            ] + [(f"alias {alias!r}", int(v)) for alias, v in mdoc["aliases"].items()]
            for what, v in named:
                if v not in live:
                    state = "deleted" if v in numbers else "missing"
                    problems.append((mpath, f"{what} names version {v}, which is {state}"))
        return problems

    def history(self, name: str) -> list[dict[str, Any]]:
        """History records of the model called ``name`` (following renames; deleted models too)."""
        records = history.read(self.history_path)
        model_id = None
        try:
            _, mdoc = self.read_model(name)
            model_id = mdoc["id"]
        except (RegisteredModelNotFound, CorruptDocument):
            pass  # deleted or damaged: the log alone says which model bore the name
        return history.for_model(records, name, model_id)
