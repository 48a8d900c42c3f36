# A hyperparameter sweep with nested runs, the best run found with search_runs,
# registered, promoted to Production and loaded by its models:/ URI.
import mlflow
import mlflow.xgboost
from mlflow.tracking import MlflowClient

import numpy as np
import pandas as pd
import xgboost as xgb

rng = np.random.default_rng(0)
X = rng.normal(size=(600, 6))
y = X @ rng.normal(size=6) + rng.normal(scale=0.1, size=600)
dtrain = xgb.DMatrix(X[:500], label=y[:500])
dvalid = xgb.DMatrix(X[500:], label=y[500:])

mlflow.set_experiment("xgb-sweep")
with mlflow.start_run(run_name="sweep") as parent:
    for max_depth in [2, 3, 4]:
        for eta in [0.1, 0.3]:
            with mlflow.start_run(nested=True):
                params = {"max_depth": max_depth, "eta": eta, "objective": "reg:squarederror"}
                mlflow.log_params(params)
                evals_result = {}
                booster = xgb.train(params, dtrain, num_boost_round=20, evals=[(dvalid, "validation")],
                                    evals_result=evals_result, verbose_eval=False)
                for step, value in enumerate(evals_result["validation"]["rmse"]):
                    mlflow.log_metric("rmse", value, step=step)
                mlflow.xgboost.log_model(booster, artifact_path="model")

experiment = mlflow.get_experiment_by_name("xgb-sweep")
runs = mlflow.search_runs(
    experiment_ids=[experiment.experiment_id],
    filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    order_by=["metrics.rmse ASC"],
)
best_run_id = runs.iloc[0]["run_id"]
assert len(runs) == 6

result = mlflow.register_model(f"runs:/{best_run_id}/model", "xgb-regressor")
client = MlflowClient()
client.transition_model_version_stage(
    name="xgb-regressor", version=result.version, stage="Production", archive_existing_versions=True
)

model = mlflow.pyfunc.load_model("models:/xgb-regressor/Production")
preds = model.predict(pd.DataFrame(X[500:]))
rmse = float(np.sqrt(np.mean((np.asarray(preds) - y[500:]) ** 2)))
assert abs(rmse - runs.iloc[0]["metrics.rmse"]) < 1e-4, (rmse, runs.iloc[0]["metrics.rmse"])
latest = client.get_latest_versions("xgb-regressor", stages=["Production"])
assert latest[0].version == result.version and latest[0].run_id == best_run_id
print("OK", best_run_id)
