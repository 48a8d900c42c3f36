"""Run artifacts: logical paths mapped to content-addressed blobs.

A run's artifacts are records in its log (``{"artifact": path, "digest": ...,
"size": ...}``), folded into ``run.json`` under ``artifacts``. The bytes live
once in ``objects/`` whatever the number of runs that logged them. Order of
commit: the blob is stored first, the record after it, so a crash leaves at
worst an unreferenced blob (removed by ``gc``), never a dangling path.
"""

from __future__ import annotations

import logging
import os
import stat
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litetrack.entities import FileInfo
from litetrack.errors import (
    ArtifactNotFound,
    InvalidArgument,
    InvalidArtifactPath,
    LocalFileNotFound,
)
from litetrack.store.fs import file_kind
from litetrack.store.paths import join_artifact_path, validate_artifact_path

if TYPE_CHECKING:
    from litetrack.store.core import Store

logger = logging.getLogger(__name__)


def _check_local_file(local_path: str | os.PathLike[str]) -> str:
    path = os.fspath(local_path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise LocalFileNotFound(f"Cannot log artifact {path!r}: no such file") from None
    except OSError as e:
        raise InvalidArgument(f"Cannot log artifact {path!r}: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        # /dev/zero never ends (it filled objects/tmp), a FIFO blocks forever.
        raise InvalidArgument(
            f"Cannot log artifact {path!r}: it is {file_kind(st.st_mode)}; only regular "
            f"files (or symbolic links to them) and folders can be logged"
        )
    if not os.access(path, os.R_OK):
        raise InvalidArgument(f"Cannot log artifact {path!r}: the file is not readable")
    return path


def manifest(store: Store, run_id: str) -> dict[str, dict[str, Any]]:
    """The artifacts of a run: logical path -> {"digest", "size"}."""
    return dict(store.runs.read(run_id).get("artifacts") or {})


def _check_conflicts(existing: Iterable[str], new_paths: Iterable[str]) -> None:
    # A path cannot be both a file and a folder: downloads would break.
    files = set(existing)
    dirs = {p.rsplit("/", i)[0] for p in files for i in range(1, p.count("/") + 1)}
    batch = list(new_paths)
    files_new = set(batch)
    dirs_new = {p.rsplit("/", i)[0] for p in batch for i in range(1, p.count("/") + 1)}
    for p in batch:
        if p in dirs or p in dirs_new:
            raise InvalidArtifactPath(f"Artifact path {p!r} is already a folder of artifacts")
    for d in dirs_new:
        if d in files or d in files_new:
            raise InvalidArtifactPath(f"Artifact path {d!r} is already a file; cannot put files under it")


def log_files(store: Store, run_id: str, files: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Store (local file, artifact path) pairs for a run; return (path, digest, size) entries.

    All paths are validated and all sources checked before anything is
    written. The blobs are stored, then the records appended in one write.
    """
    store.ensure_writable()
    writer = store.runs.writer(run_id)
    writer._check_writable()
    checked = [(_check_local_file(src), validate_artifact_path(dst)) for src, dst in files]
    _check_conflicts(manifest(store, run_id), [dst for _, dst in checked])
    entries = []
    for src, dst in checked:
        try:
            ref = store.objects.put_file(src)
        except PermissionError as e:
            raise InvalidArgument(f"Cannot log artifact {src!r}: {e.strerror}") from None
        entries.append((dst, ref.digest, ref.size))
    writer.log_artifact_records(entries)
    return entries


def log_bytes(store: Store, run_id: str, data: bytes, artifact_file: str) -> tuple[str, str, int]:
    """Store ``data`` as the artifact ``artifact_file`` of a run."""
    store.ensure_writable()
    dst = validate_artifact_path(artifact_file)
    writer = store.runs.writer(run_id)
    writer._check_writable()
    _check_conflicts(manifest(store, run_id), [dst])
    ref = store.objects.put_bytes(data)
    entry = (dst, ref.digest, ref.size)
    writer.log_artifact_records([entry])
    return entry


def log_artifact(store: Store, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log one local file under ``artifact_path`` (its name kept), as MLflow does; a folder is
    logged whole under its own name (``artifact_path/<folder>/...``), as MLflow does too."""
    if os.path.isdir(local_path):
        folder = os.path.abspath(os.fspath(local_path))
        under = join_artifact_path(artifact_path, os.path.basename(folder))
        log_artifacts(store, run_id, folder, under)
        return
    path = _check_local_file(local_path)
    log_files(store, run_id, [(path, join_artifact_path(artifact_path, os.path.basename(path)))])


def log_artifacts(store: Store, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log every file under ``local_dir`` (recursively) under ``artifact_path``."""
    root = os.fspath(local_dir)
    if not os.path.isdir(root):
        if not os.path.exists(root):
            raise LocalFileNotFound(f"Cannot log artifacts from {root!r}: no such folder")
        raise InvalidArgument(
            f"Cannot log artifacts from {root!r}: not a folder (use log_artifact for files)"
        )
    files = []
    skipped: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in dirnames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):  # os.walk does not descend into it
                skipped.append(f"{full} (a symbolic link to a folder, not followed)")
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                mode = os.stat(full).st_mode
            except OSError:
                mode = None  # a dangling link: _check_local_file names the error
            if mode is not None and not stat.S_ISREG(mode):
                skipped.append(f"{full} ({file_kind(mode)})")
                continue
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            files.append((full, join_artifact_path(artifact_path, rel)))
    if skipped:
        # Devices and FIFOs cannot be stored (one never ends, the other
        # blocks); the rest of the folder is still worth logging.
        logger.warning(
            "log_artifacts(%r) skipped %d entries that are not regular files: %s",
            root,
            len(skipped),
            "; ".join(skipped),
        )
    log_files(store, run_id, files)


def list_artifacts(store: Store, run_id: str, path: str | None = None) -> list[FileInfo]:
    """The files and folders directly under ``path`` (the root by default), sorted.

    As in MLflow, a path that is a file, or that does not exist, lists nothing.
    """
    prefix = validate_artifact_path(path, allow_empty=True) if path else ""
    entries = manifest(store, run_id)
    if prefix in entries:
        return []
    base = f"{prefix}/" if prefix else ""
    out: dict[str, FileInfo] = {}
    for p, e in entries.items():
        if not p.startswith(base):
            continue
        rest = p[len(base):]
        head, sep, _ = rest.partition("/")
        full = base + head
        out[full] = FileInfo(full, True, None) if sep else FileInfo(full, False, e["size"])
    return [out[k] for k in sorted(out)]


def resolve(store: Store, run_id: str, path: str | None) -> dict[str, dict[str, Any]]:
    """Artifacts at or under ``path``: logical path -> entry. ArtifactNotFound if none."""
    prefix = validate_artifact_path(path, allow_empty=True) if path else ""
    entries = manifest(store, run_id)
    if prefix in entries:
        return {prefix: entries[prefix]}
    base = f"{prefix}/" if prefix else ""
    found = {p: e for p, e in entries.items() if p.startswith(base)}
    if not found and prefix:
        raise ArtifactNotFound(
            f"Run {run_id!r} has no artifact at {prefix!r}; top level: "
            f"{[f.path for f in list_artifacts(store, run_id)] or 'no artifacts'}"
        )
    return found


def read_bytes(store: Store, run_id: str, path: str, verify: bool = True) -> bytes:
    """The content of one artifact file (its digest checked unless ``verify=False``)."""
    dst = validate_artifact_path(path)
    entry = manifest(store, run_id).get(dst)
    if entry is None:
        raise ArtifactNotFound(f"Run {run_id!r} has no artifact file {dst!r}")
    return store.objects.read_bytes(entry["digest"], verify=verify)


def safe_target(root: Path, rel: str) -> Path:
    """Where the artifact ``rel`` is written under ``root``; its parent folders are created.

    The records of a store may have been edited by hand (or imported from a
    hostile folder), so the path is checked again here: it must pass
    :func:`validate_artifact_path`, and no folder on the way may be a
    symbolic link or a file, so the result is always inside ``root``.
    Raises :class:`InvalidArtifactPath` naming the path and the reason.
    """
    try:
        normal = validate_artifact_path(rel)
    except InvalidArtifactPath as e:
        raise InvalidArtifactPath(
            f"Refusing to write the artifact under {root}: {e}", path=rel
        ) from None
    parts = normal.split("/")
    current = root
    for part in parts[:-1]:
        current = current / part
        try:
            os.mkdir(current)
            continue
        except FileExistsError:
            pass
        mode = os.lstat(current).st_mode
        if not stat.S_ISDIR(mode):
            raise InvalidArtifactPath(
                f"Refusing to write the artifact {normal!r} under {root}: {current} is "
                f"{file_kind(mode)}, not a folder, and a file is never written through one",
                path=normal,
            )
    return current / parts[-1]


def write_entries(
    store: Store, entries: dict[str, dict[str, Any]], dst_root: Path, verify: bool = True
) -> None:
    """Copy blobs to ``dst_root / path`` for each entry, all or nothing.

    Every destination passes :func:`safe_target`; with ``verify`` each blob
    is hashed while copied and a mismatch raises ``ChecksumMismatch``
    (expected and actual digests). On any error, the files and folders this
    call created are removed, so ``dst_root`` holds no partial download.
    """
    created: list[Path] = []
    try:
        for rel, entry in entries.items():
            # Listed before they exist, so a failure half-way still removes them.
            created.extend(_missing_ancestors(dst_root, rel))
            target = safe_target(dst_root, rel)
            existed = os.path.lexists(target)
            store.objects.copy_to(entry["digest"], target, verify=verify)
            if not existed:
                created.append(target)
    except BaseException:
        for path in reversed(created):
            try:
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()  # only if empty: never a folder the user filled
                else:
                    path.unlink()
            except OSError:
                pass
        raise


def _missing_ancestors(root: Path, rel: str) -> list[Path]:
    # The folders safe_target is about to create, outermost first.
    out = []
    current = root
    for part in rel.split("/")[:-1]:
        current = current / part
        if not os.path.lexists(current):
            out.append(current)
    return out


def download(
    store: Store,
    run_id: str,
    path: str | None = None,
    dst_path: str | os.PathLike[str] | None = None,
    verify: bool = True,
    by_basename: bool = False,
) -> str:
    """Materialise artifacts as ordinary files; return the local path of ``path``.

    Files are real copies: changing them never touches the store. Every file
    is written inside ``dst_path`` whatever the run's records say, and its
    digest is checked while it is copied (``ChecksumMismatch`` otherwise, as
    :func:`read_bytes`); on any error nothing of this download is left behind.
    ``path`` lands at ``dst_path/path``, or with ``by_basename`` (MLflow's
    ``download_artifacts``) at ``dst_path/<last part of path>``.
    """
    found = resolve(store, run_id, path)
    prefix = validate_artifact_path(path, allow_empty=True) if path else ""
    parent = prefix.rpartition("/")[0]
    if by_basename and parent:
        found = {rel[len(parent) + 1:]: entry for rel, entry in found.items()}
        prefix = prefix[len(parent) + 1:]
    made_temp = dst_path is None
    if dst_path is None:
        import tempfile  # here, not at the top: tempfile costs `import litetrack` ~10%

        dst_root = Path(tempfile.mkdtemp(prefix="litetrack-artifacts-"))
    else:
        dst_root = Path(dst_path)
    dst_root.mkdir(parents=True, exist_ok=True)
    try:
        write_entries(store, found, dst_root, verify=verify)
    except BaseException:
        if made_temp:
            import shutil

            shutil.rmtree(dst_root, ignore_errors=True)
        raise
    return str(dst_root / prefix) if prefix else str(dst_root)


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` -> (run_id, path). InvalidArgument for other forms."""
    if not isinstance(uri, str) or not uri.startswith("runs:/"):
        raise InvalidArgument(f"Invalid run artifact URI {uri!r}: expected runs:/<run_id>/<path>")
    rest = uri[len("runs:/"):].lstrip("/")
    run_id, _, path = rest.partition("/")
    if not run_id:
        raise InvalidArgument(f"Invalid run artifact URI {uri!r}: no run id")
    return run_id, path.strip("/")


def materialize(store: Store, entries: dict[str, dict[str, Any]], verify: bool = True) -> Path:
    """A read-only local folder holding ``entries`` (relative path -> {"digest", "size"}).

    Folders are cached under ``<store>/cache/materialized/<key>/``, the key
    being a hash of the entries, so loading the same model twice copies
    nothing the second time. A folder is built in a temp folder and renamed
    into place, so a reader never sees a half-built one. Blobs are verified
    while being copied unless ``verify=False``.
    """
    import hashlib
    import json as _json

    key = hashlib.sha256(
        _json.dumps(sorted((p, e["digest"]) for p, e in entries.items())).encode()
    ).hexdigest()[:32]
    base = store.root / "cache" / "materialized"
    final = base / key
    if final.is_dir():
        try:
            os.utime(final)  # "last used", for gc's clearing of old cache folders
        except OSError:
            pass
        return final
    base.mkdir(parents=True, exist_ok=True)
    import tempfile  # see download

    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=base))
    try:
        for rel, e in entries.items():
            target = tmp / validate_artifact_path(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            store.objects.copy_to(e["digest"], target, verify=verify)
        _place(tmp, final)
    finally:
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _place(tmp: Path, final: Path) -> None:
    """Rename the built folder ``tmp`` to ``final``, unless another process's copy is there.

    Another loader may build the same key at the same time: its folder is
    as good as ours, so a failed rename onto it is fine. But gc may remove
    that folder between our failed rename and the check; then ours goes in
    after all, rather than failing a load that has everything it needs.
    """
    import errno

    for _ in range(10):
        try:
            os.rename(tmp, final)
            return
        except OSError as e:
            if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            if final.is_dir():  # lost a race to another process: theirs is as good
                return
    os.rename(tmp, final)  # still contended after ten tries: let the error name the folder


class CacheLease:
    """A shared ``flock`` on a cached model folder: ``gc`` keeps the folder while it is held.

    Released by :meth:`release`, or when the lease is garbage-collected
    (so a loader that keeps the lease alive with its model keeps the folder).
    """

    def __init__(self, fd: int) -> None:
        self._release = weakref.finalize(self, os.close, fd)

    def release(self) -> None:
        """Let gc remove the folder again (idempotent)."""
        self._release()


def materialize_held(
    store: Store, entries: dict[str, dict[str, Any]], verify: bool = True
) -> tuple[Path, CacheLease | None]:
    """:func:`materialize`, plus a lease that keeps gc from removing the folder while it is read.

    gc renames a folder away only under the folder's exclusive lock (taken
    without waiting); a loader takes the shared lock, then checks that the
    name still leads to the folder it locked, and rebuilds it otherwise. The
    lease is None only where ``flock`` is unavailable or the folder keeps
    vanishing (then the load proceeds unprotected, as before).
    """
    import fcntl

    final = materialize(store, entries, verify)
    for _ in range(5):
        try:
            fd = os.open(final, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            final = materialize(store, entries, verify)  # removed by gc meanwhile
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            if os.stat(final).st_ino == os.fstat(fd).st_ino:
                return final, CacheLease(fd)
        except FileNotFoundError:
            pass
        except OSError:
            os.close(fd)
            return final, None
        os.close(fd)
        final = materialize(store, entries, verify)
    return final, None


def subtree(entries: dict[str, dict[str, Any]], prefix: str) -> dict[str, dict[str, Any]]:
    """Entries under ``prefix``, with paths made relative to it."""
    prefix = prefix.strip("/")
    if not prefix:
        return dict(entries)
    base = prefix + "/"
    return {p[len(base):]: e for p, e in entries.items() if p.startswith(base)}
