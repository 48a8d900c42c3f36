# Registry search and copy as in MLflow's Model Registry docs.
import mlflow
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression

client = MlflowClient()
for alpha in (1, 2):
    with mlflow.start_run() as run:
        model = LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, float(alpha), 2.0 * alpha])
        mlflow.sklearn.log_model(model, "model")
        mlflow.register_model(f"runs:/{run.info.run_id}/model", "sk-learn-linear-reg-model")

client.set_registered_model_alias("sk-learn-linear-reg-model", "champion", 1)
# newest update first: the alias moved version 1 last
for mv in client.search_model_versions("name='sk-learn-linear-reg-model'"):
    print(dict(name=mv.name, version=mv.version, run_id=mv.run_id))

mvs = client.search_model_versions("name='sk-learn-linear-reg-model'", order_by=["timestamp DESC"])
assert len(mvs) == 2

copied = client.copy_model_version("models:/sk-learn-linear-reg-model@champion", "linear-reg-prod")
assert copied.source == "models:/sk-learn-linear-reg-model/1"
uri = client.get_model_version_download_uri("sk-learn-linear-reg-model", 1)
print(f"Download URI: {uri}")
loaded = mlflow.pyfunc.load_model(uri)
assert abs(loaded.predict([[3.0]])[0] - 3.0) < 1e-6
assert len(mlflow.search_registered_models()) == 2
print("OK")
