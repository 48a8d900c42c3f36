# A custom PythonModel with artifacts and load_context (MLflow docs: "Custom Python Models",
# "Creating custom Pyfunc models"), logged with a signature and an input example.
import json
import os

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow.models import infer_signature


class AddN(mlflow.pyfunc.PythonModel):
    """Adds a configured number to every input column."""

    def load_context(self, context):
        with open(context.artifacts["config"]) as f:
            self.n = json.load(f)["n"]
        with open(context.artifacts["vocab"]) as f:
            self.vocab = f.read().split()

    def predict(self, context, model_input, params=None):
        scale = (params or {}).get("scale", 1)
        return model_input.apply(lambda column: (column + self.n) * scale)


os.makedirs("assets", exist_ok=True)
with open("assets/config.json", "w") as f:
    json.dump({"n": 5}, f)
with open("assets/vocab.txt", "w") as f:
    f.write("alpha beta gamma\n")

model_input = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0]})
signature = infer_signature(model_input, model_input + 5, params={"scale": 1})
print("signature inputs:", signature.inputs.to_dict())
print("signature params:", [p.name for p in signature.params.params])

with mlflow.start_run() as run:
    model_info = mlflow.pyfunc.log_model(
        name="add_n_model",
        python_model=AddN(),
        artifacts={"config": "assets/config.json", "vocab": "assets/vocab.txt"},
        signature=signature,
        input_example=model_input.head(2),
    )

print("flavors:", sorted(model_info.flavors))
print("signature kept:", model_info.signature == signature)
print("run id kept:", model_info.run_id == run.info.run_id)

loaded = mlflow.pyfunc.load_model(model_info.model_uri)
print("predict:", loaded.predict(model_input).to_dict(orient="list"))
print("predict with params:", loaded.predict(model_input, params={"scale": 2}).to_dict(orient="list"))
print("metadata inputs:", loaded.metadata.get_input_schema().input_names())
python_model = loaded.unwrap_python_model()
print("unwrapped:", type(python_model).__name__, python_model.n, python_model.vocab)

runs_uri = f"runs:/{run.info.run_id}/add_n_model"
again = mlflow.pyfunc.load_model(runs_uri)
print("from runs uri:", again.predict(model_input.head(1)).to_dict(orient="list"))

# Schema enforcement: a missing column is refused
try:
    loaded.predict(pd.DataFrame({"a": [1.0]}))
except mlflow.exceptions.MlflowException as e:
    print("missing column refused:", "b" in str(e))
print("OK")
