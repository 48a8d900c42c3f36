"""``gc``: permanently remove deleted runs and experiments, unreferenced blobs, leftovers.

:func:`gc` permanently removes runs and experiments soft-deleted more than
``older_than_seconds`` ago, then blobs no document references any more, then
stale temp files and unused cache folders. What references a blob ("gc
roots"): the artifacts, source and environment blobs of every run still
present (soft-deleted runs younger than the cut-off included, so they can be
restored), and whatever :meth:`Store.registry.referenced_digests` returns.

Safety against concurrent writers: blobs are deleted through
:meth:`ObjectStore.delete_unreferenced`, which deletes a blob only when no
document references it **and** it was neither written nor re-put for
``grace_seconds`` (re-checked under ``objects/gc.lock`` right before the
unlink). Writers store or touch a blob *before* appending the record that
references it, so a blob being written or just published is young and kept.
The references are listed after the runs are removed and before the sweep,
and blob ages are measured from the moment that listing *started*, so the
time a pass takes never eats into the grace period; what the grace must
cover is a writer's time from storing a blob to recording it. A grace below
:data:`MIN_GRACE_SECONDS` (60 s) is raised to it with a warning, unless the
caller says no process writes to the store (``no_writers=True``, ``gc
--no-writers``). If any run document cannot be read, its references are
unknown and no blob is deleted (the report says why).

Cached model folders (``cache/materialized/<key>``) unused for
``older_than_seconds`` are removed, except one a ``load_model`` is using:
loaders hold a shared ``flock`` on the folder while they read it
(:func:`litetrack.store.artifacts.materialize_held`), and gc takes the
exclusive lock without waiting before it renames the folder away, skipping
a folder in use. A run is removed under its folder's lock
after re-reading it, so a run restored meanwhile is kept, and then so are
its blobs.
"""

from __future__ import annotations

import errno
import logging
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litetrack import clock
from litetrack.entities import LifecycleStage, RunStatus
from litetrack.errors import (
    ArtifactNotFound,
    CorruptDocument,
    ExperimentNotFound,
    InvalidArgument,
    RunNotFound,
)
from litetrack.store.docs import read_doc
from litetrack.store.fs import TMP_PREFIX, lock_fd
from litetrack.store.refs import (
    DIGEST_RE,
    TEMP_AGE_SECONDS,
    registry_digests,
    remove_path,
    run_blob_digests,
    stale_temp,
    temp_entries,
)
from litetrack.store.runs import RUN_DOC, effective_status

if TYPE_CHECKING:
    from litetrack.store.core import Store

__all__ = ["GcReport", "gc", "MIN_GRACE_SECONDS"]

#: The shortest grace period gc accepts while writers may be running: a
#: writer must record a blob's reference within this time of storing it.
MIN_GRACE_SECONDS = 60.0

logger = logging.getLogger(__name__)


@dataclass
class GcReport:
    """What :func:`gc` removed (with ``dry_run``: would remove).

    ``blocked`` explains why the blob sweep was skipped, if it was.
    """

    dry_run: bool
    runs: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)
    blobs: list[str] = field(default_factory=list)
    blob_bytes: int = 0
    temp_files: list[str] = field(default_factory=list)
    cache_dirs: list[str] = field(default_factory=list)
    kept_runs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """False when the blob sweep had to be skipped."""
        return not self.blocked

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"ok": self.ok, **asdict(self), "seconds": round(self.seconds, 3)}


def _deleted_before(doc: dict[str, Any], cutoff_ms: int, fallback_path: Path) -> bool:
    if doc.get("lifecycle_stage") != LifecycleStage.DELETED:
        return False
    when = doc.get("deleted_time")
    if when is None:
        # Documents written before deleted_time existed: the file's mtime is
        # the latest the deletion can have happened.
        try:
            when = int(os.stat(fallback_path).st_mtime * 1000)
        except FileNotFoundError:
            return False
    return int(when) <= cutoff_ms


def _remove_run_if(
    store: Store, run_id: str, still: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    """Remove a run if ``still(doc)`` holds, re-checked under the run's lock.

    Returns None when removed, else the run's current document (its blobs
    must then be kept). The lock is the one ``update_doc`` takes, so a
    concurrent restore either happens before (and we keep the run) or finds
    the run gone.
    """
    run_dir = store.runs.dir / run_id
    try:
        fd = lock_fd(run_dir, folder=True)
    except FileNotFoundError:
        return None
    try:
        try:
            doc = store.runs.read(run_id)
        except RunNotFound:
            return None
        if not still(doc):
            return doc
        store.runs.remove(run_id)
        return None
    finally:
        os.close(fd)


def _cache_last_used(path: Path) -> float:
    """When a cache folder was last built or read: the latest mtime of its
    folders and files, and atime of its files.

    Loading a model reads its files, which updates their atime (at most daily
    under the usual ``relatime`` mount option; never under ``noatime``, where
    this falls back to the build time). Folder atimes are left out: listing
    them, as this walk does, would update them.
    """
    latest = 0.0
    for dirpath, _, files in os.walk(path):
        try:
            latest = max(latest, os.stat(dirpath).st_mtime)
        except FileNotFoundError:
            continue
        for name in files:
            try:
                st = os.stat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            latest = max(latest, st.st_mtime, st.st_atime)
    return latest


def _check_seconds(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or not (math.isfinite(value) and value >= 0):
        raise InvalidArgument(f"invalid {name} {value!r}: expected a finite number of seconds >= 0")
    return float(value)


def gc(
    store: Store,
    older_than_seconds: float,
    grace_seconds: float = 3600.0,
    dry_run: bool = False,
    *,
    no_writers: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> GcReport:
    """Permanently remove what was deleted more than ``older_than_seconds`` ago.

    Removes soft-deleted runs and experiments (an experiment with all its
    runs) deleted before the cut-off, then blobs no run, model or registry
    entry references that are older than ``grace_seconds``, then temp files
    left by killed writers (older than the grace period) and materialized
    model folders unused for ``older_than_seconds``. Runs whose process is
    alive are never removed. With ``dry_run`` nothing changes and the report
    lists what would go. Safe while other processes log (module docstring).
    A ``grace_seconds`` below :data:`MIN_GRACE_SECONDS` is raised to it
    with a warning unless ``no_writers`` (the caller knows that no process
    writes to the store during the pass).
    ``progress(stage, done, total)`` is called as runs are read.
    Raises :class:`InvalidArgument` for a negative or non-finite duration.
    """
    older = _check_seconds("older_than_seconds", older_than_seconds)
    grace = _check_seconds("grace_seconds", grace_seconds)
    if grace < MIN_GRACE_SECONDS and not no_writers:
        logger.warning(
            "gc: a grace of %gs is shorter than the minimum %gs that keeps the blobs of "
            "running writers safe; using %gs (pass no_writers=True, or gc --no-writers, "
            "when no process writes to the store)",
            grace, MIN_GRACE_SECONDS, MIN_GRACE_SECONDS,
        )
        grace = MIN_GRACE_SECONDS
    t0 = time.perf_counter()
    now = time.time()  # for files' ages: their mtimes are the wall clock's
    # Deletion times are stamps of litetrack.clock: compare them with that clock.
    cutoff_ms = clock.now_ms() - int(older * 1000)
    rep = GcReport(dry_run=dry_run)
    if not store.exists():
        return rep

    # 1. Experiments deleted before the cut-off (the Default one cannot be deleted).
    purge_exps: set[str] = set()
    for doc in _experiment_docs(store, rep):
        eid = doc["experiment_id"]
        if eid != "0" and _deleted_before(doc, cutoff_ms, store.experiments.dir / f"{eid}.json"):
            purge_exps.add(eid)

    # 2. Runs to remove; every other run's blobs are kept. An experiment goes
    #    only with all its runs (a live one keeps it).
    keep: set[str] = set()
    exps_kept: set[str] = set()
    candidates: list[tuple[str, dict[str, Any]]] = []

    def keep_run(doc: dict[str, Any]) -> None:
        exps_kept.add(doc.get("experiment_id"))  # type: ignore[arg-type]
        keep.update(d for d, _, _ in run_blob_digests(doc) if isinstance(d, str))

    # Blob ages are measured from here (see the module docstring).
    listed_at_ns = time.time_ns()
    run_ids = list(store.runs.iter_ids())
    for i, run_id in enumerate(run_ids, 1):
        if progress is not None:
            progress("runs", i, len(run_ids))
        try:
            doc = store.runs.read(run_id)
        except RunNotFound:
            continue  # being created (no blob referenced yet) or removed
        except CorruptDocument as e:
            rep.blocked.append(f"run {run_id}: {e}")
            continue
        if _should_remove(doc, purge_exps, cutoff_ms, store):
            candidates.append((run_id, doc))
        else:
            keep_run(doc)
    purge_exps -= exps_kept
    if rep.blocked:
        # An unreadable run may belong to any experiment: remove none.
        purge_exps.clear()

    def still_removable(doc: dict[str, Any]) -> bool:
        return _should_remove(doc, purge_exps, cutoff_ms, store)

    to_remove = []
    for run_id, doc in candidates:
        if still_removable(doc):
            to_remove.append(run_id)
        else:
            rep.kept_runs.append(run_id)  # in an experiment that stays
            keep_run(doc)
    del candidates

    for run_id in to_remove:
        if dry_run:
            rep.runs.append(run_id)
            continue
        current = _remove_run_if(store, run_id, still_removable)
        if current is None:
            rep.runs.append(run_id)
        else:
            # Restored (or resumed) meanwhile: keep it and its blobs.
            rep.kept_runs.append(run_id)
            keep_run(current)
    purge_exps -= exps_kept

    # 3. Experiments, re-checked under the experiments lock (a restore takes it too).
    for eid in sorted(purge_exps, key=lambda e: (len(e), e)):
        if dry_run:
            rep.experiments.append(eid)
            continue
        with store.experiments.lock:
            try:
                doc = store.experiments.read(eid)
            except (ExperimentNotFound, CorruptDocument):
                continue
            if _deleted_before(doc, cutoff_ms, store.experiments.dir / f"{eid}.json"):
                store.experiments.remove(eid)
                rep.experiments.append(eid)

    # 4. Blobs: only when every reference is known.
    try:
        keep |= registry_digests(store)
    except Exception as e:  # noqa: BLE001 - an unreadable registry blocks the sweep
        rep.blocked.append(f"registry: {e}")
    if rep.blocked:
        logger.warning("gc: not removing any blob: %s", "; ".join(rep.blocked))
    else:
        objects = store.objects
        sizes = {}
        for digest in objects.iter_digests():
            if digest not in keep:
                try:
                    sizes[digest] = objects.size(digest)
                except ArtifactNotFound:
                    pass
        keep_valid = {d for d in keep if DIGEST_RE.fullmatch(d)}
        rep.blobs = objects.delete_unreferenced(
            keep_valid, grace_seconds=grace, dry_run=dry_run, listed_at_ns=listed_at_ns
        )
        rep.blob_bytes = sum(sizes.get(d, 0) for d in rep.blobs)

    # 5. Temp files left by killed writers, and unused cache folders.
    temp_age = max(grace, TEMP_AGE_SECONDS)
    for entry in temp_entries(store):
        if stale_temp(entry, now, temp_age):
            rep.temp_files.append(entry.path)
            if not dry_run:
                remove_path(entry.path)
    rep.cache_dirs = _gc_cache(store, now - older, dry_run)
    rep.seconds = time.perf_counter() - t0
    return rep


def _experiment_docs(store: Store, rep: GcReport) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    try:
        entries = list(os.scandir(store.experiments.dir))
    except FileNotFoundError:
        return docs
    for entry in entries:
        if entry.name.endswith(".json") and not entry.name.startswith("."):
            try:
                docs.append(read_doc(entry.path, "experiment"))
            except FileNotFoundError:
                continue
            except CorruptDocument as e:
                # Its runs are still read one by one; only the experiment stays.
                logger.warning("gc: skipping experiment %s: %s", entry.path, e)
    return docs


def _should_remove(doc: dict[str, Any], purge_exps: set[str], cutoff_ms: int, store: Store) -> bool:
    if effective_status(doc) == RunStatus.RUNNING:
        return False  # a live owner may still log to it
    if doc.get("experiment_id") in purge_exps:
        return True
    return _deleted_before(doc, cutoff_ms, store.runs.dir / doc["run_id"] / RUN_DOC)


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` still leads to the folder open as ``fd``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _gc_cache(store: Store, unused_since: float, dry_run: bool) -> list[str]:
    """Remove ``cache/materialized/<key>`` folders not used since ``unused_since``.

    A folder is first renamed to a temp name, then deleted, so a process
    materializing the same key meanwhile sees it whole or absent (and
    rebuilds it), never half removed. A folder a loader holds (a shared
    ``flock``, see :func:`litetrack.store.artifacts.materialize_held`) is
    in use and kept: the rename happens under the exclusive lock, taken
    without waiting.
    """
    import fcntl

    base = store.root / "cache" / "materialized"
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(base) if not e.name.startswith(".") and e.is_dir()]
    except FileNotFoundError:
        return removed
    for entry in entries:
        path = Path(entry.path)
        if _cache_last_used(path) >= unused_since:
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a load_model is reading it
            if not _names(path, fd):
                # Another gc removed the folder we opened, and a loader may
                # have rebuilt (and now hold) a new one under the same name:
                # our lock is on the old folder, so leave the name alone.
                continue
            if dry_run:
                removed.append(str(path))
                continue
            # A name of its own: a folder this process failed to delete
            # before, or another thread's gc, may hold a pid-only name.
            doomed = base / f"{TMP_PREFIX}gc-{entry.name}.{os.getpid()}.{os.urandom(4).hex()}"
            try:
                os.rename(path, doomed)
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise
                continue
        finally:
            os.close(fd)
        removed.append(str(path))
        shutil.rmtree(doomed, ignore_errors=True)
    return removed
