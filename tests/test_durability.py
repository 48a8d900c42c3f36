"""Nothing lost: fresh-process round trips, SIGKILL mid-run, torn logs, concurrent writers."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_python

import litetrack
from litetrack import Client
from litetrack.errors import CorruptDocument


def test_roundtrip_through_fresh_processes(store_path: Path) -> None:
    out = run_python(
        """
import litetrack
litetrack.set_experiment("rt")
with litetrack.start_run(run_name="r") as run:
    litetrack.log_params({"a": 1, "b": "two"})
    for i in range(50):
        litetrack.log_metric("loss", 1.0 / (i + 1), step=i)
    litetrack.set_tag("t", "v")
print(run.info.run_id)
"""
    ).stdout.strip()
    check = run_python(
        f"""
import json, litetrack
r = litetrack.get_run({out!r})
h = litetrack.Client().get_metric_history({out!r}, "loss")
print(json.dumps([r.info.status, r.data.params, r.data.metrics, r.data.tags["t"], len(h), r.info.run_name]))
"""
    ).stdout
    status, params, metrics, tag, n, name = json.loads(check)
    assert status == "FINISHED" and params == {"a": "1", "b": "two"}
    assert metrics == {"loss": 1.0 / 50} and tag == "v" and n == 50 and name == "r"


def test_open_run_ends_finished_at_exit_and_failed_on_uncaught(store_path: Path) -> None:
    ok = run_python("import litetrack\nr = litetrack.start_run()\nprint(r.run_id)").stdout.strip()
    assert litetrack.get_run(ok).info.status == "FINISHED"
    proc = run_python(
        "import litetrack\nr = litetrack.start_run()\nprint(r.run_id, flush=True)\nraise SystemExit(1) if False else 1/0",
        check=False,
    )
    assert proc.returncode != 0
    bad = proc.stdout.strip()
    assert litetrack.get_run(bad).info.status == "FAILED"


CHILD = """
import sys, litetrack
run = litetrack.start_run()
litetrack.log_params({"p": "1"})
print(run.run_id, flush=True)
i = 0
while True:
    litetrack.log_metric("step_metric", float(i), step=i)
    if i == 2000:
        print("ready", flush=True)
    i += 1
"""


def test_sigkill_mid_logging_loses_nothing(store_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    run_id = proc.stdout.readline().strip()
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run = litetrack.get_run(run_id)
    assert run.info.status == "KILLED"  # RUNNING doc, dead process
    hist = Client().get_metric_history(run_id, "step_metric")
    steps = [m.step for m in hist]
    assert len(steps) > 2000
    assert steps == list(range(len(steps)))  # every point up to the kill, in order
    assert run.data.metrics["step_metric"] == float(steps[-1])
    assert run.data.params == {"p": "1"}
    # The CLI agrees.
    from litetrack.cli import main

    assert main(["show", run_id, "--json"]) == 0
    # A resumed run can still be finished.
    with litetrack.start_run(run_id=run_id):
        litetrack.log_metric("after", 1.0)
    assert litetrack.get_run(run_id).info.status == "FINISHED"


def test_torn_last_line_is_skipped_with_warning(store_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with litetrack.start_run() as run:
        litetrack.log_metric("m", 1.0, step=0)
        litetrack.log_metric("m", 2.0, step=1)
    rid = run.info.run_id
    log = store_path / "runs" / rid / "log.jsonl"
    with open(log, "ab") as f:
        f.write(b'{"key":"m","value":3.0,"timest')  # killed mid-write
    with caplog.at_level(logging.WARNING):
        hist = Client().get_metric_history(rid, "m")
        run2 = litetrack.get_run(rid)
    assert [m.value for m in hist] == [1.0, 2.0]
    assert run2.data.metrics["m"] == 2.0
    assert any("torn" in r.message for r in caplog.records)
    # Logging again after the torn line starts on a fresh line.
    Client().log_metric(rid, "m", 4.0, step=5)
    assert [m.value for m in Client().get_metric_history(rid, "m")] == [1.0, 2.0, 4.0]


def test_garbage_line_in_middle_is_skipped(store_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with litetrack.start_run() as run:
        litetrack.log_metric("m", 1.0)
    log = store_path / "runs" / run.info.run_id / "log.jsonl"
    with open(log, "ab") as f:
        f.write(b"not json at all\n")
    Client().log_metric(run.info.run_id, "m", 5.0, step=1)
    with caplog.at_level(logging.WARNING):
        assert [m.value for m in Client().get_metric_history(run.info.run_id, "m")] == [1.0, 5.0]
    assert any("unreadable" in r.message for r in caplog.records)


def test_corrupt_run_document_names_the_file(store_path: Path) -> None:
    with litetrack.start_run() as run:
        pass
    rid = run.run_id
    doc = store_path / "runs" / rid / "run.json"
    doc.write_text('{"schema_version": 1, "run_id": ')
    with pytest.raises(CorruptDocument, match=str(doc)):
        litetrack.get_run(rid)
    doc.write_text(json.dumps({"schema_version": 1, "run_id": rid}))
    with pytest.raises(CorruptDocument, match="experiment_id"):
        litetrack.get_run(rid)
    from litetrack.cli import main

    assert main(["show", rid]) == 1  # clear error, no traceback


def test_atomic_write_leaves_no_temp_files(store_path: Path) -> None:
    with litetrack.start_run():
        litetrack.log_param("a", 1)
    leftovers = [p for p in store_path.rglob(".tmp-*")]
    assert leftovers == []


WORKER = """
import sys, litetrack
wid = int(sys.argv[1])
for i in range(15):
    # Everybody races to create the same few experiments.
    exp = litetrack.set_experiment(f"shared-{i % 3}")
    with litetrack.start_run(run_name=f"w{wid}-{i}") as run:
        litetrack.log_param("worker", wid)
        litetrack.log_metrics({"i": i, "w": wid})
    print(run.info.run_id, exp.experiment_id, flush=True)
"""


def test_concurrent_processes_lose_and_duplicate_nothing(store_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(w)], stdout=subprocess.PIPE, text=True)
        for w in range(5)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    created = [line.split() for out in outputs for line in out.splitlines()]
    assert len(created) == 75
    exps = [e for e in litetrack.search_experiments() if e.name.startswith("shared-")]
    assert sorted(e.name for e in exps) == ["shared-0", "shared-1", "shared-2"]
    ids = {e.name: e.experiment_id for e in exps}
    assert len(set(ids.values())) == 3
    client = Client()
    total = 0
    for name, eid in ids.items():
        runs = client.search_runs([eid], max_results=1000)
        total += len(runs)
        for r in runs:
            w, i = r.info.run_name[1:].split("-")
            assert f"shared-{int(i) % 3}" == name
            assert r.data.params == {"worker": w}
            assert r.data.metrics == {"i": float(i), "w": float(w)}
            assert r.info.status == "FINISHED"
    assert total == 75
    assert {rid for rid, _ in created} == {p.name for p in (store_path / "runs").iterdir()}


def test_pid_reuse_or_other_host_not_killed(store_path: Path) -> None:
    from litetrack.store.procs import process_alive

    assert process_alive(os.getpid(), None, None)  # unknown host: can't tell
    assert process_alive(123, "some-other-host", None)
    from litetrack.store.procs import hostname, own_start_time

    assert process_alive(os.getpid(), hostname(), own_start_time())
    assert not process_alive(os.getpid(), hostname(), "1")  # pid reused by another process


def test_a_document_replaced_twice_in_one_clock_tick_is_not_taken_for_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer recognises the run document it wrote last by inode, size and
    mtime. Another process's rewrite frees that inode for the next file, and
    an mtime moves in ticks of a few ms: emulated at its worst (one inode, a
    frozen clock), a same-size rewrite by someone else must still be seen."""
    from litetrack.store import fs, runs
    from litetrack.store.core import Store

    frozen = 1_700_000_000 * 10**9
    real_write_temp = fs._write_temp

    def frozen_write_temp(path: str, data: bytes, fsync: bool | None) -> str:
        tmp = real_write_temp(path, data, fsync)
        os.utime(tmp, ns=(frozen, frozen))
        return tmp

    monkeypatch.setattr(fs, "_write_temp", frozen_write_temp)
    monkeypatch.setattr(runs, "stat_key", lambda st: (1, st.st_size, st.st_mtime_ns))
    owner, other = Store(tmp_path / "s"), Store(tmp_path / "s")  # two processes' views
    writer = owner.runs.create("0", run_name="aaa")
    run_id = writer.run_id
    owner.runs.update_doc(run_id, lambda d: d.__setitem__("run_name", "aab"))  # cached by the owner
    other.runs.update_doc(run_id, lambda d: d.__setitem__("run_name", "bbb"))  # same size
    owner.runs.update_doc(run_id, lambda d: d.__setitem__("deleted_time", None))
    assert owner.runs.read(run_id)["run_name"] == "bbb"

    path = tmp_path / "doc.json"
    first = fs.write_json(path, {"v": 1})
    assert fs.write_json(path, {"v": 2}, replacing=True).st_mtime_ns > first.st_mtime_ns
