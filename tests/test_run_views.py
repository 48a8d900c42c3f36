"""``ls`` lists run views, not Run entities (issue 15): the same table from the index and from a scan."""

from __future__ import annotations

import gc
import math
from pathlib import Path

import pytest

import litetrack
from litetrack.cli import main
from litetrack.client import Client
from litetrack.entities import ViewType
from litetrack.store.core import Store
from litetrack.store.runs import effective_status, view_metric
from litetrack.store.search import gc_paused, query_run_views, query_runs


def _runs(store: Path) -> tuple[str, list[str]]:
    litetrack.set_experiment("views")
    ids = []
    for i in range(5):
        with litetrack.start_run(run_name=f"r{i}") as run:
            litetrack.log_param("depth", i)
            litetrack.log_metric("rmse", float("nan") if i == 2 else 7.0 - i)
            litetrack.log_metric("inf", float("inf"))
            litetrack.set_tag("team", "a" * i)
            if i == 3:
                litetrack.log_text("flavors: {}", "model/MLmodel")
        ids.append(run.info.run_id)
    Client(str(store)).delete_run(ids[1])
    exp = Client(str(store)).get_experiment_by_name("views")
    assert exp is not None
    return exp.experiment_id, ids


@pytest.mark.parametrize("view_type", [ViewType.ACTIVE_ONLY, ViewType.ALL])
def test_views_match_runs_from_index_and_scan(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, view_type: int
) -> None:
    eid, _ = _runs(store_path)
    for index in ("1", "0"):
        monkeypatch.setenv("LITETRACK_INDEX", index)
        store = Store(store_path)
        runs = list(query_runs(store, [eid], "", view_type, 100, ["metrics.rmse"]))
        views = list(query_run_views(store, [eid], "", view_type, 100, ["metrics.rmse"]))
        assert [v["run_id"] for v in views] == [r.info.run_id for r in runs]
        for v, r in zip(views, runs, strict=True):
            assert effective_status(v) == r.info.status
            assert (v["lifecycle_stage"] or "active") == r.info.lifecycle_stage
            assert (v["params"], v["tags"]) == (r.data.params, r.data.tags)
            assert tuple(v["sizes"]) == r.sizes
            got = {k: view_metric(m) for k, m in v["metrics"].items()}
            assert got.keys() == r.data.metrics.keys()
            for k, value in got.items():
                assert value == r.data.metrics[k] or (math.isnan(value) and math.isnan(r.data.metrics[k]))


@pytest.mark.parametrize("extra", [[], ["--all"], ["--json"], ["--csv", "--all"], ["--sort", "duration"],
                                   ["-c", "metrics.rmse,tags.team,end,user,size,model_size"]])
def test_ls_same_from_index_and_scan(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    _runs(store_path)
    out = []
    for index in ("1", "0"):
        monkeypatch.setenv("LITETRACK_INDEX", index)
        assert main(["ls", "views", "--width", "0", *extra]) == 0
        out.append(capsys.readouterr().out)
    assert out[0] == out[1]
    assert "nan" in out[0] or "--json" in extra or "-c" in extra


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # someone else's choice is kept
    finally:
        gc.enable()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()
