"""The derived SQLite index: a cache that never disagrees with the documents."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import litetrack
from litetrack import Client
from litetrack.cli import main
from litetrack.entities import Metric, Param, RunTag, ViewType
from litetrack.query import format_filter


def _ids(runs) -> list[str]:
    return [r.info.run_id for r in runs]


def _populate(n: int = 12) -> str:
    c = Client()
    eid = c.create_experiment("idx")
    for i in range(n):
        run = c.create_run(eid, start_time=1000 + i // 2, run_name=f"r{i}")
        rid = run.info.run_id
        c.log_batch(
            rid,
            metrics=[Metric("rmse", 10 - i * 0.5, 0, 0), Metric("rmse", 9 - i * 0.5, 1, 1)],
            params=[Param("max_depth", str(i % 4))],
            tags=[RunTag("team", "a" if i % 2 else "b")],
        )
        c.set_terminated(rid)
    return eid


QUERIES = [
    ("", None),
    ("metrics.rmse < 6 and params.max_depth = '2'", ["metrics.rmse"]),
    ("tags.team = 'a' or metrics.rmse.min > 5", ["params.max_depth DESC", "metrics.rmse"]),
    ("attributes.run_name LIKE 'r1%'", None),
    ("metrics.rmse.count = 2 and not params.max_depth in ('0', '1')", ["attributes.start_time"]),
]


def test_index_equals_scan_and_deleting_it_changes_nothing(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    eid = _populate()
    c = Client()
    with_index = [_ids(c.search_runs([eid], f, order_by=o)) for f, o in QUERIES]
    assert (store_path / "index.sqlite").exists()
    (store_path / "index.sqlite").unlink()
    c.store.search_index().close()
    after_delete = [_ids(c.search_runs([eid], f, order_by=o)) for f, o in QUERIES]
    monkeypatch.setenv("LITETRACK_INDEX", "0")
    scan_client = Client()
    scan_client.store._index = None
    scanned = [_ids(scan_client.search_runs([eid], f, order_by=o)) for f, o in QUERIES]
    assert with_index == after_delete == scanned
    assert len(with_index[0]) == 12


def test_corrupt_index_is_rebuilt(store_path: Path) -> None:
    eid = _populate(4)
    c = Client()
    before = _ids(c.search_runs([eid]))
    c.store.search_index().close()
    for suffix in ("-wal", "-shm"):
        Path(f"{store_path / 'index.sqlite'}{suffix}").unlink(missing_ok=True)
    (store_path / "index.sqlite").write_bytes(b"this is not a database" * 100)
    fresh = Client()
    fresh.store._index = None
    assert _ids(fresh.search_runs([eid])) == before


def test_older_format_is_rebuilt(store_path: Path) -> None:
    eid = _populate(4)
    c = Client()
    c.search_runs([eid])
    conn = sqlite3.connect(store_path / "index.sqlite")
    conn.execute("UPDATE meta SET value = '0' WHERE key = 'format_version'")
    conn.execute("DELETE FROM runs")
    conn.commit()
    conn.close()
    assert len(c.search_runs([eid])) == 4


def test_run_copied_in_by_hand_is_found(store_path: Path, tmp_path: Path) -> None:
    eid = _populate(3)
    c = Client()
    assert len(c.search_runs([eid])) == 3
    # Copy a run folder in by hand (as rsync from a cluster would), with a new id.
    src = next((store_path / "runs").iterdir())
    doc = json.loads((src / "run.json").read_text())
    new_id = "f" * 32
    shutil.copytree(src, store_path / "runs" / new_id)
    doc["run_id"] = new_id
    (store_path / "runs" / new_id / "run.json").write_text(json.dumps(doc))
    assert new_id in _ids(c.search_runs([eid]))
    shutil.rmtree(store_path / "runs" / new_id)
    assert new_id not in _ids(c.search_runs([eid]))


def test_runs_copied_in_or_removed_in_one_clock_tick_are_found(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's mtime moves in clock ticks: changes in the tick the index saw leave it equal."""
    from litetrack.store import index as index_mod

    eid = _populate(3)
    runs = store_path / "runs"
    frozen = runs.stat().st_mtime_ns
    # A filesystem whose tick outlasts this test: every change below lands in
    # the tick of the last run's creation, so runs/ keeps the mtime it has now.
    monkeypatch.setattr(index_mod.SearchIndex, "_runs_dir_mtime", lambda self: frozen)
    from litetrack.store import fs

    monkeypatch.setattr(fs, "SETTLED_NS", 3600 * 10**9)
    c = Client()
    assert len(c.search_runs([eid])) == 3
    src = next(runs.iterdir())
    doc = json.loads((src / "run.json").read_text())
    new_id = "f" * 32
    shutil.copytree(src, runs / new_id)
    doc["run_id"] = new_id
    (runs / new_id / "run.json").write_text(json.dumps(doc))
    assert new_id in _ids(c.search_runs([eid]))
    shutil.rmtree(runs / new_id)
    assert new_id not in _ids(c.search_runs([eid]))


def test_changes_from_other_processes_and_dead_runs(store_path: Path) -> None:
    c = Client()
    eid = c.create_experiment("x")
    assert c.search_runs([eid]) == []
    code = (
        "import litetrack, os\n"
        f"run = litetrack.start_run(experiment_id='{eid}')\n"
        "litetrack.log_metric('m', 3.0)\n"
        "print(run.run_id, flush=True)\n"
        "os._exit(0)\n"  # dies without ending the run
    )
    rid = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    runs = c.search_runs([eid], "metrics.m = 3")
    assert _ids(runs) == [rid] and runs[0].info.status == "KILLED"
    assert _ids(c.search_runs([eid], "attributes.status = 'KILLED'")) == [rid]
    # A finished run gets a metric later from another process: visible in search.
    code2 = f"import litetrack\nlitetrack.Client().log_metric('{rid}', 'late', 1.5)\n"
    subprocess.run([sys.executable, "-c", code2], check=True)
    assert _ids(c.search_runs([eid], "metrics.late > 1")) == [rid]


def test_live_run_metrics_visible(store_path: Path) -> None:
    with litetrack.start_run() as run:
        litetrack.log_metric("m", 1.0)
        c = Client()
        assert _ids(c.search_runs(["0"], "metrics.m = 1")) == [run.run_id]
        litetrack.log_metric("m", 2.0, step=1)
        assert _ids(c.search_runs(["0"], "metrics.m = 2")) == [run.run_id]
        assert _ids(c.search_runs(["0"], "attributes.status = 'RUNNING'")) == [run.run_id]


def test_reindex_command(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _populate(5)
    assert main(["reindex", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == 5


def test_run_counts_from_index(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _populate(5)
    assert Client().store.run_counts() == {"1": 5}


# -- property test: the index agrees with a brute-force scan, order included ---------

KEYS = ["a", "b"]
metric_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32), st.sampled_from([0.0, 1.0, 2.0])
)
run_spec = st.fixed_dictionaries(
    {
        "start": st.integers(0, 3),
        "metrics": st.dictionaries(st.sampled_from(KEYS), st.lists(metric_values, min_size=1, max_size=3), max_size=2),
        "params": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(["1", "2", "x", "X"]), max_size=2),
        "tags": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(["p", "q%", "Q"]), max_size=2),
        "deleted": st.booleans(),
        # Artifacts: a file outside any model and/or a model folder (an MLmodel
        # beside a data file), of a few sizes so that size ties happen.
        "file": st.one_of(st.none(), st.sampled_from([1, 3])),
        "model": st.one_of(st.none(), st.sampled_from([2, 3])),
    }
)


def _field() -> st.SearchStrategy[str]:
    return st.sampled_from(
        ["metrics.a", "metrics.b", "metrics.a.min", "metrics.a.max", "metrics.b.count", "metrics.a.first"]
    )


comparisons = st.one_of(
    st.builds(lambda f, op, v: f"{f} {op} {v}", _field(), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
              st.sampled_from(["0", "1", "1.5", "2", "-1"])),
    st.builds(lambda k, op, v: f"params.{k} {op} '{v}'", st.sampled_from(KEYS),
              st.sampled_from(["=", "!=", "LIKE", "ILIKE"]), st.sampled_from(["1", "x", "%", "X_"])),
    st.builds(lambda k, op, v: f"tags.{k} {op} '{v}'", st.sampled_from(KEYS),
              st.sampled_from(["=", "!=", "LIKE", "ILIKE"]), st.sampled_from(["p", "q%", "q\\%", "%"])),
    st.builds(lambda f, n: f"{f} IS {n}", st.sampled_from(["metrics.a", "params.b", "tags.a"]),
              st.sampled_from(["NULL", "NOT NULL"])),
    st.builds(lambda k, vals: f"params.{k} IN ({', '.join(repr(v) for v in vals)})", st.sampled_from(KEYS),
              st.lists(st.sampled_from(["1", "2", "x"]), min_size=1, max_size=3)),
    st.just("attributes.status = 'FINISHED'"),
    st.builds(lambda f, op, v: f"attributes.{f} {op} {v}",
              st.sampled_from(["artifact_size", "model_size"]),
              st.sampled_from(["=", "<", ">="]), st.sampled_from(["0", "3", "5"])),
)
filters = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) AND ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) OR ({b})", inner, inner),
        st.builds(lambda a: f"NOT ({a})", inner),
    ),
    max_leaves=4,
)
orders = st.lists(
    st.builds(lambda f, d: f"{f} {d}",
              st.sampled_from(["metrics.a", "metrics.b.max", "params.a", "tags.b", "attributes.start_time",
                               "attributes.artifact_size", "attributes.model_size"]),
              st.sampled_from(["ASC", "DESC"])),
    max_size=2,
    unique_by=lambda entry: entry.split()[0],  # a field named twice is refused (as in MLflow)
)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs=st.lists(run_spec, min_size=1, max_size=8), queries=st.lists(st.tuples(filters, orders), min_size=1, max_size=5))
def test_property_index_matches_scan(tmp_path_factory: pytest.TempPathFactory, specs, queries) -> None:
    root = tmp_path_factory.mktemp("prop")
    c = Client(str(root))
    eid = c.create_experiment("p")
    for spec in specs:
        rid = c.create_run(eid, start_time=spec["start"]).info.run_id
        metrics = [Metric(k, v, 0, step) for k, vals in spec["metrics"].items() for step, v in enumerate(vals)]
        c.log_batch(rid, metrics=metrics, params=[Param(k, v) for k, v in spec["params"].items()],
                    tags=[RunTag(k, v) for k, v in spec["tags"].items()])
        if spec["file"] is not None:
            c.log_text(rid, "x" * spec["file"], "notes.txt")
        if spec["model"] is not None:
            c.log_text(rid, "flavors: {}\n", "model/MLmodel")
            c.log_text(rid, "y" * spec["model"], "model/data.bin")
        c.set_terminated(rid)
        if spec["deleted"]:
            c.delete_run(rid)
    from litetrack.store.core import Store
    from litetrack.store.search import query_runs

    scan_store = Store(root)
    scan_store._index = False  # scanning only
    for filter_string, order_by in queries:
        for view in (ViewType.ACTIVE_ONLY, ViewType.ALL):
            indexed = _ids(c.search_runs([eid], filter_string, view, order_by=order_by))
            scanned = _ids(query_runs(scan_store, [eid], filter_string, view, 1000, order_by))
            assert indexed == scanned, (filter_string, order_by)
            # Paging through the index gives the same sequence.
            paged, token = [], None
            while True:
                page = c.search_runs([eid], filter_string, view, max_results=3, order_by=order_by, page_token=token)
                paged += _ids(page)
                token = page.token
                if token is None:
                    break
            assert paged == indexed


def test_format_filter_unused_guard() -> None:
    # format_filter exists for the filter-language property tests; keep the import honest.
    assert format_filter(None) == ""


SEARCHER = """
import sys, litetrack
from litetrack import Client
wid = int(sys.argv[1])
c = Client()
eid = c.get_experiment_by_name("busy").experiment_id
seen = 0
for i in range(40):
    with litetrack.start_run(experiment_id=eid, capture_source=False, capture_environment=False):
        litetrack.log_param("w", wid)
        litetrack.log_metric("i", i)
    # Every process refreshes and queries the shared index while the others write.
    found = c.search_runs([eid], f"params.w = '{wid}'", max_results=1000)
    assert len(found) == i + 1, (wid, i, len(found))
print("ok")
"""


def test_index_with_concurrent_writers_and_searchers(store_path: Path) -> None:
    c = Client()
    eid = c.create_experiment("busy")
    procs = [subprocess.Popen([sys.executable, "-c", SEARCHER, str(w)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(4)]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0 and out.strip() == "ok", err
    runs = c.search_runs([eid], max_results=1000)
    assert len(runs) == 160
    assert sorted(len(c.search_runs([eid], f"params.w = '{w}'")) for w in range(4)) == [40] * 4
    # The index agrees with a scan.
    from litetrack.store.core import Store
    from litetrack.store.search import query_runs

    scan = Store(store_path)
    scan._index = False
    assert [r.info.run_id for r in query_runs(scan, [eid], "", max_results=1000)] == [r.info.run_id for r in runs]
