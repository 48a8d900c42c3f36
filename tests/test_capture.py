"""Source and environment captured at start_run: tags, summaries, blobs, switches, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.capture import load_diff, load_environment, load_script
from litetrack.cli import main
from litetrack.store.core import get_store

REPO_ROOT = str(Path(litetrack.__file__).resolve().parent.parent)

TRAIN = textwrap.dedent(
    """
    import litetrack
    with litetrack.start_run() as run:
        litetrack.log_param("alpha", 1)
    print(run.info.run_id)
    """
)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "JPY_"))}
    env.update(
        PYTHONPATH=REPO_ROOT,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CEILING_DIRECTORIES=str(tmp_path),  # never find a repository above tmp
    )
    env.update(extra)
    return env


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        env=clean_env(repo.parent),
        capture_output=True,
        check=True,
    ).stdout


def run_script(script: Path, tmp_path: Path, **env: str) -> str:
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=script.parent,
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def doc(run_id: str) -> dict:
    return Client().store.runs.read(run_id)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "train.py").write_text(TRAIN)
    (root / "params.txt").write_text("alpha=1\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    git(root, "remote", "add", "origin", "https://bot:s3cret@git.example.com/team/proj.git")
    return root


def test_script_in_git_repo(repo: Path, tmp_path: Path, store_path: Path) -> None:
    (repo / "params.txt").write_text("alpha=2\n")  # uncommitted change
    script = repo / "train.py"
    rid = run_script(script, tmp_path)
    run = litetrack.get_run(rid)
    head = git(repo, "rev-parse", "HEAD").decode().strip()
    tags = run.data.tags
    assert tags["mlflow.source.name"] == str(script)
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.git.commit"] == head
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "https://git.example.com/team/proj.git"
    assert tags["mlflow.user"] == run.info.user_id
    src = doc(rid)["source"]
    assert src["entry_point"] == str(script) and src["git_root"] == str(repo)
    assert src["git_commit"] == head and src["git_dirty"] is True
    assert load_script(rid) == script.read_bytes()
    diff = load_diff(rid)
    assert diff == git(repo, "diff", "--binary", "HEAD") and b"+alpha=2" in diff
    env = doc(rid)["environment"]
    assert env["python"] == ".".join(map(str, sys.version_info[:3]))
    captured = load_environment(rid)
    assert captured is not None and env["packages"] == len(captured["packages"]) > 0


def test_clean_tree_has_no_diff(repo: Path, tmp_path: Path, store_path: Path) -> None:
    rid = run_script(repo / "train.py", tmp_path)
    src = doc(rid)["source"]
    assert src["git_dirty"] is False and src["diff_digest"] is None
    assert load_diff(rid) is None


def test_environment_blob_stored_once_for_many_runs(tmp_path: Path, store_path: Path) -> None:
    ids = []
    for _ in range(5):
        with litetrack.start_run(capture_source=False) as run:
            ids.append(run.info.run_id)
    # and from other processes
    code = (
        "import litetrack\n"
        "for _ in range(3):\n"
        "    with litetrack.start_run(capture_source=False) as r: print(r.info.run_id)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    ids += out.stdout.split()
    digests = {doc(r)["environment"]["digest"] for r in ids}
    assert len(digests) == 1
    blobs = [p for p in (store_path / "objects" / "sha256").rglob("*") if p.is_file()]
    assert len(blobs) == 1 and blobs[0].parent.name + blobs[0].name == digests.pop()


def test_per_run_switches(store_path: Path) -> None:
    with litetrack.start_run(capture_environment=False) as a:
        pass
    with litetrack.start_run(capture_source=False) as b:
        pass
    with litetrack.start_run(capture_source=False, capture_environment=False) as c:
        pass
    da, db, dc = doc(a.info.run_id), doc(b.info.run_id), doc(c.info.run_id)
    assert da.get("environment") is None and da["source"]["entry_point"]
    assert "mlflow.source.name" in da["tags"]
    assert db["environment"]["digest"] and db.get("source") is None
    assert not any(k.startswith("mlflow.source.") for k in db["tags"])
    assert dc.get("environment") is None and dc.get("source") is None
    # the user is always recorded
    assert all("mlflow.user" in d["tags"] for d in (da, db, dc))


@pytest.mark.parametrize(
    "var, field", [("LITETRACK_CAPTURE_ENV", "environment"), ("LITETRACK_CAPTURE_SOURCE", "source")]
)
def test_environment_variables_switch_off(
    monkeypatch: pytest.MonkeyPatch, var: str, field: str
) -> None:
    monkeypatch.setenv(var, "0")
    with litetrack.start_run() as a:
        pass
    # The variable is the operator's switch: code cannot opt back in.
    with litetrack.start_run(capture_source=True, capture_environment=True) as b:
        pass
    for r in (a, b):
        assert doc(r.info.run_id).get(field) is None
    other = "source" if field == "environment" else "environment"
    assert doc(a.info.run_id)[other]


def test_client_create_run_does_not_capture(store_path: Path) -> None:
    c = Client()
    run = c.create_run("0")
    d = doc(run.info.run_id)
    assert d.get("source") is None and d.get("environment") is None
    assert "mlflow.source.name" not in d["tags"]


def test_tags_given_to_start_run_win(store_path: Path) -> None:
    with litetrack.start_run(tags={"mlflow.source.name": "custom.py", "mlflow.user": "alice"}) as r:
        pass
    tags = litetrack.get_run(r.info.run_id).data.tags
    assert tags["mlflow.source.name"] == "custom.py" and tags["mlflow.user"] == "alice"


def test_the_user_tag_is_in_the_first_document_even_with_capture_off(store_path: Path) -> None:
    """MLflow's default ``mlflow.user`` tag comes with the run's creation, not a later append."""
    with litetrack.start_run(capture_source=False, capture_environment=False) as r:
        first = json.loads((store_path / "runs" / r.info.run_id / "run.json").read_bytes())
        assert not (store_path / "runs" / r.info.run_id / "log.jsonl").exists()
    assert first["tags"]["mlflow.user"] == first["user_id"]
    assert litetrack.get_run(r.info.run_id).data.tags["mlflow.user"] == r.info.user_id
    with litetrack.start_run(tags={"mlflow.user": "alice"}, capture_source=False) as r:
        pass
    run = litetrack.get_run(r.info.run_id)
    assert run.data.tags["mlflow.user"] == "alice" and run.info.user_id == "alice"
    assert "mlflow.user" not in Client().get_run(Client().create_run("0").info.run_id).data.tags


def test_capture_is_one_log_write(store_path: Path) -> None:
    with litetrack.start_run() as r:
        log = store_path / "runs" / r.info.run_id / "log.jsonl"
        lines = log.read_bytes().splitlines()
    records = [json.loads(line) for line in lines]
    kinds = [next(iter(rec)) for rec in records]
    assert "source" in kinds and "environment" in kinds and "tag" in kinds


def test_show_prints_summaries(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with litetrack.start_run() as r:
        pass
    rid = r.info.run_id
    assert main(["show", rid]) == 0
    out = capsys.readouterr().out
    assert "Source" in out and "entry point" in out
    assert "Environment" in out and f"{sys.version_info.major}.{sys.version_info.minor}" in out
    assert "packages" in out
    assert main(["show", rid, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["environment"]["digest"] == doc(rid)["environment"]["digest"]
    assert data["source"]["entry_point"]


def _doctored_run(store_path: Path) -> str:
    """A run whose environment blob says: numpy changed, one package added, one removed."""
    env = load_environment_current()
    pkgs = env["packages"]
    removed = sorted(pkgs)[0]
    del pkgs[removed]
    pkgs["numpy"] = "0.0.1"
    pkgs["zz-added-pkg"] = "9.9"
    env["python"]["version"] = "3.99.0"
    store = get_store(store_path)
    data = json.dumps(env, sort_keys=True).encode()
    ref = store.objects.put_bytes(data)
    with litetrack.start_run() as r:
        store.runs.writer(r.info.run_id).log_records(
            [
                {
                    "environment": {
                        "digest": ref.digest,
                        "size": ref.size,
                        "python": "3.99.0",
                        "packages": len(pkgs),
                    }
                }
            ]
        )
    return r.info.run_id + " " + removed


def load_environment_current() -> dict:
    from litetrack.environment import capture_environment

    return capture_environment()


def test_env_diff_between_runs_and_against_interpreter(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with litetrack.start_run() as a:
        pass
    rid_a = a.info.run_id
    rid_b, removed = _doctored_run(store_path).split()
    numpy_now = load_environment_current()["packages"].get("numpy")
    assert main(["env", "diff", rid_a, rid_b[:10]]) == 0
    out = capsys.readouterr().out
    assert "+ zz-added-pkg" in out
    assert f"- {removed}" in out
    assert ("~ numpy" in out) if numpy_now else ("+ numpy" in out)
    assert "python.version" in out and "3.99.0" in out
    assert main(["env", "diff", rid_a, rid_b, "--exit-code"]) == 1
    capsys.readouterr()
    assert main(["env", "diff", rid_a, rid_b, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["added"] == {"zz-added-pkg": "9.9"} and removed in data["removed"]
    # A run against the interpreter running the command.
    assert main(["env", "diff", rid_a]) == 0
    assert "no differences" in capsys.readouterr().out
    assert main(["env", "diff", rid_b, "--exit-code"]) == 1
    assert "- zz-added-pkg" in capsys.readouterr().out


def test_env_diff_run_without_environment(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with litetrack.start_run(capture_environment=False) as r:
        pass
    assert main(["env", "diff", r.info.run_id]) == 1
    assert "no captured environment" in capsys.readouterr().err


def test_env_without_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env"]) == 2
    assert "diff" in capsys.readouterr().out


def test_capture_blobs_are_gc_roots(store_path: Path) -> None:
    from litetrack.store.maintenance import gc, verify

    with litetrack.start_run() as r:
        pass
    store = get_store(store_path)
    rep = gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True)
    assert rep.blobs == []
    assert load_environment(r.info.run_id) is not None
    assert verify(store).ok
