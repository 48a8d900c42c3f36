"""Parsing one MLmodel with litetrack.yamlfmt (pyyaml's C loader), warm and in a fresh process.

Run: ``python benchmarks/bench_yaml.py [--reps 2000]``

Prints, for an MLflow 2 fixture MLmodel (tests/data/mlflow2/...) and for one
litetrack writes (with its digests section):

* ``yamlfmt.load`` warm (best of 5 timeit loops);
* the first ``yamlfmt.load`` in a fresh interpreter, pyyaml's import included
  (median of 5 processes): the cost a first ``load_model`` pays.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = next((ROOT / "tests" / "data" / "mlflow2" / "mlruns").rglob("MLmodel"))


def _litetrack_mlmodel(folder: Path) -> Path:
    from litetrack.models.model import Model

    model = Model(artifact_path="model", run_id="0" * 32)
    model.add_flavor("python_function", loader_module="litetrack.sklearn", data="model.pkl")
    model.add_flavor("sklearn", pickled_model="model.pkl", sklearn_version="1.5.2")
    model.litetrack = {
        "files": {f"f{i}.bin": {"sha256": "ab" * 32, "size": i} for i in range(8)}
    }
    model.save(folder)
    return folder / "MLmodel"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2000)
    args = parser.parse_args()
    from litetrack import yamlfmt

    with tempfile.TemporaryDirectory() as tmp:
        files = {"MLflow 2 fixture": FIXTURE, "litetrack-written": _litetrack_mlmodel(Path(tmp))}
        for name, path in files.items():
            text = path.read_text("utf-8")
            warm = min(timeit.repeat(lambda t=text: yamlfmt.load(t), number=args.reps, repeat=5))
            code = (
                "import time, litetrack.errors\n"
                f"text = open({str(path)!r}).read()\n"
                "t = time.perf_counter()\n"
                "from litetrack import yamlfmt; yamlfmt.load(text)\n"
                "print(time.perf_counter() - t)\n"
            )
            cold = statistics.median(
                float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                     text=True, check=True).stdout)
                for _ in range(5)
            )
            print(
                f"{name} MLmodel ({len(text)} bytes): warm {warm / args.reps * 1e3:.3f} ms, "
                f"first in a fresh process (pyyaml import included) {cold * 1e3:.1f} ms"
            )


if __name__ == "__main__":
    main()
