"""Projects in a virtualenv: built offline from a wheel folder with pip-tools, cached, rebuilt
from a run's captured packages for a rerun.

The wheels are the hand-made ones of test_env_restore (no network, no build
backend). The taxi project's own virtualenv (numpy, scikit-learn from the
package index) is built only when LITETRACK_TEST_PYPI=1, as CI sets it: a
test otherwise never leaves the machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import litetrack
from litetrack.capture import load_environment
from litetrack.errors import InvalidState
from litetrack.projects import rerun, run
from litetrack.projects.env import cache_root

pytest.importorskip("piptools", reason="the virtualenv manager needs the env extra (pip-tools)")

from test_env_restore import make_wheel  # noqa: E402 - after the skip, as that module does

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """\
import sys
import ltalpha
import litetrack

with litetrack.start_run():
    litetrack.log_metric("alpha_version", float(ltalpha.VERSION))
    litetrack.log_metric("x", float(sys.argv[1]))
    print("python", sys.executable)
"""


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    make_wheel(folder, "ltalpha", "1.0", requires=("ltbeta>=1.0",))
    make_wheel(folder, "ltbeta", "1.0")
    return folder


def _tiny(path: Path, python: str | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "MLproject").write_text(
        "name: tiny\npython_env: python_env.yaml\nentry_points:\n  main:\n"
        "    parameters:\n      x: {type: float, default: 1.5}\n    command: python job.py {x}\n"
    )
    pin = f"python: '{python}'\n" if python else ""
    (path / "python_env.yaml").write_text(
        pin + "build_dependencies:\n  - pip\ndependencies:\n  - -r requirements.txt\n"
    )
    (path / "requirements.txt").write_text("ltalpha==1.0\n")
    (path / "job.py").write_text(SCRIPT)
    return path


def _packages(run_id: str) -> dict[str, str]:
    env = load_environment(run_id)
    assert env is not None
    return {k: v for k, v in env["packages"].items() if k not in ("pip", "setuptools", "wheel")}


def test_virtualenv_offline_then_from_cache(
    tmp_path: Path, store_path: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj = _tiny(tmp_path / "tiny")
    first = run(str(proj), find_links=str(wheels), no_index=True)  # virtualenv: the default here
    got = litetrack.get_run(first.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics == {"alpha_version": 1.0, "x": 1.5}
    assert got.data.tags["mlflow.project.env"] == "virtualenv"
    # The environment recorded is the virtualenv's (with the resolved dependency).
    assert _packages(first.run_id) == {"ltalpha": "1.0", "ltbeta": "1.0"}
    env = load_environment(first.run_id)
    assert env is not None and env["python"]["executable"].startswith(str(cache_root()))

    # Unchanged project: neither pip-compile nor pip-sync runs again.
    import litetrack.models.envfiles as envfiles

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached environment should have been used")

    monkeypatch.setattr(envfiles, "compile_requirements", refuse)
    monkeypatch.setattr(envfiles, "restore_environment", refuse)
    second = run(str(proj), parameters={"x": "2"}, find_links=str(wheels), no_index=True)
    assert litetrack.get_run(second.run_id).data.metrics == {"alpha_version": 1.0, "x": 2.0}
    envs = [p for p in (cache_root() / "envs").iterdir() if p.is_dir()]
    assert len(envs) == 1


def test_rerun_rebuilds_environment_from_captured_packages(
    tmp_path: Path, store_path: Path, wheels: Path
) -> None:
    proj = _tiny(tmp_path / "tiny")
    first = run(str(proj), parameters={"x": "4"}, find_links=str(wheels), no_index=True)
    shutil.rmtree(proj)  # the project folder is gone; its script was captured
    shutil.rmtree(cache_root() / "envs")  # and so is every environment
    again = rerun(first.run_id, find_links=str(wheels), no_index=True)
    got = litetrack.get_run(again.run_id)
    assert got.data.metrics == {"alpha_version": 1.0, "x": 4.0}
    assert got.data.tags["litetrack.rerun_of"] == first.run_id
    assert _packages(again.run_id) == _packages(first.run_id)

    # A captured package that cannot be installed is named.
    shutil.rmtree(cache_root() / "envs")
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    with pytest.raises(InvalidState, match=r"cannot be installed: ltalpha==1\.0") as info:
        rerun(first.run_id, find_links=str(empty), no_index=True)
    assert "ltalpha==1.0" in info.value.missing


def test_unavailable_python_is_a_clear_error(tmp_path: Path, store_path: Path) -> None:
    proj = _tiny(tmp_path / "old", python="3.99")
    with pytest.raises(InvalidState, match="asks for Python 3.99, which is not available here"):
        run(str(proj), no_index=True)
    assert litetrack.search_runs(output_format="list") == []
    # A requirement that cannot be found is named, before any run exists.
    (proj / "python_env.yaml").write_text("dependencies:\n  - ltnowhere==1.0\n")
    with pytest.raises(InvalidState, match="no installable distribution for ltnowhere==1.0"):
        run(str(proj), find_links=str(tmp_path), no_index=True)
    assert litetrack.search_runs(output_format="list") == []


@pytest.mark.skipif(
    os.environ.get("LITETRACK_TEST_PYPI") != "1",
    reason="builds numpy + scikit-learn from the package index: set LITETRACK_TEST_PYPI=1 (CI)",
)
def test_taxi_project_in_virtualenv_from_pypi(store_path: Path) -> None:
    taxi = ROOT / "examples" / "taxi-project"
    submitted = run(str(taxi), parameters={"n_trips": "500"}, env_manager="virtualenv")
    got = litetrack.get_run(submitted.run_id)
    assert got.info.status == "FINISHED"
    assert "rmse" in got.data.metrics
    assert "scikit-learn" in _packages(submitted.run_id)


def test_conda_env_pip_section_with_explicit_virtualenv(
    tmp_path: Path, store_path: Path, wheels: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proj = _tiny(tmp_path / "conda")
    (proj / "python_env.yaml").unlink()
    (proj / "MLproject").write_text(
        (proj / "MLproject").read_text().replace("python_env: python_env.yaml", "conda_env: c.yaml")
    )
    (proj / "c.yaml").write_text(
        "channels: [conda-forge]\ndependencies:\n  - pip\n  - pip:\n    - ltalpha==1.0\n"
    )
    with caplog.at_level("WARNING", logger="litetrack.projects.runner"):
        submitted = run(str(proj), env_manager="virtualenv", find_links=str(wheels), no_index=True)
    assert "pip section" in caplog.text
    assert litetrack.get_run(submitted.run_id).data.metrics["alpha_version"] == 1.0
