"""Cheap index ingest (issue 15): writer summaries, key/value rows filled on demand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litetrack import Client
from litetrack.entities import Metric, Param, RunTag, ViewType
from litetrack.store.core import Store
from litetrack.store.index import SearchIndex, _Journal
from litetrack.store.search import query_runs


def _ids(runs) -> list[str]:
    return [r.info.run_id for r in runs]


def _rows_agree(store: Store, run_id: str) -> tuple[object, object]:
    index = store.search_index()
    assert index is not None
    return index._summary_row(run_id), index._doc_row(store.runs.read(run_id))


def _journal_row(store: Store, run_id: str) -> object:
    """The row the journal's last line for the run carries (None: a plain line)."""
    payload = _Journal.read(store.runs.journal_path, 0).summaries.get(run_id)
    return None if payload is None else SearchIndex._journal_row(run_id, payload)


values = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.sampled_from([0.0, 1.0, -2.5]))
specs = st.fixed_dictionaries(
    {
        "metrics": st.lists(st.tuples(st.sampled_from(["a", "b"]), values, st.integers(0, 3)), max_size=6),
        "params": st.dictionaries(st.sampled_from(["p", "q"]), st.sampled_from(["1", "x", "NaN", 'é"\\'])),
        "start_tags": st.dictionaries(st.sampled_from(["z", "a"]), st.just("s")),
        "tags": st.dictionaries(st.sampled_from(["t", "u", "mlflow.runName", "a"]), st.sampled_from(["v", "Infinity", "w"])),
        "delete_tag": st.booleans(),
        "artifact": st.booleans(),
        "status": st.sampled_from(["FINISHED", "FAILED", "KILLED"]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=specs)
def test_writer_summary_equals_the_folded_run(tmp_path_factory: pytest.TempPathFactory, spec) -> None:
    """The row a writer leaves at the end is exactly the row read from the files."""
    root = tmp_path_factory.mktemp("summary")
    c = Client(str(root))
    eid = c.create_experiment("e")
    rid = c.create_run(eid, tags=spec["start_tags"]).info.run_id
    for key, value, step in spec["metrics"]:
        c.log_metric(rid, key, value, step=step)
    c.log_batch(rid, params=[Param(k, v) for k, v in spec["params"].items()],
                tags=[RunTag(k, v) for k, v in spec["tags"].items()])
    if spec["delete_tag"] and "t" in spec["tags"]:
        c.delete_tag(rid, "t")
    if spec["artifact"]:
        c.store.runs.writer(rid).log_artifact_records([("model/MLmodel", "0" * 64, 12)])
    c.set_terminated(rid, spec["status"])
    summary, folded = _rows_agree(c.store, rid)
    logged = spec["metrics"] or spec["params"] or spec["tags"] or spec["artifact"]
    journal = _journal_row(c.store, rid)
    if logged:  # a run with an empty log is ended by rewriting its document
        assert summary == folded
        assert journal == folded
    else:
        assert summary is None
        assert journal is None


def test_summary_is_ignored_once_the_run_changed(store_path: Path) -> None:
    c = Client(str(store_path))
    eid = c.create_experiment("e")
    ids = []
    for i in range(3):
        rid = c.create_run(eid).info.run_id
        c.log_metric(rid, "m", float(i))
        c.set_terminated(rid)
        ids.append(rid)
        assert _rows_agree(c.store, rid)[0] is not None
    # 1. the document is rewritten afterwards (deleted)
    c.delete_run(ids[0])
    # 2. a point is appended after the end
    c.log_metric(ids[1], "m", 10.0)
    # 3. another writer's record sits before the summary (it started at another byte)
    log = store_path / "runs" / ids[2] / "log.jsonl"
    log.write_bytes(b'{"key":"m","value":99.0,"timestamp":1,"step":9}\n' + log.read_bytes())
    os.utime(store_path / "runs")  # nothing journaled case 3: make the index look again
    c.store.search_index().rebuild()
    for rid in ids:
        summary, folded = _rows_agree(c.store, rid)
        assert summary is None
    runs = {r.info.run_id: r for r in c.search_runs([eid], run_view_type=ViewType.ALL)}
    assert runs[ids[0]].info.lifecycle_stage == "deleted"
    assert runs[ids[1]].data.metrics["m"] == 10.0
    assert runs[ids[2]].data.metrics["m"] == 99.0
    assert _ids(c.search_runs([eid], "metrics.m > 5", ViewType.ALL, order_by=["metrics.m"])) == [ids[1], ids[2]]


def test_filled_keys_follow_later_changes(store_path: Path) -> None:
    """Keys filled for a first query stay right when runs are added, changed and deleted."""
    c = Client(str(store_path))
    eid = c.create_experiment("e")

    def add(i: int) -> str:
        rid = c.create_run(eid, start_time=i).info.run_id
        c.log_batch(rid, metrics=[Metric("m", float(i % 4), 0, 0)], params=[Param("p", str(i % 3))],
                    tags=[RunTag("t", "x" if i % 2 else "y")])
        c.set_terminated(rid)
        return rid

    ids = [add(i) for i in range(8)]
    queries = [("metrics.m >= 1 and params.p = '1'", ["metrics.m DESC"]), ("tags.t = 'x'", ["params.p"]),
               ("metrics.m.max < 3 or tags.t != 'y'", [])]
    scan = Store(store_path)
    scan._index = False

    def check() -> None:
        for flt, order in queries:
            for view in (ViewType.ACTIVE_ONLY, ViewType.ALL):
                assert _ids(c.search_runs([eid], flt, view, order_by=order)) == _ids(
                    query_runs(scan, [eid], flt, view, 1000, order)
                ), flt

    check()
    ids += [add(i) for i in range(8, 12)]
    c.log_metric(ids[0], "m", 3.0, step=5)
    c.set_tag(ids[1], "t", "x")
    c.delete_tag(ids[3], "t")
    c.delete_run(ids[2])
    check()
    # A key first used after all that is filled for every run.
    queries.append(("metrics.m.count > 1", []))
    check()


def test_list_output_imports_no_pandas(store_path: Path) -> None:
    c = Client(str(store_path))
    eid = c.create_experiment("e")
    rid = c.create_run(eid).info.run_id
    c.log_metric(rid, "m", 1.0)
    c.set_terminated(rid)
    code = (
        "import sys, litetrack; litetrack.set_tracking_uri(sys.argv[1]); "
        "out = litetrack.search_runs(experiment_names=['e'], filter_string='metrics.m > 0', output_format='list'); "
        "print(len(out), 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(store_path)], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}).stdout
    assert out.split() == ["1", "False"]


def test_summary_record_is_an_ordinary_status_record_for_older_readers(store_path: Path) -> None:
    """Older readers fold the record as a status change and ignore the rest."""
    c = Client(str(store_path))
    eid = c.create_experiment("e")
    rid = c.create_run(eid).info.run_id
    c.log_param(rid, "p", "1")
    c.set_terminated(rid, "FAILED")
    last = json.loads((store_path / "runs" / rid / "log.jsonl").read_bytes().splitlines()[-1])
    assert last["status"] == "FAILED" and isinstance(last["end_time"], int)
    run = c.get_run(rid)
    assert run.info.status == "FAILED" and run.data.params == {"p": "1"}


@pytest.mark.parametrize("index", ["1", "0"])
def test_version_search_cache_sees_every_change(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, index: str
) -> None:
    """search_model_versions keeps what it read (the registry's search cache, or without it a
    settled versions folder per process), and sees writes."""
    import litetrack
    from litetrack.registry import register_model

    monkeypatch.setenv("LITETRACK_INDEX", index)
    litetrack.set_tracking_uri(str(store_path))
    with litetrack.start_run() as run:
        litetrack.log_text("artifact_path: model\nflavors: {}\n", "model/MLmodel")
    for _ in range(3):
        register_model(f"runs:/{run.info.run_id}/model", "m")
    c = Client(str(store_path))
    reg = c.store.registry
    versions_dir = next((store_path / "registry").glob("*/versions"))
    old = versions_dir.stat().st_mtime_ns - 10**10
    os.utime(versions_dir, ns=(old, old))  # settled: the listing may be kept
    # An explicit order: the default is MLflow's (last update first), which
    # registrations within one millisecond do not settle.
    by_version = ["version_number DESC"]
    assert [v.version for v in c.search_model_versions("name = 'm'", order_by=by_version)] == [3, 2, 1]
    if index == "0":
        assert reg._versions_cache  # kept
    else:
        assert (store_path / "registry" / ".search-cache.jsonl").is_file()
    found = c.search_model_versions("name = 'm'")
    found[0].tags["mutated"] = "by the caller"  # must not reach the cache
    assert c.search_model_versions("name = 'm'")[0].tags == {}
    c.set_model_version_tag("m", 2, "k", "v")
    c.transition_model_version_stage("m", 1, "Production")
    register_model(f"runs:/{run.info.run_id}/model", "m")
    got = {v.version: v for v in c.search_model_versions("name = 'm'")}
    assert sorted(got) == [1, 2, 3, 4]
    assert got[2].tags == {"k": "v"} and got[3].tags == {}
    assert got[1].current_stage == "Production"
    assert [v.version for v in c.search_model_versions("tags.k = 'v'")] == [2]
    c.delete_model_version("m", 4)
    assert [v.version for v in c.search_model_versions("name = 'm'", order_by=by_version)] == [3, 2, 1]


def test_damaged_summary_is_read_the_slow_way(store_path: Path) -> None:
    """A log edited in place (same size) cannot slip an unreadable row into the index."""
    c = Client(str(store_path))
    eid = c.create_experiment("e")
    rid = c.create_run(eid).info.run_id
    c.log_metric(rid, "m", 1.0)
    c.set_terminated(rid)
    log = store_path / "runs" / rid / "log.jsonl"
    data = log.read_bytes()
    assert b'"metrics":{' in data.splitlines()[-1]
    log.write_bytes(data.replace(b'"metrics":{', b'"metrics":[', 1))
    os.utime(store_path / "runs")
    c.store.search_index().rebuild()
    scan = Store(store_path)
    scan._index = False
    assert _ids(c.search_runs([eid], "metrics.m = 1")) == _ids(query_runs(scan, [eid], "metrics.m = 1", ViewType.ACTIVE_ONLY, 10, None)) == [rid]
    assert c.get_run(rid).data.metrics == {"m": 1.0}


def _sweep(store_path: Path, n: int) -> list[str]:
    import litetrack

    litetrack.set_tracking_uri(str(store_path))
    litetrack.set_experiment("sweep")
    ids = []
    for i in range(n):
        with litetrack.start_run() as run:
            litetrack.log_params({"p": i % 3, "q": "x"})
            litetrack.log_metric("m", float(i))
            litetrack.log_metric("m", float(i) / 2, step=1)
        ids.append(run.info.run_id)
    litetrack.set_tracking_uri(None)
    return ids


def _scan_ids(store_path: Path, filter_string: str, order_by: list[str] | None = None) -> list[str]:
    scan = Store(store_path)
    scan._index = False
    eids = [e.experiment_id for e in Client(str(store_path)).search_experiments()]
    return _ids(query_runs(scan, eids, filter_string, ViewType.ALL, None, order_by))


def test_ingest_takes_ended_runs_from_the_journal_alone(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sweep's runs are indexed from the journal's lines: no run file is opened, rows as read from the files."""
    ids = _sweep(store_path, 6)
    store = Store(store_path)
    index = store.search_index()
    assert index is not None
    folded = {rid: index._doc_row(store.runs.read(rid)) for rid in ids}

    def no_files(*args: object, **kwargs: object) -> None:
        raise AssertionError("a run's files were read")

    monkeypatch.setattr(SearchIndex, "_summary_row", no_files)
    monkeypatch.setattr(store.runs, "read", no_files)
    index.refresh()  # no index yet: a rebuild
    more = _sweep(store_path, 4)
    index.refresh()  # the journal since the last refresh
    conn = index._connect()
    cols = ("run_id, experiment_id, run_name, status, start_time, end_time, artifact_uri, user_id, "
            "lifecycle_stage, artifact_size, model_size, mstats, doc")
    rows = {r[0]: r for r in conn.execute(f"SELECT {cols} FROM runs")}
    assert set(rows) == set(ids + more)
    for rid in ids:
        assert rows[rid] == folded[rid]
    monkeypatch.undo()
    for rid in more:
        assert rows[rid] == index._doc_row(store.runs.read(rid))
    c = Client(str(store_path))
    eid = c.get_experiment_by_name("sweep").experiment_id
    for f in ("metrics.m >= 2", "params.p = '1'", ""):
        assert _ids(c.search_runs([eid], f, ViewType.ALL, order_by=["metrics.m DESC"])) == _scan_ids(
            store_path, f, ["metrics.m DESC"])


@pytest.mark.parametrize("change", ["log", "rename", "delete"])
def test_a_change_racing_the_end_voids_the_journal_row(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Another process changes the run between its status record and the journal line: a plain line follows."""
    from litetrack.store.runs import RunStore

    real = RunStore.changed
    raced: list[str] = []

    def changed(self: RunStore, run_id: str, summary: bytes | None = None, **kw: bytes | None) -> None:
        if summary is not None and not raced:
            raced.append(run_id)
            other = Client(str(store_path))  # its own Store: another writer of the run
            if change == "log":
                other.log_metric(run_id, "m", 99.0, step=5)
            elif change == "rename":
                other.set_tag(run_id, "mlflow.runName", "renamed")
            else:
                other.delete_run(run_id)
            # The other process's journal line lands first, then this one's.
        real(self, run_id, summary, **kw)

    monkeypatch.setattr(RunStore, "changed", changed)
    ids = _sweep(store_path, 2)
    monkeypatch.undo()
    rid = raced[0]
    assert rid == ids[0]
    lines = (store_path / "changes.log").read_bytes().splitlines()
    mine = [line for line in lines if line.startswith(rid.encode())]
    assert b"\t" in mine[-2] and mine[-1] == rid.encode()  # the summary, voided by a plain line
    assert _journal_row(Store(store_path), rid) is None
    c = Client(str(store_path))
    run = {r.info.run_id: r for r in c.search_runs([c.get_experiment_by_name("sweep").experiment_id],
                                                    run_view_type=ViewType.ALL)}[rid]
    if change == "log":
        assert run.data.metrics["m"] == 99.0
    elif change == "rename":
        assert run.info.run_name == "renamed"
    else:
        assert run.info.lifecycle_stage == "deleted"


@pytest.mark.parametrize("damage", ["flip", "torn", "junk"])
def test_damaged_journal_lines_change_no_answer(store_path: Path, damage: str) -> None:
    """A flipped byte, a torn line or foreign lines in the journal: the runs are read from their files."""
    ids = _sweep(store_path, 5)
    journal = store_path / "changes.log"
    lines = journal.read_bytes().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(ids[0].encode()) and b"\t" in line)
    if damage == "flip":  # same length, a view's value changed: the checksum no longer matches
        lines[at] = lines[at].replace(b'"q":"x"', b'"q":"y"', 1)
    elif damage == "torn":  # half a line, glued to the next one (a crash of the machine)
        lines[at] = lines[at][: len(lines[at]) // 2]
        lines.insert(at + 1, ids[0].encode() + b"\n")
    else:
        lines += [b"\x00" * 40 + b"\n", b"../../etc/passwd\tx\n", b"\xff\xfe\tgarbage\n", b"\t\t\n"]
    journal.write_bytes(b"".join(lines))
    c = Client(str(store_path))
    eid = c.get_experiment_by_name("sweep").experiment_id
    for f in ("params.q = 'x'", "metrics.m < 3", ""):
        assert sorted(_ids(c.search_runs([eid], f, ViewType.ALL))) == sorted(_scan_ids(store_path, f))
    assert len(c.search_runs([eid], "params.q = 'x'")) == 5
    assert all(r.data.params["q"] == "x" for r in c.search_runs([eid]))


def test_sigkill_at_random_moments_of_a_sweep_leaves_index_equal_to_scan(store_path: Path) -> None:
    """Kill sweeping processes at random moments; every search through the index equals a scan."""
    import random
    import signal
    import time

    code = (
        "import sys, litetrack\n"
        "litetrack.set_tracking_uri(sys.argv[1]); litetrack.set_experiment('sweep')\n"
        "print('sweeping', flush=True)\n"
        "for i in range(100000):\n"
        "    with litetrack.start_run():\n"
        "        litetrack.log_params({'p': i % 3})\n"
        "        litetrack.log_metric('m', float(i % 7))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    rng = random.Random(1234)
    c = Client(str(store_path))
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(store_path)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        # Timed from the start of the sweep, not of the process: a loaded
        # machine may take longer than any fixed delay to import litetrack.
        assert proc.stdout is not None and proc.stdout.readline() == "sweeping\n"
        time.sleep(0.2 + rng.random() * 0.8)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        eid = c.get_experiment_by_name("sweep").experiment_id
        for f in ("metrics.m < 3", "params.p = '1'", "attributes.status = 'FINISHED'", ""):
            assert sorted(_ids(c.search_runs([eid], f, ViewType.ALL, max_results=50000))) == sorted(
                _scan_ids(store_path, f)), f


def _index_rows(store_path: Path) -> set[str]:
    """Run ids in the index file as it is (no refresh)."""
    import sqlite3

    with sqlite3.connect(f"file:{store_path / 'index.sqlite'}?mode=ro", uri=True) as conn:
        return {r[0] for r in conn.execute("SELECT run_id FROM runs")}


def test_a_sweeping_process_keeps_the_index_caught_up(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every INDEX_CATCH_UP_EVERY runs it ends, a writer ingests the journal: readers find little left."""
    import litetrack.store.runs as runs_module

    monkeypatch.setattr(runs_module, "INDEX_CATCH_UP_EVERY", 5)
    ids = _sweep(store_path, 12)
    assert _index_rows(store_path) == set(ids[:10])  # built at the 5th run, caught up at the 10th
    c = Client(str(store_path))
    eid = c.get_experiment_by_name("sweep").experiment_id
    assert sorted(_ids(c.search_runs([eid], "", ViewType.ALL))) == sorted(ids)  # the reader ingests 2
    assert _ids(c.search_runs([eid], "metrics.m > 3", order_by=["metrics.m"])) == _scan_ids(
        store_path, "metrics.m > 3", ["metrics.m"])


def test_the_writers_catch_up_never_waits_for_the_index(store_path: Path) -> None:
    """A writer does not wait for another process writing the index: it leaves the work to readers."""
    import sqlite3

    ids = _sweep(store_path, 3)
    store = Store(store_path)
    index = store.search_index()
    assert index is not None
    index.refresh()
    more = _sweep(store_path, 2)
    other = sqlite3.connect(store_path / "index.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the index's write lock
    try:
        index.catch_up()  # returns at once, having done nothing
        assert _index_rows(store_path) == set(ids)
    finally:
        other.execute("ROLLBACK")
        other.close()
    index.catch_up()
    assert _index_rows(store_path) == set(ids + more)


def test_a_broken_index_never_fails_the_runs_that_end(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import litetrack.store.runs as runs_module

    monkeypatch.setattr(runs_module, "INDEX_CATCH_UP_EVERY", 2)
    _sweep(store_path, 3)
    (store_path / "index.sqlite").write_bytes(b"not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (store_path / f"index.sqlite{suffix}").unlink(missing_ok=True)
    ids = _sweep(store_path, 4)  # catch-ups meet the damaged file: the runs end all the same
    c = Client(str(store_path))
    eid = c.get_experiment_by_name("sweep").experiment_id
    assert set(ids) <= set(_ids(c.search_runs([eid], "", ViewType.ALL)))
    assert len(c.search_runs([eid], "params.q = 'x'")) == 7
