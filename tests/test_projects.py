"""Projects with the local environment: MLproject, parameters, the handed run, FAILED/KILLED, rerun.

The taxi project (examples/taxi-project) runs for real with this interpreter;
small projects written into tmp_path cover the edges. Every command runs in a
fresh process, as ``python -m litetrack run`` does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import litetrack
from litetrack.cli import main
from litetrack.errors import InvalidArgument, NotFound
from litetrack.projects import ExecutionException, load_project, rerun, run
from litetrack.projects.runner import TAG_EXIT_CODE, TAG_RERUN_OF

ROOT = Path(__file__).resolve().parent.parent
TAXI = ROOT / "examples" / "taxi-project"


def _git(cwd: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@t.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@t.invalid",
    )
    out = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return out.stdout.decode().strip()


def _repo(path: Path, files: dict[str, str]) -> str:
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "-q", "-b", "main")
    for name, text in files.items():
        (path / name).write_text(text)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "c")
    return _git(path, "rev-parse", "HEAD")


def _project(path: Path, mlproject: str, **files: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "MLproject").write_text(mlproject)
    for name, text in files.items():
        (path / name.replace("__", ".")).write_text(text)
    return path


def _output(run_id: str) -> str:
    local = litetrack.Client().download_artifacts(run_id, "project/output.log")
    return Path(local).read_text()


# -- reading MLproject and checking parameters ---------------------------------------


def test_mlproject_is_read_as_mlflow_writes_it() -> None:
    project = load_project(TAXI)
    assert project.name == "taxi-duration"
    assert project.env_kind == "python_env"
    assert project.env is not None and "scikit-learn" in project.env.dependencies
    main_ep = project.entry_point("main")
    assert {k: p.type for k, p in main_ep.parameters.items()} == {
        "alpha": "float",
        "n_trips": "int",
        "seed": "int",
    }
    assert main_ep.parameters["alpha"].default == 1.0


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ({"alpha": "abc"}, "parameter 'alpha' must be a float, got 'abc'"),
        ({"n": "1.5"}, "parameter 'n' must be an int, got '1.5'"),
        (
            {"data": "no/such/file.csv"},
            "parameter 'data' is a path, and 'no/such/file.csv' does not",
        ),
    ],
)
def test_bad_parameter_values_named_before_anything_runs(
    tmp_path: Path, store_path: Path, given: dict, match: str
) -> None:
    proj = _project(
        tmp_path / "p",
        "entry_points:\n  main:\n    parameters:\n"
        "      alpha: {type: float, default: 1}\n      n: {type: int, default: 2}\n"
        "      data: {type: path, default: .}\n"
        "    command: touch ran\n",
    )
    with pytest.raises(InvalidArgument, match=match):
        run(str(proj), parameters=given, env_manager="local")
    assert not (proj / "ran").exists()
    assert not store_path.exists() or litetrack.search_runs(output_format="list") == []


def test_missing_parameters_are_all_named(tmp_path: Path) -> None:
    proj = _project(
        tmp_path / "p",
        "entry_points:\n  main:\n    parameters:\n      a: float\n      b: string\n"
        "      c: {type: int, default: 1}\n    command: echo {a} {b} {c}\n",
    )
    with pytest.raises(InvalidArgument, match="missing parameters of entry point 'main': 'a', 'b'"):
        run(str(proj), env_manager="local")


def test_unknown_entry_point_and_unsupported_environments(tmp_path: Path) -> None:
    proj = _project(tmp_path / "p", "entry_points:\n  main:\n    command: echo hi\n")
    (proj / "other.py").write_text("")
    with pytest.raises(NotFound, match=r"'nope'.*\['main'\].*\['other.py'\]"):
        run(str(proj), entry_point="nope", env_manager="local")
    docker = _project(tmp_path / "d", "docker_env:\n  image: x\nentry_points: {}\n")
    with pytest.raises(InvalidArgument, match="docker_env.*supported: python_env"):
        run(str(docker), env_manager="local")
    conda = _project(
        tmp_path / "c",
        "conda_env: conda.yaml\nentry_points:\n  main:\n    command: echo hi\n",
        conda__yaml="dependencies:\n- python=3.11\n- pip:\n  - requests\n",
    )
    with pytest.raises(InvalidArgument, match="conda_env.*--env-manager virtualenv"):
        run(str(conda))
    assert load_project(conda).env.dependencies == ("requests",)
    bad_type = _project(
        tmp_path / "t", "entry_points:\n  main:\n    parameters: {x: decimal}\n    command: e\n"
    )
    with pytest.raises(InvalidArgument, match="unknown type 'decimal'; allowed: string, float"):
        load_project(bad_type)


# -- running ------------------------------------------------------------------------


def test_taxi_project_local_from_folder(store_path: Path) -> None:
    pytest.importorskip("sklearn")
    submitted = run(str(TAXI), parameters={"alpha": "0.5", "n_trips": "600"}, env_manager="local")
    assert submitted.get_status() == "FINISHED"
    got = litetrack.get_run(submitted.run_id)
    assert got.data.params == {"alpha": "0.5", "n_trips": "600", "seed": "42"}
    # start_run() inside train.py continued the handed run: one run, with its metrics.
    assert len(litetrack.search_runs(output_format="list")) == 1
    assert "rmse" in got.data.metrics
    tags = got.data.tags
    assert tags["mlflow.source.type"] == "PROJECT"
    assert tags["mlflow.project.entryPoint"] == "main"
    assert tags["mlflow.project.env"] == "local"
    assert tags[TAG_EXIT_CODE] == "0"
    assert "validation RMSE" in _output(submitted.run_id)
    doc = litetrack.Client().store.runs.read(submitted.run_id)
    project = doc["source"]["project"]
    assert project["command"] == "python train.py --alpha 0.5 --n-trips 600 --seed 42"
    assert project["script"] == "train.py"
    assert doc["environment"]["digest"]


def test_project_from_git_repository_at_a_commit(tmp_path: Path, store_path: Path) -> None:
    mlproject = (
        "name: g\nentry_points:\n  main:\n    parameters:\n      x: {type: float, default: 1}\n"
        "    command: python step.py {x}\n"
    )
    script = (
        "import sys, litetrack\nwith litetrack.start_run():\n"
        "    litetrack.log_metric('{name}', float(sys.argv[1]))\n    print(sys.argv[1:])\n"
    )
    repo = tmp_path / "repo"
    first = _repo(repo, {"MLproject": mlproject, "step.py": script.replace("{name}", "v1")})
    (repo / "step.py").write_text(script.replace("{name}", "v2"))
    _git(repo, "commit", "-q", "-am", "v2")
    submitted = run(
        str(repo), version=first, parameters={"x": "2", "extra": "a b"}, env_manager="local"
    )
    got = litetrack.get_run(submitted.run_id)
    assert got.data.metrics == {"v1": 2.0}
    assert got.data.tags["mlflow.source.git.commit"] == first
    assert got.data.params == {"x": "2", "extra": "a b"}
    # Undeclared parameters are passed on as --key value, quoted.
    assert "['2.0', '--extra', 'a b']" in _output(
        submitted.run_id
    ) or "['2', '--extra', 'a b']" in _output(submitted.run_id)
    with pytest.raises(Exception, match="version 'nope'"):
        run(str(repo), version="nope", env_manager="local")


def test_folder_without_mlproject_runs_a_script(tmp_path: Path, store_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "job.py").write_text(
        "import sys, litetrack\nlitetrack.log_metric('argc', len(sys.argv))\n"
    )
    submitted = run(str(folder), entry_point="job.py", parameters={"lr": "0.1"})
    got = litetrack.get_run(submitted.run_id)
    assert got.data.metrics == {"argc": 3.0}  # job.py --lr 0.1
    assert got.info.status == "FINISHED"
    (folder / "job.sh").write_text('echo "shell says $@"\n')
    shell = run(str(folder), entry_point="job.sh", parameters={"n": "2"})
    assert shell.get_status() == "FINISHED"
    assert "shell says --n 2" in _output(shell.run_id)


def test_failing_command_is_failed_with_exit_code(tmp_path: Path, store_path: Path) -> None:
    proj = _project(
        tmp_path / "p",
        "entry_points:\n  main:\n    command: python fail.py\n",
        fail__py=(
            "import sys\nprint('going down')\nprint('to stderr', file=sys.stderr)\nsys.exit(3)\n"
        ),
    )
    with pytest.raises(ExecutionException, match="exit code 3") as info:
        run(str(proj), env_manager="local")
    run_id = info.value.run_id
    got = litetrack.get_run(run_id)
    assert got.info.status == "FAILED"
    assert got.data.tags[TAG_EXIT_CODE] == "3"
    log = _output(run_id)
    assert "going down" in log and "to stderr" in log
    # The CLI says so with its exit code.
    assert main(["run", str(proj), "--env-manager", "local"]) == 1


def _sleeper(tmp_path: Path) -> Path:
    return _project(
        tmp_path / "s",
        "entry_points:\n  main:\n    command: python sleep.py\n",
        sleep__py=(
            "import os, time, litetrack\nlitetrack.start_run()\n"
            "open('pid.tmp', 'w').write(str(os.getpid())); os.replace('pid.tmp', 'pid')\n"
            "time.sleep(60)\n"
        ),
    )


def _wait_for(path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)
    return path.read_text()


def test_killed_command_is_killed(tmp_path: Path, store_path: Path) -> None:
    proj = _sleeper(tmp_path)
    submitted = run(str(proj), env_manager="local", synchronous=False)
    assert submitted.get_status() == "RUNNING"
    os.kill(int(_wait_for(proj / "pid")), signal.SIGKILL)
    assert submitted.wait() is False
    assert submitted.get_status() == "KILLED"
    # -9 when bash exec'ed python, 137 when a shell reported it.
    exit_code = litetrack.get_run(submitted.run_id).data.tags[TAG_EXIT_CODE]
    assert exit_code in (str(-signal.SIGKILL), str(128 + signal.SIGKILL))
    # cancel() (what Ctrl-C does while waiting) also ends it KILLED.
    (proj / "pid").unlink()
    second = run(str(proj), env_manager="local", synchronous=False)
    _wait_for(proj / "pid")
    second.cancel()
    assert second.get_status() == "KILLED"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_run_terminated_leaves_the_run_killed(
    tmp_path: Path, store_path: Path, sig: signal.Signals
) -> None:
    proj = _sleeper(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "litetrack", "run", str(proj), "--env-manager", "local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child_pid = int(_wait_for(proj / "pid"))
    proc.send_signal(sig)  # SIGINT: what Ctrl-C sends
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    runs = litetrack.search_runs(output_format="list")
    assert [r.info.status for r in runs] == ["KILLED"]
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)


# -- rerun ------------------------------------------------------------------------


def test_rerun_reproduces_seeded_training_exactly(tmp_path: Path, store_path: Path) -> None:
    pytest.importorskip("sklearn")
    repo = tmp_path / "taxi"
    shutil.copytree(TAXI, repo)
    _repo(repo, {})
    first = run(str(repo), parameters={"n_trips": "500", "seed": "7"}, env_manager="local")
    again = rerun(first.run_id, env_manager="local")
    client = litetrack.Client()
    a, b = client.get_run(first.run_id), client.get_run(again.run_id)
    assert b.data.tags[TAG_RERUN_OF] == first.run_id
    assert b.data.params == a.data.params
    assert client.get_metric_history(first.run_id, "rmse") != []
    assert [m.value for m in client.get_metric_history(again.run_id, "rmse")] == [
        m.value for m in client.get_metric_history(first.run_id, "rmse")
    ]
    # Parameters can be overridden; the CLI does the same.
    assert main(["rerun", first.run_id[:10], "--env-manager", "local", "-P", "seed=8"]) == 0
    latest = litetrack.search_runs(output_format="list", order_by=["start_time DESC"])[0]
    assert latest.data.params["seed"] == "8"
    assert latest.data.metrics["rmse"] != a.data.metrics["rmse"]


def test_rerun_of_dirty_tree_uses_recorded_diff(tmp_path: Path, store_path: Path) -> None:
    repo = tmp_path / "repo"
    script = "import litetrack\nwith litetrack.start_run():\n    litetrack.log_metric('m', {v})\n"
    _repo(
        repo,
        {
            "MLproject": "entry_points:\n  main:\n    command: python m.py\n",
            "m.py": script.format(v=1),
        },
    )
    (repo / "m.py").write_text(script.format(v=2))  # uncommitted
    first = run(str(repo), env_manager="local")
    assert litetrack.get_run(first.run_id).data.metrics == {"m": 2.0}
    (repo / "m.py").write_text(script.format(v=3))  # the tree moves on
    again = rerun(first.run_id, env_manager="local")
    assert litetrack.get_run(again.run_id).data.metrics == {"m": 2.0}


def test_rerun_of_a_plain_script_run(tmp_path: Path, store_path: Path) -> None:
    script = tmp_path / "alone.py"
    script.write_text(
        "import sys, litetrack\nwith litetrack.start_run():\n"
        "    litetrack.log_metric('n', len(sys.argv))\n"
    )
    subprocess.run([sys.executable, str(script)], check=True)
    (original,) = litetrack.search_runs(output_format="list")
    script.unlink()  # only the captured content is left
    again = rerun(original.info.run_id, parameters={"k": "v"}, env_manager="local")
    assert litetrack.get_run(again.run_id).data.metrics == {"n": 3.0}


def test_rerun_without_captured_source_says_so(store_path: Path) -> None:
    with litetrack.start_run(capture_source=False) as r:
        pass
    with pytest.raises(NotFound, match=f"Run {r.info.run_id} cannot be re-run: no source"):
        rerun(r.info.run_id, env_manager="local")
    with litetrack.start_run(capture_environment=False) as r2:
        pass
    with pytest.raises(NotFound, match="no environment was captured.*--env-manager local"):
        rerun(r2.info.run_id)


def test_exit_zero_without_ending_the_run_finishes_it(tmp_path: Path, store_path: Path) -> None:
    # The command resumes the run and leaves without ending it (os._exit skips atexit):
    # readers would call it KILLED (dead owner), but exit code 0 means FINISHED.
    proj = _project(
        tmp_path / "p",
        "entry_points:\n  main:\n    command: python quit.py\n",
        quit__py="import os, litetrack\nlitetrack.start_run()\nlitetrack.log_metric('m', 1)\n"
        "os._exit(0)\n",
    )
    submitted = run(str(proj), env_manager="local")
    got = litetrack.get_run(submitted.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics == {"m": 1.0}


def test_cli_rejects_malformed_parameter(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["run", str(tmp_path), "-P", "novalue"])
    assert "expected key=value, got 'novalue'" in capsys.readouterr().err


def test_mlflow_spelling_reaches_projects() -> None:
    import litetrack as mlflow

    assert mlflow.projects.run is run
    assert mlflow.projects.SubmittedRun.__name__ == "SubmittedRun"
