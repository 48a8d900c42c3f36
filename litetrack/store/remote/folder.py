"""A remote in a folder (``file:///path``): local, mounted or on a network share.

Keys are paths under the root. Every write goes through the store's own
primitives (:mod:`litetrack.store.fs`): a replace is temp file + ``os.replace``,
a create-if-absent is temp file + ``os.link`` (never replaces, so two writers
racing for one name cannot both win), and a compare-and-swap holds a
``flock`` on ``<root>/.lock`` while it checks the ETag and replaces.

The ETag is the file's identity: inode, size and mtime in nanoseconds (not
ctime: the rename that publishes a file changes it). Every replace makes a new
inode, but the replace frees the old one, which the next file may get, and an
mtime moves in clock ticks of a few milliseconds: two replaces of the same
size in one tick could bring back an ETag a CAS holder still has. So every
replace holds the lock and publishes a file whose mtime is past the one it
replaces: the ETags of a key's successive versions never repeat.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from litetrack.errors import RemoteError
from litetrack.store.fs import (
    TMP_PREFIX,
    FileLock,
    atomic_create,
    atomic_write,
    current_mtime,
    ensure_dir,
    mtime_past,
)
from litetrack.store.remote.base import ObjectMeta, Remote, check_key

_CHUNK = 1 << 20


def _etag(st: os.stat_result) -> str:
    return f"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"


class FolderRemote(Remote):
    """:class:`~litetrack.store.remote.Remote` over a folder (created on first write)."""

    def __init__(self, root: Path, *, name: str | None = None) -> None:
        self.root = Path(root)
        self.url = self.root.as_uri() if self.root.is_absolute() else str(self.root)
        self.name = name or self.url
        self._lock = FileLock(self.root / ".lock")

    def _path(self, key: str) -> str:
        return os.path.join(self.root, check_key(key))

    def _error(self, op: str, key: str, e: OSError) -> RemoteError:
        return RemoteError(
            f"remote {self.name!r}: {op} {key!r} failed: {e.strerror or e}",
            remote=self.name,
            key=key,
        )

    def _parent(self, path: str, key: str) -> None:
        try:
            ensure_dir(os.path.dirname(path))
        except OSError as e:
            raise self._error("creating the folder of", key, e) from None

    def get(self, key: str) -> tuple[bytes, str]:
        """The bytes of ``key`` and their ETag (both from one open file)."""
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                return f.read(), _etag(st)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise self._not_found(key) from None
        except OSError as e:
            raise self._error("reading", key, e) from None

    def head(self, key: str) -> ObjectMeta | None:
        """Size and ETag of ``key``, or None."""
        try:
            st = os.stat(self._path(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            raise self._error("checking", key, e) from None
        if not os.path.isfile(self._path(key)):
            return None
        return ObjectMeta(key, st.st_size, _etag(st))

    def put(self, key: str, data: bytes) -> str:
        """Replace ``key`` atomically (temp file + rename)."""
        path = self._path(key)
        self._parent(path, key)
        try:
            with self._lock:
                return _etag(atomic_write(path, data, replacing=True))
        except OSError as e:
            raise self._error("writing", key, e) from None

    def put_file(self, key: str, path: str | os.PathLike[str]) -> None:
        """Copy a local file to ``key`` through a temp file, then rename it into place."""
        dst = self._path(key)
        self._parent(dst, key)
        tmp = os.path.join(
            os.path.dirname(dst),
            f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{os.path.basename(dst)}",
        )
        try:
            shutil.copyfile(path, tmp)  # outside the lock: it may be long
            with self._lock:
                mtime_past(tmp, current_mtime(dst))
                os.replace(tmp, dst)
        except OSError as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise self._error("writing", key, e) from None

    def put_if_absent(self, key: str, data: bytes) -> str | None:
        """Create ``key`` with ``os.link`` (never replaces); None when it exists."""
        path = self._path(key)
        self._parent(path, key)
        try:
            # The lock orders a create against a concurrent CAS on the same key.
            with self._lock:
                if not atomic_create(path, data):
                    return None
                return _etag(os.stat(path))
        except OSError as e:
            raise self._error("creating", key, e) from None

    def put_if_match(self, key: str, data: bytes, etag: str) -> str | None:
        """Replace ``key`` if its ETag is still ``etag`` (checked and replaced under the lock)."""
        path = self._path(key)
        self._parent(path, key)
        try:
            with self._lock:
                try:
                    current = _etag(os.stat(path))
                except FileNotFoundError:
                    return None
                if current != etag:
                    return None
                return _etag(atomic_write(path, data, replacing=True))
        except OSError as e:
            raise self._error("replacing", key, e) from None

    def list(self, prefix: str = "") -> Iterator[ObjectMeta]:
        """Every file under the root whose key starts with ``prefix`` (dot-files skipped)."""
        # Walk only the deepest folder the prefix names.
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        top = os.path.join(self.root, base) if base else str(self.root)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = os.path.relpath(dirpath, self.root)
            for name in filenames:
                if name.startswith("."):
                    continue
                key = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
                if not key.startswith(prefix):
                    continue
                try:
                    st = os.stat(os.path.join(dirpath, name))
                except FileNotFoundError:
                    continue
                yield ObjectMeta(key, st.st_size, _etag(st))

    def delete(self, key: str) -> None:
        """Remove ``key`` if it exists."""
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise self._error("deleting", key, e) from None

    def download(self, key: str, fileobj: BinaryIO) -> int:
        """Copy ``key`` into ``fileobj``."""
        try:
            with open(self._path(key), "rb") as f:
                n = 0
                while chunk := f.read(_CHUNK):
                    fileobj.write(chunk)
                    n += len(chunk)
                return n
        except FileNotFoundError:
            raise self._not_found(key) from None
        except OSError as e:
            raise self._error("reading", key, e) from None
