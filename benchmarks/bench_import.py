"""import-mlflow throughput: a synthetic 5,000-run MLflow store, 100 points per metric.

Usage: python benchmarks/bench_import.py [--runs 5000] [--points 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_mlflow_reader import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--points", type=int, default=100)
    args = ap.parse_args()
    from litetrack.importers.mlflow_import import import_mlflow
    from litetrack.store.core import get_store

    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "mlruns"
        generate(src, args.runs, args.points)
        dest = get_store(Path(d) / "store")
        t = time.perf_counter()
        summary = import_mlflow(src, dest)
        dt = time.perf_counter() - t
        print(f"import-mlflow of {summary.runs_imported:,} runs, {summary.metric_points:,} metric points: "
              f"{dt:.1f} s ({summary.runs_imported / dt:,.0f} runs/s); problems: {len(summary.problems)}")
        t = time.perf_counter()
        again = import_mlflow(src, dest)
        print(f"second import (idempotent, {again.runs_skipped:,} skipped): {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
