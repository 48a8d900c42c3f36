"""Artifacts in and out under hostile conditions (issue 12 items 1, 6 and 14).

* log_artifact accepts regular files and folders only: ``/dev/zero`` filled
  ``objects/tmp`` without end and a FIFO blocked forever. Every such test runs
  under an alarm so a regression fails instead of hanging the suite.
* download_artifacts checks every digest while copying (as load_text does)
  and leaves nothing behind when it fails.
* download_artifacts never writes outside ``dst_path``, whatever the run's
  records say (records edited by hand, a symlink planted in ``dst_path``).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from helpers import bounded

import litetrack
from litetrack.client import Client
from litetrack.errors import ChecksumMismatch, InvalidArgument, InvalidArtifactPath


def temp_files(store_path: Path) -> list[Path]:
    tmp = store_path / "objects" / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


# -- item 6: special files ---------------------------------------------------------


def test_log_artifact_refuses_dev_zero(store_path: Path) -> None:
    with litetrack.start_run(), bounded(20):
        with pytest.raises(InvalidArgument, match=r"'/dev/zero'.*character device.*regular files"):
            litetrack.log_artifact("/dev/zero")
    assert temp_files(store_path) == []


def test_log_artifact_refuses_a_fifo(store_path: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with litetrack.start_run() as run, bounded(20):
        with pytest.raises(InvalidArgument, match=r"pipe.*FIFO.*regular files"):
            litetrack.log_artifact(str(fifo))
    assert litetrack.artifacts.list_artifacts(run_id=run.info.run_id) == []


def test_client_log_artifact_refuses_a_device(store_path: Path) -> None:
    client = Client()
    run = client.create_run("0")
    with bounded(20), pytest.raises(InvalidArgument, match="character device"):
        client.log_artifact(run.info.run_id, "/dev/zero")


def test_log_artifacts_skips_special_entries_with_a_report(
    store_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    os.mkfifo(folder / "sub" / "pipe")
    os.symlink("/dev/zero", folder / "zero")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "c.txt").write_text("c")
    os.symlink(outside, folder / "linked")
    with caplog.at_level(logging.WARNING), litetrack.start_run() as run, bounded(20):
        litetrack.log_artifacts(str(folder), artifact_path="d")
    paths = sorted(
        f.path
        for f in litetrack.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="d")
    )
    assert paths == ["d/a.txt", "d/sub"]
    report = caplog.text
    assert "skipped 3 entries" in report
    assert "pipe (a FIFO (named pipe))" in report
    assert "zero (a character device)" in report
    assert "linked (a symbolic link to a folder, not followed)" in report


# -- item 14: digests checked on download ------------------------------------------


def _corrupt_blob(store_path: Path, digest: str) -> None:
    blob = store_path / "objects" / "sha256" / digest[:2] / digest[2:]
    blob.chmod(stat.S_IWUSR | stat.S_IRUSR)
    data = bytearray(blob.read_bytes())
    data[0] ^= 0x01
    blob.write_bytes(bytes(data))


def _digest(run_id: str, path: str) -> str:
    doc = Client().store.runs.read(run_id)
    return str(doc["artifacts"][path]["digest"])


def test_download_checks_digests_and_leaves_nothing(store_path: Path, tmp_path: Path) -> None:
    with litetrack.start_run() as run:
        litetrack.log_text("good", "out/a.txt")
        litetrack.log_text("tampered", "out/deep/b.txt")
    rid = run.info.run_id
    digest = _digest(rid, "out/deep/b.txt")
    _corrupt_blob(store_path, digest)

    with pytest.raises(ChecksumMismatch) as load_err:
        litetrack.artifacts.load_text(f"runs:/{rid}/out/deep/b.txt")
    dst = tmp_path / "dl"
    dst.mkdir()
    (dst / "mine.txt").write_text("the user's own file")
    with pytest.raises(ChecksumMismatch) as err:
        litetrack.artifacts.download_artifacts(run_id=rid, dst_path=str(dst))
    assert err.value.expected == digest == load_err.value.expected
    assert err.value.actual == load_err.value.actual != digest
    # Nothing of the failed download, not even a.txt or empty folders; the
    # user's own file is untouched.
    assert sorted(p.name for p in dst.rglob("*")) == ["mine.txt"]

    # A single file and the default temp destination alike.
    with pytest.raises(ChecksumMismatch):
        litetrack.artifacts.download_artifacts(f"runs:/{rid}/out/deep/b.txt", dst_path=str(dst))
    assert sorted(p.name for p in dst.rglob("*")) == ["mine.txt"]
    with pytest.raises(ChecksumMismatch):
        litetrack.artifacts.download_artifacts(run_id=rid)
    # The good file still downloads.
    got = litetrack.artifacts.download_artifacts(f"runs:/{rid}/out/a.txt", dst_path=str(dst))
    assert Path(got).read_text() == "good"


# -- item 1: download never writes outside dst_path --------------------------------


def _hand_add_artifact(store_path: Path, run_id: str, path: str, digest: str) -> None:
    """Append an artifact record to the run's log by hand, as an attacker would."""
    log = store_path / "runs" / run_id / "log.jsonl"
    with open(log, "a") as f:
        f.write(json.dumps({"artifact": path, "digest": digest, "size": 1}) + "\n")


@pytest.mark.parametrize(
    "evil", ["../escaped.txt", "/tmp/litetrack-escaped-{pid}.txt", "a/../../escaped.txt"]
)
def test_download_refuses_paths_out_of_dst_from_edited_records(
    store_path: Path, tmp_path: Path, evil: str
) -> None:
    evil = evil.format(pid=os.getpid())
    with litetrack.start_run() as run:
        litetrack.log_text("x", "placeholder.txt")
    rid = run.info.run_id
    _hand_add_artifact(store_path, rid, evil, _digest(rid, "placeholder.txt"))
    dst = tmp_path / "box" / "dl"
    dst.mkdir(parents=True)
    with pytest.raises(InvalidArtifactPath, match="Refusing to write"):
        litetrack.artifacts.download_artifacts(run_id=rid, dst_path=str(dst))
    assert not (tmp_path / "box" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path(evil).is_absolute() or not Path(evil).exists()
    assert list(dst.iterdir()) == []


def test_download_does_not_write_through_a_symlink_in_dst(store_path: Path, tmp_path: Path) -> None:
    with litetrack.start_run() as run:
        litetrack.log_text("x", "sub/file.txt")
    outside = tmp_path / "outside"
    outside.mkdir()
    dst = tmp_path / "dl"
    dst.mkdir()
    os.symlink(outside, dst / "sub")
    with pytest.raises(InvalidArtifactPath, match="symbolic link"):
        litetrack.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(dst))
    assert list(outside.iterdir()) == []
