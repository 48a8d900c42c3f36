"""Kills, damage and read-only readers: the index stays a cache that never changes an answer.

Regression tests for what a kill/corruption harness found (issue 15, "must hold"):
each one fails on the code before its fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from litetrack import Client
from litetrack.cli import main
from litetrack.entities import Metric, Param, RunTag, ViewType
from litetrack.store.core import Store
from litetrack.store.search import query_runs, run_keys


def _sweep(store_path: Path, n: int = 6) -> str:
    c = Client(str(store_path))
    eid = c.create_experiment("sweep")
    for i in range(n):
        rid = c.create_run(eid, start_time=1000 + i).info.run_id
        c.log_batch(rid, metrics=[Metric("m", float(i), 0, 0)], params=[Param("p", str(i % 2))],
                    tags=[RunTag("t", "x")])
        c.set_terminated(rid)
    return eid


def _answers(store: Store, eid: str) -> list[list[tuple[str, str, str | None, str, dict[str, float]]]]:
    """A few searches' results, as comparable tuples."""
    out = []
    for f, order in (("", None), ("metrics.m >= 2", ["metrics.m DESC"]), ("params.p = '1'", ["attributes.run_name"])):
        for view in (ViewType.ACTIVE_ONLY, ViewType.ALL):
            runs = query_runs(store, [eid], f, view, 1000, order)
            out.append([(r.info.run_id, r.info.status, r.info.run_name, r.info.lifecycle_stage,
                         dict(r.data.metrics)) for r in runs])
    return out


def _scan(store_path: Path, eid: str) -> list[list[tuple[str, str, str | None, str, dict[str, float]]]]:
    store = Store(store_path)
    store._index = False  # scanning only
    return _answers(store, eid)


def test_a_folder_in_place_of_the_index_makes_searches_scan(
    store_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """index.sqlite replaced by a folder (it cannot be removed to rebuild): every read scans, none fails."""
    eid = _sweep(store_path)
    want = _scan(store_path, eid)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}/index.sqlite{suffix}").unlink(missing_ok=True)
    (store_path / "index.sqlite").mkdir()
    store = Store(store_path)
    assert _answers(store, eid) == want
    assert store.run_counts() == {eid: 6}
    assert run_keys(store, [eid]) == {"params": ["p"], "metrics": ["m"], "tags": ["mlflow.runName", "t"]}
    assert "Search index unavailable" in caplog.text
    assert main(["ls", "sweep"]) == 0
    assert main(["ls"]) == 0
    assert "Traceback" not in capsys.readouterr().err
