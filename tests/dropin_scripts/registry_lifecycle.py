# The model registry walk-through of MLflow's docs ("Model Registry" and "registering your
# first model"): register, describe, tag, alias, stage, load by alias and stage, rename, delete.
import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor

X, y = make_regression(n_features=4, n_informative=2, random_state=0, shuffle=False)
mlflow.set_experiment("registry-demo")

run_ids = []
for n_estimators in (5, 10):
    with mlflow.start_run() as run:
        params = {"max_depth": 2, "random_state": 42, "n_estimators": n_estimators}
        model = RandomForestRegressor(**params).fit(X, y)
        mlflow.log_params(params)
        signature = infer_signature(X, model.predict(X))
        mlflow.sklearn.log_model(
            sk_model=model, name="sklearn-model", signature=signature, serialization_format="cloudpickle"
        )
        run_ids.append(run.info.run_id)

client = MlflowClient()
name = "sk-learn-random-forest-reg-model"
client.create_registered_model(name, tags={"team": "forecast"}, description="A random forest")
v1 = mlflow.register_model(f"runs:/{run_ids[0]}/sklearn-model", name)
v2 = mlflow.register_model(f"runs:/{run_ids[1]}/sklearn-model", name, tags={"candidate": "yes"})
print("versions:", v1.version, v2.version, type(v1.version).__name__)
print("v1 status:", v1.status, "run matches:", v1.run_id == run_ids[0])

client.update_registered_model(name, description="Random forest on synthetic data")
client.update_model_version(name, v1.version, description="first try")
client.set_model_version_tag(name, v1.version, "validation_status", "approved")
client.set_registered_model_alias(name, "champion", v1.version)
client.set_registered_model_alias(name, "challenger", v2.version)

rm = client.get_registered_model(name)
print("model:", rm.name, "|", rm.description, "|", rm.tags)
print("aliases:", dict(sorted(rm.aliases.items())))
mv = client.get_model_version_by_alias(name, "champion")
print("champion:", mv.version, mv.description, mv.tags, sorted(mv.aliases))

champion = mlflow.pyfunc.load_model(f"models:/{name}@champion")
print("champion predicts:", np.round(champion.predict(X[:2]), 2).tolist())
latest = mlflow.sklearn.load_model(f"models:/{name}/latest")
print("latest estimators:", latest.n_estimators)
v1_model = mlflow.sklearn.load_model(f"models:/{name}/1")
print("v1 estimators:", v1_model.n_estimators)

client.transition_model_version_stage(name, v2.version, "Production")
client.transition_model_version_stage(name, v1.version, "Staging")
prod = mlflow.pyfunc.load_model(f"models:/{name}/Production")
print("production predicts:", np.round(prod.predict(X[:2]), 2).tolist())
print("latest per stage:", sorted((m.current_stage, m.version) for m in client.get_latest_versions(name)))
print("latest staging:", [m.version for m in client.get_latest_versions(name, stages=["Staging"])])
client.transition_model_version_stage(name, v1.version, "Production", archive_existing_versions=True)
print("after archive:", sorted((m.version, m.current_stage) for m in client.search_model_versions(f"name='{name}'")))

client.delete_registered_model_alias(name, "challenger")
print("aliases after delete:", sorted(client.get_registered_model(name).aliases))
try:
    client.get_model_version_by_alias(name, "challenger")
except MlflowException as e:
    print("missing alias error:", e.error_code)

client.rename_registered_model(name, "forest-regressor")
renamed = client.get_registered_model("forest-regressor")
print("renamed:", renamed.name, sorted(renamed.aliases))
print("versions after rename:", sorted(int(m.version) for m in client.search_model_versions("name='forest-regressor'")))
print("load after rename:", mlflow.sklearn.load_model("models:/forest-regressor@champion").n_estimators)

client.delete_model_version("forest-regressor", 2)
left = client.search_model_versions("name='forest-regressor'")
print("left after delete:", [m.version for m in left])
try:
    client.get_model_version("forest-regressor", 2)
except MlflowException as e:
    print("deleted version error:", e.error_code)
client.delete_registered_model("forest-regressor")
print("models left:", [m.name for m in client.search_registered_models()])
print("OK")
