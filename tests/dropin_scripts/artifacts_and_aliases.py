# Artifacts, dict/text logging, pyfunc custom models and registry aliases.
import os
import pickle
import tempfile

import mlflow
import mlflow.pyfunc
from mlflow.tracking import MlflowClient

import pandas as pd


class AddN(mlflow.pyfunc.PythonModel):
    def __init__(self, n):
        self.n = n

    def predict(self, context, model_input, params=None):
        return model_input.apply(lambda column: column + self.n)


with mlflow.start_run() as run:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "preprocessor.bin")
        with open(path, "wb") as f:
            pickle.dump({"vocab": ["a", "b"]}, f)
        mlflow.log_artifact(path, artifact_path="preprocessor")
    mlflow.log_dict({"features": ["x", "y"]}, "config.json")
    mlflow.log_text("some notes", "notes.txt")
    model_info = mlflow.pyfunc.log_model(artifact_path="add_n_model", python_model=AddN(n=5))
    config_uri = mlflow.get_artifact_uri("config.json")

assert mlflow.artifacts.load_dict(config_uri) == {"features": ["x", "y"]}
local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="preprocessor")
with open(os.path.join(local, "preprocessor.bin"), "rb") as f:
    assert pickle.load(f) == {"vocab": ["a", "b"]}

model = mlflow.pyfunc.load_model(model_info.model_uri)
out = model.predict(pd.DataFrame([range(10)]))
assert list(out.iloc[0]) == list(range(5, 15))

client = MlflowClient()
mv = mlflow.register_model(model_info.model_uri, "add-n")
client.set_registered_model_alias("add-n", "champion", mv.version)
champion = mlflow.pyfunc.load_model("models:/add-n@champion")
assert list(champion.predict(pd.DataFrame([[1, 2]])).iloc[0]) == [6, 7]
assert client.get_model_version_by_alias("add-n", "champion").version == mv.version
print("OK")
