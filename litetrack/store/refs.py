"""What references a blob, and what killed writers leave behind (shared by verify and gc).

Blob references ("gc roots") in a folded run document: ``artifacts.<path>.digest``,
``source.script_digest``, ``source.diff_digest`` and ``environment.digest`` (see
:mod:`litetrack.capture`); outside runs, whatever
every blob a live registered model version pins
(:meth:`litetrack.store.registry.reader.RegistryReader.referenced_digests`).

Leftovers: ``.tmp-*`` files and folders in the store root, ``experiments/``,
run folders, ``objects/tmp/``, ``registry/`` and ``cache/materialized/``. One
counts as abandoned when nothing wrote to it for a while and the pid in its
name (object-store puts and atomic document writes put one there) is not a
live process on this host.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litetrack.store.fs import TMP_PREFIX

if TYPE_CHECKING:
    from litetrack.store.core import Store

#: A temp file untouched this long whose writer is gone is left over by a kill.
TEMP_AGE_SECONDS = 60.0
DIGEST_RE = re.compile(r"[0-9a-f]{64}")
# Temp names carry the writer's pid: ".tmp-<pid>-..." (object store puts) and
# ".tmp-<name>.<pid>.<n>" (atomic document writes).
_PID_PATTERNS = (re.compile(r"^\.tmp-(\d+)-"), re.compile(r"\.(\d+)\.\d+$"))


def run_blob_digests(doc: dict[str, Any]) -> Iterator[tuple[str, int | None, str]]:
    """Every blob a folded run document references: (digest, recorded size, what).

    Artifacts (``artifacts.<path>.digest``), the captured source
    (``source.script_digest``, ``source.diff_digest``) and environment
    (``environment.digest``): see :mod:`litetrack.capture`.
    """
    for path, entry in (doc.get("artifacts") or {}).items():
        if isinstance(entry, dict):
            yield entry.get("digest"), entry.get("size"), f"artifact {path!r}"  # type: ignore[misc]
    source = doc.get("source") or {}
    for key, size_key, what in (
        ("script_digest", "script_size", "source script"),
        ("diff_digest", "diff_size", "git diff"),
    ):
        if source.get(key):
            yield source[key], source.get(size_key), what
    env = doc.get("environment") or {}
    if env.get("digest"):
        yield env["digest"], env.get("size"), "environment"


def registry_digests(store: Store) -> set[str]:
    """Digests the model registry references (the files of every live version).

    Errors propagate: a registry that cannot be read must stop a blob sweep.
    """
    return store.registry.referenced_digests()


def writer_alive(name: str) -> bool:
    for pattern in _PID_PATTERNS:
        m = pattern.search(name)
        if m:
            pid = int(m.group(1))
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            except OSError:
                return True  # exists (another user's) or unknowable
            return True
    return False


def temp_entries(store: Store, run_ids: list[str] | None = None) -> Iterator[os.DirEntry[str]]:
    """``.tmp-*`` entries wherever litetrack writes (root, experiments, runs, objects, registry,
    cache)."""
    root = store.root
    dirs = [root, root / "experiments", root / "objects" / "tmp", root / "cache" / "materialized"]
    registry = root / "registry"
    if registry.is_dir():
        dirs += [Path(d) for d, _, _ in os.walk(registry)]
    runs_dir = store.runs.dir
    ids = run_ids if run_ids is not None else list(store.runs.iter_ids())
    dirs += [runs_dir / rid for rid in ids]
    for d in dirs:
        try:
            with os.scandir(d) as entries:
                for entry in entries:
                    if entry.name.startswith(TMP_PREFIX):
                        yield entry
        except (FileNotFoundError, NotADirectoryError):
            continue


def latest_mtime(entry: os.DirEntry[str]) -> float:
    latest = entry.stat(follow_symlinks=False).st_mtime
    if entry.is_dir(follow_symlinks=False):
        # A temp folder (materialize builds one) stays in use while any file
        # in it is being written, even when its own mtime is old.
        for dirpath, dirnames, files in os.walk(entry.path):
            for name in dirnames + files:
                try:
                    latest = max(latest, os.lstat(os.path.join(dirpath, name)).st_mtime)
                except FileNotFoundError:
                    continue
    return latest


def stale_temp(entry: os.DirEntry[str], now: float, age: float) -> bool:
    """Untouched for ``age`` seconds and its writer (when the name says) is not alive."""
    try:
        mtime = latest_mtime(entry)
    except FileNotFoundError:
        return False
    return now - mtime >= age and not writer_alive(entry.name)


def remove_path(path: str | os.PathLike[str]) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
