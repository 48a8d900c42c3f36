"""push / pull / sync between stores through a remote (a folder, and S3 on moto)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from remote_fixtures import S3Server, remote_spec, s3_env, s3_server  # noqa: F401

from litetrack.cli import main
from litetrack.client import Client
from litetrack.errors import ChecksumMismatch, RemoteError, RemoteNotFound
from litetrack.store.core import Store
from litetrack.store.remote import open_remote, sync
from litetrack.store.remote.config import add_remote
from litetrack.store.remote.sync import manifest_key, pull, push
from litetrack.store.remote.verify import verify_remote

RemoteSpec = tuple[str, "str | None"]


def make_store(
    root: Path, spec: RemoteSpec, experiment: str, n: int, shared: bytes, *, extra_exp: bool = False
) -> Client:
    """A store with ``n`` finished runs in ``experiment``: a shared and an own artifact each."""
    client = Client(str(root))
    if extra_exp:
        client.create_experiment("only-here")  # shifts the integer id of `experiment`
    exp = client.get_experiment_by_name(experiment)
    eid = exp.experiment_id if exp else client.create_experiment(experiment)
    src = root.parent / f"{root.name}-files"
    src.mkdir(exist_ok=True)
    (src / "shared.bin").write_bytes(shared)
    for i in range(n):
        run = client.create_run(eid, run_name=f"{root.name}-{i}")
        rid = run.info.run_id
        for step in range(4):
            client.log_metric(rid, "loss", 1.0 / (step + 1 + i), step=step)
        client.log_param(rid, "i", str(i))
        client.log_artifact(rid, str(src / "shared.bin"))
        (src / "own.txt").write_text(f"{root.name} run {i}")
        client.log_artifact(rid, str(src / "own.txt"))
        client.set_terminated(rid)
    add_remote(root, "team", spec[0], endpoint_url=spec[1], default=True)
    return client


def runs_by_experiment(client: Client) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for exp in client.search_experiments():
        runs = client.search_runs([exp.experiment_id])
        if runs:
            out[exp.name] = {r.info.run_id for r in runs}
    return out


def test_union_of_two_stores(tmp_path: Path, remote_spec: RemoteSpec) -> None:  # noqa: F811
    shared = os.urandom(50_000)
    a = make_store(tmp_path / "a", remote_spec, "sweep", 3, shared)
    b = make_store(tmp_path / "b", remote_spec, "sweep", 2, shared, extra_exp=True)
    assert (
        a.get_experiment_by_name("sweep").experiment_id
        != b.get_experiment_by_name("sweep").experiment_id
    )
    ra = push(a.store, progress=False)
    rb = push(b.store, progress=False)
    assert ra.ok and rb.ok and ra.runs == 3 and rb.runs == 2
    # B's shared artifact was already there: only its own blobs travel.
    assert rb.bytes_sent < len(shared) and rb.bytes_skipped >= 2 * len(shared)

    c = Client(str(tmp_path / "c"))
    add_remote(c.store.root, "team", remote_spec[0], endpoint_url=remote_spec[1])
    rc = pull(c.store, progress=False)
    assert rc.ok and rc.runs == 5
    got = runs_by_experiment(c)
    expected = runs_by_experiment(a)["sweep"] | runs_by_experiment(b)["sweep"]
    assert got == {"sweep": expected}  # one experiment, every run once
    for rid in expected:
        src = a if rid in runs_by_experiment(a)["sweep"] else b
        assert [m.value for m in c.get_metric_history(rid, "loss")] == [
            m.value for m in src.get_metric_history(rid, "loss")
        ]
        local = c.download_artifacts(rid, "shared.bin", str(tmp_path / "dl" / rid))
        assert Path(local).read_bytes() == shared
    # Again: nothing new; and C pushing back sends nothing either.
    again = pull(c.store, progress=False)
    assert again.runs == 0 and again.blobs_sent == 0
    back = push(c.store, progress=False)
    assert back.ok and back.runs == 0 and back.bytes_sent == 0 and back.log_bytes == 0
    rep = verify_remote(open_remote(remote_spec[0], endpoint_url=remote_spec[1]))
    assert rep.ok, rep.errors
    assert rep.runs == 5 and rep.experiments == 1


@pytest.mark.parametrize("inline_max", [0, 65536])
def test_repeated_push_sends_new_points_only(
    tmp_path: Path,
    remote_spec: RemoteSpec,  # noqa: F811
    inline_max: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sync, "INLINE_MAX", inline_max)
    client = make_store(tmp_path / "a", remote_spec, "live", 0, b"x")
    run = client.create_run(client.get_experiment_by_name("live").experiment_id)
    rid = run.info.run_id
    for step in range(10):
        client.log_metric(rid, "acc", step / 10, step=step)
    first = push(client.store, progress=False)
    assert first.runs == 1
    log_path = client.store.runs.run_dir(rid) / "log.jsonl"
    size_before = log_path.stat().st_size
    for step in range(10, 15):
        client.log_metric(rid, "acc", step / 10, step=step)
    second = push(client.store, progress=False)
    assert second.runs == 1 and second.log_bytes == log_path.stat().st_size - size_before
    remote = open_remote(remote_spec[0], endpoint_url=remote_spec[1])
    manifest = json.loads(remote.get(manifest_key(rid))[0])
    assert [s["end"] for s in manifest["log"]] == [size_before, log_path.stat().st_size]
    # Small tails ride inside the manifest; larger ones are objects of their own.
    assert all(("inline" in s) == bool(inline_max) for s in manifest["log"])
    assert all(("key" in s) != bool(inline_max) for s in manifest["log"])
    c = Client(str(tmp_path / "c"))
    add_remote(c.store.root, "team", remote_spec[0], endpoint_url=remote_spec[1])
    pull(c.store, progress=False)
    assert [m.step for m in c.get_metric_history(rid, "acc")] == list(range(15))
    # The origin ends the run and pushes again; the copy catches up.
    client.set_terminated(rid)
    push(client.store, progress=False)
    assert pull(c.store, progress=False).runs == 1
    assert c.get_run(rid).info.status == "FINISHED"
    assert len(c.get_metric_history(rid, "acc")) == 15


def test_pull_leaves_a_live_local_run_alone(tmp_path: Path) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    a = make_store(tmp_path / "a", spec, "live", 1, b"x")
    run = a.create_run(a.get_experiment_by_name("live").experiment_id)
    rid = run.info.run_id
    for step in range(5):
        a.log_metric(rid, "m", float(step), step=step)
    push(a.store, progress=False)
    # Another machine resumes nothing; here the run goes on after the push.
    for step in range(5, 9):
        a.log_metric(rid, "m", float(step), step=step)
    rep = pull(a.store, progress=False)
    assert rid in rep.skipped_live or rep.runs == 0
    assert [m.step for m in a.get_metric_history(rid, "m")] == list(range(9))
    # A second store that holds more of the run than the remote keeps its points too.
    push(a.store, progress=False)
    for step in range(9, 12):
        a.log_metric(rid, "m", float(step), step=step)
    a.set_terminated(rid)
    rep = pull(a.store, progress=False)
    assert rep.ok
    assert [m.step for m in a.get_metric_history(rid, "m")] == list(range(12))
    assert a.get_run(rid).info.status == "FINISHED"


def test_cli_remote_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s"
    Client(str(store)).create_experiment("e")
    url = (tmp_path / "r").as_uri()
    assert main(["--store", str(store), "remote", "add", "team", url]) == 0
    assert main(["--store", str(store), "remote", "add", "team", url]) == 1
    assert main(["--store", str(store), "remote", "add", "bad/name", url]) == 1
    assert main(["--store", str(store), "remote", "add", "x", "http://example.invalid/a"]) == 1
    assert main(["--store", str(store), "remote", "add", "y", "s3://AKIA:secret@bucket/p"]) == 1
    assert main(["--store", str(store), "remote"]) == 2
    assert "remote [-h] SUBCOMMAND" in capsys.readouterr().out
    assert main(["--store", str(store), "remote", "ls", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"name": "team", "url": url, "endpoint_url": None, "default": True}]
    assert "secret" not in (store / "remotes.json").read_text()
    assert main(["--store", str(store), "push"]) == 0
    assert "push 'team'" in capsys.readouterr().out
    assert main(["--store", str(store), "pull", "nosuch"]) == 1
    assert "no remote named 'nosuch'" in capsys.readouterr().err
    assert main(["--store", str(store), "sync", "--json"]) == 0
    assert main(["--store", str(store), "verify", "--remote", "team"]) == 0
    assert main(["--store", str(store), "push", "--experiment", "nope"]) == 1
    assert "no experiment named 'nope'" in capsys.readouterr().err
    assert main(["--store", str(store), "remote", "rm", "team"]) == 0
    assert main(["--store", str(store), "remote", "rm", "team"]) == 1
    assert not (store / "remotes" / "team.state.json").exists()


def test_push_selects_runs_and_experiments(tmp_path: Path) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    a = make_store(tmp_path / "a", spec, "one", 2, b"x")
    other = a.create_experiment("two")
    rid = a.create_run(other).info.run_id
    assert push(a.store, experiment="two", progress=False).runs == 1
    assert push(a.store, run_ids=[rid], progress=False).runs == 0
    assert push(a.store, experiment="one", progress=False).runs == 2
    c = Client(str(tmp_path / "c"))
    add_remote(c.store.root, "team", spec[0])
    assert pull(c.store, experiment="two", progress=False).runs == 1
    assert set(runs_by_experiment(c)) == {"two"}
    assert pull(c.store, progress=False).runs == 2


def test_gc_never_touches_the_remote(tmp_path: Path) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    a = make_store(tmp_path / "a", spec, "e", 2, b"x")
    push(a.store, progress=False)
    before = sorted(m.key for m in open_remote(spec[0]).list(""))
    rid = a.search_runs([a.get_experiment_by_name("e").experiment_id])[0].info.run_id
    a.delete_run(rid)
    assert main(["--store", str(a.store.root), "gc", "--older-than", "0", "--grace", "0",
                 "--no-writers"]) == 0
    assert sorted(m.key for m in open_remote(spec[0]).list("")) == before


def test_push_on_end(tmp_path: Path) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    store = tmp_path / "w"
    add_remote(store, "team", spec[0])
    code = (
        "import litetrack as lt\n"
        "with lt.start_run() as r:\n"
        "    lt.log_metric('m', 1.0)\n"
        "print(r.info.run_id)\n"
    )
    env = {**os.environ, "LITETRACK_STORE": str(store), "LITETRACK_PUSH_ON_END": "team"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    rid = out.stdout.strip()
    manifest = json.loads(open_remote(spec[0]).get(manifest_key(rid))[0])
    assert manifest["doc"]["run_id"] == rid and manifest["log"]
    # An unknown remote name only warns: the run itself ended fine.
    env["LITETRACK_PUSH_ON_END"] = "nosuch"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and "nosuch" in out.stderr


_KILL_PUSH = """
import sys
from litetrack.store.core import get_store
from litetrack.store.remote.sync import push
push(get_store(sys.argv[1]), progress=False)
print("done")
"""


def test_push_killed_at_random_points_then_repeated(tmp_path: Path) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    a = make_store(tmp_path / "a", spec, "e", 40, os.urandom(200_000))
    rng = random.Random(17)
    completed = False
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILL_PUSH, str(a.store.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        completed = completed or b"done" in out
    rep = push(a.store, progress=False)
    assert rep.ok, (rep.conflicts, rep.problems)
    vr = verify_remote(open_remote(spec[0]))
    assert vr.ok, vr.errors
    assert vr.runs == 40
    c = Client(str(tmp_path / "c"))
    add_remote(c.store.root, "team", spec[0])
    assert pull(c.store, progress=False).runs == 40
    assert len(runs_by_experiment(c)["e"]) == 40


def test_s3_stopped_mid_push_then_retry(
    tmp_path: Path,
    s3_server: S3Server,  # noqa: F811
    s3_env: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from litetrack.store.remote import objstore

    spec = (f"s3://{s3_server.new_bucket()}/team", s3_server.endpoint)
    a = make_store(tmp_path / "a", spec, "e", 6, b"y" * 1000)
    monkeypatch.setattr(objstore, "RETRY_TIMEOUT", objstore.timedelta(seconds=2))
    calls = {"n": 0}
    real_put_file = objstore.ObstoreRemote.put_file

    def failing_put_file(self: objstore.ObstoreRemote, key: str, path: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            s3_server.stop()
        real_put_file(self, key, path)

    monkeypatch.setattr(objstore.ObstoreRemote, "put_file", failing_put_file)
    try:
        with pytest.raises(RemoteError) as info:
            push(a.store, progress=False)
        message = str(info.value)
        assert "'team'" in message and "testing" not in message
        assert main(["--store", str(a.store.root), "push"]) == 1  # the CLI: a one-line error
    finally:
        s3_server.restart()
    monkeypatch.setattr(objstore.ObstoreRemote, "put_file", real_put_file)
    rep = push(a.store, progress=False)
    assert rep.ok and rep.runs == 6
    vr = verify_remote(open_remote(spec[0], endpoint_url=spec[1]))
    assert vr.ok and vr.runs == 6, vr.errors


def test_second_push_of_unchanged_store_makes_no_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    a = make_store(tmp_path / "a", spec, "e", 20, b"z")
    push(a.store, progress=False)
    from litetrack.store.remote.folder import FolderRemote

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the remote was asked")

    for method in ("get", "head", "put", "put_file", "put_if_absent", "put_if_match", "list"):
        monkeypatch.setattr(FolderRemote, method, forbidden)
    rep = push(a.store, progress=False)
    assert rep.runs_unchanged == 20 and rep.runs == 0


def test_pull_from_unknown_remote(tmp_path: Path) -> None:
    with pytest.raises(RemoteNotFound, match="no remote given and no default"):
        pull(Store(tmp_path / "s"), progress=False)


def test_verify_remote_finds_damage_and_pull_refuses_bad_bytes(tmp_path: Path) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    a = make_store(tmp_path / "a", spec, "e", 2, b"the shared bytes")
    push(a.store, progress=False)
    remote = open_remote(spec[0])
    assert verify_remote(remote).ok
    blob = next(m.key for m in remote.list("objects/") if m.size == len(b"the shared bytes"))
    remote.put(blob, b"the shared BYTES")  # same size, other content
    rep = verify_remote(remote)
    assert not rep.ok and any("hashes to" in e for e in rep.errors)
    assert verify_remote(remote, hash_blobs=False).ok  # --quick checks sizes only
    c = Client(str(tmp_path / "c"))
    add_remote(c.store.root, "team", spec[0])
    with pytest.raises(ChecksumMismatch):
        pull(c.store, progress=False)
    assert not list(c.store.runs.iter_ids())  # no run landed without its blobs
    manifest = next(m.key for m in remote.list("runs/") if m.key.endswith("run.json"))
    remote.put(manifest, b"{not json")
    assert any("not a readable run manifest" in e for e in verify_remote(remote).errors)
    assert main(["--store", str(a.store.root), "verify", "--remote", "team", "--quick"]) == 1


def test_diverged_run_is_reported_not_merged(tmp_path: Path) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    a = make_store(tmp_path / "a", spec, "e", 1, b"x")
    rid = a.search_runs([a.get_experiment_by_name("e").experiment_id])[0].info.run_id
    push(a.store, progress=False)
    c = Client(str(tmp_path / "c"))
    add_remote(c.store.root, "team", spec[0])
    pull(c.store, progress=False)
    a.log_metric(rid, "only_in_a", 1.0)
    c.log_metric(rid, "only_in_c", 2.0)
    assert push(a.store, progress=False).runs == 1
    rep = push(c.store, progress=False)
    assert rep.runs == 0 and rep.conflicts and rid in rep.conflicts[0]
    rep = pull(c.store, progress=False)
    assert rep.conflicts
    assert "only_in_c" in c.get_run(rid).data.metrics  # the local points stay


_KILL_PULL = """
import sys
from litetrack.store.core import get_store
from litetrack.store.remote.sync import pull
pull(get_store(sys.argv[1]), progress=False)
print("done")
"""


def test_pull_killed_at_random_points_then_repeated(tmp_path: Path) -> None:
    spec = ((tmp_path / "remote").as_uri(), None)
    a = make_store(tmp_path / "a", spec, "e", 40, os.urandom(100_000))
    push(a.store, progress=False)
    c = Client(str(tmp_path / "c"))
    add_remote(c.store.root, "team", spec[0])
    rng = random.Random(5)
    for _ in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILL_PULL, str(c.store.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    rep = pull(c.store, progress=False)
    assert rep.ok, (rep.conflicts, rep.problems)
    assert len(runs_by_experiment(c)["e"]) == 40
    assert main(["--store", str(c.store.root), "verify", "--fix"]) == 0
    assert main(["--store", str(c.store.root), "verify"]) == 0
