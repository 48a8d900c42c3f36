"""The quickstart's taxi-duration trainer as a project entry point (sklearn, seeded, small).

    python -m litetrack run examples/taxi-project -P alpha=0.5

Synthetic green-taxi trips -> DictVectorizer on (pickup_dropoff, distance) -> Ridge;
validation RMSE logged per fraction of the training set and at the end.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import Ridge

import litetrack


def make_trips(n: int, seed: int) -> tuple[list[dict], np.ndarray]:
    """Synthetic trips: zone pair and distance in, minutes out (as in examples/quickstart.py)."""
    rng = np.random.default_rng(seed)
    pu = rng.integers(1, 60, n)
    do = rng.integers(1, 60, n)
    distance = np.round(rng.gamma(2.0, 1.6, n) + 0.2, 2)
    rush = np.isin(rng.integers(0, 24, n), [8, 9, 17, 18])
    zone_speed = 1 + (pu % 7) * 0.15 + (do % 5) * 0.1
    duration = np.clip(4 + distance * 3.1 * zone_speed + rush * 6 + rng.normal(0, 2.5, n), 1, 60)
    records = [
        {"PU_DO": f"{a}_{b}", "trip_distance": float(d)}
        for a, b, d in zip(pu, do, distance, strict=True)
    ]
    return records, duration


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--n-trips", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    records, y = make_trips(args.n_trips, args.seed)
    cut = int(len(records) * 0.8)
    dv = DictVectorizer()
    X_train = dv.fit_transform(records[:cut])
    X_valid = dv.transform(records[cut:])
    # Continues the run `python -m litetrack run` created (LITETRACK_RUN_ID / MLFLOW_RUN_ID).
    with litetrack.start_run() as run:
        for step, fraction in enumerate((0.25, 0.5, 1.0)):
            rows = max(1, int(cut * fraction))
            model = Ridge(alpha=args.alpha).fit(X_train[:rows], y[:rows])
            rmse = float(np.sqrt(np.mean((model.predict(X_valid) - y[cut:]) ** 2)))
            litetrack.log_metric("rmse", rmse, step=step)
        litetrack.log_metric("n_features", float(X_train.shape[1]))
        print(f"run {run.info.run_id}: validation RMSE {rmse:.4f}")


if __name__ == "__main__":
    main()
