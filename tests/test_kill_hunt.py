"""Kills, damage and read-only readers: the index stays a cache that never changes an answer.

Regression tests for what a kill/corruption harness found (issue 15, "must hold"):
each one fails on the code before its fix.
"""

from __future__ import annotations

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


# A child that changes a finished run and is killed (os._exit) before the journal
# line after the change; it stops just before the change until the parent has
# searched (so the index has read the journal up to that point).
_CHANGER = """
import os, sys
import litetrack.store.runs as runs
from litetrack import Client

store, what, rid = sys.argv[1:4]
c = Client(store)
real_write_json, real_append = runs.write_json, runs.append_whole
journal_fd = []

def pause():
    print("changing", flush=True)
    sys.stdin.readline()

def write_json(path, doc, **kw):
    pause()
    return real_write_json(path, doc, **kw)

def append_whole(fd, data):
    if fd not in journal_fd:
        pause()
    return real_append(fd, data)

def changed(self, *args, **kwargs):
    os._exit(9)  # killed before the line that follows the change

c.store.runs._journal_fd = runs.open_append(c.store.runs.journal_path)
c.store.runs._journal_pid = os.getpid()
journal_fd.append(c.store.runs._journal_fd)
runs.write_json, runs.append_whole = write_json, append_whole
runs.RunStore.changed = changed
if what == "delete":
    c.delete_run(rid)
elif what == "metric":
    c.log_metric(rid, "m", 100.0, step=3)
elif what == "rename":
    c.set_tag(rid, "mlflow.runName", "renamed")
elif what == "resume":
    c.store.runs.resume(rid)
elif what == "status":
    c.set_terminated(rid, "FAILED")
print("not killed", flush=True)
"""


@pytest.mark.parametrize("what", ["delete", "metric", "rename", "resume", "status"])
def test_a_writer_killed_between_a_change_and_its_journal_line_changes_no_answer(
    store_path: Path, what: str
) -> None:
    """The index reads the journal, the writer changes an ended run and dies before the line after it.

    The change is announced before it is made, and the index re-reads the
    run until the change is confirmed or its writer is dead.
    """
    eid = _sweep(store_path)
    rid = query_runs(Store(store_path), [eid], "params.p = '1'", ViewType.ALL, 1)[0].info.run_id
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHANGER, str(store_path), what, rid],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline() == "changing\n"
    reader = Store(store_path)
    before = _answers(reader, eid)  # the index reads the journal before the change lands
    proc.stdin.write("go\n")
    proc.stdin.flush()
    proc.communicate(timeout=120)
    assert proc.returncode == 9
    after = _scan(store_path, eid)
    assert after != before  # the change landed
    assert _answers(reader, eid) == after
    assert _answers(Store(store_path), eid) == after
    # Once the writer is known dead, the run is read one last time and left alone.
    index = reader.search_index()
    assert index is not None
    meta = index._meta(index._connect())
    assert meta["pending"] == "{}"
    assert _answers(reader, eid) == after


def test_confirmed_changes_leave_nothing_pending(store_path: Path) -> None:
    """Every announced change that its writer confirmed is forgotten: the refresh stays a stat."""
    eid = _sweep(store_path)
    c = Client(str(store_path))
    rid = c.search_runs([eid], "params.p = '1'")[0].info.run_id
    c.log_metric(rid, "m", 50.0, step=2)
    c.set_tag(rid, "mlflow.runName", "renamed")
    c.delete_run(rid)
    c.restore_run(rid)
    lines = (store_path / "changes.log").read_bytes().splitlines()
    mine = [line.partition(b"\t")[2][:1] for line in lines if line.startswith(rid.encode())]
    assert mine.count(b"~") == mine.count(b"=") == 5  # metric, tag, run_name, delete, restore
    store = Store(store_path)
    assert _answers(store, eid) == _scan(store_path, eid)
    index = store.search_index()
    assert index is not None
    assert index._meta(index._connect())["pending"] == "{}"


_OWNER = """
import os, sys
import litetrack

litetrack.set_tracking_uri(sys.argv[1])
litetrack.set_experiment("sweep")
run = litetrack.start_run(capture_source=False, capture_environment=False)
litetrack.log_metric("m", 1.0)
print(run.info.run_id, flush=True)
sys.stdin.readline()  # meanwhile another process ends the run
litetrack.log_metric("m", 30.0, step=5)  # the owner does not know: no journal line
print("logged", flush=True)
sys.stdin.readline()
os._exit(0)  # killed before it ends the run
"""


@pytest.mark.parametrize("how", ["terminate", "resume"])
def test_a_live_run_ended_by_another_process_keeps_being_read(store_path: Path, how: str) -> None:
    """Process B ends (or takes over) process A's live run; A goes on logging, unaware, then dies.

    A journals nothing (the run is RUNNING and its own), so B announces the
    change on A's behalf: the index re-reads the run while A lives, and once
    more after.
    """
    eid = _sweep(store_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", _OWNER, str(store_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    rid = proc.stdout.readline().strip()
    c = Client(str(store_path))
    if how == "terminate":
        c.set_terminated(rid, "KILLED")
    else:
        c.store.runs.resume(rid)
        c.set_terminated(rid)
    reader = Store(store_path)
    assert _answers(reader, eid) == _scan(store_path, eid)  # ingested as ended, with m = 1
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert proc.stdout.readline() == "logged\n"
    assert _answers(reader, eid) == _scan(store_path, eid)  # m = 30 while A lives
    proc.stdin.write("go\n")
    proc.stdin.flush()
    proc.communicate(timeout=120)
    after = _scan(store_path, eid)
    assert any(30.0 in [r[4].get("m") for r in page] for page in after)
    assert _answers(reader, eid) == after
    assert _answers(Store(store_path), eid) == after


_OTHER_CHANGE = """
import sys
from litetrack import Client
c = Client(sys.argv[1])
rid, change = sys.argv[2:4]
if change == "log":
    c.log_metric(rid, "m", 99.0, step=5)
elif change == "rename":
    c.set_tag(rid, "mlflow.runName", "renamed")
else:
    c.delete_run(rid)
"""


@pytest.mark.parametrize("change", ["log", "rename", "delete"])
@pytest.mark.parametrize("ingest_between", [False, True])
def test_an_end_killed_before_voiding_its_summary_changes_no_answer(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, ingest_between: bool
) -> None:
    """Another process changes a run while its writer ends it; the writer dies before the line voiding its row.

    The writer checked the run before writing the journal line with the
    run's row, the other process changed it (its lines land before that
    line), and the writer was killed before the plain line that voids the
    row: the index must not take the row from the journal.
    """
    import litetrack
    from litetrack.store.runs import RunStore, RunWriter

    real = RunStore.changed
    raced: list[str] = []

    def changed(self: RunStore, run_id: str, summary: bytes | None = None, **kw: bytes | None) -> None:
        if summary is not None and not raced:
            raced.append(run_id)
            subprocess.run([sys.executable, "-c", _OTHER_CHANGE, str(store_path), run_id, change],
                           check=True, timeout=120)
            if ingest_between:
                Store(store_path).search_index().refresh()  # type: ignore[union-attr]
        real(self, run_id, summary, **kw)

    monkeypatch.setattr(RunStore, "changed", changed)
    # Killed between the journal line carrying the row and the check after it.
    monkeypatch.setattr(RunWriter, "unchanged_since_end", lambda self: True)
    litetrack.set_tracking_uri(str(store_path))
    exp = litetrack.set_experiment("sweep")
    for i in range(2):
        with litetrack.start_run(capture_source=False, capture_environment=False):
            litetrack.log_params({"p": str(i % 2)})
            litetrack.log_metric("m", float(i))
    monkeypatch.undo()
    assert raced
    want = _scan(store_path, exp.experiment_id)
    assert _answers(Store(store_path), exp.experiment_id) == want


_PULL_KILLED = """
import os, sys
import litetrack.store.runs as runs
from litetrack.store.core import Store
from litetrack.store.remote.sync import pull

runs.RunStore.changed = lambda self, *a, **k: os._exit(9)  # killed before the line after the rewrite
pull(Store(__import__("pathlib").Path(sys.argv[1])), progress=False)
"""


def test_a_pull_killed_before_its_journal_line_changes_no_answer(tmp_path: Path) -> None:
    """A pull rewrites a run that the index holds, and is killed before the journal line after it."""
    from litetrack.store.remote.config import add_remote
    from litetrack.store.remote.sync import pull, push

    remote = (tmp_path / "remote").as_uri()
    a = Client(str(tmp_path / "a"))
    eid = a.create_experiment("shared")
    rid = a.create_run(eid).info.run_id
    a.log_metric(rid, "m", 1.0)
    a.set_terminated(rid)
    add_remote(tmp_path / "a", "team", remote, default=True)
    push(a.store, progress=False)
    b_path = tmp_path / "b"
    b = Client(str(b_path))
    add_remote(b_path, "team", remote, default=True)
    pull(b.store, progress=False)
    b_eid = b.get_experiment_by_name("shared").experiment_id
    assert _answers(Store(b_path), b_eid) == _scan(b_path, b_eid)  # the index holds the run
    a.log_metric(rid, "m", 7.0, step=1)
    a.set_tag(rid, "mlflow.runName", "renamed")
    push(a.store, progress=False)
    proc = subprocess.run([sys.executable, "-c", _PULL_KILLED, str(b_path)], timeout=120)
    assert proc.returncode == 9
    after = _scan(b_path, b_eid)
    assert after[0][0][2] == "renamed"
    assert _answers(Store(b_path), b_eid) == after


_IMPORT_KILLED = """
import os, sys
from pathlib import Path
import litetrack.importers.mlflow_import as imp
import litetrack.store.index as index_mod
import litetrack.store.runs as runs
from litetrack.cli import main
from litetrack.store.core import Store

store, source = sys.argv[1:3]
index_mod.mtime_settled = lambda *a: True  # the search below comes long after the folder appeared
real = imp.write_json

def write_json(path, doc, **kw):
    if str(path).endswith("run.json"):
        Store(Path(store)).search_index().refresh()  # a search lists runs/: the folder has no run.json
    return real(path, doc, **kw)

imp.write_json = write_json
runs.RunStore.changed = lambda self, *a, **k: os._exit(9)  # killed before the line after the run
main(["--store", store, "import-mlflow", source])
"""


def test_an_import_killed_before_its_journal_line_changes_no_answer(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search lists the run folder before its document exists; the import is killed after writing it."""
    import litetrack.store.index as index_mod

    source = Path(__file__).parent / "data" / "mlflow3" / "mlruns"
    proc = subprocess.run([sys.executable, "-c", _IMPORT_KILLED, str(store_path), str(source)], timeout=120)
    assert proc.returncode == 9
    monkeypatch.setattr(index_mod, "mtime_settled", lambda *a: True)
    c = Client(str(store_path))
    eids = [e.experiment_id for e in c.search_experiments(ViewType.ALL)]
    imported = [p.name for p in (store_path / "runs").iterdir() if (p / "run.json").exists()]
    assert len(imported) == 1
    assert [r.info.run_id for r in c.search_runs(eids, "", ViewType.ALL)] == imported


# What a writer killed mid-append, or a machine that lost power, leaves at the end
# of changes.log: half of a line, or bytes that are no line at all (invalid UTF-8,
# the run of NULs a filesystem leaves where the data never reached the disk).
_TAILS = {
    "half": None,  # the first half of the journal's last line, made below
    "garbage": b"\xff\xfe\xc3(\tjunk\x80" + b"\x00" * 64 + b"\t~\xe2\x82",
    "nuls": b"\x00" * 4096,
}


def _tear(store_path: Path, tail: str) -> None:
    """Leave a torn last line at the end of the store's journal."""
    journal = store_path / "changes.log"
    data = journal.read_bytes()
    if tail == "half":
        last = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        torn = last[: len(last) // 2]
    else:
        torn = _TAILS[tail]
    assert torn and not torn.endswith(b"\n")
    with open(journal, "ab") as f:
        f.write(torn)


_ACT = """
import sys
from litetrack import Client
from litetrack.entities import Metric, Param
store, what, eid, rid = sys.argv[1:5]
c = Client(store)
if what == "end":
    new = c.create_run(eid, start_time=5000).info.run_id
    c.log_batch(new, metrics=[Metric("m", 9.0, 0, 0)], params=[Param("p", "1")])
    c.set_terminated(new)
elif what == "metric":
    c.log_metric(rid, "m", 100.0, step=3)
elif what == "rename":
    c.set_tag(rid, "mlflow.runName", "renamed")
elif what == "delete":
    c.delete_run(rid)
"""


@pytest.mark.parametrize("tail", list(_TAILS))
def test_a_torn_journal_tail_spoils_no_later_line(store_path: Path, tail: str) -> None:
    """changes.log ends with a torn line; fresh processes end a run, log, rename, delete after it.

    Each next append must not be glued onto the torn bytes: every search
    through the index (read between the changes, and in a fresh reader)
    equals a scan.
    """
    eid = _sweep(store_path)
    reader = Store(store_path)
    assert _answers(reader, eid) == _scan(store_path, eid)
    order = ["attributes.start_time"]
    rids = [r.info.run_id for r in query_runs(reader, [eid], "", ViewType.ALL, 10, order)]
    for what, rid in (("end", ""), ("metric", rids[0]), ("rename", rids[1]), ("delete", rids[2])):
        _tear(store_path, tail)
        subprocess.run([sys.executable, "-c", _ACT, str(store_path), what, eid, rid],
                       check=True, timeout=120)
        want = _scan(store_path, eid)
        assert _answers(reader, eid) == want, what
        assert _answers(Store(store_path), eid) == want, what


@pytest.mark.parametrize("tail", list(_TAILS))
@pytest.mark.parametrize("what", ["delete", "metric", "status"])
def test_an_announcement_after_a_torn_tail_survives_its_writer_being_killed(
    store_path: Path, what: str, tail: str
) -> None:
    """A torn last line, then a writer announces a change to an ended run, makes it and is killed.

    The announcement is all the index has of the change: glued onto the torn
    bytes, it would be lost and the index would answer stale for good.
    """
    eid = _sweep(store_path)
    rid = query_runs(Store(store_path), [eid], "params.p = '1'", ViewType.ALL, 1)[0].info.run_id
    reader = Store(store_path)
    _answers(reader, eid)
    _tear(store_path, tail)
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHANGER, str(store_path), what, rid],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline() == "changing\n"
    before = _answers(reader, eid)  # the index reads the announcement before the change lands
    proc.stdin.write("go\n")
    proc.stdin.flush()
    proc.communicate(timeout=120)
    assert proc.returncode == 9
    after = _scan(store_path, eid)
    assert after != before
    assert _answers(reader, eid) == after
    assert _answers(Store(store_path), eid) == after
