"""The CLI in-process via main(argv): ls, show, --json, --store, missing store."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import litetrack
from litetrack.cli import main


def _populate() -> list[str]:
    litetrack.set_experiment("taxi")
    ids = []
    for i in range(3):
        with litetrack.start_run(run_name=f"run-{i}") as run:
            litetrack.log_params({"max_depth": i + 3, "objective": "reg:squarederror"})
            litetrack.log_metric("rmse", 7.0 - i)
        ids.append(run.run_id)
        time.sleep(0.002)  # distinct start times: "newest first" is by start time
    return ids


def test_ls_experiments_with_counts(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _populate()
    assert main(["ls"]) == 0
    out = capsys.readouterr().out
    assert "taxi" in out and "Default" in out
    assert main(["ls", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["name"]: d["runs"] for d in data} == {"Default": 0, "taxi": 3}


def test_ls_runs_newest_first(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _populate()
    assert main(["ls", "taxi", "--width", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = out[0].split()
    for col in ("id", "name", "status", "start", "duration", "metrics.rmse", "params.max_depth"):
        assert col in header
    assert [line.split()[0] for line in out[1:]] == [i[:8] for i in reversed(ids)]
    assert main(["ls", "taxi", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in rows] == ids[::-1]
    assert rows[0]["metrics.rmse"] == 5.0 and rows[0]["params.max_depth"] == "5"


def test_ls_trims_to_width(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _populate()
    assert main(["ls", "taxi", "--width", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 60


def test_ls_by_id_and_store_flag(store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _populate()
    other = tmp_path / "other"
    assert main(["--store", str(store_path), "ls", "1"]) == 0
    assert "run-0" in capsys.readouterr().out
    assert main(["ls", "taxi", "--store", str(other)]) == 1
    err = capsys.readouterr().err
    assert "No litetrack store" in err and "Traceback" not in err
    assert main(["ls", "nope"]) == 1
    assert "No experiment named" in capsys.readouterr().err


def test_show_run(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _populate()
    assert main(["show", ids[0][:10]]) == 0
    out = capsys.readouterr().out
    assert ids[0] in out and "max_depth" in out and "rmse" in out
    assert main(["show", ids[0], "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["params"]["max_depth"] == "3" and d["metrics"]["rmse"]["value"] == 7.0
    assert d["status"] == "FINISHED"
    assert main(["show", "zzzz"]) == 1


def test_python_m_entry_point(store_path: Path) -> None:
    from conftest import run_python

    _populate()
    proc = run_python("import runpy, sys; sys.argv=['litetrack','ls']; runpy.run_module('litetrack', run_name='__main__')", check=False)
    assert proc.returncode == 0 and "taxi" in proc.stdout
