"""Quickstart: the whole product on synthetic NYC-taxi trips, in under a minute.

1. generate taxi trips (pickup/dropoff zones, distance -> duration);
2. a sweep of 12 DictVectorizer + xgboost parameter sets, each a tracked run
   with params, validation RMSE per boosting round, the preprocessor as an
   artifact and the whole pipeline as one model (raw records in, minutes out);
3. the best run found with search_runs, registered, moved to Production;
4. `models:/nyc-taxi-duration/Production` loaded back and used to predict on
   a pandas DataFrame, and on a Spark DataFrame when pyspark (and Java) are here;
5. what `python -m litetrack ls` and `models show` print.

    pip install -e '.[xgboost]' && python examples/quickstart.py

Everything goes to a new temporary store unless LITETRACK_STORE is set; the
script ends by printing where, and the commands to browse it.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.feature_extraction import DictVectorizer

import litetrack
from litetrack.models import infer_signature

MODEL_NAME = "nyc-taxi-duration"
CATEGORICAL = ["PULocationID", "DOLocationID"]
NUMERICAL = ["trip_distance"]


def make_trips(n: int, seed: int) -> pd.DataFrame:
    """Synthetic green-taxi trips: zone ids as strings, distance in miles, duration in minutes."""
    rng = np.random.default_rng(seed)
    pu = rng.integers(1, 60, n)
    do = rng.integers(1, 60, n)
    distance = np.round(rng.gamma(2.0, 1.6, n) + 0.2, 2)
    rush = np.isin(rng.integers(0, 24, n), [8, 9, 17, 18])
    zone_speed = 1 + (pu % 7) * 0.15 + (do % 5) * 0.1
    duration = 4 + distance * 3.1 * zone_speed + rush * 6 + rng.normal(0, 2.5, n)
    return pd.DataFrame({
        "PULocationID": pu.astype(str),
        "DOLocationID": do.astype(str),
        "trip_distance": distance,
        "duration": np.clip(duration, 1, 60),
    })


def to_dicts(df: pd.DataFrame) -> list[dict]:
    """The features the vectorizer sees: a pickup_dropoff pair and the distance."""
    records = df[CATEGORICAL + NUMERICAL].copy()
    records["PU_DO"] = records["PULocationID"] + "_" + records["DOLocationID"]
    return records[["PU_DO", "trip_distance"]].to_dict(orient="records")


class TaxiDurationModel(litetrack.pyfunc.PythonModel):
    """DictVectorizer + xgboost booster: raw trip records in, predicted minutes out."""

    def load_context(self, context):
        with open(context.artifacts["preprocessor"], "rb") as f:
            self.dv = pickle.load(f)
        self.booster = xgb.Booster()
        self.booster.load_model(context.artifacts["booster"])

    def predict(self, context, model_input, params=None):
        return self.booster.predict(xgb.DMatrix(self.dv.transform(to_dicts(model_input))))


def train_one(params: dict, train: pd.DataFrame, valid: pd.DataFrame, workdir: str) -> None:
    """One tracked run: fit, log the curve, the preprocessor and the pipeline model."""
    dv = DictVectorizer()
    X_train = dv.fit_transform(to_dicts(train))
    X_valid = dv.transform(to_dicts(valid))
    dtrain = xgb.DMatrix(X_train, label=train["duration"].to_numpy())
    dvalid = xgb.DMatrix(X_valid, label=valid["duration"].to_numpy())
    with litetrack.start_run(run_name=f"xgb-d{params['max_depth']}-lr{params['learning_rate']}-w{params['min_child_weight']}"):
        litetrack.set_tag("model", "xgboost")
        litetrack.log_params(params)
        litetrack.log_input(litetrack.data.from_pandas(train, name="trips-train", targets="duration"), context="training")
        curve: dict = {}
        booster = xgb.train(
            {**params, "objective": "reg:squarederror", "seed": 42},
            dtrain, num_boost_round=30, evals=[(dvalid, "validation")],
            evals_result=curve, verbose_eval=False,
        )
        for step, value in enumerate(curve["validation"]["rmse"]):
            litetrack.log_metric("rmse", value, step=step)

        preprocessor = os.path.join(workdir, "preprocessor.bin")
        with open(preprocessor, "wb") as f:
            pickle.dump(dv, f)
        litetrack.log_artifact(preprocessor, artifact_path="preprocessor")
        booster_file = os.path.join(workdir, "booster.ubj")
        booster.save_model(booster_file)
        example = valid[CATEGORICAL + NUMERICAL].head(5)
        litetrack.pyfunc.log_model(
            artifact_path="model",
            python_model=TaxiDurationModel(),
            artifacts={"preprocessor": preprocessor, "booster": booster_file},
            signature=infer_signature(example, booster.predict(xgb.DMatrix(dv.transform(to_dicts(example))))),
            input_example=example,
        )


def spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


def score_with_spark(frame: pd.DataFrame) -> np.ndarray:
    """Score the same trips as a Spark DataFrame with the Production model."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    import warnings

    from pyspark.sql import SparkSession

    # pyspark 4 warns that pandas 3 is not fully supported; the UDFs used here work.
    warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas.*")
    warnings.filterwarnings("ignore", message=".*copy keyword is deprecated.*")
    spark = (SparkSession.builder.master("local[2]").appName("litetrack-quickstart")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        udf = litetrack.pyfunc.spark_udf(spark, f"models:/{MODEL_NAME}/Production")
        sdf = spark.createDataFrame(frame.assign(row=range(len(frame))))
        out = sdf.withColumn("pred", udf(*CATEGORICAL, *NUMERICAL)).select("row", "pred").toPandas()
        return out.sort_values("row")["pred"].to_numpy()
    finally:
        spark.stop()


def cli(store: str, *args: str) -> None:
    sys.stdout.flush()
    subprocess.run([sys.executable, "-m", "litetrack", "--store", store, *args], check=True)


def main() -> None:
    started = time.perf_counter()
    store = os.environ.get("LITETRACK_STORE") or tempfile.mkdtemp(prefix="litetrack-quickstart-")
    litetrack.set_tracking_uri(store)
    litetrack.set_experiment("nyc-taxi-duration")
    train, valid = make_trips(20_000, seed=1), make_trips(5_000, seed=2)

    sweep = [
        {"max_depth": d, "learning_rate": lr, "min_child_weight": w}
        for d in (3, 6) for lr in (0.1, 0.3) for w in (1, 5, 10)
    ]
    with tempfile.TemporaryDirectory() as workdir:
        for params in sweep:
            train_one(params, train, valid, workdir)
    print(f"{len(sweep)} runs tracked in {time.perf_counter() - started:.1f} s into {store}")

    best = litetrack.search_runs(order_by=["metrics.rmse ASC"], max_results=1, output_format="list")[0]
    print(f"best run {best.info.run_id[:8]} ({best.info.run_name}): validation RMSE {best.data.metrics['rmse']:.3f}")
    version = litetrack.register_model(f"runs:/{best.info.run_id}/model", MODEL_NAME)
    litetrack.Client().transition_model_version_stage(
        MODEL_NAME, version.version, "Production", archive_existing_versions=True
    )

    model = litetrack.pyfunc.load_model(f"models:/{MODEL_NAME}/Production")
    new_trips = make_trips(1000, seed=3)
    features = new_trips[CATEGORICAL + NUMERICAL]
    predictions = np.asarray(model.predict(features))
    rmse = float(np.sqrt(np.mean((predictions - new_trips["duration"].to_numpy()) ** 2)))
    print(f"models:/{MODEL_NAME}/Production on 1,000 new trips (pandas): RMSE {rmse:.3f}, "
          f"first predictions {[round(float(p), 2) for p in predictions[:3]]}")
    if spark_available():
        on_spark = score_with_spark(features)
        print(f"same trips as a Spark DataFrame (spark_udf): identical to pandas: "
              f"{np.allclose(on_spark, predictions, rtol=0, atol=1e-5)}")
    else:
        print("pyspark (or Java) not installed: skipping the Spark DataFrame scoring "
              "(pip install -e '.[spark]' to try it)")

    print()
    cli(store, "ls")
    print()
    cli(store, "ls", "nyc-taxi-duration", "--sort", "metrics.rmse", "--limit", "5",
        "--columns", "name,duration,model_size,metrics.rmse,params.max_depth,params.learning_rate")
    print()
    cli(store, "models", "show", MODEL_NAME)
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    print(browse_hint(store))


def browse_hint(store: str) -> str:
    """Where the runs went, and the exact commands that browse them."""
    import importlib.util
    import shlex

    prefix = f"python -m litetrack --store {shlex.quote(store)}"
    lines = [f"\nThe runs, the model and the registry are in {store}. Browse them with:",
             f"    {prefix} ls",
             f"    {prefix} ls nyc-taxi-duration --sort metrics.rmse",
             f"    {prefix} models show {MODEL_NAME}"]
    if importlib.util.find_spec("litetrack.cli.ui") is not None:
        lines.append(f"    {prefix} ui")
    if not os.environ.get("LITETRACK_STORE"):
        lines.append(f"(or export LITETRACK_STORE={shlex.quote(store)} and leave out --store)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
