# scikit-learn autologging with a parameter search (MLflow docs: "Automatic logging",
# mlflow.sklearn.autolog with GridSearchCV creates one child run per candidate).
import mlflow
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

mlflow.set_experiment("autolog-gridsearch")
mlflow.sklearn.autolog(max_tuning_runs=None)

X, y = load_iris(return_X_y=True)
parameters = {"kernel": ("linear", "rbf"), "C": [1, 10]}
clf = GridSearchCV(SVC(), parameters, cv=3)
clf.fit(X, y)

run = mlflow.last_active_run()
parent = mlflow.get_run(run.info.run_id)
print("parent status:", parent.info.status)
params = parent.data.params
print("parent params:", {k: params[k] for k in sorted(params) if k in ("cv", "estimator", "best_C", "best_kernel", "param_grid")})
metrics = parent.data.metrics
print("parent metrics:", sorted(k for k in metrics if k.startswith(("best_cv_score", "training_"))))
print("best score:", round(metrics["best_cv_score"], 4))
print("estimator tags:", parent.data.tags.get("estimator_name"), parent.data.tags.get("estimator_class"))

children = mlflow.search_runs(
    filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'", order_by=["params.C", "params.kernel"]
)
print("child runs:", len(children))
print(children[["params.C", "params.kernel", "metrics.mean_test_score"]].round(4).to_string(index=False))

artifacts = sorted(f.path for f in mlflow.MlflowClient().list_artifacts(run.info.run_id))
print("parent artifacts:", [a for a in artifacts if a == "cv_results.csv"])
print("parent param keys:", sorted(params))
child = mlflow.get_run(children["run_id"].iloc[0])
print("child param keys:", sorted(child.data.params))
print("child metric keys:", sorted(child.data.metrics))
print("child tags:", child.data.tags["mlflow.autologging"], child.data.tags.get("estimator_name"))

# Only the best two candidates get a child run, inside the user's own run
from sklearn.model_selection import RandomizedSearchCV

mlflow.sklearn.autolog(max_tuning_runs=2)
with mlflow.start_run(run_name="random-search") as outer:
    search = RandomizedSearchCV(SVC(), {"C": [0.1, 1, 10, 100]}, n_iter=4, cv=3, random_state=0)
    search.fit(X, y)
kids = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{outer.info.run_id}'")
print("random search children:", sorted(kids["params.C"]), sorted(kids["metrics.rank_test_score"]))
print("outer best_C:", mlflow.get_run(outer.info.run_id).data.params["best_C"])
mlflow.sklearn.autolog(disable=True)
print("OK")
