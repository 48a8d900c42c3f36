"""File primitives: the only ways bytes reach the store.

* :func:`atomic_write` replaces a document: temp file in the same folder,
  write, optional fsync, ``os.replace``. A reader never sees half a document,
  and the temp file is removed on any error.
* :func:`append_line` appends one record to a log with a single ``write``
  call on an ``O_APPEND`` descriptor, so a killed process loses nothing it
  already logged and concurrent appenders never interleave inside a line.
* :func:`lock_fd` / :func:`flocked` take an ``flock`` (the only place that
  does); :class:`FileLock` is a re-entrant exclusive lock built on it.

Durability: by default the data is safe against a *process* kill the moment
the call returns (it is in the kernel's page cache). Set ``LITETRACK_FSYNC=1``
to also fsync documents, which protects against power loss at the cost of a
few milliseconds per document.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from litetrack import settings

TMP_PREFIX = ".tmp-"
_counter = 0
_counter_lock = threading.Lock()


def _tmp_name(dirpath: str, name: str) -> str:
    global _counter
    with _counter_lock:
        _counter += 1
        n = _counter
    # pid + counter make the name unique across processes and threads; the
    # prefix lets `verify --fix` find temp files left by killed writers.
    return os.path.join(dirpath, f"{TMP_PREFIX}{name}.{os.getpid()}.{n}")


def _write_temp(path: str, data: bytes, fsync: bool | None) -> str:
    """Write ``data`` to a new temp file next to ``path``; return the temp path.

    The temp file is removed if writing fails.
    """
    dirpath, name = os.path.split(path)
    tmp = _tmp_name(dirpath or ".", name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if settings.fsync_enabled() if fsync is None else fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def current_mtime(path: str | os.PathLike[str]) -> int | None:
    """The mtime (ns) of the version at ``path`` that a write is about to replace; None if none."""
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def mtime_past(path: str, newer_than: int | None) -> os.stat_result:
    """The stat of ``path``, after setting its mtime to ``newer_than + 1`` if it is not past it.

    For a file about to replace a version whose mtime is ``newer_than``: an
    mtime moves in clock ticks, and the replaced version's inode is freed
    for the next file, so without this two versions could share inode, size
    and mtime.
    """
    st = os.stat(path)
    if newer_than is not None and st.st_mtime_ns <= newer_than:
        os.utime(path, ns=(st.st_atime_ns, newer_than + 1))
        st = os.stat(path)
    return st


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    fsync: bool | None = None,
    replacing: bool = False,
) -> os.stat_result:
    """Replace ``path`` with ``data`` atomically; return the new file's stat.

    The parent folder must exist. Raises ``OSError`` from the filesystem; on
    any error the temp file is removed and ``path`` is left as it was. The
    stat lets callers recognise their own write later (inode, size, mtime)
    without reading the file back. ``replacing``: the new file's mtime is
    set past the replaced version's before it is published, when the clock
    tick has not moved on since (see :func:`mtime_past`); for a file others
    recognise by :func:`stat_key`, replaced under its lock.
    """
    path = os.fspath(path)
    tmp = _write_temp(path, data, fsync)
    try:
        st = mtime_past(tmp, current_mtime(path) if replacing else None)
        os.replace(tmp, path)
        return st
    except BaseException:
        _unlink_quietly(tmp)
        raise


def atomic_create(path: str | os.PathLike[str], data: bytes, *, fsync: bool | None = None) -> bool:
    """Create ``path`` with ``data`` only if no file has that name; False if one exists.

    The content goes to a temp file first and is published with ``os.link``,
    which never replaces a file: a reader sees the whole file or none, and
    two writers racing for one name cannot both win (registry version numbers
    rely on it).
    """
    path = os.fspath(path)
    tmp = _write_temp(path, data, fsync)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        _unlink_quietly(tmp)


def dumps(doc: Any) -> bytes:
    """Serialise a document the one way litetrack writes JSON (stable key order).

    One line, no indentation: ``json`` only uses its C encoder without
    ``indent``, and the pure-Python one costs ~0.4 ms per run document.
    ``jq . run.json`` pretty-prints it for people.
    """
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=True).encode("utf-8")


def write_json(path: str | os.PathLike[str], doc: Any, *, replacing: bool = False) -> os.stat_result:
    """Atomically replace ``path`` with the JSON form of ``doc``; return its stat.

    ``replacing``: a new version of a document whose versions are told apart
    by :func:`stat_key`, written under its lock (see :func:`atomic_write`).
    """
    return atomic_write(path, dumps(doc), replacing=replacing)


#: How old an mtime must be, when read, to stand for what its folder lists:
#: mtimes move in clock ticks (a jiffy, up to 2 s on FAT), so a change later
#: in the tick it was read in would leave it equal.
SETTLED_NS = 2_000_000_000


def mtime_settled(mtime_ns: int, read_at_ns: int) -> bool:
    """Whether an mtime read at ``read_at_ns`` is old enough to stand for its folder's listing."""
    return read_at_ns - mtime_ns > SETTLED_NS


def stat_key(st: os.stat_result) -> tuple[int, int, int]:
    """Identity of one version of a file: an atomic replace always changes the inode."""
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def open_append(path: str | os.PathLike[str]) -> int:
    """Open (creating) a log for appending; returns a raw descriptor."""
    return os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def append_whole(fd: int, data: bytes) -> None:
    """Append ``data`` (whole records) to the ``O_APPEND`` descriptor ``fd`` with one write.

    A write can be short (a full disk, a quota): the kernel appended only a
    prefix of ``data``. Then the partial bytes are cut off again, so the log
    still ends on a line boundary and the next record starts clean, and
    ``OSError`` is raised (``ENOSPC`` for a short write, since the kernel
    reports the cause only on the next call). The cut is skipped if another
    process appended after our bytes meanwhile (truncating would drop its
    record); the fragment is then a damaged line that readers skip, and
    :func:`needs_newline` tells the next writer to start a fresh line.
    An ``OSError`` from the write itself (nothing appended) propagates as is.
    """
    written = os.write(fd, data)
    if written == len(data):
        return
    end = os.lseek(fd, 0, os.SEEK_CUR)  # O_APPEND: just past the bytes we wrote
    try:
        if os.fstat(fd).st_size == end:
            os.ftruncate(fd, end - written)
    except OSError:
        pass  # the next writer starts a fresh line (needs_newline)
    raise OSError(
        errno.ENOSPC,
        f"short write: {written} of {len(data)} bytes appended (disk full?); "
        "the partial record was cut off",
    )


def needs_newline(path: str | os.PathLike[str]) -> bool:
    """Whether the log at ``path`` is non-empty and does not end with a newline.

    A writer that finds so (a writer killed mid-write, or a short write that
    could not be cut off) starts with a newline, so it never glues its
    record onto the fragment.
    """
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            if not size:
                return False
            f.seek(size - 1)
            return f.read(1) != b"\n"
    except FileNotFoundError:
        return False


def append_line(path: str | os.PathLike[str], line: bytes) -> None:
    """Append one complete record (``line`` ends with a newline) with a single write.

    Raises ``OSError`` (the log still ends on a line boundary) if the record
    could not be appended whole (see :func:`append_whole`).
    """
    fd = open_append(path)
    try:
        append_whole(fd, line)
    finally:
        os.close(fd)


def lock_fd(path: str | os.PathLike[str], *, shared: bool = False, folder: bool = False) -> int:
    """Open ``path`` and block until it is ``flock``-ed; return the descriptor.

    The one flock primitive of the store. Closing the descriptor releases
    the lock (``os.close``); the kernel releases it too when the process
    dies, so a killed holder never wedges the store. A fresh descriptor per
    call: flock locks belong to the open file description, which a cached
    descriptor would share with forked children. ``shared`` takes a shared
    lock instead of an exclusive one. A lock file is created if missing;
    with ``folder`` the path is an existing folder, opened read-only
    (``FileNotFoundError`` when it is gone). If taking the lock fails (a
    signal, ``ENOLCK``), the descriptor is closed before the error goes up.
    """
    import fcntl

    if folder:
        fd = os.open(path, os.O_RDONLY)
    else:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def flocked(
    path: str | os.PathLike[str], *, shared: bool = False, folder: bool = False
) -> Iterator[None]:
    """Hold :func:`lock_fd`'s lock on ``path`` for the ``with`` block (not re-entrant)."""
    fd = lock_fd(path, shared=shared, folder=folder)
    try:
        yield
    finally:
        os.close(fd)


class FileLock:
    """Exclusive cross-process lock on a lock file (:func:`lock_fd`).

    Re-entrant within one thread of one process, so a store operation that
    takes the lock may call another that takes it too.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._fd: int | None = None
        self._depth = 0
        self._thread_lock = threading.RLock()

    def acquire(self) -> None:
        """Block until the lock is held by this thread."""
        self._thread_lock.acquire()
        if self._depth == 0:
            try:
                self._fd = lock_fd(self.path)
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1

    def release(self) -> None:
        """Release one level of the lock."""
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing releases the flock
        self._thread_lock.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold a :class:`FileLock` on ``path`` for the ``with`` block."""
    lock = FileLock(path)
    with lock:
        yield


def remove_tree(path: str | os.PathLike[str], *, ignore_errors: bool = False) -> None:
    """``shutil.rmtree``, importing shutil on first use.

    shutil brings bz2, lzma and zlib (~3 ms); the registry's read path (a
    fresh process's first search) only reaches code that removes folders in
    rare repairs, so it should not pay for them.
    """
    import shutil

    shutil.rmtree(path, ignore_errors=ignore_errors)


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and its parents if missing; return it as a Path."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words ("a FIFO (named pipe)", ...)."""
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    for test, words in kinds:
        if test(mode):
            return words
    return "a special file"
