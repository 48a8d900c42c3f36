"""verify and gc: what they find, what --fix repairs, what gc removes and never removes."""

from __future__ import annotations

import argparse
import json
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
from litetrack.cli import main
from litetrack.cli.maintenance import parse_duration
from litetrack.errors import ChecksumMismatch
from litetrack.store.core import get_store
from litetrack.store.maintenance import gc, verify


def kinds(rep) -> set[str]:
    return {f.kind for f in rep.findings if not f.fixed}


def blob_path(store_path: Path, digest: str) -> Path:
    return store_path / "objects" / "sha256" / digest[:2] / digest[2:]


def artifact_digest(run_id: str, path: str) -> str:
    return Client().store.runs.read(run_id)["artifacts"][path]["digest"]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def age(path: Path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def snapshot(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and p.name != "index.sqlite-shm"
    }


@pytest.fixture
def store(store_path: Path):
    return get_store(store_path)


def make_run(text: str = "hello", shared: str | None = None, **kw) -> str:
    with litetrack.start_run(**kw) as run:
        litetrack.log_metric("rmse", 1.5)
        litetrack.log_text(text, "notes.txt")
        if shared is not None:
            litetrack.log_text(shared, "shared.txt")
    return run.info.run_id


# -- verify ---------------------------------------------------------------------------


def test_clean_store(store, capsys: pytest.CaptureFixture[str]) -> None:
    make_run()
    assert main(["verify"]) == 0
    assert "OK" in capsys.readouterr().out
    rep = verify(store)
    assert rep.ok and rep.runs == 1 and rep.blobs == rep.referenced == rep.hashed == 3
    assert main(["verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_corrupted_blob_found_by_verify_and_by_a_verified_read(
    store, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rid = make_run("precious bytes")
    digest = artifact_digest(rid, "notes.txt")
    path = blob_path(store_path, digest)
    os.chmod(path, 0o644)
    path.write_bytes(b"PRECIOUS bytes")  # same size, other content
    rep = verify(store)
    assert not rep.ok and kinds(rep) == {"corrupt_blob"}
    assert digest in rep.findings[0].message and "notes.txt" in rep.findings[0].message
    assert main(["verify"]) == 1
    assert "corrupt_blob" in capsys.readouterr().out
    with pytest.raises(ChecksumMismatch):
        litetrack.artifacts.load_text(f"runs:/{rid}/notes.txt")
    path.write_bytes(b"short")
    assert "corrupt_blob" in kinds(verify(store, hash_blobs=False))  # size differs


def test_missing_blob(store, store_path: Path) -> None:
    rid = make_run()
    blob_path(store_path, artifact_digest(rid, "notes.txt")).unlink()
    rep = verify(store)
    assert kinds(rep) == {"missing_blob"} and not verify(store, fix=True).ok


def test_corrupt_documents(store, store_path: Path) -> None:
    rid = make_run()
    (store_path / "runs" / rid / "run.json").write_text('{"schema_version": 1, "run_id": ')
    exp_id = litetrack.create_experiment("other")
    (store_path / "experiments" / f"{exp_id}.json").write_text('{"schema_version": 1}')
    rep = verify(store)
    assert kinds(rep) == {"corrupt_document", "orphan_blobs"}
    subjects = " ".join(f.message for f in rep.findings)
    assert "run.json" in subjects and f"{exp_id}.json" in subjects
    assert not rep.ok


def test_torn_log_is_terminated_by_fix(store, store_path: Path) -> None:
    rid = make_run()
    log = store_path / "runs" / rid / "log.jsonl"
    with open(log, "ab") as f:
        f.write(b'{"key":"rmse","value":1.2,"times')  # a writer killed mid-record
    rep = verify(store)
    assert kinds(rep) == {"torn_log"}
    fixed = verify(store, fix=True)
    assert fixed.ok and [f.kind for f in fixed.findings if f.fixed] == ["torn_log"]
    after = verify(store)
    assert after.ok and kinds(after) == {"damaged_lines"}  # a note: the record is lost
    litetrack.log_metric("rmse", 1.0, run_id=rid)  # the log goes on
    assert Client().get_metric_history(rid, "rmse")[-1].value == 1.0


def test_stale_running_run_marked_killed(store, store_path: Path) -> None:
    out = run_python(
        "import os, litetrack\n"
        "run = litetrack.start_run()\n"
        "litetrack.log_metric('m', 1.0)\n"
        "print(run.info.run_id, flush=True)\n"
        "os._exit(0)  # no atexit: the run stays RUNNING on disk\n"
    )
    rid = out.stdout.strip()
    assert store.runs.read_raw(rid)["status"] == "RUNNING"
    rep = verify(store)
    assert kinds(rep) == {"stale_running"} and rid in rep.findings[0].message
    assert verify(store, fix=True).ok
    doc = store.runs.read(rid)
    assert doc["status"] == "KILLED" and doc["end_time"] >= doc["start_time"]
    assert verify(store).ok


def test_temp_files_left_by_killed_writers(store, store_path: Path) -> None:
    rid = make_run()
    pid = dead_pid()
    old_doc_tmp = store_path / "runs" / rid / f".tmp-run.json.{pid}.3"
    old_blob_tmp = store_path / "objects" / "tmp" / f".tmp-{pid}-abcd1234"
    fresh = store_path / "experiments" / f".tmp-0.json.{pid}.4"
    alive = store_path / "objects" / "tmp" / f".tmp-{os.getpid()}-efgh5678"  # a put in progress
    for p in (old_doc_tmp, old_blob_tmp, fresh, alive):
        p.write_bytes(b"partial")
    for p in (old_doc_tmp, old_blob_tmp, alive):
        age(p, 600)
    rep = verify(store)
    assert kinds(rep) == {"temp_file"}
    assert {f.subject for f in rep.findings} == {str(old_doc_tmp), str(old_blob_tmp)}
    assert verify(store, fix=True).ok
    assert not old_doc_tmp.exists() and not old_blob_tmp.exists()
    assert fresh.exists() and alive.exists()


def test_incomplete_run_folder(store, store_path: Path) -> None:
    make_run()
    folder = store_path / "runs" / ("f" * 32)
    folder.mkdir()
    age(folder, 600)
    assert kinds(verify(store)) == {"incomplete_run"}
    assert verify(store, fix=True).ok and not folder.exists()


def test_orphan_blob_is_a_note(store) -> None:
    make_run()
    store.objects.put_bytes(b"nobody points at me")
    rep = verify(store)
    assert rep.ok and kinds(rep) == {"orphan_blobs"} and len(rep.orphans) == 1


# -- gc ---------------------------------------------------------------------------------


def test_gc_removes_old_deleted_runs_and_experiments_keeps_shared_blobs(
    store, store_path: Path
) -> None:
    keep = make_run("kept", shared="shared")
    gone = make_run("only in the deleted run", shared="shared")
    exp = litetrack.create_experiment("old experiment")
    in_exp = make_run("only in the deleted experiment", experiment_id=exp)
    young = make_run("deleted recently")
    c = Client()
    c.delete_run(gone)
    c.delete_experiment(exp)
    gone_digest = artifact_digest(gone, "notes.txt")
    exp_digest = artifact_digest(in_exp, "notes.txt")
    shared_digest = artifact_digest(keep, "shared.txt")
    young_digest = artifact_digest(young, "notes.txt")
    # Make the two deletions 2 days old; the young one happens now.
    for rid in (gone,):
        store.runs.update_doc(
            rid, lambda d: d.__setitem__("deleted_time", d["deleted_time"] - 2 * 86400_000)
        )
    store.experiments.update(exp, deleted_time=int(time.time() * 1000) - 2 * 86400_000)
    c.delete_run(young)

    rep = gc(store, older_than_seconds=86400, grace_seconds=0, no_writers=True)
    assert rep.ok
    assert sorted(rep.runs) == sorted([gone, in_exp]) and rep.experiments == [exp]
    assert set(rep.blobs) == {gone_digest, exp_digest} and rep.blob_bytes > 0
    assert not (store_path / "runs" / gone).exists()
    assert not (store_path / "experiments" / f"{exp}.json").exists()
    assert blob_path(store_path, shared_digest).exists()
    assert blob_path(store_path, young_digest).exists()  # restorable until it is old enough
    c.restore_run(young)
    assert litetrack.artifacts.load_text(f"runs:/{young}/notes.txt") == "deleted recently"
    assert verify(store).ok
    # the index forgot the removed runs
    assert {r.info.run_id for r in c.search_runs(["0"], run_view_type=3)} == {keep, young}


def artifact_digest_of_orphan(store) -> str:
    import hashlib

    return hashlib.sha256(b"orphan").hexdigest()


def test_gc_dry_run_changes_nothing(
    store, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rid = make_run("bye")
    Client().delete_run(rid)
    store.objects.put_bytes(b"orphan")
    before = snapshot(store_path)
    assert main(["gc", "--older-than", "0", "--grace", "0", "--no-writers", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Would remove 1 runs") and rid in out
    assert snapshot(store_path) == before
    assert main(["gc", "--older-than", "0", "--grace", "0", "--no-writers", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"] == [rid]
    assert artifact_digest_of_orphan(store) in data["blobs"]


def test_gc_grace_keeps_young_unreferenced_blobs(store, store_path: Path) -> None:
    make_run()
    ref = store.objects.put_bytes(b"just published, record not written yet")
    assert gc(store, older_than_seconds=0, grace_seconds=3600).blobs == []
    assert blob_path(store_path, ref.digest).exists()
    assert gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True).blobs == [ref.digest]


def test_gc_never_removes_a_live_run(store) -> None:
    with litetrack.start_run() as run:
        litetrack.log_text("live", "a.txt")
        Client().delete_run(run.info.run_id)
        rep = gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True)
        assert rep.runs == [] and rep.blobs == []
        assert store.runs.exists(run.info.run_id)


def test_gc_blocked_by_an_unreadable_run(store, store_path: Path) -> None:
    rid = make_run()
    other = make_run("other")
    store.objects.put_bytes(b"orphan")
    (store_path / "runs" / rid / "run.json").write_text("garbage")
    rep = gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True)
    assert not rep.ok and rep.blobs == [] and rid in rep.blocked[0]
    assert litetrack.artifacts.load_text(f"runs:/{other}/notes.txt") == "other"


def test_gc_keeps_registry_blobs(store, monkeypatch: pytest.MonkeyPatch) -> None:
    from litetrack.store.registry.store import RegistryStore

    ref = store.objects.put_bytes(b"a registered model file")
    monkeypatch.setattr(RegistryStore, "referenced_digests", lambda self: {ref.digest})
    assert gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True).blobs == []
    assert verify(store).orphans == []


def test_gc_clears_unused_cache_folders(store, store_path: Path) -> None:
    base = store_path / "cache" / "materialized"
    old, recent = base / "a", base / "b"
    for folder in (old, recent):
        (folder / "model").mkdir(parents=True)
        (folder / "model" / "MLmodel").write_text("x")
    for p in (old / "model" / "MLmodel", old / "model", old):
        age(p, 40 * 86400)
    rep = gc(store, older_than_seconds=30 * 86400, grace_seconds=0, no_writers=True)
    assert rep.cache_dirs == [str(old)] and not old.exists() and recent.exists()


def test_parse_duration() -> None:
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("1d6h30m") == 86400 + 6 * 3600 + 1800
    assert parse_duration("90") == 90 and parse_duration("0") == 0
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration("3 days")
    with pytest.raises(SystemExit):
        main(["gc", "--older-than", "-1d"])


# -- concurrency and crashes ------------------------------------------------------------

WRITER = r"""
import os, random, sys, time
import litetrack
from litetrack import Client

shared, seconds = sys.argv[1], float(sys.argv[2])
random.seed(os.getpid())
c = Client()
end = time.monotonic() + seconds  # not the wall clock: it can be stepped
n = 0
while time.monotonic() < end:
    ephemeral = random.random() < 0.1
    with litetrack.start_run(capture_source=False) as run:
        litetrack.log_artifact(shared)                      # identical bytes in every process
        litetrack.log_text(f"{os.getpid()}-{n}", "own.txt")  # new bytes
        litetrack.log_text("common text", "common.txt")     # identical, through put_bytes
        if ephemeral:
            # Only ever referenced by runs deleted below: gc removes this blob
            # now and then while another process is re-logging it.
            litetrack.log_text("ephemeral", "ephemeral.txt")
    rid = run.info.run_id
    uri = f"runs:/{rid}/"
    assert litetrack.artifacts.load_text(uri + "common.txt") == "common text"
    if ephemeral:
        assert litetrack.artifacts.load_text(uri + "ephemeral.txt") == "ephemeral"
    if ephemeral or n % 2 == 0:
        c.delete_run(rid)  # unreferenced as soon as gc removes the run
    n += 1
    time.sleep(random.random() * 0.2)
print(n)
"""


def test_gc_racing_with_writers_never_removes_a_referenced_blob(
    store, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import litetrack.store.gc as gc_module

    # A grace far below the real minimum, so the race happens within the
    # test: these writers record a blob milliseconds after storing it.
    monkeypatch.setattr(gc_module, "MIN_GRACE_SECONDS", 0.5)
    shared = tmp_path / "shared.bin"
    shared.write_bytes(os.urandom(300_000))
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(shared), "4"], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    import hashlib

    ephemeral = hashlib.sha256(b"ephemeral").hexdigest()
    removed_runs = removed_blobs = ephemeral_removed = 0
    try:
        while any(p.poll() is None for p in procs):
            rep = gc(store, older_than_seconds=0, grace_seconds=0.5)
            assert rep.ok
            removed_runs += len(rep.runs)
            removed_blobs += len(rep.blobs)
            ephemeral_removed += ephemeral in rep.blobs
            time.sleep(0.05)
    finally:
        for p in procs:
            p.wait(timeout=60)
    # Each writer read back every artifact right after logging it.
    assert all(p.returncode == 0 for p in procs)
    assert removed_runs > 0 and removed_blobs > 0  # gc really raced the writers
    print(
        f"gc removed {removed_runs} runs, {removed_blobs} blobs "
        f"(the re-logged one {ephemeral_removed} times)"
    )
    final = verify(store)
    assert not ({"missing_blob", "corrupt_blob"} & kinds(final)), final.findings
    for run in Client().search_runs(["0"]):
        assert litetrack.artifacts.load_text(f"runs:/{run.info.run_id}/common.txt") == "common text"


def test_sigkill_during_a_large_artifact_leaves_no_partial_blob(
    store, store_path: Path, tmp_path: Path
) -> None:
    # A FIFO read as a stream makes the copy block mid-way deterministically:
    # the writer has copied 8 MiB into its temp file when it is killed.
    # (log_artifact refuses a FIFO; put_stream is the same copy-and-hash path.)
    fifo = tmp_path / "big.bin"
    os.mkfifo(fifo)
    code = (
        "import litetrack, sys\n"
        "from litetrack.client import Client\n"
        "with litetrack.start_run(capture_source=False):\n"
        "    with open(sys.argv[1], 'rb') as f:\n"
        "        Client().store.objects.put_stream(f)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(fifo)])
    tmp_dir = store_path / "objects" / "tmp"
    with open(fifo, "wb") as f:
        f.write(os.urandom(8 << 20))
        f.flush()
        # Generous for a loaded machine: left as soon as the copy is there.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            temps = list(tmp_dir.glob(".tmp-*")) if tmp_dir.exists() else []
            if temps and temps[0].stat().st_size >= 8 << 20:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert temps and temps[0].stat().st_size >= 8 << 20
    # Nothing under a final name but complete blobs (the environment's).
    for digest in store.objects.iter_digests():
        store.objects.verify(digest)
    # The temp file is young (it could be a put in progress on another host
    # sharing the store): reported once it is a minute old.
    assert kinds(verify(store)) == {"stale_running"}
    age(temps[0], 120)
    fixed = verify(store, fix=True)
    assert fixed.ok, fixed.findings
    assert not temps[0].exists()
    assert verify(store).ok
