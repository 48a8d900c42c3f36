"""Scoring 1,000,000 rows with spark_udf on local[2], next to a single-process pandas predict.

Usage: python benchmarks/bench_spark.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    import numpy as np
    import pandas as pd
    import xgboost as xgb

    import litetrack

    store = tempfile.mkdtemp(prefix="litetrack-bench-spark-")
    litetrack.set_tracking_uri(store)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(args.rows, 10)), columns=[f"f{i}" for i in range(10)])
    y = X["f0"] * 2 - X["f1"] + rng.normal(scale=0.1, size=args.rows)
    booster = xgb.train({"max_depth": 6, "eta": 0.3}, xgb.DMatrix(X.head(20000), label=y.head(20000)), 50)
    with litetrack.start_run():
        info = litetrack.xgboost.log_model(booster, artifact_path="model", input_example=X.head(3))

    model = litetrack.pyfunc.load_model(info.model_uri)
    t = time.perf_counter()
    expected = model.predict(X)
    pandas_s = time.perf_counter() - t
    print(f"pandas predict, 1 process: {args.rows:,} rows in {pandas_s:.2f} s ({args.rows / pandas_s:,.0f} rows/s)")

    from pyspark.sql import SparkSession

    t = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    print(f"spark session start: {time.perf_counter() - t:.1f} s")
    sdf = spark.createDataFrame(X.assign(row=np.arange(args.rows))).repartition(2).cache()
    sdf.count()
    udf = litetrack.pyfunc.spark_udf(spark, info.model_uri)
    scored = sdf.withColumn("pred", udf(*[f"f{i}" for i in range(10)]))
    t = time.perf_counter()
    n = scored.selectExpr("sum(pred) as s", "count(*) as n").collect()[0]
    spark_s = time.perf_counter() - t
    print(f"spark_udf on local[2]: {args.rows:,} rows in {spark_s:.2f} s ({args.rows / spark_s:,.0f} rows/s); "
          f"sum matches pandas: {abs(n['s'] - float(np.sum(expected))) < 1e-3 * args.rows}")
    spark.stop()


if __name__ == "__main__":
    main()
