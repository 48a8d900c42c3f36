"""Model registry: registration cost vs. version count, URI resolution, warm model loads.

Usage: python benchmarks/bench_registry.py [--versions 1000] [--runs 20]
Prints one line per figure; everything goes to a temporary store.

Reference (MLflow 3.17, from the issue): file registry 9 ms for the first
version, 87 ms by the 50th; SQLite registry 13 ms per version; loading
``models:/NAME/Production`` 69 ms (file) / 11 ms (SQLite).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

# Run from a checkout without installing it.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _timeit(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _model_runs(litetrack, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    """n finished runs, each with a tiny model folder (MLmodel + weights) and two metrics."""
    ids = []
    for i in range(n):
        with litetrack.start_run() as run:
            litetrack.log_metrics({"rmse": 5.0 + i / 100, "mae": 3.0 + i / 100})
            litetrack.log_text("artifact_path: model\nflavors: {}\n", "model/MLmodel")
            litetrack.log_text(f"weights {i}\n" * 50, "model/model.bin")
        ids.append(run.info.run_id)
    return ids


def bench_register(versions: int, nruns: int) -> str:
    import litetrack
    from litetrack import Client
    from litetrack.registry import register_model, resolve_model_uri

    d = tempfile.mkdtemp(prefix="litetrack-bench-registry-")
    litetrack.set_tracking_uri(d)
    runs = _model_runs(litetrack, nruns)
    # Pay one-time imports (run-document validation ...) outside the timings.
    register_model(f"runs:/{runs[0]}/model", "warm-up")
    name = "taxi-duration"
    times = []
    for i in range(versions):
        uri = f"runs:/{runs[i % nruns]}/model"
        t = time.perf_counter()
        register_model(uri, name)
        times.append(time.perf_counter() - t)
    marks = [1, 50, 100, 500, versions]
    parts = []
    for m in marks:
        if m > versions:
            continue
        window = times[max(0, m - 10) : m] if m > 1 else times[:1]
        parts.append(f"#{m}: {_ms(statistics.median(window))}")
    print(f"register_model(runs:/...) as version n (median of the 10 before n): {', '.join(parts)}")
    last = times[-100:]
    print(
        f"  versions {versions - 99}..{versions}: median {_ms(statistics.median(last))}, "
        f"p95 {_ms(sorted(last)[int(len(last) * 0.95)])}, max {_ms(max(last))}"
    )

    c = Client()
    c.transition_model_version_stage(name, versions // 2, "Production")
    c.transition_model_version_stage(name, versions // 3, "Archived")
    c.set_registered_model_alias(name, "champion", versions // 4)
    for uri in (
        f"models:/{name}/Production",
        f"models:/{name}@champion",
        f"models:/{name}/latest",
        f"models:/{name}/{versions // 5}",
    ):
        dt = _timeit(lambda uri=uri: resolve_model_uri(uri), 2000)
        print(
            f"resolve_model_uri({uri.replace(name, 'NAME')}) at {versions} versions: {dt * 1e6:.0f} us"
        )
    dt = _timeit(lambda: c.get_model_version(name, versions // 2), 1000)
    print(f"Client.get_model_version at {versions} versions: {dt * 1e6:.0f} us")
    dt = _timeit(lambda: c.get_latest_versions(name, ["Production"]), 1000)
    print(f"Client.get_latest_versions(stages=['Production']): {dt * 1e6:.0f} us")
    dt = _timeit(
        lambda: c.transition_model_version_stage(
            name, versions // 2, "Production", archive_existing_versions=True
        ),
        200,
    )
    print(f"transition_model_version_stage(archive_existing_versions=True): {_ms(dt)}")
    bench_search(d, name, versions, runs[0])

    code = (
        "import time; t=time.perf_counter(); import litetrack.registry as r; "
        f"r.resolve_model_uri('models:/{name}/Production'); print(time.perf_counter()-t)"
    )
    walls = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "LITETRACK_STORE": d},
        ).stdout
        walls.append(float(out))
    print(
        f"fresh process: import litetrack + resolve models:/NAME/Production: {_ms(statistics.median(walls))}"
    )
    return d


_SEARCHES = {
    "no filter": "c.search_model_versions(max_results=100000)",
    "name filter": "c.search_model_versions(\"name = '{name}'\", max_results=100000)",
    "tag filter": "c.search_model_versions(\"tags.team = 'none'\", max_results=100000)",
    "search_registered_models": "c.search_registered_models()",
}
# The first call in a fresh process, timed after `import litetrack` (not
# included); PRE also imports the registry modules first, which shows how much
# of the first call is their lazy import.
_FIRST_CALL = """
import sys, time, litetrack
c = litetrack.Client()
if {pre}:
    import litetrack.store.registry.store, litetrack.store.registry.search
t = time.perf_counter()
found = {call}
print(time.perf_counter() - t, len(found))
"""


def _first_call(store: str, call: str, pre: bool) -> tuple[float, int]:
    import litetrack

    tree = os.path.dirname(os.path.dirname(os.path.abspath(litetrack.__file__)))
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL.format(call=call, pre=pre)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "LITETRACK_STORE": store, "PYTHONPATH": tree},
    ).stdout.split()
    return float(out[0]), int(out[1])


def bench_search(store: str, name: str, versions: int, run_id: str) -> None:
    """Registry searches: first call in a fresh process (best of 3), then warm in this one."""
    from litetrack import Client
    from litetrack.registry import register_model

    c = Client()
    c.search_model_versions()  # as a notebook or the UI did before the registration below
    print(
        f"registry searches at ~{versions} versions of one model "
        "(first calls: fresh process, best of 3)"
    )
    for label, call in _SEARCHES.items():
        call = call.format(name=name)
        figures = {}
        for when in ("after a registration", "settled"):
            for pre in (False, True):
                best, n = float("inf"), 0
                for _ in range(3):
                    if when != "settled":
                        register_model(f"runs:/{run_id}/model", name)
                    dt, n = _first_call(store, call, pre)
                    best = min(best, dt)
                figures[when, pre] = (best, n)
            if when == "after a registration":
                # Folder mtimes move in clock ticks; the old per-process cache waited 2 s.
                time.sleep(2.1)
        warm = _timeit(lambda call=call: eval(call, {"c": c}), 50)
        print(
            f"  {label} ({figures['settled', False][1]} found): first call right after a "
            f"registration {_ms(figures['after a registration', False][0])} "
            f"({_ms(figures['after a registration', True][0])} with the registry modules already "
            f"imported); after the folder settled {_ms(figures['settled', False][0])} "
            f"({_ms(figures['settled', True][0])}); warm median {_ms(warm)}"
        )


def bench_booster(store: str) -> None:
    try:
        import numpy as np
        import xgboost as xgb
    except ImportError:
        print("xgboost not installed: booster load not measured")
        return
    import litetrack
    from litetrack import Client
    from litetrack.registry import register_model, resolve_model_uri
    from litetrack.store.artifacts import materialize

    litetrack.set_tracking_uri(store)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 8))
    y = x @ rng.normal(size=8)
    booster = xgb.train(
        {"max_depth": 3, "verbosity": 0}, xgb.DMatrix(x, label=y), num_boost_round=20
    )
    try:
        import litetrack.xgboost as flavour

        with litetrack.start_run() as run:
            flavour.log_model(booster, "model")
        how = "litetrack.xgboost.log_model"
    except (ImportError, AttributeError):
        how = "a hand-written MLmodel"
        with tempfile.TemporaryDirectory() as tmp:
            mdir = os.path.join(tmp, "model")
            os.makedirs(mdir)
            booster.save_model(os.path.join(mdir, "model.ubj"))
            with open(os.path.join(mdir, "MLmodel"), "w") as f:
                f.write(
                    "artifact_path: model\nflavors:\n  xgboost:\n    data: model.ubj\n"
                    "    model_class: xgboost.core.Booster\n"
                )
            with litetrack.start_run() as run:
                litetrack.log_artifacts(mdir, "model")
    mv = register_model(f"runs:/{run.info.run_id}/model", "booster")
    Client().transition_model_version_stage("booster", mv.version, "Production")
    files = resolve_model_uri("models:/booster/Production")[1]
    data = next(p for p in files if p.endswith((".ubj", ".json", ".xgb", ".bin")) and p != "MLmodel")
    size = files[data]["size"]

    def load_direct() -> None:
        st, files = resolve_model_uri("models:/booster/Production")
        folder = materialize(st, files)
        b = xgb.Booster()
        b.load_model(os.path.join(folder, data))

    load_direct()
    dt = _timeit(load_direct, 200)
    print(
        f"warm load of models:/booster/Production ({size / 1000:.0f} KB booster) via resolve + "
        f"materialize + Booster.load_model: {_ms(dt)}"
    )
    try:
        import litetrack.pyfunc as pyfunc

        pyfunc.load_model("models:/booster/Production")
    except Exception as e:  # noqa: BLE001 - the pyfunc loader is optional here
        print(f"litetrack.pyfunc.load_model not usable yet ({type(e).__name__}: {str(e)[:80]})")
        return
    dt = _timeit(lambda: pyfunc.load_model("models:/booster/Production"), 200)
    print(f"warm litetrack.pyfunc.load_model('models:/booster/Production'): {_ms(dt)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--versions", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    store = bench_register(args.versions, args.runs)
    bench_booster(store)
    import shutil

    shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
