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
