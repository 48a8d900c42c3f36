"""The README's main job: examples/quickstart.py runs end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quickstart_runs_end_to_end(store_path: Path) -> None:
    pytest.importorskip("xgboost")
    pytest.importorskip("sklearn")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "12 runs tracked" in out
    assert "models:/nyc-taxi-duration/Production on 1,000 new trips (pandas)" in out
    assert "Registered model 'nyc-taxi-duration'" in out and "Production" in out
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pass
    else:
        assert "identical to pandas: True" in out
    assert (store_path / "registry").is_dir()  # LITETRACK_STORE was honoured
    # It says where the runs went and how to browse them; the command works as printed.
    command = f"python -m litetrack --store {store_path} ls"
    assert command in out
    browse = subprocess.run(
        [sys.executable, "-m", "litetrack", "--store", str(store_path), "ls"],
        capture_output=True, text=True, timeout=120,
    )
    assert browse.returncode == 0 and "nyc-taxi-duration" in browse.stdout


def test_quickstart_without_a_store_names_its_temporary_store(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("xgboost")
    pytest.importorskip("sklearn")
    import importlib.util

    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "examples" / "quickstart.py")
    assert spec is not None and spec.loader is not None
    quickstart = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quickstart)
    monkeypatch.delenv("LITETRACK_STORE")
    hint = quickstart.browse_hint("/tmp/litetrack-quickstart-abc")
    assert "python -m litetrack --store /tmp/litetrack-quickstart-abc ls" in hint
    assert "export LITETRACK_STORE=/tmp/litetrack-quickstart-abc" in hint
