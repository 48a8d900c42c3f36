"""File primitives: the only ways bytes reach the store.

* :func:`atomic_write` replaces a document: temp file in the same folder,
  write, optional fsync, ``os.replace``. A reader never sees half a document,
  and the temp file is removed on any error.
* :func:`append_line` appends one record to a log with a single ``write``
  call on an ``O_APPEND`` descriptor, so a killed process loses nothing it
  already logged and concurrent appenders never interleave inside a line.
* :class:`FileLock` is a cross-process exclusive lock (``flock``).

Durability: by default the data is safe against a *process* kill the moment
the call returns (it is in the kernel's page cache). Set ``LITETRACKFSYNC=1``
to also fsync documents, which protects against power loss at the cost of a
few milliseconds per document.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TMP_PREFIX = ".tmp-"
FSYNC = os.environ.get("LITETRACKFSYNC", "") not in ("", "0", "false", "False")
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
            if FSYNC if fsync is None else fsync:
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


def atomic_write(
    path: str | os.PathLike[str], data: bytes, *, fsync: bool | None = None
) -> os.stat_result:
    """Replace ``path`` with ``data`` atomically; return the new file's stat.

    The parent folder must exist. Raises ``OSError`` from the filesystem; on
    any error the temp file is removed and ``path`` is left as it was. The
    stat lets callers recognise their own write later (inode, size, mtime)
    without reading the file back.
    """
    path = os.fspath(path)
    tmp = _write_temp(path, data, fsync)
    try:
        st = os.stat(tmp)
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


def write_json(path: str | os.PathLike[str], doc: Any) -> os.stat_result:
    """Atomically replace ``path`` with the JSON form of ``doc``; return its stat."""
    return atomic_write(path, dumps(doc))


def stat_key(st: os.stat_result) -> tuple[int, int, int]:
    """Identity of one version of a file: an atomic replace always changes the inode."""
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def open_append(path: str | os.PathLike[str]) -> int:
    """Open (creating) a log for appending; returns a raw descriptor."""
    return os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def append_line(path: str | os.PathLike[str], line: bytes) -> None:
    """Append one complete record (``line`` ends with a newline) with a single write."""
    fd = open_append(path)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


class FileLock:
    """Exclusive cross-process lock on a lock file (``fcntl.flock``).

    Re-entrant within one thread of one process, so a store operation that
    takes the lock may call another that takes it too. The lock is released
    by the kernel when the process dies, so a killed holder never wedges the
    store.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._fd: int | None = None
        self._depth = 0
        self._owner: int | None = None
        self._thread_lock = threading.RLock()

    def acquire(self) -> None:
        """Block until the lock is held by this thread."""
        import fcntl

        self._thread_lock.acquire()
        if self._depth == 0:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise
            self._fd = fd
        self._depth += 1

    def release(self) -> None:
        """Release one level of the lock."""
        import fcntl

        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
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
