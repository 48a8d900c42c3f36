"""Search over many runs: indexed search_runs (list and DataFrame), `ls`, index rebuild.

Usage: python benchmarks/bench_search.py [--runs 100000] [--store DIR]

Builds (or reuses, with --store) a store of N runs with 10 params and 5
metrics each, then times the issue's query
``metrics.rmse < X and params.max_depth = '6'`` ordered by ``metrics.rmse``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

# Installed packages run from compiled bytecode; this machine sets
# PYTHONDONTWRITEBYTECODE, which would recompile litetrack in every child.
BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def build(store: str, n: int) -> str:
    import litetrack
    from litetrack import Client

    litetrack.set_tracking_uri(store)
    c = Client(store)
    exp = c.get_experiment_by_name("sweep")
    if exp is not None:
        return exp.experiment_id
    eid = c.create_experiment("sweep")
    t = time.perf_counter()
    for i in range(n):
        with litetrack.start_run(experiment_id=eid, capture_source=False, capture_environment=False):
            litetrack.log_params({
                "max_depth": i % 10, "learning_rate": 0.01 * (i % 7), "min_child_weight": i % 5,
                "subsample": 0.5 + (i % 5) / 10, "colsample": 0.8, "reg_alpha": i % 3, "reg_lambda": i % 4,
                "objective": "reg:squarederror", "seed": 42, "n_estimators": 100 + i % 50,
            })
            litetrack.log_metrics({
                "rmse": 5 + (i * 7919 % 1000) / 250, "mae": 3 + (i % 13) / 10, "r2": 0.5,
                "train_rmse": 4.0, "duration_s": 1.0,
            })
        if (i + 1) % 20000 == 0:
            print(f"  built {i + 1} runs ({(i + 1) / (time.perf_counter() - t):,.0f} runs/s)", flush=True)
    return eid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--store", default=None, help="reuse/keep this store folder")
    args = ap.parse_args()
    store = args.store or tempfile.mkdtemp(prefix="litetrack-bench-search-")
    os.environ.pop("LITETRACK_INDEX", None)
    eid = build(store, args.runs)

    import litetrack
    from litetrack import Client

    c = Client(store)
    flt = "metrics.rmse < 6 and params.max_depth = '6'"
    order = ["metrics.rmse"]
    c.search_runs([eid], flt, order_by=order, max_results=100_000)  # warm: index refresh + cache
    best = []
    for _ in range(5):
        t = time.perf_counter()
        runs = c.search_runs([eid], flt, order_by=order, max_results=100_000)
        best.append(time.perf_counter() - t)
    print(f"search_runs list over {args.runs:,} runs ({len(runs)} matches): {min(best) * 1000:.0f} ms (best of 5)")
    best = []
    for _ in range(5):
        t = time.perf_counter()
        df = litetrack.search_runs([eid], flt, order_by=order)
        best.append(time.perf_counter() - t)
    print(f"search_runs pandas over {args.runs:,} runs ({len(df)} rows): {min(best) * 1000:.0f} ms (best of 5)")
    best = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "litetrack", "--store", store, "ls", "sweep", "--filter", flt,
             "--sort", "metrics.rmse", "--width", "150"],
            check=True, stdout=subprocess.DEVNULL, env=BYTECODE_ENV,
        )
        best.append(time.perf_counter() - t)
    print(f"python -m litetrack ls sweep --filter ... --sort ... over {args.runs:,} runs: {min(best):.2f} s wall (best of 3)")
    best = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "litetrack", "--store", store, "ls", "sweep", "--width", "150", "--limit", "50"],
                       check=True, stdout=subprocess.DEVNULL, env=BYTECODE_ENV)
        best.append(time.perf_counter() - t)
    print(f"python -m litetrack ls sweep --limit 50 over {args.runs:,} runs: {min(best):.2f} s wall (best of 3)")
    t = time.perf_counter()
    n = c.store.search_index().rebuild()
    print(f"full index rebuild of {n:,} runs: {time.perf_counter() - t:.1f} s")
    if not args.store:
        import shutil

        shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
