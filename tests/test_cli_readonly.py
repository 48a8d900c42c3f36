"""Reads need read permission only and never create a store (issue 13, defects 4 and 5).

The tests run as root, whose CAP_DAC_OVERRIDE ignores file modes; the CLI is
therefore run in a subprocess that drops that capability (and
CAP_DAC_READ_SEARCH) from its bounding set before exec, so the kernel checks
the folder's modes for it as for any user.
"""

from __future__ import annotations

import ctypes
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import litetrack
from litetrack.cli import main

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _drop_file_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def cli_as_user(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m litetrack ARGS`` with file permissions enforced (even as root)."""
    return subprocess.run(
        [sys.executable, "-m", "litetrack", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_drop_file_capabilities if os.geteuid() == 0 else None,
    )


@pytest.fixture
def store(store_path: Path) -> Path:
    litetrack.set_experiment("taxi")
    for i in range(3):
        with litetrack.start_run(run_name=f"run-{i}"):
            litetrack.log_metric("rmse", 5.0 + i)
    assert main(["ls", "taxi"]) == 0  # builds the index while writable
    with litetrack.start_run(run_name="late"):  # ... which is now behind the documents
        litetrack.log_metric("rmse", 4.0)
    return store_path


def _chmod_tree(root: Path, remove: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames, ""]:
            p = Path(dirpath, name) if name else Path(dirpath)
            p.chmod(stat.S_IMODE(p.stat().st_mode) & ~remove)


@pytest.fixture
def read_only(store: Path):
    if sys.platform != "linux":
        pytest.skip("capability drop is Linux-only")
    _chmod_tree(store, stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    yield store
    for dirpath, dirnames, filenames in os.walk(store):
        for name in [*dirnames, *filenames, ""]:
            p = Path(dirpath, name) if name else Path(dirpath)
            p.chmod(stat.S_IMODE(p.stat().st_mode) | stat.S_IWUSR)


def test_read_only_store_lists_runs_and_experiments(read_only: Path) -> None:
    before = sorted(p.name for p in read_only.iterdir())
    for args in (["ls"], ["ls", "taxi"], ["ls", "taxi", "--filter", "metrics.rmse > 5.5"]):
        proc = cli_as_user("--store", str(read_only), *args)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr and "PermissionError" not in proc.stderr
        assert "warning" not in proc.stderr.lower()
    proc = cli_as_user("--store", str(read_only), "ls", "taxi", "--filter", "metrics.rmse > 5.5")
    assert "run-1" in proc.stdout and "run-2" in proc.stdout and "run-0" not in proc.stdout
    assert "taxi" in cli_as_user("--store", str(read_only), "ls").stdout
    assert sorted(p.name for p in read_only.iterdir()) == before


def test_reindex_of_a_read_only_store_says_it_needs_write_permission(read_only: Path) -> None:
    proc = cli_as_user("--store", str(read_only), "reindex")
    assert proc.returncode == 1
    assert "needs write permission" in proc.stderr and str(read_only) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreadable_store_gives_a_clear_error_from_every_command(store: Path) -> None:
    if sys.platform != "linux":
        pytest.skip("capability drop is Linux-only")
    run_id = next(iter(os.listdir(store / "runs")))
    store.chmod(0)
    try:
        for args in (
            ["ls"],
            ["ls", "taxi"],
            ["show", run_id],
            ["reindex"],
            ["verify"],
            ["gc"],
            ["models", "ls"],
            ["compare", run_id, run_id],
        ):
            proc = cli_as_user("--store", str(store), *args)
            assert proc.returncode != 0, args
            assert "Traceback" not in proc.stderr, (args, proc.stderr)
            assert str(store) in proc.stderr and "permission" in proc.stderr, (args, proc.stderr)
    finally:
        store.chmod(0o755)


def test_unreadable_file_inside_a_store_is_named(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if sys.platform != "linux":
        pytest.skip("capability drop is Linux-only")
    run_id = next(iter(os.listdir(store / "runs")))
    (store / "runs" / run_id).chmod(0)
    try:
        proc = cli_as_user("--store", str(store), "show", run_id)
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
        assert "permission denied" in proc.stderr and run_id in proc.stderr
    finally:
        (store / "runs" / run_id).chmod(0o755)


def test_ls_of_an_empty_folder_says_it_is_not_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "someproject"
    folder.mkdir()
    (folder / "train.py").write_text("print('hi')\n")
    for args in (["ls"], ["ls", "Default"], ["models", "ls"], ["verify"], ["reindex"]):
        assert main(["--store", str(folder), *args]) == 1
        assert "not a litetrack store" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["train.py"]


def test_ls_of_a_missing_folder_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert main(["--store", str(missing), "ls"]) == 1
    assert "No litetrack store" in capsys.readouterr().err
    assert not missing.exists()


def test_library_reads_write_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    client = litetrack.Client(str(folder))
    assert [e.name for e in client.search_experiments()] == ["Default"]
    assert client.get_experiment("0").name == "Default"
    assert list(client.search_runs(["0"])) == []
    assert list(folder.iterdir()) == []
    # The first write records the Default experiment.
    run = client.create_run("0")
    client.set_terminated(run.info.run_id)
    assert (folder / "experiments" / "0.json").is_file()
