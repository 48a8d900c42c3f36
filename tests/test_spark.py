"""Scoring Spark DataFrames with `spark_udf` on a real local Spark session."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")
pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
xgb = pytest.importorskip("xgboost")
pytest.importorskip("sklearn")

import litetrack  # noqa: E402


@contextlib.contextmanager
def spark_environment(load_log: Path) -> Iterator[None]:
    """The variables a Spark session of these tests needs, restored on exit.

    Restored so later test modules see the environment they started with.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYSPARK_PYTHON", sys.executable)
        mp.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
        mp.setenv("LITETRACK_SPARK_LOAD_LOG", str(load_log))
        yield


def test_spark_environment_is_restored(tmp_path: Path) -> None:
    before = dict(os.environ)
    with spark_environment(tmp_path / "log"):
        assert os.environ["LITETRACK_SPARK_LOAD_LOG"] == str(tmp_path / "log")
    assert dict(os.environ) == before


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory):
    """A local[2] session whose Python workers run this interpreter."""
    log = tmp_path_factory.mktemp("spark") / "loads.log"
    with spark_environment(log):
        from pyspark.sql import SparkSession

        session = (
            SparkSession.builder.master("local[2]")
            .appName("litetrack-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
            .config("spark.python.worker.reuse", "true")
            .getOrCreate()
        )
        session.load_log = log  # type: ignore[attr-defined]
        yield session
        session.stop()


def _data(n: int = 3000):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "trip_distance": rng.uniform(0.5, 20, n),
        "PULocationID": rng.integers(1, 30, n).astype(str),
        "DOLocationID": rng.integers(1, 30, n).astype(str),
    })
    y = 3 + 2.2 * frame["trip_distance"] + (frame["PULocationID"].astype(int) % 5) + rng.normal(0, 1, n)
    return frame, y.to_numpy()


def test_xgboost_model_spark_equals_pandas(spark, store_path: Path) -> None:
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(2000, 4)), columns=["a", "b", "c", "d"])
    y = X["a"] * 2 - X["b"] + 0.1
    booster = xgb.train({"max_depth": 3}, xgb.DMatrix(X, label=y), num_boost_round=20)
    with litetrack.start_run():
        info = litetrack.xgboost.log_model(booster, artifact_path="model", input_example=X.head(5))
    mv = litetrack.register_model(info.model_uri, "spark-xgb")
    litetrack.Client().transition_model_version_stage("spark-xgb", mv.version, "Production")

    expected = litetrack.pyfunc.load_model("models:/spark-xgb/Production").predict(X)
    sdf = spark.createDataFrame(X.assign(row=range(len(X))))
    udf = litetrack.pyfunc.spark_udf(spark, "models:/spark-xgb/Production", result_type="double")
    got = sdf.withColumn("pred", udf("a", "b", "c", "d")).select("row", "pred").toPandas().sort_values("row")
    assert np.array_equal(got["pred"].to_numpy(), np.asarray(expected, dtype="float64"))

    from pyspark.sql.functions import struct

    got2 = sdf.withColumn("pred", udf(struct("a", "b", "c", "d"))).select("row", "pred").toPandas().sort_values("row")
    assert np.array_equal(got2["pred"].to_numpy(), got["pred"].to_numpy())


class TaxiPipeline(litetrack.pyfunc.PythonModel):
    """DictVectorizer + xgboost booster scoring raw taxi records."""

    def load_context(self, context):
        import pickle

        with open(context.artifacts["preprocessor"], "rb") as f:
            self.dv = pickle.load(f)
        self.booster = xgb.Booster()
        self.booster.load_model(context.artifacts["booster"])

    def predict(self, context, model_input, params=None):
        records = model_input.copy()
        records["PU_DO"] = records["PULocationID"] + "_" + records["DOLocationID"]
        dicts = records[["PU_DO", "trip_distance"]].to_dict(orient="records")
        return self.booster.predict(xgb.DMatrix(self.dv.transform(dicts)))


def test_dictvectorizer_xgboost_pipeline_spark_equals_pandas(spark, store_path: Path, tmp_path: Path) -> None:
    import pickle

    from sklearn.feature_extraction import DictVectorizer

    frame, y = _data()
    records = frame.assign(PU_DO=frame["PULocationID"] + "_" + frame["DOLocationID"])
    dv = DictVectorizer()
    X = dv.fit_transform(records[["PU_DO", "trip_distance"]].to_dict(orient="records"))
    booster = xgb.train({"max_depth": 4, "eta": 0.3}, xgb.DMatrix(X, label=y), num_boost_round=15)
    (tmp_path / "dv.bin").write_bytes(pickle.dumps(dv))
    booster.save_model(str(tmp_path / "booster.ubj"))
    # The class lives in this test module, which Spark's Python workers cannot
    # import: pickle it by value, as it would be when defined in a notebook.
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with litetrack.start_run():
        info = litetrack.pyfunc.log_model(
            artifact_path="pipeline",
            python_model=TaxiPipeline(),
            artifacts={"preprocessor": str(tmp_path / "dv.bin"), "booster": str(tmp_path / "booster.ubj")},
            input_example=frame.head(3),
        )
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    model = litetrack.pyfunc.load_model(info.model_uri)
    expected = np.asarray(model.predict(frame), dtype="float64")

    sdf = spark.createDataFrame(frame.assign(row=range(len(frame))))
    udf = litetrack.pyfunc.spark_udf(spark, info.model_uri)
    got = (
        sdf.withColumn("pred", udf("trip_distance", "PULocationID", "DOLocationID"))
        .select("row", "pred").toPandas().sort_values("row")
    )
    assert np.array_equal(got["pred"].to_numpy(), expected)

    # Each executor Python process loaded each model once, whatever the number of batches (6+ here).
    lines = Path(spark.load_log).read_text().split("\n")
    pairs = [tuple(line.split()) for line in lines if line]
    assert pairs and len(pairs) == len(set(pairs))


def test_env_manager_other_than_local_refused(spark, store_path: Path) -> None:
    from litetrack.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="env_manager"):
        litetrack.pyfunc.spark_udf(spark, "runs:/x/model", env_manager="conda")


def test_no_signature_columns_are_named_after_the_arguments(spark, store_path: Path) -> None:
    # MLflow numbers the columns 0..3 and the booster refuses them (feature_names
    # mismatch); litetrack names them after the columns passed, or for
    # expressions after the booster's feature names.
    X = pd.DataFrame(np.random.default_rng(1).normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    booster = xgb.train({"max_depth": 2}, xgb.DMatrix(X, label=X["a"] - X["c"]), num_boost_round=5)
    with litetrack.start_run():
        info = litetrack.xgboost.log_model(booster, artifact_path="model")
    from litetrack.models.model import Model
    from litetrack.models.uri import resolve_model

    assert Model.load(resolve_model(info.model_uri).path).get_input_schema() is None
    expected = np.asarray(booster.predict(xgb.DMatrix(X)), dtype="float64")
    sdf = spark.createDataFrame(X.assign(row=range(len(X))))
    udf = litetrack.pyfunc.spark_udf(spark, info.model_uri)
    by_name = sdf.withColumn("pred", udf("a", "b", "c", "d")).select("row", "pred").toPandas().sort_values("row")
    assert np.allclose(by_name["pred"].to_numpy(), expected)

    from pyspark.sql.functions import col

    exprs = sdf.withColumn("pred", udf(col("a"), col("b"), col("c"), col("d")))
    got = exprs.select("row", "pred").toPandas().sort_values("row")
    assert np.allclose(got["pred"].to_numpy(), expected)


def test_spark_udf_copies_a_model_once_and_removes_it_at_exit(
    spark, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from sklearn.linear_model import LinearRegression

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
    with litetrack.start_run():
        info = litetrack.sklearn.log_model(
            LinearRegression().fit(X, X["a"] * 2), artifact_path="model", input_example=X
        )
    # A temp folder of this test's own: another process on the machine (a
    # second test run) may stage its models in the shared one meanwhile.
    tmp = tmp_path / "staging"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    before = set(tmp.glob("litetrack-spark-*"))
    for _ in range(3):
        udf = litetrack.pyfunc.spark_udf(spark, info.model_uri)
    staged = set(tmp.glob("litetrack-spark-*")) - before
    assert len(staged) <= 1  # one staging folder per process ...
    from litetrack import spark as spark_mod

    assert spark_mod._staging is not None
    copies = sorted(p.name for p in spark_mod._staging.iterdir())
    assert copies == sorted(spark_mod._SHIPPED)  # ... holding each model once, no temp left
    out = spark.createDataFrame(X).withColumn("p", udf("a", "b")).toPandas()
    assert np.allclose(out["p"], X["a"] * 2)

    # ... and it is gone when the process exits.
    script = f"""
import os, sys
from pyspark.sql import SparkSession
import litetrack.pyfunc
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
for _ in range(2):
    litetrack.pyfunc.spark_udf(spark, {info.model_uri!r})
import tempfile
print(len(list(__import__("pathlib").Path(tempfile.gettempdir()).glob("litetrack-spark-*"))))
spark.stop()
"""
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
        env={**os.environ, "TMPDIR": str(own_tmp), "PYSPARK_PYTHON": sys.executable},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "1"
    assert list(own_tmp.glob("litetrack-spark-*")) == []
