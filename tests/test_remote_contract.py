"""The remote interface's contract, run against every implementation (a folder, S3 on moto)."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from remote_fixtures import remote_spec, s3_env, s3_server  # noqa: F401

from litetrack.errors import InvalidArgument, RemoteNotFound
from litetrack.store.remote import Remote, open_remote


@pytest.fixture
def remote(remote_spec: tuple[str, str | None]) -> Remote:  # noqa: F811
    url, endpoint = remote_spec
    return open_remote(url, endpoint_url=endpoint, name="team")


def test_put_get_head_delete(remote: Remote) -> None:
    assert remote.head("a/b.json") is None
    with pytest.raises(RemoteNotFound, match="team"):
        remote.get("a/b.json")
    etag = remote.put("a/b.json", b"hello")
    data, etag2 = remote.get("a/b.json")
    assert data == b"hello" and etag2 == etag
    meta = remote.head("a/b.json")
    assert meta is not None and meta.size == 5 and meta.etag == etag
    assert remote.put("a/b.json", b"bye") != etag
    assert remote.get("a/b.json")[0] == b"bye"
    remote.delete("a/b.json")
    remote.delete("a/b.json")  # deleting what is gone is not an error
    assert remote.head("a/b.json") is None


def test_put_if_absent(remote: Remote) -> None:
    etag = remote.put_if_absent("x/doc.json", b"first")
    assert etag is not None
    assert remote.put_if_absent("x/doc.json", b"second") is None
    assert remote.get("x/doc.json") == (b"first", etag)


def test_compare_and_swap(remote: Remote) -> None:
    etag = remote.put("m.json", b"v1")
    new = remote.put_if_match("m.json", b"v2", etag)
    assert new is not None and new != etag
    assert remote.put_if_match("m.json", b"v3", etag) is None  # stale ETag loses
    assert remote.get("m.json") == (b"v2", new)
    assert remote.put_if_match("missing.json", b"v", etag) is None


def test_concurrent_cas_one_winner(remote: Remote) -> None:
    etag = remote.put("counter", b"start")
    wins: list[int] = []

    def attempt(i: int) -> None:
        if remote.put_if_match("counter", str(i).encode(), etag) is not None:
            wins.append(i)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert remote.get("counter")[0] == str(wins[0]).encode()


def test_list_and_files(remote: Remote, tmp_path: Path) -> None:
    src = tmp_path / "blob.bin"
    src.write_bytes(b"x" * 300_000)
    remote.put_file("objects/sha256/ab/cdef", src)
    remote.put("runs/r1/run.json", b"{}")
    remote.put("runs/r2/log/000-aa.jsonl", b"{}\n")
    remote.put("runsx.json", b"{}")
    keys = {m.key: m.size for m in remote.list("runs/")}
    assert keys == {"runs/r1/run.json": 2, "runs/r2/log/000-aa.jsonl": 3}
    assert {m.key for m in remote.list("")} >= {"objects/sha256/ab/cdef", "runsx.json"}
    assert list(remote.list("nothing/")) == []
    buf = io.BytesIO()
    assert remote.download("objects/sha256/ab/cdef", buf) == 300_000
    assert buf.getvalue() == src.read_bytes()
    with pytest.raises(RemoteNotFound):
        remote.download("objects/none", io.BytesIO())


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", ".hidden", "a\\b"])
def test_bad_keys_refused(remote: Remote, key: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid remote key"):
        remote.put(key, b"x")


def test_bad_urls() -> None:
    with pytest.raises(InvalidArgument, match="unsupported remote URL"):
        open_remote("http://example.invalid/x")
    with pytest.raises(InvalidArgument, match="credentials"):
        open_remote("s3://key:secret@bucket/x")


def test_folder_etags_never_repeat_when_the_clock_tick_and_the_inode_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replace frees the old inode for the next file, and an mtime moves in
    ticks of a few ms: two same-size replaces in one tick could bring back an
    ETag that a reader still holds, and its stale compare-and-swap would win.
    Emulated here at its worst: every file gets one inode and one mtime."""
    import shutil

    from litetrack.store import fs
    from litetrack.store.remote import folder

    frozen = 1_700_000_000 * 10**9
    real_write_temp, real_copyfile = fs._write_temp, shutil.copyfile

    def frozen_write_temp(path: str, data: bytes, fsync: bool | None) -> str:
        tmp = real_write_temp(path, data, fsync)
        os.utime(tmp, ns=(frozen, frozen))
        return tmp

    def frozen_copyfile(src: str, dst: str) -> str:
        out = real_copyfile(src, dst)
        os.utime(dst, ns=(frozen, frozen))
        return out

    monkeypatch.setattr(fs, "_write_temp", frozen_write_temp)
    monkeypatch.setattr(folder.shutil, "copyfile", frozen_copyfile)
    monkeypatch.setattr(folder, "_etag", lambda st: f"1-{st.st_size:x}-{st.st_mtime_ns:x}")
    remote = open_remote((tmp_path / "remote").as_uri(), name="team")

    held = remote.put("m.json", b"v1")  # a reader holds this ETag
    second = remote.put_if_match("m.json", b"v2", held)
    assert second is not None and second != held
    third = remote.put("m.json", b"v3")
    assert third not in (held, second)
    src = tmp_path / "v4"
    src.write_bytes(b"v4")
    remote.put_file("m.json", src)
    fourth = remote.head("m.json")
    assert fourth is not None and fourth.etag not in (held, second, third)
    # The reader's stale compare-and-swap loses; nothing written since is lost.
    assert remote.put_if_match("m.json", b"stale", held) is None
    assert remote.put_if_match("m.json", b"stale", second) is None
    assert remote.get("m.json")[0] == b"v4"
