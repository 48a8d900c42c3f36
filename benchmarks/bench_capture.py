"""Cost of ``start_run`` with source and environment capture on and off.

Run: ``python benchmarks/bench_capture.py [--runs 200]``

Each configuration runs in a fresh interpreter (the capture caches are per
process), started from this repository's folder, so the source capture sees a
real git work tree (and its uncommitted diff, if any). For each it prints the
first ``start_run`` of the process (which pays for reading the installed
packages' metadata and the ``git`` subprocesses) and the median and 95th
percentile of the following ones. Only ``start_run`` is timed, not
``end_run``. Target (issue 3): under 5 ms median after the first run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, statistics, sys, time
t0 = time.perf_counter()
import litetrack
import_s = time.perf_counter() - t0
litetrack.set_tracking_uri(sys.argv[1])
n, src, env = int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4] == "1"
litetrack.set_experiment("bench")
times = []
for _ in range(n):
    t = time.perf_counter()
    litetrack.start_run(capture_source=src, capture_environment=env)
    times.append(time.perf_counter() - t)
    litetrack.end_run()
later = sorted(times[1:])
print(json.dumps({"first": times[0], "median": statistics.median(later),
                  "p95": later[int(len(later) * 0.95)], "import": import_s}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    print(
        f"{args.runs} start_run per process, load average {os.getloadavg()[0]:.2f}, "
        f"{os.cpu_count()} CPUs"
    )
    configs = [
        ("capture off", "0", "0"),
        ("environment only", "0", "1"),
        ("source only", "1", "0"),
        ("source + environment", "1", "1"),
    ]
    for label, src, env in configs:
        with tempfile.TemporaryDirectory(prefix="bench-capture-") as store:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, store, str(args.runs), src, env],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
                env={
                    **os.environ,
                    "PYTHONPATH": str(ROOT),
                    "LITETRACK_CAPTURE_ENV": "1",
                    "LITETRACK_CAPTURE_SOURCE": "1",
                },
            )
        r = json.loads(out.stdout)
        print(
            f"{label:<22} first start_run {r['first'] * 1000:6.1f} ms; later: median "
            f"{r['median'] * 1000:.2f} ms, p95 {r['p95'] * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
