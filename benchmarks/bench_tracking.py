"""Tracking throughput: import time, runs/s, per-metric cost, `ls` over many runs.

Usage: python benchmarks/bench_tracking.py [--runs 2000] [--ls-runs 10000] [--dir DIR]
Prints one line per figure; everything goes to a temporary store under DIR
(default: the system temp folder).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

# Installed packages run from compiled bytecode; this machine sets
# PYTHONDONTWRITEBYTECODE, which would recompile litetrack in every child.
BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

BENCH_DIR: str | None = None


def bench_import() -> None:
    def wall(code: str) -> float:
        best = []
        for _ in range(7):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=BYTECODE_ENV)
            best.append(time.perf_counter() - t)
        return statistics.median(best)

    bare = wall("pass")
    lt = wall("import litetrack")
    print(f"python -c pass: {bare * 1000:.0f} ms; python -c 'import litetrack': {lt * 1000:.0f} ms "
          f"(litetrack adds {(lt - bare) * 1000:.0f} ms)")
    out = subprocess.run(
        [sys.executable, "-c", "import sys, litetrack; print(sorted(m for m in ('pandas','numpy','xgboost','cloudpickle','pyspark','pydantic') if m in sys.modules))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    print(f"heavy modules imported by 'import litetrack': {out}")


def fs_floor(n: int, parent: str | None = None) -> float:
    """Seconds per run of the bare filesystem work a run needs: mkdir, an atomic
    document write (create + write + rename), creating the log and 4 appends.

    Metadata operations on this VM's disk vary tenfold over a session
    (40 us to 600 us for a mkdir + create), so runs/s is printed next to it.
    """
    with tempfile.TemporaryDirectory(dir=parent if parent is not None else BENCH_DIR) as d:
        doc = b"x" * 900
        t = time.perf_counter()
        for i in range(n):
            run = f"{d}/{i}"
            os.mkdir(run)
            fd = os.open(f"{run}/.tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, doc)
            os.close(fd)
            os.replace(f"{run}/.tmp", f"{run}/run.json")
            fd = os.open(f"{run}/log.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            for _ in range(4):
                os.write(fd, doc[:200])
            os.close(fd)
        return (time.perf_counter() - t) / n


def bench_runs(n: int) -> None:
    import litetrack

    floor = fs_floor(n)
    print(f"filesystem floor of a run here (mkdir, atomic document, log + 4 appends): "
          f"{floor * 1e6:.0f} us ({1 / floor:,.0f} runs/s at most)")

    with tempfile.TemporaryDirectory(dir=BENCH_DIR) as d:
        litetrack.set_tracking_uri(d)
        litetrack.set_experiment("bench")
        params = {f"param_{i}": i * 0.5 for i in range(10)}
        tags = {f"tag_{i}": f"value-{i}" for i in range(5)}
        import resource

        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        for i in range(n):
            with litetrack.start_run(capture_source=False, capture_environment=False):
                litetrack.log_params(params)
                litetrack.set_tags(tags)
                litetrack.log_metrics({f"metric_{j}": i * 0.1 + j for j in range(5)})
        dt = time.perf_counter() - t
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        user = (ru1.ru_utime - ru0.ru_utime) / n
        kernel = (ru1.ru_stime - ru0.ru_stime) / n
        print(f"runs with 10 params, 5 tags, 5 metrics: {n / dt:,.0f} runs/s ({dt / n * 1e6:.0f} us/run, {n} runs; "
              f"{dt / n / floor:.1f}x the filesystem floor; per run {user * 1e6:.0f} us in Python, "
              f"{kernel * 1e6:.0f} us in the kernel)")

        with litetrack.start_run(capture_source=False, capture_environment=False):
            m = 200_000
            log_metric = litetrack.log_metric
            t = time.perf_counter()
            for i in range(m):
                log_metric("loss", 0.5, step=i)
            dt = time.perf_counter() - t
        print(f"log_metric: {dt / m * 1e6:.2f} us/call ({m} calls, each one os.write on an O_APPEND fd)")
        litetrack.set_tracking_uri(None)


def bench_ls(n: int) -> None:
    import litetrack

    with tempfile.TemporaryDirectory(dir=BENCH_DIR) as d:
        litetrack.set_tracking_uri(d)
        litetrack.set_experiment("big")
        for i in range(n):
            with litetrack.start_run(capture_source=False, capture_environment=False):
                litetrack.log_params({"max_depth": i % 10, "lr": 0.1})
                litetrack.log_metrics({"rmse": 5 + (i % 97) / 10, "mae": 3.0})
        times = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "litetrack", "--store", d, "ls", "big", "--width", "120"],
                check=True, stdout=subprocess.DEVNULL, env=BYTECODE_ENV,
            )
            times.append(time.perf_counter() - t)
        print(f"python -m litetrack ls EXPERIMENT over {n:,} runs: {min(times):.2f} s wall (best of 3)")
        litetrack.set_tracking_uri(None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--ls-runs", type=int, default=10_000)
    ap.add_argument("--dir", default=None, help="parent folder of the temporary stores")
    args = ap.parse_args()
    global BENCH_DIR
    BENCH_DIR = args.dir
    os.environ.pop("LITETRACK_STORE", None)
    bench_import()
    bench_runs(args.runs)
    bench_ls(args.ls_runs)


if __name__ == "__main__":
    main()
