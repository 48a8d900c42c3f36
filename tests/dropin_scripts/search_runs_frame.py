# Comparing runs in a notebook: mlflow.search_runs returns a pandas DataFrame that users
# filter, sort, pivot and plot (MLflow docs: "Search Runs").
import mlflow
import pandas as pd
from mlflow.entities import ViewType

mlflow.set_experiment("taxi-duration")
for i, (model, depth, lr) in enumerate(
    [("xgb", 4, 0.1), ("xgb", 6, 0.1), ("xgb", 8, 0.3), ("rf", 6, None), ("rf", 10, None)]
):
    with mlflow.start_run(run_name=f"{model}-{depth}"):
        mlflow.log_param("model", model)
        mlflow.log_param("max_depth", depth)
        if lr is not None:
            mlflow.log_param("learning_rate", lr)
        for step in range(3):
            mlflow.log_metric("rmse", round(7.0 - depth * 0.1 - step * 0.2 + i * 0.01, 4), step=step)
        mlflow.log_metric("train_time", 1.5 * (i + 1))
        mlflow.set_tag("team", "pricing" if model == "xgb" else "ops")

with mlflow.start_run(run_name="crashed"):
    mlflow.log_param("model", "xgb")
    mlflow.end_run(status="FAILED")

runs = mlflow.search_runs()
print("rows:", len(runs))
print("info columns:", [c for c in runs.columns if "." not in c])
print("dtypes:")
text = pd.Series(["x"]).dtype  # what pandas infers for strings: str (pandas 3) or object
for col in sorted(runs.columns):
    dtype = runs[col].dtype
    print(f"  {col}:", "text" if dtype == text else getattr(dtype, "tz", None) or dtype)
print("statuses:", runs["status"].value_counts().sort_index().to_dict())

finished = runs[runs["status"] == "FINISHED"].copy()
finished["max_depth"] = finished["params.max_depth"].astype(int)
print(finished.sort_values("metrics.rmse")[["tags.mlflow.runName", "max_depth", "metrics.rmse"]].round(2).to_string(index=False))
print("mean rmse by model:", finished.groupby("params.model")["metrics.rmse"].mean().round(3).to_dict())
print("missing learning_rate:", int(finished["params.learning_rate"].isna().sum()))
print("missing train_time in crashed:", bool(runs.loc[runs["tags.mlflow.runName"] == "crashed", "metrics.train_time"].isna().all()))

best = mlflow.search_runs(
    filter_string="params.model = 'xgb' and metrics.rmse < 6.5",
    order_by=["metrics.rmse ASC"],
    max_results=2,
)
print("best two:", list(best["tags.mlflow.runName"]))

ordered = mlflow.search_runs(order_by=["params.max_depth DESC", "attributes.start_time"])
print("by depth desc:", list(ordered["params.max_depth"].fillna("-")))

liked = mlflow.search_runs(filter_string="tags.mlflow.runName LIKE 'xgb-%'")
print("like:", sorted(liked["tags.mlflow.runName"]))
print("status filter:", len(mlflow.search_runs(filter_string="attributes.status = 'FAILED'")))

exp = mlflow.get_experiment_by_name("taxi-duration")
empty = mlflow.search_runs([exp.experiment_id], filter_string="metrics.rmse > 100")
print("empty:", len(empty), list(empty.columns)[:4], type(empty).__name__)
allexp = mlflow.search_runs(search_all_experiments=True, run_view_type=ViewType.ALL)
print("all experiments:", len(allexp))
print("OK")
