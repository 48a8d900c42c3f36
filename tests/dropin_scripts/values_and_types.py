# What users actually pass to the logging calls in notebooks: numpy scalars, lists, None,
# NaN, booleans, ints as tags; and what they read back (MLflow stores params/tags as strings).
import math

import mlflow
import numpy as np
from mlflow import MlflowClient

with mlflow.start_run(run_name="values") as run:
    mlflow.log_param("layers", [64, 32])
    mlflow.log_param("dropout", None)
    mlflow.log_param("use_bias", True)
    mlflow.log_param("lr", np.float32(0.001))
    mlflow.log_params({"optimizer": {"name": "adam", "beta": 0.9}, "epochs": np.int64(10)})
    mlflow.log_metric("acc", np.float64(0.91))
    mlflow.log_metric("count", np.int64(7))
    mlflow.log_metric("f32", np.float32(0.5))
    mlflow.log_metric("loss", float("nan"))
    mlflow.log_metric("big", float("inf"))
    mlflow.log_metric("neg", -float("inf"))
    mlflow.log_metrics({f"layer_{i}.norm": float(i) / 4 for i in range(3)}, step=3)
    mlflow.set_tag("version", 2)
    mlflow.set_tags({"ok": False, "release.candidate": "rc1", "empty": ""})
    mlflow.set_tag("mlflow.note.content", "A **markdown** description")

data = mlflow.get_run(run.info.run_id).data
print("params:", dict(sorted(data.params.items())))
# NaN as "nan"; +/-inf as the sign only (MLflow's SQL stores keep them as +/-1.8e308)
metrics = {
    k: "nan" if math.isnan(v) else ("+big" if v > 1e300 else "-big" if v < -1e300 else v)
    for k, v in sorted(data.metrics.items())
}
print("metrics:", metrics)
print("metric types:", sorted({type(v).__name__ for v in data.metrics.values()}))
print("tags:", {k: v for k, v in sorted(data.tags.items()) if not k.startswith("mlflow.") or k == "mlflow.note.content"})
hist = MlflowClient().get_metric_history(run.info.run_id, "layer_1.norm")
print("history:", [(m.key, m.value, m.step) for m in hist])

for bad in [("str", "high"), ("list", [1.0])]:
    try:
        with mlflow.start_run(run_id=run.info.run_id):
            mlflow.log_metric("bad_" + bad[0], bad[1])
        print("accepted", bad[0])
    except Exception as e:
        print("refused", bad[0], type(e).__name__ in ("MlflowException", "InvalidMetricValue", "TypeError", "ValueError"))

found = mlflow.search_runs(filter_string="params.use_bias = 'True' and tags.version = '2'")
print("found by stringified values:", len(found))
print("nan in frame:", bool(found["metrics.loss"].isna().all()), "big in frame:", float(found["metrics.big"].iloc[0]) > 1e300)
print("OK")
