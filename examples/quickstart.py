"""Quickstart: train a small model on synthetic taxi trips, track a sweep, list it.

Runs into a temporary store unless LITETRACK_STORE is set:

    python examples/quickstart.py
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile

import litetrack


def make_trips(n: int, seed: int = 42) -> list[dict[str, float]]:
    """Synthetic taxi trips: distance (km), hour of day, passengers -> duration (min)."""
    rnd = random.Random(seed)
    trips = []
    for _ in range(n):
        distance = rnd.uniform(0.5, 20)
        hour = rnd.randrange(24)
        passengers = rnd.randint(1, 4)
        rush = 1.0 if hour in (8, 9, 17, 18) else 0.0
        duration = 3 + 2.2 * distance + 6 * rush + 0.3 * passengers + rnd.gauss(0, 2.5)
        trips.append({"distance": distance, "rush": rush, "passengers": passengers, "duration": duration})
    return trips


FEATURES = ("distance", "rush", "passengers")


def train_linear(trips: list[dict[str, float]], lr: float, epochs: int, valid: list[dict[str, float]]):
    """Plain gradient descent on a linear model; logs validation RMSE every epoch."""
    w = [0.0] * len(FEATURES)
    b = 0.0
    n = len(trips)
    for epoch in range(epochs):
        gw = [0.0] * len(FEATURES)
        gb = 0.0
        for t in trips:
            err = b + sum(wi * t[f] for wi, f in zip(w, FEATURES)) - t["duration"]
            gb += err
            for i, f in enumerate(FEATURES):
                gw[i] += err * t[f]
        b -= lr * gb / n
        w = [wi - lr * g / n for wi, g in zip(w, gw)]
        litetrack.log_metric("rmse", rmse(w, b, valid), step=epoch)
    return w, b


def rmse(w: list[float], b: float, rows: list[dict[str, float]]) -> float:
    se = sum((b + sum(wi * r[f] for wi, f in zip(w, FEATURES)) - r["duration"]) ** 2 for r in rows)
    return (se / len(rows)) ** 0.5


def main() -> None:
    store = os.environ.get("LITETRACK_STORE") or tempfile.mkdtemp(prefix="litetrack-quickstart-")
    litetrack.set_tracking_uri(store)
    litetrack.set_experiment("nyc-taxi-duration")
    train, valid = make_trips(2000), make_trips(500, seed=7)
    for lr in (0.001, 0.003, 0.006):
        for epochs in (10, 30):
            with litetrack.start_run(run_name=f"linear-lr{lr}-e{epochs}"):
                litetrack.log_params({"model": "linear", "lr": lr, "epochs": epochs})
                litetrack.set_tag("developer", "quickstart")
                w, b = train_linear(train, lr, epochs, valid)
                litetrack.log_metric("final_rmse", rmse(w, b, valid))
    best = litetrack.search_runs(order_by=["metrics.final_rmse ASC"], max_results=1, output_format="list")[0]
    print(f"best run {best.info.run_id[:8]} ({best.info.run_name}): rmse {best.data.metrics['final_rmse']:.3f}")
    print(f"store: {store}\n")
    sys.stdout.flush()
    subprocess.run([sys.executable, "-m", "litetrack", "--store", store, "ls"], check=True)
    print()
    subprocess.run(
        [sys.executable, "-m", "litetrack", "--store", store, "ls", "nyc-taxi-duration",
         "--sort", "metrics.final_rmse", "--columns", "name,duration,metrics.final_rmse,params.lr,params.epochs"],
        check=True,
    )


if __name__ == "__main__":
    main()
