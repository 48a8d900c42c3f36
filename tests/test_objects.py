"""The content-addressed object store and the artifact path rules.

Covers: layout and modes, one-pass put of files/streams/bytes (serial and
threaded paths), dedup (also across processes), the in-process stat cache,
corruption detection, crash safety under SIGKILL, gc racing with writers,
digest validation, and the artifact path rules (with a hypothesis property).
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import ntpath
import os
import pickle
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litetrack.errors import (
    ArtifactNotFound,
    ChecksumMismatch,
    InvalidArgument,
    InvalidArtifactPath,
    StoreError,
)
from litetrack.store import objects as objects_mod
from litetrack.store.fs import TMP_PREFIX
from litetrack.store.objects import CHUNK_SIZE, BlobRef, ObjectStore
from litetrack.store.paths import join_artifact_path, validate_artifact_path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Past the serial prefix, so the threaded pipeline runs, and not a multiple of a chunk.
BIG = objects_mod._THREAD_MIN + 3 * CHUNK_SIZE + 12345
_fork = multiprocessing.get_context("fork")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_files(store: ObjectStore) -> list[Path]:
    """Every file under the blob tree, blob-shaped or not."""
    return sorted(p for p in (store.root / "sha256").rglob("*") if p.is_file())


def temp_files(store: ObjectStore) -> list[Path]:
    tmp = store.root / "tmp"
    return sorted(tmp.iterdir()) if tmp.exists() else []


def backdate(path: Path, seconds: float = 3600) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


@pytest.fixture(autouse=True)
def _fresh_stat_cache() -> None:
    # The cache is process-wide; a test must not see another test's entries.
    objects_mod._stat_cache.clear()


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(tmp_path / "objects")


# --------------------------------------------------------------------------- put + layout


def test_put_bytes_layout_mode_and_reads(store: ObjectStore) -> None:
    data = b"hello litetrack"
    ref = store.put_bytes(data)
    assert ref == BlobRef(sha(data), len(data))
    path = store.path_for(ref.digest)
    assert path == store.root / "sha256" / ref.digest[:2] / ref.digest[2:]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert store.exists(ref.digest)
    assert store.size(ref.digest) == len(data)
    assert store.read_bytes(ref.digest) == data
    with store.open(ref.digest) as f:
        assert f.read() == data
    store.verify(ref.digest)
    assert list(store.iter_digests()) == [ref.digest]
    assert temp_files(store) == []


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, BIG], ids=lambda n: f"{n}B"
)
def test_put_file_stream_and_bytes_agree(store: ObjectStore, tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    expected = BlobRef(sha(data), size)
    assert store.put_file(src) == expected
    assert store.put_stream(io.BytesIO(data)) == expected
    assert store.put_bytes(data) == expected
    assert store.read_bytes(expected.digest) == data
    assert blob_files(store) == [store.path_for(expected.digest)]
    assert temp_files(store) == []


def test_threaded_pipeline_with_tiny_chunks(
    store: ObjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hundreds of buffer rotations: a buffer refilled before it was hashed or
    # written would show up as a wrong digest or wrong content.
    monkeypatch.setattr(objects_mod, "CHUNK_SIZE", 4096)
    monkeypatch.setattr(objects_mod, "_THREAD_MIN", 3 * 4096)
    data = os.urandom(2_000_003)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    ref = store.put_file(src)
    assert ref == BlobRef(sha(data), len(data))
    assert store.path_for(ref.digest).read_bytes() == data


class _TrickleStream(io.RawIOBase):
    """A binary stream with only ``read``, returning short, irregular chunks."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self._n = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self._n += 1
        step = min(size, 1 + (self._n * 7919) % 70000)
        chunk = self._data[self._pos : self._pos + step]
        self._pos += len(chunk)
        return chunk

    readinto = None  # type: ignore[assignment]  # force the read() path


def test_put_stream_short_reads_and_text_refused(store: ObjectStore) -> None:
    data = os.urandom(BIG)
    assert store.put_stream(_TrickleStream(data)) == BlobRef(sha(data), len(data))
    with pytest.raises(InvalidArgument, match="binary"):
        store.put_stream(io.StringIO("text"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="not str"):
        store.put_bytes("text")  # type: ignore[arg-type]
    assert temp_files(store) == []


def test_put_file_refuses_a_fifo_and_put_stream_reads_one(
    store: ObjectStore, tmp_path: Path
) -> None:
    data = os.urandom(3 * CHUNK_SIZE + 5)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # No writer: a put_file that opened the FIFO would block forever.
    with pytest.raises(InvalidArgument, match=r"FIFO.*only regular files"):
        store.put_file(fifo)

    def feed() -> None:
        with open(fifo, "wb") as f:
            f.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with open(fifo, "rb") as f:
            assert store.put_stream(f) == BlobRef(sha(data), len(data))
    finally:
        writer.join()
    assert temp_files(store) == []


@pytest.mark.parametrize("threaded", [False, True])
def test_failed_read_leaves_no_temp_file(store: ObjectStore, threaded: bool) -> None:
    limit = BIG if threaded else CHUNK_SIZE

    class Failing(io.RawIOBase):
        sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
            if self.sent >= limit:
                raise OSError("disk went away")
            n = len(buf)
            buf[:n] = b"x" * n
            self.sent += n
            return n

    with pytest.raises(OSError, match="disk went away"):
        store.put_stream(Failing())
    assert temp_files(store) == []
    assert blob_files(store) == []


def test_temp_removed_during_put_is_reported(store: ObjectStore) -> None:
    class CleansAtEof(io.RawIOBase):
        done = False

        def readable(self) -> bool:
            return True

        def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
            if self.done:
                store.cleanup_temp(0)  # what a careless `gc` next to a running put does
                return 0
            self.done = True
            buf[:3] = b"abc"
            return 3

    with pytest.raises(StoreError, match="cleanup_temp"):
        store.put_stream(CleansAtEof())
    assert blob_files(store) == []


# --------------------------------------------------------------------------- dedup


def test_same_bytes_twice_is_one_blob_and_not_rewritten(store: ObjectStore, tmp_path: Path) -> None:
    data = os.urandom(BIG)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    first = store.put_file(src)
    path = store.path_for(first.digest)
    inode = path.stat().st_ino
    backdate(path)
    old_mtime = path.stat().st_mtime

    assert store.put_file(src) == first  # through the temp file + EEXIST path
    assert path.stat().st_ino == inode
    assert path.stat().st_mtime > old_mtime  # refreshed for gc
    backdate(path)
    assert store.put_bytes(data) == first  # through the hash-first path
    assert path.stat().st_mtime > old_mtime
    assert path.stat().st_ino == inode
    assert blob_files(store) == [path]
    assert temp_files(store) == []


def _put_after_barrier(
    root: str, src: str, barrier: threading.Barrier, results: multiprocessing.Queue
) -> None:
    store = ObjectStore(root)
    barrier.wait()
    results.put(tuple(store.put_file(src)))


def test_four_processes_put_the_same_file_at_once(store: ObjectStore, tmp_path: Path) -> None:
    data = os.urandom(BIG)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    barrier = _fork.Barrier(4)
    results = _fork.Queue()
    procs = [
        _fork.Process(target=_put_after_barrier, args=(str(store.root), str(src), barrier, results))
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    refs = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    assert refs == [(sha(data), len(data))] * 4
    assert blob_files(store) == [store.path_for(sha(data))]
    assert temp_files(store) == []
    store.verify(sha(data))


# --------------------------------------------------------------------------- stat cache


def test_stat_cache_makes_an_unchanged_file_o1(
    store: ObjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file was just written, so the racy-timestamp guard would refuse to
    # cache it; pretend it is old enough.
    monkeypatch.setattr(objects_mod, "_RACY_NS", -(10**12))
    src = tmp_path / "src.bin"
    src.write_bytes(b"v1" * 1000)
    ref = store.put_file(src)

    def no_read(*args: object) -> None:
        raise AssertionError("the cached file was read again")

    with monkeypatch.context() as m:
        m.setattr(ObjectStore, "_put_from", no_read)
        path = store.path_for(ref.digest)
        backdate(path)
        old = path.stat().st_mtime
        assert store.put_file(src) == ref
        assert path.stat().st_mtime > old  # a cache hit still refreshes for gc

    # The blob disappeared (gc): the cache entry must not be trusted.
    path.chmod(0o644)
    path.unlink()
    assert store.put_file(src) == ref
    assert store.exists(ref.digest)

    # Another store has not got the blob: the cached digest does not mean "stored".
    other = ObjectStore(tmp_path / "other")
    assert other.put_file(src) == ref
    assert other.exists(ref.digest)

    # Any change of content changes the stat key.
    src.write_bytes(b"v2" * 1000)
    assert store.put_file(src) == BlobRef(sha(b"v2" * 1000), 2000)


def test_recently_modified_file_is_not_cached(
    store: ObjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(b"fresh")
    store.put_file(src)
    calls = []
    real = ObjectStore._put_from

    def counting(self: ObjectStore, produce: objects_mod.Producer) -> BlobRef:
        calls.append(1)
        return real(self, produce)

    monkeypatch.setattr(ObjectStore, "_put_from", counting)
    store.put_file(src)
    assert calls == [1]


# --------------------------------------------------------------------------- corruption


def test_corrupted_blob_is_detected(store: ObjectStore, tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK_SIZE)
    ref = store.put_bytes(data)
    path = store.path_for(ref.digest)
    path.chmod(0o644)
    with open(path, "r+b") as f:
        f.seek(CHUNK_SIZE + 17)
        f.write(b"\x00" if data[CHUNK_SIZE + 17] else b"\x01")
    corrupted = path.read_bytes()

    with pytest.raises(ChecksumMismatch) as info:
        store.verify(ref.digest)
    err = info.value
    assert (err.path, err.expected, err.actual) == (str(path), ref.digest, sha(corrupted))
    assert str(path) in str(err) and ref.digest in str(err) and sha(corrupted) in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert (again.path, again.expected, again.actual) == (err.path, err.expected, err.actual)

    with pytest.raises(ChecksumMismatch):
        store.read_bytes(ref.digest)
    with pytest.raises(ChecksumMismatch):
        store.read_bytes(ref.digest, verify=True)
    assert store.read_bytes(ref.digest, verify=False) == corrupted

    dst = tmp_path / "out" / "file.bin"
    with pytest.raises(ChecksumMismatch):
        store.copy_to(ref.digest, dst, verify=True)
    assert not dst.exists()
    assert list(dst.parent.iterdir()) == []


def test_missing_blob_raises_artifact_not_found(store: ObjectStore, tmp_path: Path) -> None:
    digest = sha(b"never stored")
    assert not store.exists(digest)
    for call in (
        lambda: store.open(digest),
        lambda: store.read_bytes(digest),
        lambda: store.verify(digest),
        lambda: store.size(digest),
        lambda: store.copy_to(digest, tmp_path / "x"),
    ):
        with pytest.raises(ArtifactNotFound, match=digest):
            call()
    with pytest.raises(FileNotFoundError):  # ArtifactNotFound is one too
        store.read_bytes(digest)
    assert not store.root.exists()  # reading never creates the store


BAD_DIGESTS = [
    "",
    "abc",
    "A" * 64,
    "g" * 64,
    "0" * 63,
    "0" * 65,
    "0" * 64 + "\n",
    "../" + "0" * 61,
    "0" * 2 + "/" + "0" * 61,
    " " + "0" * 63,
    None,
    123,
    b"0" * 64,
]


@pytest.mark.parametrize("bad", BAD_DIGESTS, ids=repr)
def test_bad_digests_are_refused(store: ObjectStore, tmp_path: Path, bad: object) -> None:
    for call in (
        store.path_for,
        store.exists,
        store.open,
        store.read_bytes,
        store.verify,
        store.size,
        lambda d: store.copy_to(d, tmp_path / "x"),
        lambda d: store.delete_unreferenced({d}, grace_seconds=0),
    ):
        with pytest.raises(InvalidArgument, match="64 lowercase hex"):
            call(bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- copy_to


def test_copy_to_is_an_independent_writable_copy(store: ObjectStore, tmp_path: Path) -> None:
    data = os.urandom(BIG)
    ref = store.put_bytes(data)
    blob = store.path_for(ref.digest)
    dst = tmp_path / "deep" / "er" / "model.bin"
    assert store.copy_to(ref.digest, dst) == dst
    assert dst.read_bytes() == data
    assert dst.stat().st_ino != blob.stat().st_ino
    assert blob.stat().st_nlink == 1
    with open(dst, "r+b") as f:  # the user may edit it ...
        f.write(b"edited")
    store.verify(ref.digest)  # ... without touching the store

    other = store.put_bytes(b"other")
    store.copy_to(other.digest, dst, verify=True)  # replaces an existing file
    assert dst.read_bytes() == b"other"
    assert sorted(p.name for p in dst.parent.iterdir()) == ["model.bin"]


# --------------------------------------------------------------------------- crash safety

_SLOW_PUT = """
import hashlib, sys, time

# Slow the hash down (it drives the pipeline) so the parent can kill the
# child mid-copy without racing a fast machine.
_real = hashlib.sha256

class _Slow:
    def __init__(self, *args):
        self._h = _real(*args)

    def update(self, data):
        time.sleep(0.01)
        self._h.update(data)

    def hexdigest(self):
        return self._h.hexdigest()

hashlib.sha256 = _Slow
from litetrack.store.objects import ObjectStore
ObjectStore(sys.argv[1]).put_file(sys.argv[2])
"""


@pytest.mark.slow
def test_sigkill_during_copy_leaves_only_a_temp_file(store: ObjectStore, tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:  # 300 MB, sparse in the middle
        f.write(os.urandom(4096))
        f.truncate(300 * 2**20)
        f.seek(-4096, os.SEEK_END)
        f.write(os.urandom(4096))
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    child = subprocess.Popen([sys.executable, "-c", _SLOW_PUT, str(store.root), str(src)], env=env)
    try:
        # Kill once the threaded pipeline is well under way.
        while child.poll() is None:
            temps = temp_files(store)
            if temps and temps[0].stat().st_size > 2 * objects_mod._THREAD_MIN:
                break
            time.sleep(0.002)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the child finished before it could be killed"

    assert blob_files(store) == []
    assert list(store.iter_digests()) == []
    temps = temp_files(store)
    assert len(temps) == 1 and temps[0].name.startswith(TMP_PREFIX)
    assert store.cleanup_temp(0) == temps
    assert temp_files(store) == []

    ref = store.put_file(src)
    with open(src, "rb") as f:
        assert ref == BlobRef(hashlib.file_digest(f, "sha256").hexdigest(), 300 * 2**20)
    store.verify(ref.digest)
    assert temp_files(store) == []


def test_cleanup_temp_respects_age_and_prefix(store: ObjectStore) -> None:
    assert store.cleanup_temp(0) == []  # no tmp folder yet
    tmp = store.root / "tmp"
    tmp.mkdir(parents=True)
    old = tmp / f"{TMP_PREFIX}old"
    young = tmp / f"{TMP_PREFIX}young"
    foreign = tmp / "not-ours"
    for p in (old, young, foreign):
        p.write_bytes(b"x")
    backdate(old)
    backdate(foreign)
    assert store.cleanup_temp(600) == [old]
    assert set(tmp.iterdir()) == {foreign, young}
    with pytest.raises(InvalidArgument):
        store.cleanup_temp(-1)


# --------------------------------------------------------------------------- gc


def test_delete_unreferenced_rules(store: ObjectStore) -> None:
    kept = store.put_bytes(b"referenced")
    young = store.put_bytes(b"young")
    old = store.put_bytes(b"old")
    for ref in (kept, old):
        backdate(store.path_for(ref.digest))
    referenced = {kept.digest}

    assert store.delete_unreferenced(referenced, grace_seconds=600, dry_run=True) == [old.digest]
    assert store.exists(old.digest)
    assert store.delete_unreferenced(referenced, grace_seconds=600) == [old.digest]
    assert sorted(store.iter_digests()) == sorted([kept.digest, young.digest])
    assert store.delete_unreferenced(referenced, grace_seconds=0) == [young.digest]
    for bad in (-1, float("nan"), float("inf"), "10"):
        with pytest.raises(InvalidArgument, match="grace_seconds"):
            store.delete_unreferenced(set(), grace_seconds=bad)  # type: ignore[arg-type]


def test_put_after_gc_deleted_the_blob_publishes_again(store: ObjectStore) -> None:
    ref = store.put_bytes(b"data")
    backdate(store.path_for(ref.digest))
    assert store.delete_unreferenced(set(), grace_seconds=60) == [ref.digest]
    assert store.put_bytes(b"data") == ref
    assert store.read_bytes(ref.digest) == b"data"


_GRACE = 60.0


def _writer(root: str, src: str, rounds: int, out: multiprocessing.Queue) -> None:
    """Put, 'reference', then let go of the same content, over and over."""
    store = ObjectStore(root)
    content = Path(src).read_bytes()
    failures = []
    for i in range(rounds):
        ref = store.put_file(src) if i % 2 else store.put_bytes(content)
        path = store.path_for(ref.digest)
        # Within the grace window the blob must be there and intact: this is
        # the moment a real writer writes the document that references it.
        try:
            if store.read_bytes(ref.digest) != content:
                failures.append(f"round {i}: wrong content")
            # Done referencing it: age it so gc sees it as collectable again
            # (instead of waiting out a real grace period).
            backdate(path, 10 * _GRACE)
        except (FileNotFoundError, ChecksumMismatch) as exc:
            failures.append(f"round {i}: {exc!r}")
    out.put(failures)


def _collector(root: str, stop: threading.Event, out: multiprocessing.Queue) -> None:
    store = ObjectStore(root)
    deleted = 0
    while not stop.is_set():
        deleted += len(store.delete_unreferenced(set(), grace_seconds=_GRACE))
    out.put(deleted)


@pytest.mark.slow
def test_gc_racing_a_writer_never_deletes_a_blob_inside_its_grace(
    store: ObjectStore, tmp_path: Path
) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(64 * 1024))
    stop = _fork.Event()
    writer_out, gc_out = _fork.Queue(), _fork.Queue()
    gc = _fork.Process(target=_collector, args=(str(store.root), stop, gc_out))
    writer = _fork.Process(target=_writer, args=(str(store.root), str(src), 1500, writer_out))
    gc.start()
    writer.start()
    failures = writer_out.get(timeout=300)
    writer.join(timeout=60)
    stop.set()
    deleted = gc_out.get(timeout=60)
    gc.join(timeout=60)
    assert (writer.exitcode, gc.exitcode) == (0, 0)
    assert failures == []
    assert deleted > 0, "gc never collected the blob: the race was not exercised"
    assert temp_files(store) == []


# --------------------------------------------------------------------------- artifact paths


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("model", "model"),
        ("plots/roc.png", "plots/roc.png"),
        ("./model", "model"),
        ("a/./b", "a/b"),
        ("a//b", "a/b"),
        ("model/", "model"),
        ("a/b//", "a/b"),
        ("ünï/cödé.txt", "ünï/cödé.txt"),
        (" spaced name ", " spaced name "),
        ("a/~b", "a/~b"),
        ("model:v1", "model:v1"),
        ("a/C:", "a/C:"),
        ("...", "..."),
        ("..a/b..", "..a/b.."),
        ("dir/../file.txt", "file.txt"),  # MLflow's normalisation
        ("x" * 255, "x" * 255),
        (Path("a/b"), "a/b"),
    ],
)
def test_valid_artifact_paths_are_normalized(raw: str, normal: str) -> None:
    assert validate_artifact_path(raw) == normal


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "empty"),
        (".", "empty"),
        ("./", "empty"),
        ("/etc/passwd", "absolute"),
        ("//server/share", "absolute"),
        ("..", r"'\.\.'"),
        ("../x", r"'\.\.'"),
        ("a/..", "empty"),  # normalises to the root
        ("a/../../b", r"'\.\.'"),
        ("a/../C:x", "drive"),
        ("a\\b", "backslash"),
        ("..\\x", "backslash"),
        ("C:", "drive"),
        ("c:/x", "drive"),
        ("C:x", "drive"),
        ("./C:x", "drive"),
        (".:", "drive"),
        ("1:x", "drive"),
        ("~", "~"),
        ("~/x", "~"),
        ("~root/x", "~"),
        ("./~x", "~"),
        ("a\x00b", "control"),
        ("a\nb", "control"),
        ("tab\t", "control"),
        ("del\x7f", "control"),
        ("nel\x85", "control"),
        ("\ud800", "surrogate"),
        ("x" * 256, "255 bytes"),
        ("é" * 128, "255 bytes"),
        (b"model", "must be a str"),
        (None, "must be a str"),
    ],
    ids=repr,
)
def test_invalid_artifact_paths_are_refused(raw: object, rule: str) -> None:
    with pytest.raises(InvalidArtifactPath, match=rule) as info:
        validate_artifact_path(raw)  # type: ignore[arg-type]
    assert repr(raw) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_allow_empty_means_the_artifact_root() -> None:
    for raw in ("", ".", "./", ".//./"):
        assert validate_artifact_path(raw, allow_empty=True) == ""


def test_join_artifact_path() -> None:
    assert join_artifact_path(None, "f.txt") == "f.txt"
    assert join_artifact_path("", "f.txt") == "f.txt"
    assert join_artifact_path(".", "f.txt") == "f.txt"
    assert join_artifact_path("model", "MLmodel") == "model/MLmodel"
    assert join_artifact_path("a/", "b/c") == "a/b/c"
    for base, name in [("../x", "f"), ("a", ""), ("a", "../f"), ("/abs", "f"), ("a", "/f")]:
        with pytest.raises(InvalidArtifactPath):
            join_artifact_path(base, name)


@pytest.fixture(scope="module")
def path_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.path.realpath(tmp_path_factory.mktemp("artifact-root"))


# Paths built from the pieces the rules are about, far denser in edge cases than st.text().
_TRICKY = st.lists(
    st.sampled_from(list("ab./\\:~ C\x00\n\x7f") + ["..", "é", "\u2028", "\ud800"]),
    max_size=24,
).map("".join)


@settings(max_examples=2000, deadline=None)
@given(raw=st.one_of(_TRICKY, st.text(max_size=40)), allow_empty=st.booleans())
def test_any_accepted_path_stays_under_the_root(
    path_root: str, raw: str, allow_empty: bool
) -> None:
    try:
        normal = validate_artifact_path(raw, allow_empty=allow_empty)
    except InvalidArtifactPath:
        return
    assert normal or allow_empty
    assert validate_artifact_path(normal, allow_empty=allow_empty) == normal  # idempotent
    assert normal == "" or all(seg not in ("", ".", "..") for seg in normal.split("/"))
    assert os.path.expanduser(normal) == normal
    joined = os.path.realpath(os.path.join(path_root, normal))
    assert joined == path_root or joined.startswith(path_root + os.sep)
    # The same under Windows path rules, where downloads may also land.
    win = ntpath.normpath(ntpath.join("C:\\root", normal))
    assert win == "C:\\root" or win.startswith("C:\\root\\")
