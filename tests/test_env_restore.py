"""Restoring a model's environment into a virtualenv with pip-tools, offline.

The wheels are written by hand (a wheel is a zip with a dist-info folder), so
the test needs no build backend and no network: pip only ever looks at the
wheel folder (``find_links`` + ``no_index``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from litetrack.errors import InvalidState
from litetrack.models.envfiles import LOCK_FILE, restore_environment, write_env_files

pytest.importorskip("piptools", reason="restore needs the env extra (pip-tools)")

pytestmark = pytest.mark.slow

# Installed by ensurepip / kept by pip-sync whatever the requirements say.
_BASE = {"pip", "setuptools", "wheel"}


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """Write a pure-Python wheel ``name-version`` whose module ``name`` has ``VERSION``."""
    dist_info = f"{name}-{version}.dist-info"
    metadata = "\n".join(
        [
            "Metadata-Version: 2.1",
            f"Name: {name}",
            f"Version: {version}",
            *(f"Requires-Dist: {r}" for r in requires),
            "",
        ]
    )
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: litetrack-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, data in files.items():
            zf.writestr(arcname, data)
    return path


def venv_packages(venv: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    make_wheel(folder, "ltalpha", "1.0", requires=("ltbeta>=1.0",))
    make_wheel(folder, "ltalpha", "2.0")
    make_wheel(folder, "ltbeta", "1.0")
    make_wheel(folder, "ltgamma", "1.0")
    return folder


def test_restore_syncs_venv_exactly_offline(tmp_path: Path, wheels: Path) -> None:
    model = tmp_path / "model"
    venv = tmp_path / "venv"
    # Only the direct requirement is listed (as inferred requirements are);
    # the restore must bring its dependency too.
    write_env_files(model, ["ltalpha==1.0"])
    restore_environment(model, venv, find_links=str(wheels), no_index=True)

    pkgs = venv_packages(venv)
    assert {k: v for k, v in pkgs.items() if k not in _BASE} == {"ltalpha": "1.0", "ltbeta": "1.0"}
    assert (venv / LOCK_FILE).is_file()
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import ltalpha, ltbeta; print(ltalpha.VERSION)"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "1.0"

    # The same venv synced to other requirements: upgrade, add, and remove
    # what is no longer needed (ltbeta was only a dependency of ltalpha 1.0).
    write_env_files(model, ["ltalpha==2.0", "ltgamma==1.0"])
    restore_environment(model, venv, find_links=str(wheels), no_index=True)
    pkgs = venv_packages(venv)
    assert {k: v for k, v in pkgs.items() if k not in _BASE} == {"ltalpha": "2.0", "ltgamma": "1.0"}

    # A lock given as is (resolve=False) is synced without pip-compile.
    write_env_files(model, ["ltgamma==1.0"])
    restore_environment(model, venv, find_links=str(wheels), no_index=True, resolve=False)
    pkgs = venv_packages(venv)
    assert {k: v for k, v in pkgs.items() if k not in _BASE} == {"ltgamma": "1.0"}


def test_restore_failure_carries_pip_output(tmp_path: Path, wheels: Path) -> None:
    model = tmp_path / "model"
    write_env_files(model, ["ltdelta==9.9"])
    with pytest.raises(InvalidState) as info:
        restore_environment(model, tmp_path / "venv", find_links=str(wheels), no_index=True)
    err = info.value
    assert "ltdelta" in str(err)
    assert getattr(err, "returncode", 0) != 0
    assert "ltdelta" in getattr(err, "output", "")
