# A scikit-learn pipeline on a pandas frame, logged with an input example and an inferred
# signature (MLflow docs: "Model Signatures and Input Examples", mlflow.sklearn), then
# loaded back as sklearn and as pyfunc, with the model's metadata.
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

rng = np.random.default_rng(0)
df = pd.DataFrame(
    {
        "distance": rng.uniform(0.5, 20, 200).round(2),
        "passengers": rng.integers(1, 5, 200),
        "zone": rng.choice(["north", "south", "east"], 200),
    }
)
y = (df["distance"] > 8).astype(int)

pipe = Pipeline(
    [
        ("prep", ColumnTransformer([("num", StandardScaler(), ["distance", "passengers"]), ("cat", OneHotEncoder(), ["zone"])])),
        ("clf", LogisticRegression(max_iter=500)),
    ]
)
pipe.fit(df, y)

signature = infer_signature(df, pipe.predict(df))
print("signature inputs:", [(c["name"], c["type"]) for c in signature.inputs.to_dict()])
print("signature outputs:", [c["type"] for c in signature.outputs.to_dict()])

mlflow.set_experiment("sklearn-pipeline")
with mlflow.start_run(run_name="logreg-pipeline") as run:
    mlflow.log_params({"max_iter": 500, "features": 3})
    mlflow.log_metric("train_accuracy", float(pipe.score(df, y)))
    model_info = mlflow.sklearn.log_model(
        pipe,
        artifact_path="model",
        signature=signature,
        input_example=df.head(3),
        serialization_format="cloudpickle",
    )

print("flavors:", sorted(model_info.flavors))
print("has input example:", model_info.saved_input_example_info is not None)
print("model info signature:", model_info.signature.inputs.input_names())

sk = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
print("sklearn steps:", list(sk.named_steps))
print("same predictions:", bool((sk.predict(df) == pipe.predict(df)).all()))

pyfunc = mlflow.pyfunc.load_model(model_info.model_uri)
new = pd.DataFrame({"distance": [1.0, 15.0], "passengers": [1, 3], "zone": ["north", "east"]})
print("pyfunc predict:", list(np.asarray(pyfunc.predict(new)).tolist()))
print("input schema:", pyfunc.metadata.get_input_schema().input_names())

# Column order does not matter, extra columns are dropped by schema enforcement
shuffled = new[["zone", "passengers", "distance"]].assign(extra=1)
print("reordered predict:", list(np.asarray(pyfunc.predict(shuffled)).tolist()))
try:
    pyfunc.predict(new.drop(columns=["zone"]))
except mlflow.exceptions.MlflowException as e:
    print("missing column:", "zone" in str(e))

example = mlflow.models.Model.load(model_info.model_uri).load_input_example(
    mlflow.artifacts.download_artifacts(model_info.model_uri)
)
print("stored example:", example.shape, list(example.columns))
print("OK")
