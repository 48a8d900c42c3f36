"""`import litetrack` stays light: no heavy modules at import time."""

from conftest import run_python

HEAVY = ["pandas", "numpy", "xgboost", "cloudpickle", "pyspark", "sklearn", "pydantic", "yaml"]


def test_import_litetrack_imports_nothing_heavy() -> None:
    out = run_python(
        "import sys, litetrack\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    ).stdout.strip()
    assert out == "[]"


def test_logging_a_run_imports_nothing_heavy() -> None:
    out = run_python(
        "import sys, litetrack\n"
        "with litetrack.start_run():\n"
        "    litetrack.log_metric('m', 1.0)\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules and m != 'pydantic'])"
    ).stdout.strip()
    assert out == "[]"
