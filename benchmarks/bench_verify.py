"""Time of ``verify`` (and ``gc --dry-run``) over a store of many runs and blobs.

Run: ``python benchmarks/bench_verify.py [--runs 10000] [--store DIR]``

Builds the store through the public API (capture off, so each run adds one
blob of its own): every run logs 3 params, 5 metric points and one small
text artifact, i.e. ``--runs`` runs and as many blobs. Then it times
``python -m litetrack verify`` (a fresh process, blobs re-hashed), ``verify
--quick`` (no re-hashing) and ``gc --dry-run``. Target (issue 3): verify of
10,000 runs and 10,000 blobs in under 30 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(store: str, n: int) -> None:
    import litetrack

    litetrack.set_tracking_uri(store)
    litetrack.set_experiment("bench")
    t = time.perf_counter()
    for i in range(n):
        with litetrack.start_run(capture_source=False, capture_environment=False):
            litetrack.log_params({"max_depth": i % 10, "eta": 0.1, "seed": i})
            for step in range(5):
                litetrack.log_metric("rmse", 6.0 - step * 0.1 + i * 1e-6, step=step)
            litetrack.log_text(f"report of run {i}\n" * 20, "report.txt")
    print(f"built {n} runs + {n} blobs in {time.perf_counter() - t:.1f} s")


def cli(store: str, *args: str) -> float:
    os.sync()
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "litetrack", "--store", store, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    dt = time.perf_counter() - t
    print(f"  {' '.join(args)} -> exit {proc.returncode}: {proc.stdout.strip().splitlines()[0]}")
    return dt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--store", default=None, help="reuse (or build) the store here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        store = args.store or os.path.join(tmp, "store")
        if not os.path.isdir(os.path.join(store, "runs")):
            build(store, args.runs)
        print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
        for what in (("verify",), ("verify", "--quick"), ("gc", "--dry-run")):
            dt = cli(store, *what)
            print(f"python -m litetrack {' '.join(what)}: {dt:.2f} s wall (process start included)")


if __name__ == "__main__":
    main()
