"""The first look after a sweep (issue 15): index ingest, first search, `ls`.

Usage: python benchmarks/bench_ingest.py [--runs 5000] [--ls-runs 10000] [--dir DIR]

Writes a sweep of N runs (10 params, 5 tags, 5 metrics each) with the fluent
API, then times, each in a fresh process where the issue says so:

* the fluent run lifecycle next to the bare filesystem floor of a run;
* the first ``search_runs`` (filter + order) in a fresh process right after
  the sweep, as a list (and whether pandas got imported) and as a DataFrame;
* ingest per run: a full rebuild, and a refresh picking up N new runs;
* ``python -m litetrack ls EXP`` right after a sweep of ``--ls-runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The bare filesystem floor of a run, measured the same way as bench_tracking.py does.
from bench_tracking import fs_floor  # noqa: E402  (a sibling script: benchmarks/ is on sys.path)

# Installed packages run from compiled bytecode; this machine sets
# PYTHONDONTWRITEBYTECODE, which would recompile litetrack in every child.
BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

FIRST_SEARCH = """
import json, sys, time
t = time.perf_counter()
import litetrack
litetrack.set_tracking_uri(sys.argv[1])
kw = dict(filter_string="metrics.metric_0 < 40 and params.param_1 = '6'", order_by=["metrics.metric_0"])
if sys.argv[2] == "list":
    out = litetrack.search_runs(experiment_names=["sweep"], output_format="list", **kw)
else:
    out = litetrack.search_runs(experiment_names=["sweep"], **kw)
print(json.dumps({"s": time.perf_counter() - t, "n": len(out), "pandas": "pandas" in sys.modules}))
"""


def sweep(store: str, n: int, experiment: str = "sweep", start: int = 0) -> float:
    """Write n runs; return seconds per run."""
    import litetrack

    litetrack.set_tracking_uri(store)
    litetrack.set_experiment(experiment)
    tags = {f"tag_{i}": f"value-{i}" for i in range(5)}
    t = time.perf_counter()
    for i in range(start, start + n):
        with litetrack.start_run(capture_source=False, capture_environment=False):
            litetrack.log_params({f"param_{j}": (i + j) % 10 for j in range(10)})
            litetrack.set_tags(tags)
            litetrack.log_metrics({f"metric_{j}": (i * 7919 % 1000) / 10 + j for j in range(5)})
    dt = (time.perf_counter() - t) / n
    litetrack.set_tracking_uri(None)
    return dt


def first_search(store: str, fmt: str) -> dict[str, object]:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", FIRST_SEARCH, store, fmt],
        check=True, capture_output=True, text=True, env=BYTECODE_ENV,
    ).stdout
    res: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    res["wall"] = time.perf_counter() - t
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--ls-runs", type=int, default=10_000)
    ap.add_argument("--dir", default=None, help="parent folder of the temporary stores")
    args = ap.parse_args()
    os.environ.pop("LITETRACK_STORE", None)
    os.environ.pop("LITETRACK_INDEX", None)
    n = args.runs

    floor = fs_floor(min(n, 2000), args.dir)
    store = tempfile.mkdtemp(prefix="litetrack-bench-ingest-", dir=args.dir)
    try:
        per_run = sweep(store, n)
        print(f"fluent run lifecycle (start, 10 params, 5 tags, 5 metrics, end): {per_run * 1e6:.0f} us/run "
              f"over {n:,} runs; filesystem floor {floor * 1e6:.0f} us/run ({per_run / floor:.2f}x)")
        # Each first search meets an unindexed store: the index is deleted in
        # between (a copy of the store would lose the writers' summaries,
        # which name the documents' inodes, and show the slow path instead).
        for fmt in ("list", "pandas"):
            tries = []
            for _ in range(3):
                for suffix in ("", "-wal", "-shm"):
                    try:
                        os.unlink(f"{store}/index.sqlite{suffix}")
                    except FileNotFoundError:
                        pass
                tries.append(first_search(store, fmt))
            r = min(tries, key=lambda x: float(x["s"]))  # type: ignore[arg-type]
            kind = "list" if fmt == "list" else "DataFrame"
            print(f"first search_runs, {kind}, fresh process, {n:,} runs just written: {r['s']:.3f} s in process, "
                  f"{r['wall']:.3f} s wall, best of 3 ({r['n']} matches; pandas imported: {r['pandas']})")
        walls = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import pandas"], check=True, env=BYTECODE_ENV)
            walls.append(time.perf_counter() - t)
        print(f"  for reference: python -c 'import pandas' {min(walls):.3f} s wall, best of 3")

        from litetrack.store.core import Store

        idx = Store(Path(store)).search_index()
        best = []
        for _ in range(3):
            t = time.perf_counter()
            count = idx.rebuild()
            best.append(time.perf_counter() - t)
        print(f"full index rebuild of {count:,} runs: {min(best):.3f} s ({min(best) / count * 1e6:.0f} us/run, best of 3)")

        sweep(store, n, start=n)
        idx.close()
        idx = Store(Path(store)).search_index()
        t = time.perf_counter()
        idx.refresh()
        dt = time.perf_counter() - t
        print(f"refresh picking up {n:,} new runs (index of {n:,} runs open): {dt:.3f} s ({dt / n * 1e6:.0f} us/run)")
        idx.close()
    finally:
        shutil.rmtree(store, ignore_errors=True)

    store = tempfile.mkdtemp(prefix="litetrack-bench-ls-", dir=args.dir)
    try:
        sweep(store, args.ls_runs, experiment="big")
        firsts = []
        for _ in range(3):
            # The index deleted: every try ingests the whole sweep, as the first
            # reader after it does.
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(f"{store}/index.sqlite{suffix}")
                except FileNotFoundError:
                    pass
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "litetrack", "--store", store, "ls", "big", "--width", "120"],
                check=True, stdout=subprocess.DEVNULL, env=BYTECODE_ENV,
            )
            firsts.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "litetrack", "--store", store, "ls", "big", "--width", "120"],
            check=True, stdout=subprocess.DEVNULL, env=BYTECODE_ENV,
        )
        again = time.perf_counter() - t
        print(f"python -m litetrack ls EXP right after a {args.ls_runs:,}-run sweep (prints every run): "
              f"{min(firsts):.2f} s wall, best of 3 (ingest included); with the index up to date {again:.2f} s")
    finally:
        shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
