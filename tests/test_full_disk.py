"""A full disk: a record that could not be written whole raises, and nothing is glued or lost.

The disk filling up is simulated by making ``os.write`` on a run's log return
a short count or raise ``ENOSPC`` (what the kernel does on a full filesystem).
"""

from __future__ import annotations

import errno
import json
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.errors import LitetrackError, StoreError


class Disk:
    """Controls writes to files whose name ends with ``suffix``: ``full`` makes them
    short (half the bytes) or, with ``mode="raise"``, fail with ENOSPC."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, suffix: str = "log.jsonl") -> None:
        self.full = False
        self.mode = "short"
        self.suffix = suffix
        real = os.write

        def write(fd: int, data: bytes) -> int:  # type: ignore[override]
            if self.full:
                try:
                    target = os.readlink(f"/proc/self/fd/{fd}")
                except OSError:
                    target = ""
                if target.endswith(self.suffix):
                    if self.mode == "raise" or len(data) < 2:
                        raise OSError(errno.ENOSPC, "No space left on device")
                    return real(fd, bytes(data)[: len(data) // 2])
            return real(fd, data)

        monkeypatch.setattr(os, "write", write)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    yield Disk(monkeypatch)


def _log(store_path: Path, run_id: str) -> bytes:
    return (store_path / "runs" / run_id / "log.jsonl").read_bytes()


@pytest.mark.parametrize("mode", ["short", "raise"])
def test_full_disk_raises_and_keeps_every_acknowledged_point(store_path: Path, disk: Disk, mode: str) -> None:
    disk.mode = mode
    run = litetrack.start_run()
    rid = run.info.run_id
    acknowledged = []
    for step in range(20):
        disk.full = step in (7, 8, 13)
        try:
            litetrack.log_metric("m", float(step), step=step)
        except StoreError as e:
            assert disk.full
            # Names the run and the cause (errno), and is a litetrack error.
            assert rid in str(e) and "ENOSPC" in str(e) and isinstance(e, LitetrackError)
            assert e.run_id == rid
            # The log still ends on a line boundary: the next record starts clean.
            assert _log(store_path, rid).endswith(b"\n")
            continue
        assert not disk.full
        acknowledged.append(step)
    disk.full = False
    litetrack.end_run()
    assert acknowledged == [s for s in range(20) if s not in (7, 8, 13)]
    history = Client().get_metric_history(rid, "m")
    assert [m.step for m in history] == acknowledged
    assert litetrack.get_run(rid).info.status == "FINISHED"
    # Every line of the log is a whole record.
    for line in _log(store_path, rid).splitlines():
        json.loads(line)


def test_batch_and_params_are_all_or_nothing_on_a_full_disk(store_path: Path, disk: Disk) -> None:
    run = litetrack.start_run()
    rid = run.info.run_id
    disk.full = True
    with pytest.raises(StoreError, match=rid):
        litetrack.log_params({"a": 1, "b": 2})
    disk.full = False
    # The failed params were not remembered as logged: logging them again works.
    litetrack.log_params({"a": 1, "b": 2})
    litetrack.end_run()
    assert litetrack.get_run(rid).data.params == {"a": "1", "b": "2"}


def test_a_fragment_that_could_not_be_cut_is_not_glued_to_the_next_record(
    store_path: Path, disk: Disk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process appended after our fragment (or truncation failed): the
    # fragment stays, and the next record must start on a fresh line.
    from litetrack.store import fs

    monkeypatch.setattr(fs.os, "ftruncate", lambda fd, n: (_ for _ in ()).throw(OSError(errno.EIO, "no")))
    run = litetrack.start_run()
    rid = run.info.run_id
    litetrack.log_metric("m", 1.0, step=1)
    disk.full = True
    with pytest.raises(StoreError):
        litetrack.log_metric("m", 2.0, step=2)
    disk.full = False
    litetrack.log_metric("m", 3.0, step=3)
    litetrack.end_run()
    assert [m.step for m in Client().get_metric_history(rid, "m")] == [1, 3]


def test_store_error_pickles_with_its_attributes(store_path: Path, disk: Disk) -> None:
    run = litetrack.start_run()
    disk.full = True
    with pytest.raises(StoreError) as info:
        litetrack.log_metric("m", 1.0)
    disk.full = False
    again = pickle.loads(pickle.dumps(info.value))
    assert again.run_id == run.info.run_id and again.errno_name == "ENOSPC"


def test_failed_end_run_leaves_the_run_active(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = litetrack.start_run()
    rid = run.info.run_id
    for i in range(3):
        litetrack.log_metric("m", float(i), step=i)
    disk = Disk(monkeypatch, suffix="")  # every file: the log and the document
    disk.mode = "raise"
    disk.full = True
    with pytest.raises(LitetrackError):
        litetrack.end_run()
    disk.full = False
    # Still active: it can be ended again, and logging goes to it.
    active = litetrack.active_run()
    assert active is not None and active.info.run_id == rid
    litetrack.log_metric("m", 3.0, step=3)
    litetrack.end_run()
    assert litetrack.active_run() is None
    got = litetrack.get_run(rid)
    assert got.info.status == "FINISHED" and got.data.metrics == {"m": 3.0}
    assert len(Client().get_metric_history(rid, "m")) == 4
