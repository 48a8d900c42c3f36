"""``python -m litetrack env check|restore MODEL_URI``: the model-level environment commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import litetrack
from litetrack.cli import main
from litetrack.models import pickled


def _log(**kwargs) -> str:
    with litetrack.start_run():
        return pickled.log_model({"k": 1}, name="m", **kwargs).model_uri


def test_check_matches(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    uri = _log()
    assert main(["env", "check", uri]) == 0
    assert "environment matches" in capsys.readouterr().out
    pickled.save_model({"k": 1}, tmp_path / "m")
    assert main(["env", "check", str(tmp_path / "m")]) == 0


def test_check_lists_what_differs(capsys: pytest.CaptureFixture[str], store_path: Path) -> None:
    uri = _log(extra_pip_requirements=["ltnotinstalled==1.0", "cloudpickle==0.0.1"])
    assert main(["--store", str(store_path), "env", "check", uri, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["matches"] is False
    by_name = {m["name"]: m for m in out["mismatches"]}
    assert by_name["ltnotinstalled"]["kind"] == "missing"
    assert by_name["cloudpickle"]["kind"] == "version" and by_name["cloudpickle"]["installed"]
    assert main(["env", "check", uri]) == 1
    text = capsys.readouterr().out
    assert "ltnotinstalled: not installed" in text and "cloudpickle" in text


def test_restore_refuses_a_modified_requirements_file(capsys: pytest.CaptureFixture[str]) -> None:
    from litetrack.models.uri import model_folder

    uri = _log()
    req = model_folder(uri) / "requirements.txt"
    req.chmod(0o644)
    req.write_text("evil-package==6.6.6")
    assert main(["env", "restore", uri, "--venv", "/nonexistent/venv"]) == 1
    assert "requirements.txt" in capsys.readouterr().err


@pytest.mark.slow
def test_restore_into_a_virtualenv_from_a_wheel_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("piptools", reason="restore needs the env extra (pip-tools)")
    from test_env_restore import make_wheel, venv_packages

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "ltalpha", "1.0", requires=("ltbeta>=1.0",))
    make_wheel(wheels, "ltbeta", "1.0")
    # The model's requirements pin litetrack itself: a stand-in wheel keeps the test offline.
    make_wheel(wheels, "litetrack", litetrack.__version__)
    uri = _log(pip_requirements=["ltalpha==1.0"])
    venv = tmp_path / "venv"
    rc = main(
        ["env", "restore", uri, "--venv", str(venv), "--find-links", str(wheels), "--no-index"]
    )
    assert rc == 0, capsys.readouterr()
    assert "restored" in capsys.readouterr().out
    pkgs = {k: v for k, v in venv_packages(venv).items() if k not in {"pip", "setuptools", "wheel"}}
    assert pkgs == {"litetrack": litetrack.__version__, "ltalpha": "1.0", "ltbeta": "1.0"}
