"""The one flock helper (store/fs.py): fresh descriptor per lock, nothing leaked on failure."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from litetrack.store import fs


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def test_filelock_closes_its_descriptor_when_flock_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    opened: list[int] = []
    real_open = os.open

    def recording_open(*args: object, **kwargs: object) -> int:
        fd = real_open(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(fd)
        return fd

    def failing_flock(fd: int, op: int) -> None:
        raise OSError(37, "No locks available")

    lock = fs.FileLock(tmp_path / "x.lock")
    monkeypatch.setattr(os, "open", recording_open)
    monkeypatch.setattr(fcntl, "flock", failing_flock)
    with pytest.raises(OSError, match="No locks available"):
        lock.acquire()
    monkeypatch.undo()
    assert opened and not any(_is_open(fd) for fd in opened)
    with lock:  # the thread lock was released too: the lock still works
        with lock:
            pass


def test_shared_locks_coexist_and_exclude_an_exclusive_one(tmp_path: Path) -> None:
    path = tmp_path / "gc.lock"
    a = fs.lock_fd(path, shared=True)
    b = fs.lock_fd(path, shared=True)
    probe = os.open(path, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(a)
        os.close(b)
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once both closed
    finally:
        os.close(probe)


def test_a_folder_lock_needs_the_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fs.lock_fd(tmp_path / "gone", folder=True)
    with fs.flocked(tmp_path, folder=True):
        probe = os.open(tmp_path, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(probe)
