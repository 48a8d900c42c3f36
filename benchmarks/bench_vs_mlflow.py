"""litetrack and MLflow side by side, measured in one run (issue 15).

Usage:
    PYTHONPATH=. python benchmarks/bench_vs_mlflow.py [--mlflow-python PATH]
        [--runs 500,5000] [--versions 50,1000] [--ls-runs 10000] [--repeat 3]
        [--file-store] [--mlflow-write-budget 90] [--dir DIR] [--keep]

MLflow lives in its own virtualenv, outside the project (never a dependency):
    python3 -m venv /work/mlflow-venv && /work/mlflow-venv/bin/pip install mlflow==3.17.0
``--mlflow-python`` defaults to /work/mlflow-venv/bin/python when it exists;
without an MLflow interpreter only litetrack's figures are printed.

Each library writes the same stores with its own API, in its own process:
runs of 10 params, 5 tags, 5 metrics (litetrack: fluent API into a temp
store; MLflow: ``sqlite:///`` tracking URI, and its file store with
``--file-store``); N versions of one registered model (MlflowClient
``create_registered_model`` + ``create_model_version`` of a ``runs:/`` model
in both). Then, alternating the libraries at every repetition (so a change of
load on the shared machine hits both), each figure is timed in a fresh
subprocess and the best of ``--repeat`` is kept:

* (a) the first ``search_runs`` (filter + order, DataFrame) in a fresh process
  on N runs just written: the call alone, timed after ``import`` and
  ``set_tracking_uri``. litetrack imports pandas lazily inside the call;
  ``import mlflow`` has imported it already (shown under the table);
* (b) that process's wall time (interpreter start + import + the call; the
  repeated calls of (d) are subtracted);
* (c) the same, ``output_format="list"`` (entities; MLflow's
  ``mlflow.search_runs(output_format="list")`` pages through
  ``MlflowClient.search_runs``);
* (d) the same DataFrame query repeated in that process (median of 5);
* (e) registry: the first ``search_model_versions("name = 'M'")`` in a fresh
  process (call alone), then its warm median and ``search_registered_models``;
* (f) after a ``--ls-runs`` sweep (the largest ``--runs`` store extended):
  ``python -m litetrack ls EXP`` vs ``mlflow runs list --experiment-id ID``,
  stdout to /dev/null, wall; and each library's ``search_runs`` of all runs
  as a DataFrame (fresh process).

"Just written" for litetrack means its search index (``index.sqlite``, a
cache) is deleted before every try, so each first reader ingests the whole
sweep; MLflow's SQLite store has no such step (its rows are the store).
Writing MLflow runs costs ~20-55 ms each here (a default run takes ~9.5 min on
the shared 2-core machine, ~5.5 of them MLflow writing 15,500 runs; smaller
``--runs``/``--ls-runs`` shorten it): a sweep whose projected fluent
time exceeds ``--mlflow-write-budget`` seconds is finished with
``MlflowClient.create_run`` + ``log_batch`` + ``set_terminated`` (the output
says so); the write figures in the table are the fluent lifecycle of the first
50 runs in both libraries. Children run with bytecode caching allowed
(``PYTHONDONTWRITEBYTECODE`` dropped, as in bench_ingest.py) and MLflow's
telemetry off (``MLFLOW_DISABLE_TELEMETRY``, ``DO_NOT_TRACK``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# One definition of "a store with no index" (a sibling script: benchmarks/ is on sys.path).
from bench_ingest import drop_index  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MLFLOW_PYTHON = "/work/mlflow-venv/bin/python"
FILTER = "metrics.metric_0 < 40 and params.param_1 = '6'"
ORDER_BY = ["metrics.metric_0"]
EXPERIMENT = "sweep"
MODEL = "M"
PROBE_RUNS = 50  # the fluent runs timed before a writer may switch to log_batch
AGAIN = 5  # repeated searches in one process (d)
AGAIN_REGISTRY = 20

# Installed packages run from compiled bytecode; this machine sets
# PYTHONDONTWRITEBYTECODE, which would recompile every module in every child.
_BASE_ENV = {
    k: v
    for k, v in os.environ.items()
    if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(("MLFLOW_", "LITETRACK_"))
}
LT_ENV = {
    **_BASE_ENV,
    "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
}
# MLflow's own venv: no PYTHONPATH from ours; its telemetry stays off (no network).
ML_ENV = {k: v for k, v in _BASE_ENV.items() if k != "PYTHONPATH"}
ML_ENV.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")

# One writer script for both libraries (same calls, `m` is either module).
WRITER = r"""
import json, sys, time
lib, uri, op, arg = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
if lib == "mlflow":
    import mlflow as m
    kw = {}
else:
    import litetrack as m
    kw = {"capture_source": False, "capture_environment": False}
m.set_tracking_uri(uri)
res = {}
if op == "sweep":
    m.set_experiment(arg["experiment"])
    exp_id = m.get_experiment_by_name(arg["experiment"]).experiment_id
    start, n = arg["start"], arg["n"]
    tags = {f"tag_{i}": f"value-{i}" for i in range(5)}

    def params(i):
        return {f"param_{j}": (i + j) % 10 for j in range(10)}

    def metrics(i):
        return {f"metric_{j}": (i * 7919 % 1000) / 10 + j for j in range(5)}

    probe = min(n, arg["probe"])
    t0 = time.perf_counter()
    for i in range(start, start + probe):
        with m.start_run(**kw):
            m.log_params(params(i))
            m.set_tags(tags)
            m.log_metrics(metrics(i))
    per_run = (time.perf_counter() - t0) / probe
    rest = range(start + probe, start + n)
    method = "fluent"
    if lib == "mlflow" and per_run * len(rest) > arg["budget"]:
        from mlflow.entities import Metric, Param, RunTag
        method = "log_batch"
        c = m.MlflowClient()
        run_tags = [RunTag(k, v) for k, v in tags.items()]
        for i in rest:
            run = c.create_run(exp_id)
            ts = int(time.time() * 1000)
            c.log_batch(
                run.info.run_id,
                metrics=[Metric(k, v, ts, 0) for k, v in metrics(i).items()],
                params=[Param(k, str(v)) for k, v in params(i).items()],
                tags=run_tags,
            )
            c.set_terminated(run.info.run_id)
    else:
        for i in rest:
            with m.start_run(**kw):
                m.log_params(params(i))
                m.set_tags(tags)
                m.log_metrics(metrics(i))
    res = {"exp_id": exp_id, "fluent_per_run": per_run, "method": method,
           "seconds": time.perf_counter() - t0}
elif op == "registry":
    m.set_experiment("models")
    with m.start_run(**kw) as run:
        m.log_text("artifact_path: model\nflavors: {}\n", "model/MLmodel")
        m.log_text("weights\n" * 50, "model/model.bin")
    rid = run.info.run_id
    c = m.MlflowClient()
    c.create_registered_model(arg["name"])
    t0 = time.perf_counter()
    for _ in range(arg["n"]):
        c.create_model_version(arg["name"], f"runs:/{rid}/model", rid)
    res = {"per_version": (time.perf_counter() - t0) / arg["n"]}
print(json.dumps(res))
"""

# One reader script for both libraries; the timer starts after import + set_tracking_uri.
READER = r"""
import json, sys, time
lib, uri, op, arg = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
if lib == "mlflow":
    import mlflow as m
else:
    import litetrack as m
m.set_tracking_uri(uri)
res = {"pandas_before": "pandas" in sys.modules}

def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out

if op == "search":
    kw = dict(experiment_names=[arg["experiment"]], filter_string=arg["filter"],
              order_by=arg["order_by"], output_format=arg["format"])
    res["first"], out = timed(lambda: m.search_runs(**kw))
    res["n"] = len(out)
    res["pandas_after"] = "pandas" in sys.modules
    res["again"] = [timed(lambda: m.search_runs(**kw))[0] for _ in range(arg["again"])]
elif op == "registry":
    f = f"name = '{arg['name']}'"
    res["first"], out = timed(lambda: m.search_model_versions(filter_string=f))
    res["n"] = len(out)
    res["again"] = [timed(lambda: m.search_model_versions(filter_string=f))[0]
                    for _ in range(arg["again"])]
    res["models_first"], models = timed(lambda: m.search_registered_models())
    res["models_n"] = len(models)
    res["models_again"] = [timed(lambda: m.search_registered_models())[0]
                           for _ in range(arg["again"])]
print(json.dumps(res))
"""


class Target:
    """One store kind of one library: how to run its python and name its stores."""

    def __init__(self, key: str, label: str, lib: str, python: str, scheme: str) -> None:
        self.key, self.label, self.lib, self.python, self.scheme = key, label, lib, python, scheme
        self.env = ML_ENV if lib == "mlflow" else LT_ENV
        if scheme == "file":
            # MLflow 3.17 refuses its file store (maintenance mode) without this opt-in.
            self.env = {**ML_ENV, "MLFLOW_ALLOW_FILE_STORE": "true"}

    def uri(self, base: Path, name: str) -> str:
        if self.scheme == "sqlite":
            return f"sqlite:///{base / (name + '.db')}"
        if self.scheme == "file":
            return (base / f"mlruns-{name}").as_uri()
        return str(base / f"lt-{name}")

    def run(
        self, script: str, uri: str, op: str, arg: dict[str, Any], cwd: Path
    ) -> tuple[dict[str, Any], float]:
        """Run a child script; return its JSON answer and the process's wall time."""
        t = time.perf_counter()
        proc = subprocess.run(
            [self.python, "-c", script, self.lib, uri, op, json.dumps(arg)],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=cwd,
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(
                f"{self.label} {op} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
            )
        return json.loads(proc.stdout.strip().splitlines()[-1]), wall

    def drop_index(self, uri: str) -> None:
        """litetrack only: delete the search index so the next reader ingests every run."""
        if self.lib == "litetrack":
            drop_index(uri)

    def ls_cmd(self, uri: str, exp_id: str) -> tuple[list[str], dict[str, str]]:
        if self.lib == "litetrack":
            return [
                self.python,
                "-m",
                "litetrack",
                "--store",
                uri,
                "ls",
                EXPERIMENT,
                "--width",
                "120",
            ], self.env
        return (
            [self.python, "-m", "mlflow", "runs", "list", "--experiment-id", exp_id],
            {**self.env, "MLFLOW_TRACKING_URI": uri},
        )


class Results:
    """Figures per (row, target): every try kept, the best printed."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.values: dict[tuple[str, str], list[float]] = {}
        self.units: dict[str, str] = {}

    def declare(self, *rows: str) -> None:
        """Fix the order of rows in the table."""
        self.rows.extend(r for r in rows if r not in self.rows)

    def add(self, row: str, target: str, value: float, unit: str = "s") -> None:
        if row not in self.rows:
            self.rows.append(row)
        self.units[row] = unit
        self.values.setdefault((row, target), []).append(value)

    def best(self, row: str, target: str) -> float | None:
        vals = self.values.get((row, target))
        return min(vals) if vals else None


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms/run":
        return f"{value * 1000:.2f} ms/run"
    if value < 0.1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3f} s"


def ratio(ml: float | None, lt: float | None) -> str:
    if not ml or not lt:
        return ""
    return f"{lt / ml:.1f}x slower" if lt > ml else f"{ml / lt:.1f}x faster"


def say(msg: str) -> None:
    print(msg, flush=True)


def write_sweep(
    t: Target, uri: str, base: Path, start: int, n: int, budget: float
) -> dict[str, Any]:
    res, wall = t.run(
        WRITER,
        uri,
        "sweep",
        {
            "experiment": EXPERIMENT,
            "start": start,
            "n": n,
            "probe": PROBE_RUNS,
            "budget": budget,
        },
        base,
    )
    how = (
        "fluent API"
        if res["method"] == "fluent"
        else (
            f"fluent API for the first {PROBE_RUNS}, then MlflowClient create_run + log_batch + "
            "set_terminated "
            f"(fluent projected over --mlflow-write-budget {budget:.0f} s)"
        )
    )
    say(
        f"  {t.label}: wrote runs {start:,}..{start + n - 1:,} in {res['seconds']:.1f} s "
        f"({wall:.1f} s wall) by {how}; fluent lifecycle {res['fluent_per_run'] * 1000:.2f} ms/run"
    )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument(
        "--mlflow-python",
        default=DEFAULT_MLFLOW_PYTHON if os.path.exists(DEFAULT_MLFLOW_PYTHON) else None,
        help="python of a virtualenv with mlflow installed (default: %(default)s)",
    )
    ap.add_argument("--runs", default="500,5000", help="sweep sizes for the search figures")
    ap.add_argument(
        "--versions", default="50,1000", help="model version counts for the registry figures"
    )
    ap.add_argument("--ls-runs", type=int, default=10_000, help="sweep size for ls (0: skip)")
    ap.add_argument("--repeat", type=int, default=3, help="tries per figure (best kept)")
    ap.add_argument("--file-store", action="store_true", help="also measure MLflow's file store")
    ap.add_argument(
        "--mlflow-write-budget",
        type=float,
        default=90.0,
        help="seconds an MLflow sweep may take with the fluent API before log_batch is used",
    )
    ap.add_argument("--dir", default=None, help="parent folder of the temporary stores")
    ap.add_argument("--keep", action="store_true", help="keep the stores (the folder is printed)")
    args = ap.parse_args()
    sizes = sorted(int(x) for x in args.runs.split(",") if x.strip())
    version_counts = sorted(int(x) for x in args.versions.split(",") if x.strip())

    lt = Target("lt", "litetrack", "litetrack", sys.executable, "dir")
    targets: list[Target] = []
    ml_version = None
    if args.mlflow_python and os.path.exists(args.mlflow_python):
        ml_version = subprocess.run(
            [args.mlflow_python, "-c", "import mlflow; print(mlflow.__version__)"],
            capture_output=True,
            text=True,
            env=ML_ENV,
        ).stdout.strip()
        if not ml_version:
            say(f"NOTE: {args.mlflow_python} cannot import mlflow: MLflow figures skipped")
    else:
        say(
            "NOTE: no MLflow interpreter (--mlflow-python, default /work/mlflow-venv/bin/python): "
            "MLflow figures skipped. Make one with: python3 -m venv /work/mlflow-venv && "
            "/work/mlflow-venv/bin/pip install mlflow==3.17.0"
        )
    if ml_version:
        targets.append(Target("sql", "MLflow SQLite", "mlflow", args.mlflow_python, "sqlite"))
        if args.file_store:
            targets.append(Target("file", "MLflow file", "mlflow", args.mlflow_python, "file"))
    targets.append(lt)
    ml = next((t for t in targets if t.key == "sql"), None)

    import litetrack

    say(
        f"bench_vs_mlflow: litetrack {litetrack.__version__} from "
        f"{Path(litetrack.__file__).parent} "
        f"(python {sys.version.split()[0]}); MLflow {ml_version or 'not measured'}"
        f"{f' ({args.mlflow_python})' if ml_version else ''}; repeat {args.repeat}, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    base = Path(tempfile.mkdtemp(prefix="bench-vs-mlflow-", dir=args.dir))
    res = Results()
    notes: list[str] = []
    pandas_seen: dict[str, set[str]] = {}

    def order(rep: int) -> list[Target]:
        return targets if rep % 2 == 0 else targets[::-1]

    try:
        # -- runs: write, then (a)-(d) -------------------------------------------------
        exp_ids: dict[tuple[str, int], str] = {}
        if sizes:
            res.declare(
                f"write: fluent run lifecycle (start, 10 params, 5 tags, 5 metrics, end), "
                f"first {PROBE_RUNS} runs of the {sizes[-1]:,}-run sweep"
            )
        for n in sizes:
            say(f"writing {n:,} runs (10 params, 5 tags, 5 metrics) with each library ...")
            for t in targets:
                w = write_sweep(t, t.uri(base, str(n)), base, 0, n, args.mlflow_write_budget)
                exp_ids[(t.key, n)] = w["exp_id"]
                if n == sizes[-1]:
                    res.add(
                        f"write: fluent run lifecycle (start, 10 params, 5 tags, 5 metrics, end), "
                        f"first {PROBE_RUNS} runs of the {n:,}-run sweep",
                        t.key,
                        w["fluent_per_run"],
                        "ms/run",
                    )
            say(f"timing search_runs on {n:,} runs ...")
            fresh = f"fresh process, {n:,} runs just written (call only)"
            rows = {
                "pandas": f"(a) first search_runs -> DataFrame, {fresh}",
                "wall": f"(b) same, whole process wall (start + import + call), {n:,} runs",
                "list": f"(c) first search_runs -> list, {fresh}",
                "again": f"(d) same DataFrame query repeated in that process, {n:,} runs "
                f"(median of {AGAIN})",
            }
            res.declare(*rows.values())
            for rep in range(args.repeat):
                for t in order(rep):
                    uri = t.uri(base, str(n))
                    for fmt_ in ("pandas", "list"):
                        t.drop_index(uri)
                        r, wall = t.run(
                            READER,
                            uri,
                            "search",
                            {
                                "experiment": EXPERIMENT,
                                "filter": FILTER,
                                "order_by": ORDER_BY,
                                "format": fmt_,
                                "again": AGAIN if fmt_ == "pandas" else 0,
                            },
                            base,
                        )
                        kind = "DataFrame" if fmt_ == "pandas" else "list"
                        res.add(rows[fmt_], t.key, r["first"])
                        pandas_seen.setdefault(t.label, set()).add(
                            f"{kind}: pandas imported before the call {r['pandas_before']}, "
                            f"after {r['pandas_after']}"
                        )
                        if fmt_ == "pandas":
                            res.add(rows["wall"], t.key, wall - sum(r["again"]))
                            res.add(rows["again"], t.key, statistics.median(r["again"]))
                        if rep == 0:
                            say(f"  {t.label} {kind}: {r['n']} matches")
        # -- registry (e) -------------------------------------------------------------
        for v in version_counts:
            say(f"registering {v:,} versions of model {MODEL!r} with each library ...")
            for t in targets:
                w, wall = t.run(
                    WRITER, t.uri(base, f"reg-{v}"), "registry", {"name": MODEL, "n": v}, base
                )
                say(
                    f"  {t.label}: {w['per_version'] * 1000:.2f} ms per create_model_version "
                    f"({wall:.1f} s wall)"
                )
            time.sleep(2.1)  # litetrack caches a versions folder once it is 2 s old (mtime ticks)
            for rep in range(args.repeat):
                for t in order(rep):
                    r, _ = t.run(
                        READER,
                        t.uri(base, f"reg-{v}"),
                        "registry",
                        {"name": MODEL, "again": AGAIN_REGISTRY},
                        base,
                    )
                    if r["n"] != v:
                        notes.append(
                            f"{t.label} search_model_versions returned {r['n']} of {v} versions"
                        )
                    res.add(
                        f"(e) first search_model_versions(name = 'M'), fresh process, "
                        f"{v:,} versions "
                        f"(call only)",
                        t.key,
                        r["first"],
                    )
                    res.add(
                        f"(e) same, warm (median of {AGAIN_REGISTRY}), {v:,} versions",
                        t.key,
                        statistics.median(r["again"]),
                    )
                    res.add(
                        f"(e) search_registered_models, warm (median of {AGAIN_REGISTRY}), "
                        f"{v:,} versions",
                        t.key,
                        statistics.median(r["models_again"]),
                    )
        # -- ls (f) -------------------------------------------------------------------
        if args.ls_runs:
            n0 = sizes[-1] if sizes and sizes[-1] <= args.ls_runs else 0
            name = str(sizes[-1]) if n0 else "ls"
            say(
                f"writing {args.ls_runs:,} runs for ls"
                f"{f' (the {n0:,}-run store extended)' if n0 else ''} ..."
            )
            for t in targets:
                w = write_sweep(
                    t, t.uri(base, name), base, n0, args.ls_runs - n0, args.mlflow_write_budget
                )
                exp_ids[(t.key, args.ls_runs)] = w["exp_id"]
            lines: dict[str, int] = {}
            for t in targets:  # untimed: how many lines each prints
                cmd, env = t.ls_cmd(t.uri(base, name), exp_ids[(t.key, args.ls_runs)])
                out = subprocess.run(
                    cmd, capture_output=True, text=True, env=env, cwd=base, check=True
                ).stdout
                lines[t.label] = len(out.splitlines())
            say("  lines printed by ls: " + ", ".join(f"{k} {v:,}" for k, v in lines.items()))
            notes.append(
                "ls lines printed: "
                + ", ".join(f"{k} {v:,}" for k, v in lines.items())
                + " (`mlflow runs list` asks its store for one page: 1,000 runs at most)"
            )
            say(f"timing ls and search_runs of all {args.ls_runs:,} runs ...")
            for rep in range(args.repeat):
                for t in order(rep):
                    uri = t.uri(base, name)
                    cmd, env = t.ls_cmd(uri, exp_ids[(t.key, args.ls_runs)])
                    t.drop_index(uri)
                    t0 = time.perf_counter()
                    subprocess.run(
                        cmd,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        env=env,
                        cwd=base,
                        check=True,
                    )
                    res.add(
                        f"(f) ls right after a {args.ls_runs:,}-run sweep, wall (`python -m "
                        f"litetrack ls EXP` / `mlflow runs list --experiment-id ID`)",
                        t.key,
                        time.perf_counter() - t0,
                    )
                    t.drop_index(uri)
                    r, wall = t.run(
                        READER,
                        uri,
                        "search",
                        {
                            "experiment": EXPERIMENT,
                            "filter": "",
                            "order_by": None,
                            "format": "pandas",
                            "again": 0,
                        },
                        base,
                    )
                    if r["n"] != args.ls_runs:
                        notes.append(f"{t.label} search_runs of all runs returned {r['n']:,} rows")
                    res.add(
                        f"(f) search_runs of all {args.ls_runs:,} runs -> DataFrame, fresh process "
                        f"(call only)",
                        t.key,
                        r["first"],
                    )
                    res.add(f"(f) same, whole process wall, {args.ls_runs:,} runs", t.key, wall)
        # -- reference: imports -------------------------------------------------------
        # MLflow imports its SQL store (SQLAlchemy, alembic) lazily, inside the first
        # call that opens a sqlite:/// URI: timed alone here to explain (a) and (e).
        sql_import = (
            "import time, mlflow; t = time.perf_counter(); "
            "import mlflow.store.tracking.sqlalchemy_store; print(time.perf_counter() - t)"
        )
        for rep in range(args.repeat):
            for t in order(rep):
                if t.key == "file":
                    continue  # same interpreter as "sql"
                for mod, row in (
                    ("pandas", "python -c 'import pandas', wall (each library's python)"),
                    (t.lib, "python -c 'import mlflow' / 'import litetrack', wall"),
                ):
                    t0 = time.perf_counter()
                    subprocess.run(
                        [t.python, "-c", f"import {mod}"], check=True, env=t.env, cwd=base
                    )
                    res.add(row, t.key, time.perf_counter() - t0)
                if t.key == "sql":
                    out = subprocess.run(
                        [t.python, "-c", sql_import],
                        check=True,
                        capture_output=True,
                        text=True,
                        env=t.env,
                        cwd=base,
                    ).stdout
                    res.add(
                        "MLflow only: importing its SQL store after `import mlflow` (part of the "
                        "first call on sqlite:///)",
                        "sql",
                        float(out.strip().splitlines()[-1]),
                    )
    finally:
        if args.keep:
            say(f"stores kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)

    # -- the table --------------------------------------------------------------------
    cols = [t for t in targets if t.key != "lt"]
    say("")
    say(
        f"best of {args.repeat}; load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} at the end"
    )
    header = [
        "workload",
        *[t.label for t in cols],
        "litetrack",
        "litetrack vs MLflow SQLite" if ml else "",
    ]
    say("| " + " | ".join(header) + " |")
    say("|" + "---|" * len(header))
    for row in res.rows:
        unit = res.units[row]
        cells = [fmt(res.best(row, t.key), unit) for t in cols]
        lt_v = res.best(row, "lt")
        r_txt = ratio(res.best(row, "sql"), lt_v) if ml else ""
        say("| " + " | ".join([row, *cells, fmt(lt_v, unit), r_txt]) + " |")
    say("")
    for label, seen in pandas_seen.items():
        for s in sorted(seen):
            say(f"{label}, search_runs {s}")
    for note in dict.fromkeys(notes):
        say(f"note: {note}")


if __name__ == "__main__":
    main()
