"""Test isolation: no test touches a real home folder or a real store."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass
else:
    # No wall-clock limits on a shared or loaded machine (CI's is both): no
    # per-example deadline, and no failure because drawing the first examples
    # took long. A test's own @settings inherits these unless it names them.
    settings.register_profile(
        "litetrack", deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("litetrack")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME, the XDG folders, the store and every LITETRACK_*/MLFLOW_* variable into tmp_path."""
    for key in list(os.environ):
        if key.startswith(("LITETRACK_", "MLFLOW_")):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    store = tmp_path / "store"
    monkeypatch.setenv("LITETRACK_STORE", str(store))
    # Subprocesses started by tests import the checkout under test.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    import litetrack.fluent as fluent
    from litetrack.store import location

    monkeypatch.setattr(location, "_explicit", None)
    monkeypatch.setattr(fluent, "_active_experiment", None)
    monkeypatch.setattr(fluent, "_last_active_run_id", None)
    yield store
    # Leave no active run behind for the next test.
    while fluent.active_run() is not None:
        fluent.end_run()


@pytest.fixture
def store_path(isolated_env: Path) -> Path:
    """The store folder of this test (LITETRACK_STORE points at it)."""
    return isolated_env


def run_python(code: str, *args: str, check: bool = True, timeout: float = 120, env: dict | None = None):
    """Run ``code`` in a fresh interpreter (the store comes from the environment)."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"subprocess failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc
