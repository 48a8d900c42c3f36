"""How fast litetrack reads a large MLflow file store (the first half of import-mlflow).

Writes a synthetic ``mlruns`` folder in MLflow 2's on-disk layout (the same
files MLflow's FileStore writes: meta.yaml per experiment and run, one file
per param and tag, one line per metric point), then times
``MlflowFileStore`` reading every run, param, tag and metric point.

    python benchmarks/bench_mlflow_reader.py                 # 5,000 runs x 100 points
    python benchmarks/bench_mlflow_reader.py --runs 500 --keep /tmp/mlruns-500

The store is generated once into a temp folder (or ``--keep`` it); the read
is timed ``--repeat`` times and the best and worst are printed. The first read
after generation has a warm page cache: pass ``--drop-caches`` (root only) to
measure a cold read.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litetrack.importers.mlflow_files import MlflowFileStore  # noqa: E402

METRICS = ("rmse", "val/rmse", "loss")  # "val/rmse" is a nested folder, as in MLflow
PARAMS = ("max_depth", "eta", "subsample", "objective", "seed", "nthread", "num_boost_round")
FOREIGN = "/home/someone-else/project/mlruns"  # URIs point at another machine


def generate(root: Path, runs: int, points: int, experiments: int = 5) -> int:
    """Write the synthetic store; return the number of metric points written."""
    rng = random.Random(0)
    t0 = 1_700_000_000_000
    written = 0
    for e in range(experiments):
        exp_id = str(100000000000000000 + e)
        exp_dir = root / exp_id
        exp_dir.mkdir(parents=True)
        (exp_dir / "meta.yaml").write_text(
            f"artifact_location: file://{FOREIGN}/{exp_id}\n"
            f"creation_time: {t0}\nexperiment_id: '{exp_id}'\nlast_update_time: {t0}\n"
            f"lifecycle_stage: active\nname: sweep-{e}\n"
        )
        (exp_dir / "tags").mkdir()
        (exp_dir / "tags" / "team").write_text("ml")
        for r in range(runs // experiments):
            run_id = uuid.UUID(int=rng.getrandbits(128)).hex
            run_dir = exp_dir / run_id
            for sub in ("params", "tags", "metrics/val", "artifacts"):
                (run_dir / sub).mkdir(parents=True)
            (run_dir / "meta.yaml").write_text(
                f"artifact_uri: file://{FOREIGN}/{exp_id}/{run_id}/artifacts\n"
                f"end_time: {t0 + 60_000}\nentry_point_name: ''\nexperiment_id: '{exp_id}'\n"
                f"lifecycle_stage: active\nrun_id: {run_id}\nrun_name: trial-{r}\n"
                f"run_uuid: {run_id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n"
                f"start_time: {t0}\nstatus: 3\ntags: []\nuser_id: someone\n"
            )
            for p in PARAMS:
                (run_dir / "params" / p).write_text(str(rng.randint(1, 10)))
            for key, value in (
                ("mlflow.runName", f"trial-{r}"),
                ("mlflow.user", "someone"),
                ("mlflow.source.type", "LOCAL"),
                ("sweep", str(e)),
            ):
                (run_dir / "tags" / key).write_text(value)
            for key in METRICS:
                lines = [f"{t0 + 1000 * s} {rng.random()} {s}\n" for s in range(points)]
                (run_dir / "metrics" / key).write_text("".join(lines))
                written += points
    return written


def read(root: Path) -> tuple[int, int, int, int]:
    store = MlflowFileStore(root)
    runs = points = values = 0
    for exp in store.experiments():
        for run in store.runs(exp):
            runs += 1
            values += len(run.params) + len(run.tags)
            points += sum(len(v) for v in run.metrics.values())
            assert run.artifact_dir is not None  # the foreign URI was re-rooted
    return runs, points, values, len(store.problems)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--points", type=int, default=100, help="points per metric")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="generate into (or reuse) this folder")
    ap.add_argument("--drop-caches", action="store_true", help="sync; echo 3 > drop_caches")
    args = ap.parse_args(argv)

    tmp = None
    if args.keep:
        root = args.keep
    else:
        tmp = tempfile.mkdtemp(prefix="bench-mlruns-")
        root = Path(tmp) / "mlruns"
    try:
        if not root.exists():
            t = time.perf_counter()
            n = generate(root, args.runs, args.points)
            print(
                f"generated {args.runs} runs, {n} metric points in {time.perf_counter() - t:.1f}s"
            )
        times = []
        for _ in range(args.repeat):
            if args.drop_caches:
                subprocess.run(["sync"], check=True)
                Path("/proc/sys/vm/drop_caches").write_text("3\n")
            t = time.perf_counter()
            runs, points, values, problems = read(root)
            times.append(time.perf_counter() - t)
        print(
            f"read {runs} runs, {points} metric points, {values} params+tags, "
            f"{problems} problems: best {min(times):.2f}s, worst {max(times):.2f}s "
            f"(python {sys.version.split()[0]}, {os.cpu_count()} cpus)"
        )
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
