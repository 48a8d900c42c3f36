# xgboost autologging, as in MLflow's docs.
import mlflow
import mlflow.xgboost

import numpy as np
import xgboost as xgb

mlflow.xgboost.autolog()

rng = np.random.default_rng(1)
X = rng.normal(size=(400, 5))
y = X[:, 0] * 2 + rng.normal(scale=0.1, size=400)
dtrain = xgb.DMatrix(X[:300], label=y[:300])
dtest = xgb.DMatrix(X[300:], label=y[300:])

params = {"objective": "reg:squarederror", "max_depth": 3, "eta": 0.3}
with mlflow.start_run() as run:
    model = xgb.train(params, dtrain, num_boost_round=15, evals=[(dtrain, "train"), (dtest, "test")])

run = mlflow.get_run(run.info.run_id)
assert run.data.params["max_depth"] == "3"
assert "test-rmse" in run.data.metrics
client = mlflow.tracking.MlflowClient()
assert len(client.get_metric_history(run.info.run_id, "test-rmse")) == 15
artifacts = [f.path for f in client.list_artifacts(run.info.run_id)]
assert "model" in artifacts, artifacts
loaded = mlflow.xgboost.load_model(f"runs:/{run.info.run_id}/model")
assert np.allclose(loaded.predict(dtest), model.predict(dtest))
print("OK")
