"""The content-addressed blob store: ``<store>/objects/``.

Layout (``root`` is the ``objects`` folder)::

    root/sha256/ab/cdef...     blob whose SHA-256 is "abcdef..." (git-style fan-out:
                               the first two hex digits name the folder, the other
                               62 the file), read-only (0o444), never modified
    root/tmp/.tmp-*            temp files of puts in progress (or of killed puts)
    root/gc.lock               coordinates puts with delete_unreferenced (flock)

Writing a blob
--------------
:meth:`ObjectStore.put_file` copies the source into a temp file in ``root/tmp``
and hashes it in the *same* pass over the data, with fixed-size buffers, so
memory is bounded and the blob holds exactly the bytes that were hashed even
if the source changes meanwhile. The temp file is then published with
``os.link(tmp, final)``, which never replaces an existing name: ``EEXIST``
means another put (or an earlier one) already stored these bytes, and the temp
file is simply dropped. A process killed at any instant therefore leaves at
worst a temp file (removed by :meth:`ObjectStore.cleanup_temp`), never a
partial file under a final name.

Speed (``python benchmarks/bench_objects.py`` on the 2-core dev box, 200 MB
from the page cache, best of 3: a hashlib read+hash pass takes 0.13 s,
``sha256sum`` 0.58 s as coreutils there lacks SHA-NI; a new put takes
0.12-0.18 s, a re-put from another process 0.14 s, a re-put in the same
process 50-75 us):

* Hashing and writing overlap on two threads. ``hashlib``'s ``update`` and
  ``os.write``/``readinto`` all release the GIL on large buffers, so a small
  pipeline (the calling thread reads and writes 1 MiB chunks, a helper thread
  hashes them, three buffers in rotation) makes a new put cost about one hash
  pass instead of hash + copy. Below 8 MiB everything runs on the calling
  thread: a thread start costs more than it saves there.
* Putting an unchanged file again is O(1) within a process: a cache keyed by
  ``(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns)`` gives the digest,
  and the put only checks that the blob still exists (refreshing its mtime).
  Entries are made only for files whose mtime and ctime are more than 2 s
  older than the start of the read, and whose stat did not change while it
  was read ("racy git": on filesystems with coarse timestamps a write within
  the same tick would otherwise go unnoticed). ctime cannot be set by users,
  so even tools that restore mtime (``cp -p``, ``rsync -t``) invalidate it.
* A re-put that misses the cache (another process) still writes a temp file
  while hashing, then drops it: no new bytes stay on disk, and since the write
  overlaps the hash it costs ~8% over a hash-only pass. Hashing
  first and copying only when missing would make every *new* put two passes.

Garbage collection protocol
---------------------------
Blobs are referenced from JSON documents (artifact manifests, model versions).
Commit order keeps references valid:

* **writer**: ``put`` (publish the blob, or find it present and refresh its
  mtime with ``os.utime``), *then* write the document that references it;
* **gc**: list the referenced digests from the documents, then call
  :meth:`ObjectStore.delete_unreferenced`, which deletes a blob only if it is
  not referenced **and** its mtime is older than ``grace_seconds``.

A blob that a writer is about to reference was published or touched by its
put, so it stays younger than the grace period until the writer's document
exists. The mtime refresh and gc's final "still old?" check followed by the
unlink are made atomic with respect to each other by ``root/gc.lock`` (puts
hold it shared for a few syscalls, gc holds it exclusively per blob), which
closes the window where a put touches a blob between gc's check and its
unlink (with the lock made a no-op, the gc race test in
``tests/test_objects.py`` loses a just-touched blob in most runs). Blob ages
are measured from the moment gc *started listing* references, not from the
unlink: a reference gc did not see was written after the listing started, so
its blob was put less than a writer's put-to-record time before that, and is
younger than the cut-off. The protocol is therefore safe as long as
``grace_seconds`` exceeds the time a writer takes from its put to writing its
document, however long gc's pass takes (``gc`` enforces a minimum grace,
:data:`litetrack.store.gc.MIN_GRACE_SECONDS`).
Caveats: mtime is compared with this host's clock (a store shared over NFS
needs synchronized clocks); a put that cannot refresh the mtime of a blob
owned by another user logs a warning and carries on.
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import logging
import math
import os
import queue
import re
import secrets
import shutil
import stat
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, NamedTuple

from litetrack import settings
from litetrack.errors import ArtifactNotFound, ChecksumMismatch, InvalidArgument, StoreError
from litetrack.store.fs import TMP_PREFIX, file_kind, flocked

__all__ = ["BlobRef", "ObjectStore", "CHUNK_SIZE", "file_kind"]

log = logging.getLogger(__name__)

#: Bytes read, hashed and written at a time. 1 MiB stays in the 2 MiB L2 cache
#: between the write and the hash, and makes per-chunk overhead negligible.
CHUNK_SIZE = 1 << 20
#: Buffers in rotation in the threaded pipeline (read/write one, hash another, one spare).
_N_BUFFERS = 3
#: Below this many bytes a put runs on the calling thread only.
_THREAD_MIN = 8 << 20
#: A file whose mtime/ctime is this close to the start of its read is not
#: cached: a later write in the same timestamp tick would keep the same stat.
_RACY_NS = 2_000_000_000
_STAT_CACHE_MAX = 4096
_ALGO = "sha256"
_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_TAIL_RE = re.compile(r"[0-9a-f]{62}")
_FANOUT_RE = re.compile(r"[0-9a-f]{2}")
# What os.link raises on filesystems without hard links (FAT, some network shares).
_NO_HARDLINK_ERRNOS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP})

Chunk = memoryview | bytes
#: Fills (or ignores) the buffer it is given and returns the next chunk; empty at EOF.
Producer = Callable[[bytearray], Chunk]


class BlobRef(NamedTuple):
    """What a put returns: the SHA-256 hex digest and the size in bytes."""

    digest: str
    size: int


def _check_digest(digest: object) -> str:
    if not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
        raise InvalidArgument(
            f"invalid blob digest {digest!r}: expected a SHA-256 as 64 lowercase hex characters",
            digest=digest,
        )
    return digest


# --------------------------------------------------------------------------- copy + hash


def _write_all(fd: int, data: Chunk) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _pump(produce: Producer, out_fd: int, hasher: hashlib._Hash) -> int:
    """Copy every chunk from ``produce`` to ``out_fd`` and hash it; return the byte count."""
    total = 0
    buf = bytearray(CHUNK_SIZE)
    while total < _THREAD_MIN:
        chunk = produce(buf)
        if not chunk:
            return total
        hasher.update(chunk)
        _write_all(out_fd, chunk)
        total += len(chunk)
    return total + _pump_threaded(produce, out_fd, hasher, buf)


def _pump_threaded(produce: Producer, out_fd: int, hasher: hashlib._Hash, buf: bytearray) -> int:
    """:func:`_pump` with hashing on a helper thread, overlapping it with read + write.

    A buffer goes back to ``free`` only once hashed; the calling thread has
    written it before it takes another buffer, so no buffer is refilled while
    either side still uses it.
    """
    free: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
    work: queue.SimpleQueue[tuple[bytearray, Chunk] | None] = queue.SimpleQueue()
    failure: list[BaseException] = []

    def hash_loop() -> None:
        try:
            while (item := work.get()) is not None:
                hasher.update(item[1])
                free.put(item[0])
        except BaseException as exc:  # handed to the calling thread, re-raised there
            failure.append(exc)
            free.put(None)

    free.put(buf)
    for _ in range(_N_BUFFERS - 1):
        free.put(bytearray(CHUNK_SIZE))
    thread = threading.Thread(target=hash_loop, name="litetrack-sha256", daemon=True)
    thread.start()
    total = 0
    try:
        while (buf_ := free.get()) is not None:
            chunk = produce(buf_)
            if not chunk:
                break
            work.put((buf_, chunk))
            _write_all(out_fd, chunk)
            total += len(chunk)
    finally:
        # The hasher drains the queue in order, then stops: the digest covers every chunk.
        work.put(None)
        thread.join()
    if failure:
        raise failure[0]
    return total


def _readinto_producer(readinto: Callable[[bytearray], int | None]) -> Producer:
    def produce(buf: bytearray) -> Chunk:
        n = readinto(buf)
        if n is None:
            raise InvalidArgument(
                "put_stream needs a blocking file object (readinto returned None)"
            )
        return memoryview(buf)[:n]

    return produce


def _stream_producer(fileobj: BinaryIO) -> Producer:
    readinto = getattr(fileobj, "readinto", None)
    if readinto is not None:
        return _readinto_producer(readinto)

    def produce(buf: bytearray) -> Chunk:
        data = fileobj.read(len(buf))
        if isinstance(data, bytes):
            return data
        if not isinstance(data, (bytearray, memoryview)):
            raise InvalidArgument(
                f"put_stream needs a binary file object; read() returned {type(data).__name__}"
            )
        # A mutable buffer may be reused by the stream while the hashing
        # thread still reads it: keep a private copy.
        return bytes(data)

    return produce


# --------------------------------------------------------------------------- stat cache

_StatKey = tuple[int, int, int, int, int]


def _stat_key(st: os.stat_result) -> _StatKey:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class _StatCache:
    """``stat key -> digest`` for files already hashed by this process (bounded, LRU)."""

    def __init__(self, maxsize: int) -> None:
        self._entries: OrderedDict[_StatKey, str] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def get(self, key: _StatKey) -> str | None:
        with self._lock:
            digest = self._entries.get(key)
            if digest is not None:
                self._entries.move_to_end(key)
            return digest

    def put(self, key: _StatKey, digest: str) -> None:
        with self._lock:
            self._entries[key] = digest
            self._entries.move_to_end(key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)

    def discard(self, key: _StatKey) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Keyed by file identity, not by store: the digest of a file does not depend on
# where it is stored; each store still checks that it holds the blob.
_stat_cache = _StatCache(_STAT_CACHE_MAX)


# --------------------------------------------------------------------------- the store


class ObjectStore:
    """Immutable blobs named by their SHA-256, under ``root`` (the ``objects`` folder).

    Safe for concurrent use by threads and processes. Nothing is created on
    disk until the first put. See the module docstring for the layout, the
    write path and the garbage-collection protocol.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._blobs = self.root / _ALGO
        self._tmp = self.root / "tmp"
        self._lock_path = self.root / "gc.lock"

    def __repr__(self) -> str:
        return f"ObjectStore({str(self.root)!r})"

    # ----------------------------------------------------------------- naming

    def path_for(self, digest: str) -> Path:
        """The path of the blob ``digest`` (which may not exist).

        Raises :class:`~litetrack.errors.InvalidArgument` unless ``digest`` is
        64 lowercase hex characters, so no input can name a path elsewhere.
        """
        _check_digest(digest)
        return self._blobs / digest[:2] / digest[2:]

    def exists(self, digest: str) -> bool:
        """Whether the blob is present. Raises ``InvalidArgument`` for a malformed digest."""
        return self.path_for(digest).is_file()

    def _existing(self, digest: str) -> Path:
        path = self.path_for(digest)
        if not path.is_file():
            raise self._not_found(digest)
        return path

    def _not_found(self, digest: str) -> ArtifactNotFound:
        return ArtifactNotFound(
            f"blob {digest} not found in {self.root}",
            digest=digest,
            path=str(self.path_for(digest)),
        )

    # ----------------------------------------------------------------- writing

    def put_file(self, src: str | os.PathLike[str]) -> BlobRef:
        """Store the content of the file ``src``; return its digest and size.

        One pass over the data with bounded memory; content already present is
        not written again (its mtime is refreshed for gc). Only a regular file
        (or a symbolic link to one) is accepted: a device such as
        ``/dev/zero`` never ends and filled the store, and a FIFO blocked the
        caller forever; read those through :meth:`put_stream` on purpose.
        Raises ``InvalidArgument`` naming ``src`` and what it is if it is not
        a regular file, ``OSError`` if it cannot be read or the store cannot
        be written.
        """
        src = os.fspath(src)
        st = os.stat(src)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(src, st.st_mode)
        cached = _stat_cache.get(_stat_key(st))
        if cached is not None and self.touch(cached, st.st_size):
            return BlobRef(cached, st.st_size)
        started_ns = time.time_ns()
        # O_NONBLOCK: if src became a FIFO since the stat, open must not wait
        # for a writer (the fstat below refuses it); regular files ignore it.
        fd = os.open(src, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with builtins.open(fd, "rb", buffering=0) as f:
            before = os.fstat(f.fileno())
            if not stat.S_ISREG(before.st_mode):
                raise _not_regular(src, before.st_mode)
            if hasattr(os, "posix_fadvise"):  # larger readahead when the file is on disk
                try:
                    os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
                except OSError:  # only a hint; some filesystems refuse it
                    pass
            ref = self._put_from(_readinto_producer(f.readinto))
            after = os.fstat(f.fileno())
        key = _stat_key(before)
        if key != _stat_key(after) or ref.size != before.st_size:
            log.warning(
                "%s changed while it was stored; blob %s holds the bytes that were read",
                src,
                ref.digest,
            )
        elif started_ns - max(before.st_mtime_ns, before.st_ctime_ns) > _RACY_NS:
            _stat_cache.put(key, ref.digest)
        return ref

    def put_stream(self, fileobj: BinaryIO) -> BlobRef:
        """Store everything read from the binary file object ``fileobj`` until EOF.

        Reads fixed-size chunks (``readinto`` when available), so memory is
        bounded whatever the length. Raises ``InvalidArgument`` for a text
        stream, ``OSError`` from reading or writing.
        """
        return self._put_from(_stream_producer(fileobj))

    def put_bytes(self, data: bytes | bytearray | memoryview) -> BlobRef:
        """Store ``data``; return its digest and size.

        The data is hashed first (it is already in memory), so content already
        present costs no write at all. Raises ``InvalidArgument`` for ``str``.
        """
        if isinstance(data, str):
            raise InvalidArgument("put_bytes needs bytes, not str; encode the text first")
        view = memoryview(data).cast("B")
        digest = hashlib.sha256(view).hexdigest()
        if self.touch(digest, view.nbytes):
            return BlobRef(digest, view.nbytes)
        fd, tmp = self._open_temp()
        try:
            try:
                _write_all(fd, view)
                self._finish_temp(fd)
            finally:
                os.close(fd)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        self._publish(tmp, digest)
        return BlobRef(digest, view.nbytes)

    def _put_from(self, produce: Producer) -> BlobRef:
        fd, tmp = self._open_temp()
        try:
            try:
                hasher = hashlib.sha256()
                size = _pump(produce, fd, hasher)
                self._finish_temp(fd)
            finally:
                os.close(fd)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        digest = hasher.hexdigest()
        self._publish(tmp, digest)
        return BlobRef(digest, size)

    def _open_temp(self) -> tuple[int, str]:
        self._tmp.mkdir(parents=True, exist_ok=True)
        # pid in the name tells a person which process left a temp file behind.
        return tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=self._tmp)

    def _finish_temp(self, fd: int) -> None:
        if settings.fsync_enabled():
            os.fsync(fd)
        os.fchmod(fd, 0o444)

    def _publish(self, tmp: str, digest: str) -> None:
        """Give ``tmp`` the blob's name unless it exists (then refresh it); always drop ``tmp``."""
        final = self.path_for(digest)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with self._gc_lock(shared=True):
                while True:
                    try:
                        os.link(tmp, final)
                        break
                    except FileExistsError:
                        if self._touch(final):
                            return
                        # Vanished between link and utime: only a gc that
                        # ignores gc.lock can do that; publish again.
                    except FileNotFoundError:
                        if not os.path.exists(tmp):
                            raise StoreError(
                                f"temp file {tmp} vanished before it was published as blob "
                                f"{digest}; was cleanup_temp run with a short grace period "
                                f"while a put was in progress?",
                                path=tmp,
                            ) from None
                        raise
                    except OSError as exc:
                        if exc.errno not in _NO_HARDLINK_ERRNOS:
                            raise
                        # Filesystem without hard links: rename may replace a
                        # concurrent publisher's identical blob, which is harmless.
                        if os.path.exists(final) and self._touch(final):
                            return
                        os.replace(tmp, final)
                        break
            if settings.fsync_enabled():
                _fsync_dir(final.parent)
        finally:
            _unlink_quietly(tmp)

    def touch(self, digest: str, size: int) -> bool:
        """If the blob exists with ``size`` bytes, refresh its mtime and return True.

        A writer about to reference a blob it did not put itself (a registry
        version pinning a run's files, a cached capture blob) calls this
        first, so gc's grace period covers it (see the module docstring).
        """
        path = self.path_for(digest)
        try:
            with self._gc_lock(shared=True):
                return self._touch(path) and path.stat().st_size == size
        except FileNotFoundError:  # no store folder yet, or the blob vanished
            return False

    def _touch(self, path: Path) -> bool:
        """Set the blob's mtime to now (gc grace); False if it does not exist."""
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
        except PermissionError:
            # Owned by another user (shared store): the grace period then runs
            # from the blob's last write, not from this put.
            log.warning("cannot refresh the mtime of %s (owned by another user)", path)
        return True

    @contextmanager
    def _gc_lock(self, *, shared: bool) -> Iterator[None]:
        """Shared for puts (refresh/publish), exclusive for gc's check-and-unlink."""
        # flocked opens a fresh descriptor per use: flock locks belong to the
        # open file description, which a cached fd would share with forked children.
        with flocked(self._lock_path, shared=shared):
            yield

    # ----------------------------------------------------------------- reading

    def open(self, digest: str) -> BinaryIO:
        """Open the blob for reading (binary). No verification: see :meth:`verify`.

        Raises ``ArtifactNotFound`` if absent, ``InvalidArgument`` for a bad digest.
        """
        path = self.path_for(digest)
        try:
            return builtins.open(path, "rb")
        except FileNotFoundError:
            raise self._not_found(digest) from None

    def read_bytes(self, digest: str, verify: bool = True) -> bytes:
        """The blob's content; with ``verify`` it is re-hashed first.

        Raises ``ChecksumMismatch`` (file, expected and actual digest) if the
        content does not match, ``ArtifactNotFound`` if absent.
        """
        with self.open(digest) as f:
            data = f.read()
        if verify:
            self._check(digest, hashlib.sha256(data).hexdigest())
        return data

    def verify(self, digest: str) -> None:
        """Re-hash the blob in fixed-size chunks; return if it matches ``digest``.

        Raises ``ChecksumMismatch`` naming the file, expected and actual
        digests, ``ArtifactNotFound`` if absent.
        """
        hasher = hashlib.sha256()
        buf = bytearray(CHUNK_SIZE)
        view = memoryview(buf)
        try:
            f = builtins.open(self.path_for(digest), "rb", buffering=0)
        except FileNotFoundError:
            raise self._not_found(digest) from None
        with f:
            while n := f.readinto(buf):
                hasher.update(view[:n])
        self._check(digest, hasher.hexdigest())

    def _check(self, expected: str, actual: str) -> None:
        if actual != expected:
            path = str(self.path_for(expected))
            raise ChecksumMismatch(
                f"blob {path} is corrupt: expected sha256 {expected}, content hashes to {actual}",
                path=path,
                expected=expected,
                actual=actual,
            )

    def size(self, digest: str) -> int:
        """Size of the blob in bytes. Raises ``ArtifactNotFound`` if absent."""
        try:
            return self.path_for(digest).stat().st_size
        except FileNotFoundError:
            raise self._not_found(digest) from None

    def copy_to(self, digest: str, dst: str | os.PathLike[str], verify: bool = False) -> Path:
        """Write the blob's content to ``dst`` as an independent, writable file; return ``dst``.

        A real copy, never a hard link: editing the copy must not change the
        blob (file modes do not stop root). Parent folders are created; an
        existing ``dst`` is replaced atomically. With ``verify`` the content is
        hashed while copied and ``ChecksumMismatch`` leaves ``dst`` untouched.
        Raises ``ArtifactNotFound`` if the blob is absent.
        """
        src = self._existing(digest)
        dst = Path(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        # Reserve a temp name next to dst (same filesystem for os.replace),
        # created with the default mode (0o666 & ~umask) the copy keeps.
        tmp = dst.parent / f"{TMP_PREFIX}{dst.name[:100]}.{os.getpid()}.{secrets.token_hex(4)}"
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        try:
            if verify:
                hasher = hashlib.sha256()
                with builtins.open(src, "rb", buffering=0) as fin, builtins.open(tmp, "wb") as fout:
                    _pump(_readinto_producer(fin.readinto), fout.fileno(), hasher)
                self._check(digest, hasher.hexdigest())
            else:
                shutil.copyfile(src, tmp)  # sendfile on Linux
            os.replace(tmp, dst)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return dst

    def iter_digests(self) -> Iterator[str]:
        """Every stored digest, sorted; files that are not blobs are skipped."""
        try:
            fanouts = sorted(
                e.name for e in os.scandir(self._blobs) if _FANOUT_RE.fullmatch(e.name)
            )
        except FileNotFoundError:
            return
        for fanout in fanouts:
            try:
                names = sorted(os.listdir(self._blobs / fanout))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                if _TAIL_RE.fullmatch(name):
                    yield fanout + name

    # ----------------------------------------------------------------- cleanup

    def delete_unreferenced(
        self,
        referenced: set[str],
        *,
        grace_seconds: float,
        dry_run: bool = False,
        listed_at_ns: int | None = None,
    ) -> list[str]:
        """Delete blobs not in ``referenced`` last written ``grace_seconds`` before the listing.

        ``referenced`` must be listed from the documents *before* this call
        (see the protocol in the module docstring); ``listed_at_ns``
        (``time.time_ns()``) is when that listing started, now by default. A
        blob goes only if its mtime is older than ``listed_at_ns -
        grace_seconds``: measured from the start of the listing, the time the
        listing and the sweep take never eats into the grace. Each blob's age
        is checked again under the exclusive gc lock right before it is
        unlinked, so a concurrent put that refreshed it keeps it. Fan-out
        folders are kept (removing one would race with a put creating a blob
        in it).

        Returns the digests deleted (with ``dry_run``: that would be deleted),
        sorted. Raises ``InvalidArgument`` if ``referenced`` holds a malformed
        digest (a typo there would otherwise delete the blob it meant to keep)
        or ``grace_seconds`` is negative or not finite.
        """
        for digest in referenced:
            _check_digest(digest)
        if not isinstance(grace_seconds, (int, float)) or not (
            math.isfinite(grace_seconds) and grace_seconds >= 0
        ):
            raise InvalidArgument(
                f"invalid grace_seconds {grace_seconds!r}: expected a finite number >= 0",
                grace_seconds=grace_seconds,
            )
        start_ns = time.time_ns() if listed_at_ns is None else listed_at_ns
        cutoff_ns = start_ns - int(grace_seconds * 1e9)
        deleted = []
        for digest in self.iter_digests():
            if digest in referenced:
                continue
            path = self.path_for(digest)
            # Check without the lock first, so a sweep over young blobs never blocks puts.
            if not _written_before(path, cutoff_ns):
                continue
            if not dry_run:
                with self._gc_lock(shared=False):
                    if not _written_before(path, cutoff_ns):
                        continue
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        continue
            deleted.append(digest)
        return deleted

    def cleanup_temp(self, older_than_seconds: float) -> list[Path]:
        """Remove temp files left in ``root/tmp`` by killed puts; return those removed.

        Only files whose mtime is at least ``older_than_seconds`` old are
        removed. A put in progress keeps writing its temp file, but a value
        shorter than the longest stall of a running put (a slow stream) would
        make that put fail: ``0`` is meant for when no put is running.
        """
        if not (math.isfinite(older_than_seconds) and older_than_seconds >= 0):
            raise InvalidArgument(
                f"invalid older_than_seconds {older_than_seconds!r}: expected a finite number >= 0"
            )
        try:
            entries = list(os.scandir(self._tmp))
        except FileNotFoundError:
            return []
        cutoff_ns = time.time_ns() - int(older_than_seconds * 1e9)
        removed = []
        for entry in entries:
            if not entry.name.startswith(TMP_PREFIX):
                continue
            try:
                mtime_ns = entry.stat(follow_symlinks=False).st_mtime_ns
                if older_than_seconds > 0 and mtime_ns > cutoff_ns:
                    continue
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            removed.append(Path(entry.path))
        return removed


def _not_regular(src: str, mode: int) -> InvalidArgument:
    return InvalidArgument(
        f"Cannot store {src!r}: it is {file_kind(mode)}; only regular files "
        f"(or symbolic links to them) can be stored"
    )


def _written_before(path: Path, cutoff_ns: int) -> bool:
    try:
        mtime_ns = os.lstat(path).st_mtime_ns
    except FileNotFoundError:
        return False
    return mtime_ns < cutoff_ns


def _unlink_quietly(path: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
