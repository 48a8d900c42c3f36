# Hyperparameter tuning with child runs (MLflow docs: "Hyperparameter Tuning with MLflow",
# nested runs), then finding the best child with search_runs and pandas.
import mlflow
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

X, y = load_diabetes(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)

mlflow.set_experiment("ridge-tuning")

with mlflow.start_run(run_name="sweep") as parent:
    mlflow.log_param("n_trials", 4)
    best = None
    for alpha in [0.01, 0.1, 1.0, 10.0]:
        with mlflow.start_run(run_name=f"alpha-{alpha}", nested=True) as child:
            model = Ridge(alpha=alpha).fit(X_train, y_train)
            rmse = float(np.sqrt(mean_squared_error(y_val, model.predict(X_val))))
            mlflow.log_params({"alpha": alpha, "solver": "auto"})
            mlflow.log_metric("rmse", rmse)
            if best is None or rmse < best[1]:
                best = (alpha, rmse)
        print("active after child:", mlflow.active_run().info.run_name)
    mlflow.log_metric("best_rmse", best[1])
    mlflow.set_tag("best_alpha", str(best[0]))

print("active after parent:", mlflow.active_run())
print("last active:", mlflow.last_active_run().info.run_name)

experiment = mlflow.get_experiment_by_name("ridge-tuning")
children = mlflow.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    order_by=["metrics.rmse ASC"],
)
print("children:", len(children))
print(children[["tags.mlflow.runName", "params.alpha", "metrics.rmse"]].round(3).to_string(index=False))
print("status:", sorted(set(children["status"])))
print("start_time dtype:", children["start_time"].dtype.kind, "end_time dtype:", children["end_time"].dtype.kind)
print("params.alpha is text:", children["params.alpha"].dtype == pd.Series(["x"]).dtype)
best_row = children.loc[children["metrics.rmse"].idxmin()]
print("best:", best_row["params.alpha"], round(best_row["metrics.rmse"], 3))
duration = (children["end_time"] - children["start_time"]).dt.total_seconds()
print("durations non-negative:", bool((duration >= 0).all()))

all_runs = mlflow.search_runs(experiment_names=["ridge-tuning"])
parent_row = all_runs[all_runs["run_id"] == parent.info.run_id].iloc[0]
print("parent best_rmse:", round(parent_row["metrics.best_rmse"], 3), parent_row["tags.best_alpha"])
print("parent has no alpha:", bool(pd.isna(parent_row["params.alpha"])))
print("columns:", sorted(c for c in all_runs.columns if c.startswith(("metrics.", "params."))))
print("run_id column ok:", all_runs["run_id"].is_unique, all_runs["experiment_id"].nunique())

parent_run = mlflow.get_run(parent.info.run_id)
print("parent data:", parent_run.data.params, sorted(parent_run.data.metrics))
runs = mlflow.search_runs(
    experiment_names=["ridge-tuning"], filter_string="metrics.rmse < 60", output_format="list"
)
print("list output:", sorted(r.info.run_name for r in runs))
print("OK")
