# scikit-learn autologging inside a named run (MLflow docs: mlflow.sklearn.autolog), for a
# pipeline and a plain regressor: what lands in params, metrics and tags.
import mlflow
from sklearn.datasets import load_diabetes
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_diabetes(return_X_y=True, as_frame=True)
mlflow.sklearn.autolog(log_input_examples=True, log_model_signatures=True, log_models=False)

with mlflow.start_run(run_name="pipeline") as run:
    pipe = Pipeline([("scale", StandardScaler()), ("gbr", GradientBoostingRegressor(n_estimators=10, random_state=0))])
    pipe.fit(X, y)
data = mlflow.get_run(run.info.run_id).data
print("pipeline params:", sorted(k for k in data.params if not k.startswith(("gbr__", "scale__"))))
print("step params logged:", "gbr__n_estimators" in data.params, data.params.get("gbr__n_estimators"))
print("metrics:", sorted(data.metrics))
print("r2 rounded:", round(data.metrics["training_r2_score"], 3))
print("tags:", data.tags.get("estimator_name"), data.tags.get("mlflow.autologging"))

gbr = GradientBoostingRegressor(n_estimators=5, random_state=0).fit(X, y, sample_weight=[1.0] * len(y))
auto_run = mlflow.last_active_run()
print("auto run status:", auto_run.info.status, mlflow.active_run() is None)
print("regressor metrics:", sorted(auto_run.data.metrics))
print("regressor params sample:", {k: auto_run.data.params[k] for k in ("n_estimators", "loss", "max_depth")})
mlflow.sklearn.autolog(disable=True)
StandardScaler().fit(X)
print("after disable, last run unchanged:", mlflow.last_active_run().info.run_id == auto_run.info.run_id)
print("OK")
