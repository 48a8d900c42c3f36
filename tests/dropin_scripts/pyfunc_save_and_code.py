# Custom models the MLflow 2 way that notebooks still use: artifact_path= and positional
# names, code_paths with a helper module, pyfunc.save_model to a folder, get_model_info,
# register from model_info.model_uri, and the model's requirements.
import os
import shutil

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

os.makedirs("src", exist_ok=True)
with open("src/text_utils.py", "w") as f:
    f.write("def normalise(s):\n    return s.strip().lower()\n")


class Normaliser(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        from text_utils import normalise

        return [normalise(s) for s in model_input["text"]]


example = pd.DataFrame({"text": ["  Hello ", "WORLD"]})
with mlflow.start_run() as run:
    info = mlflow.pyfunc.log_model(
        artifact_path="normaliser",
        python_model=Normaliser(),
        code_paths=["src/text_utils.py"],
        input_example=example,
        pip_requirements=["pandas"],
    )
model = mlflow.pyfunc.load_model(info.model_uri)
print("predict:", list(model.predict(pd.DataFrame({"text": [" A b ", "C"]}))))

# get_model_info reads the MLmodel without loading the model
meta = mlflow.models.get_model_info(info.model_uri)
print("model info:", sorted(meta.flavors), meta.run_id == run.info.run_id)

# Requirements written with the model
reqs = mlflow.pyfunc.get_model_dependencies(info.model_uri)
with open(reqs) as f:
    lines = [line.strip() for line in f if line.strip()]
print("requirements:", os.path.basename(reqs), "pandas" in lines)

# Save to a folder, load from the folder
shutil.rmtree("saved_model", ignore_errors=True)
mlflow.pyfunc.save_model(path="saved_model", python_model=Normaliser(), code_paths=["src/text_utils.py"])
print("saved files:", sorted(f for f in os.listdir("saved_model") if f in ("MLmodel", "python_model.pkl", "code", "requirements.txt")))
local = mlflow.pyfunc.load_model("saved_model")
print("from folder:", list(local.predict(pd.DataFrame({"text": ["X "]}))))

# sklearn the MLflow 2 way: positional artifact path, registered while logging
from sklearn.linear_model import LinearRegression

X = np.arange(10, dtype=float).reshape(-1, 1)
with mlflow.start_run():
    lin = LinearRegression().fit(X, 2 * X.ravel() + 1)
    sk_info = mlflow.sklearn.log_model(lin, "linear", registered_model_name="linear-model",
                                       signature=infer_signature(X, lin.predict(X)))
print("registered version:", sk_info.registered_model_version)
v = mlflow.register_model(sk_info.model_uri, "linear-model")
print("second version:", v.version)
pred = mlflow.pyfunc.load_model("models:/linear-model/2").predict(np.array([[20.0]]))
print("predict 20:", np.round(pred, 3).tolist())
print("OK")
