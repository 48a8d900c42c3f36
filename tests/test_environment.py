"""Environment capture: content, caching, canonical bytes, diffs, switch-off."""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

import litetrack
from litetrack import environment as E
from litetrack import settings
from litetrack.environment import (
    EnvDiff,
    capture_environment,
    diff_environments,
    environment_blob,
    format_env_diff,
)

REPO_ROOT = str(Path(litetrack.__file__).resolve().parent.parent)


def fake_dist(site: Path, name: str, version: str) -> None:
    """Install a metadata-only distribution into ``site`` (enough for importlib.metadata)."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nlong description\n"
        "Name: not-a-header\n"
    )


def test_capture_describes_interpreter_and_packages() -> None:
    env = capture_environment()
    assert env["schema_version"] == E.ENV_SCHEMA_VERSION
    assert env["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert env["python"]["build"] == sys.version
    assert env["python"]["executable"] == sys.executable
    assert env["python"]["implementation"]
    assert set(env["platform"]) == {"system", "release", "machine"}
    pkgs = env["packages"]
    assert pkgs["pytest"] == md.version("pytest")
    assert pkgs["pyyaml"] == md.version("PyYAML")  # normalized name
    assert all(name == canonicalize_name(name) for name in pkgs)
    assert list(pkgs) == sorted(pkgs)


def test_capture_is_cached_and_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    E.clear_cache()
    first = capture_environment()
    calls = []
    real = E._capture_uncached

    def counting() -> dict[str, Any]:
        calls.append(1)
        return real()

    monkeypatch.setattr(E, "_capture_uncached", counting)
    first["packages"]["tampered"] = "1"
    second = capture_environment()
    assert calls == []  # served from the cache
    assert "tampered" not in second["packages"]
    capture_environment(refresh=True)
    assert calls == [1]


def test_blob_is_canonical_and_stable_across_calls() -> None:
    blob = environment_blob()
    assert blob == environment_blob()
    doc = json.loads(blob)
    assert doc == capture_environment()
    # canonical: re-serialising with sorted keys gives the same bytes
    assert blob == E._canonical(doc)


def _blob_digest_in_subprocess() -> str:
    code = (
        "import hashlib, litetrack.environment as e;"
        "print(hashlib.sha256(e.environment_blob()).hexdigest())"
    )
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd="/", capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_blob_identical_across_processes() -> None:
    a = _blob_digest_in_subprocess()
    b = _blob_digest_in_subprocess()
    assert a == b and len(a) == 64


def test_new_sys_path_entry_is_seen_and_diffed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = capture_environment()
    blob_before = environment_blob()
    site = tmp_path / "site"
    fake_dist(site, "Lt_Fake.Pkg", "1.0")
    monkeypatch.syspath_prepend(str(site))
    after = capture_environment()  # sys.path changed: no stale cache
    assert after["packages"]["lt-fake-pkg"] == "1.0"
    assert environment_blob() != blob_before

    diff = diff_environments(before, after)
    assert diff.added == {"lt-fake-pkg": "1.0"}
    assert not diff.removed and not diff.changed and not diff.python
    assert diff_environments(after, before).removed == {"lt-fake-pkg": "1.0"}


def test_first_distribution_on_sys_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dist(tmp_path / "a", "lt-shadowed", "2.0")
    fake_dist(tmp_path / "b", "lt-shadowed", "1.0")
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    assert capture_environment()["packages"]["lt-shadowed"] == "2.0"


def test_diff_changed_python_and_platform() -> None:
    a = {
        "python": {"version": "3.10.12", "build": "3.10.12 (x)", "implementation": "CPython"},
        "platform": {"system": "Linux", "release": "6.1", "machine": "x86_64"},
        "packages": {"numpy": "1.26.4", "pandas": "2.2.0", "Old_Pkg": "0.1"},
    }
    b = {
        "python": {"version": "3.11.7", "build": "3.11.7 (y)", "implementation": "CPython"},
        "platform": {"system": "Linux", "release": "6.1", "machine": "aarch64"},
        "packages": {"numpy": "2.0.0", "pandas": "2.2.0", "scikit-learn": "1.5.0"},
    }
    diff = diff_environments(a, b)
    assert diff == EnvDiff(
        added={"scikit-learn": "1.5.0"},
        removed={"old-pkg": "0.1"},
        changed={"numpy": ("1.26.4", "2.0.0")},
        python={"version": ("3.10.12", "3.11.7")},
        platform={"machine": ("x86_64", "aarch64")},
    )
    text = format_env_diff(diff)
    assert text.splitlines() == [
        "python.version: 3.10.12 -> 3.11.7",
        "platform.machine: x86_64 -> aarch64",
        "+ scikit-learn  1.5.0",
        "- old-pkg       0.1",
        "~ numpy         1.26.4 -> 2.0.0",
        "1 added, 1 removed, 1 changed",
    ]


def test_diff_of_equal_environments_is_empty() -> None:
    env = capture_environment()
    diff = diff_environments(env, capture_environment())
    assert not diff
    assert format_env_diff(diff) == "no differences"
    # a document missing sections still compares
    assert diff_environments({}, {"packages": {"a": "1"}}).added == {"a": "1"}


@pytest.mark.parametrize(
    "value, enabled",
    [(None, True), ("1", True), ("true", True), ("0", False), ("false", False), (" OFF ", False)],
)
def test_switch(monkeypatch: pytest.MonkeyPatch, value: str | None, enabled: bool) -> None:
    if value is None:
        monkeypatch.delenv("LITETRACK_CAPTURE_ENV", raising=False)
    else:
        monkeypatch.setenv("LITETRACK_CAPTURE_ENV", value)
    assert settings.capture_env_enabled() is enabled


def test_modules_import_light() -> None:
    code = (
        "import sys, litetrack.environment, litetrack.source, litetrack.models.requirements\n"
        "heavy = {'pandas', 'numpy', 'xgboost', 'cloudpickle', 'yaml', 'sklearn', 'piptools',"
        " 'pyspark'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd="/", capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
