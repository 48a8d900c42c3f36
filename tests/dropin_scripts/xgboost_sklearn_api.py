# XGBoost through its scikit-learn API with autologging and an eval set (MLflow docs:
# mlflow.xgboost.autolog, "XGBoost" flavor), then the model loaded back both ways.
import mlflow
import mlflow.xgboost
import numpy as np
import pandas as pd
import xgboost as xgb
from mlflow.models import infer_signature
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

X, y = load_diabetes(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

mlflow.set_experiment("xgb-sklearn-api")
mlflow.xgboost.autolog(log_input_examples=False)
with mlflow.start_run(run_name="xgb-regressor") as run:
    model = xgb.XGBRegressor(n_estimators=5, max_depth=3, learning_rate=0.3, random_state=0, n_jobs=1)
    model.fit(X_train, y_train, eval_set=[(X_test, y_test)], verbose=False)

# Early stopping: the run's latest validation metric is the best iteration's
with mlflow.start_run(run_name="early-stopping") as es_run:
    es = xgb.XGBRegressor(n_estimators=200, max_depth=6, learning_rate=0.9, early_stopping_rounds=2, random_state=0, n_jobs=1)
    es.fit(X_train, y_train, eval_set=[(X_test, y_test)], verbose=False)
es_metrics = mlflow.get_run(es_run.info.run_id).data.metrics
scores = es.evals_result()["validation_0"]["rmse"]
print("stopped_iteration:", es_metrics["stopped_iteration"] == len(scores) - 1)
print("best_iteration:", es_metrics["best_iteration"] == es.best_iteration)
print("latest rmse is the best:", round(es_metrics["validation_0-rmse"], 4) == round(scores[es.best_iteration], 4))
mlflow.xgboost.autolog(disable=True)

logged = mlflow.get_run(run.info.run_id)
params = logged.data.params
print("params:", {k: params[k] for k in ("num_boost_round", "max_depth", "learning_rate", "objective")})
print("eval metric keys:", sorted(k for k in logged.data.metrics if k.startswith("validation")))
history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "validation_0-rmse")
print("rmse steps:", [m.step for m in history])
print("rmse decreases:", history[-1].value < history[0].value)

# Manual logging of a native Booster with a signature
with mlflow.start_run(run_name="booster") as run2:
    dtrain = xgb.DMatrix(X_train, label=y_train)
    booster = xgb.train({"max_depth": 2, "eta": 0.5, "seed": 0, "nthread": 1}, dtrain, num_boost_round=4)
    preds = booster.predict(xgb.DMatrix(X_test))
    signature = infer_signature(X_test, preds)
    info = mlflow.xgboost.log_model(booster, name="booster", signature=signature, model_format="json")
print("flavors:", sorted(info.flavors))
print("xgb flavor format:", info.flavors["xgboost"]["model_format"], info.flavors["xgboost"]["model_class"])

native = mlflow.xgboost.load_model(info.model_uri)
print("native type:", type(native).__name__)
print("same predictions:", bool(np.allclose(native.predict(xgb.DMatrix(X_test)), preds)))
pyfunc = mlflow.pyfunc.load_model(info.model_uri)
out = pyfunc.predict(X_test.head(3))
print("pyfunc output:", type(out).__name__, np.round(np.asarray(out), 2).tolist() == np.round(preds[:3], 2).tolist())
print("input names:", pyfunc.metadata.get_input_schema().input_names()[:3])
print("OK")
