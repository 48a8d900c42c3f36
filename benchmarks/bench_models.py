"""Model logging and loading: log_model (booster, DictVectorizer), load_model warm, fresh process.

Usage: python benchmarks/bench_models.py [--reps 20] [--fresh 5]

Figures (one run, everything in a temporary store):

* ``xgboost.log_model`` of a 50-round booster trained on 10k x 20, with
  inferred requirements: the first call of a fresh process (its own
  subprocess), then the median of warm calls;
* ``sklearn.log_model`` of a taxi-style ``DictVectorizer`` (``PU_DO`` pairs
  and ``trip_distance`` over 100k trips, ~50k features): first call of a
  fresh process, warm with a new vectorizer each time (its pickle scanned),
  and warm with the same vectorizer again (scan cached by digest, as in a
  sweep);
* ``pyfunc.load_model`` of the booster, warm (median);
* a fresh ``python -c`` that imports litetrack, loads the booster and
  predicts 10k rows, against a bare ``python -c "import pandas, xgboost"``
  (median of ``--fresh`` runs each, interleaved).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def data(n_dvs: int) -> tuple:  # type: ignore[type-arg]
    import numpy as np
    import xgboost as xgb
    from sklearn.feature_extraction import DictVectorizer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, 20))
    y = X @ rng.normal(size=20) + rng.normal(size=10_000)
    booster = xgb.train({"max_depth": 6, "nthread": 2}, xgb.DMatrix(X, label=y), 50)
    trips = [
        {
            "PU_DO": f"{rng.integers(1, 266)}_{rng.integers(1, 266)}",
            "trip_distance": float(rng.random() * 20),
        }
        for _ in range(100_000)
    ]
    dvs = [DictVectorizer().fit(trips[i * 1000 :]) for i in range(n_dvs)]
    return X, booster, dvs


def first_call(what: str) -> None:
    """Child mode: time the first log_model of a fresh process."""
    X, booster, dvs = data(1)
    import litetrack
    import litetrack.sklearn
    import litetrack.xgboost

    with litetrack.start_run(capture_source=False, capture_environment=False):
        if what == "booster":
            print(timed(lambda: litetrack.xgboost.log_model(booster, name="m")))
        else:
            print(timed(lambda: litetrack.sklearn.log_model(dvs[0], name="dv")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--fresh", type=int, default=5)
    parser.add_argument("--first", choices=["booster", "dv"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first:
        first_call(args.first)
        return

    with tempfile.TemporaryDirectory(prefix="litetrack-bench-models-") as tmp:
        os.environ["LITETRACK_STORE"] = os.path.join(tmp, "store")

        def fresh_first(what: str) -> float:
            out = subprocess.run(
                [sys.executable, __file__, "--first", what],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            return float(out.strip().splitlines()[-1])

        first_booster, first_dv = fresh_first("booster"), fresh_first("dv")
        X, booster, dvs = data(args.reps + 1)
        import numpy as np

        import litetrack
        import litetrack.pyfunc
        import litetrack.sklearn
        import litetrack.xgboost

        print(
            f"booster: 50 rounds on 10k x 20; DictVectorizer: {len(dvs[0].feature_names_)} features"
        )

        with litetrack.start_run(capture_source=False, capture_environment=False):
            litetrack.xgboost.log_model(booster, name="m0")
            warm = [
                timed(lambda i=i: litetrack.xgboost.log_model(booster, name=f"m{i + 1}"))
                for i in range(args.reps)
            ]
            print(
                f"xgboost.log_model (inferred requirements): first call of a fresh process "
                f"{ms(first_booster)}, warm median {ms(statistics.median(warm))}"
            )

            litetrack.sklearn.log_model(dvs[0], name="dv0")
            new = [
                timed(lambda i=i: litetrack.sklearn.log_model(dvs[i + 1], name=f"dv{i + 1}"))
                for i in range(args.reps)
            ]
            same = [
                timed(lambda i=i: litetrack.sklearn.log_model(dvs[0], name=f"same{i}"))
                for i in range(args.reps)
            ]
            print(
                f"sklearn.log_model DictVectorizer: first call of a fresh process {ms(first_dv)}, "
                "warm (new vectorizer) "
                f"median {ms(statistics.median(new))}, warm (same vectorizer again) median "
                f"{ms(statistics.median(same))}"
            )
            uri = f"runs:/{litetrack.active_run().info.run_id}/m0"

        first = timed(lambda: litetrack.pyfunc.load_model(uri))
        loads = [timed(lambda: litetrack.pyfunc.load_model(uri)) for _ in range(max(args.reps, 50))]
        model = litetrack.pyfunc.load_model(uri)
        import pandas as pd

        df = pd.DataFrame(X, columns=[f"f{i}" for i in range(20)])
        predict = [timed(lambda: model.predict(df)) for _ in range(args.reps)]
        print(
            f"pyfunc.load_model: first {ms(first)}, warm median {ms(statistics.median(loads))}; "
            f"predict 10k rows median {ms(statistics.median(predict))}"
        )

        np.save(os.path.join(tmp, "X.npy"), X)
        bare_code = "import pandas, xgboost"
        lt_code = (
            "import time; t0 = time.perf_counter()\n"
            "import pandas as pd, xgboost, numpy as np; t1 = time.perf_counter()\n"
            "import litetrack.pyfunc; t2 = time.perf_counter()\n"
            f"m = litetrack.pyfunc.load_model({uri!r}); t3 = time.perf_counter()\n"
            f"X = np.load({os.path.join(tmp, 'X.npy')!r})\n"
            "df = pd.DataFrame(X, columns=[f'f{i}' for i in range(20)]); t4 = time.perf_counter()\n"
            "p = m.predict(df); t5 = time.perf_counter()\n"
            "assert p.shape == (10000,)\n"
            "print(t2 - t1, t3 - t2, t5 - t4)\n"
        )
        # Installed packages have their bytecode cached; a checkout run with
        # PYTHONDONTWRITEBYTECODE would compile litetrack's modules every time.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        parts: list[list[float]] = []

        def wall(code: str) -> float:
            t = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
            ).stdout
            elapsed = time.perf_counter() - t
            if out.strip():
                parts.append([float(v) for v in out.split()])
            return elapsed

        wall(bare_code), wall(lt_code)  # page cache, bytecode cache
        parts.clear()
        bare, lt = [], []
        for _ in range(args.fresh):
            bare.append(wall(bare_code))
            lt.append(wall(lt_code))
        b, l_ = statistics.median(bare), statistics.median(lt)
        imp, load, pred = (statistics.median(p[i] for p in parts) for i in range(3))
        print(
            f"fresh process: python -c 'import pandas, xgboost' {ms(b)}; import litetrack + "
            f"load_model + predict 10k rows {ms(l_)} (+{ms(l_ - b)}), median of {args.fresh}; "
            f"inside it: import litetrack.pyfunc {ms(imp)}, load_model {ms(load)}, "
            f"predict {ms(pred)}"
        )


if __name__ == "__main__":
    main()
