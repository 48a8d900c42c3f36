# Signatures written by hand (MLflow docs: "Model Signatures", mlflow.types.schema), an
# sklearn classifier served with predict_proba, and model_config for a custom model.
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.models.signature import infer_signature
from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

iris = load_iris(as_frame=True)
X, y = iris.data, iris.target
clf = LogisticRegression(max_iter=500).fit(X, y)

input_schema = Schema([ColSpec("double", name) for name in X.columns])
output_schema = Schema([TensorSpec(np.dtype(np.float64), (-1, 3))])
signature = ModelSignature(inputs=input_schema, outputs=output_schema)
print("signature dict keys:", sorted(signature.to_dict()))
print("inputs json:", signature.inputs.to_json()[:60])

with mlflow.start_run():
    info = mlflow.sklearn.log_model(
        clf, name="proba-model", signature=signature, pyfunc_predict_fn="predict_proba",
        serialization_format="cloudpickle",
    )
model = mlflow.pyfunc.load_model(info.model_uri)
proba = model.predict(X.head(3))
print("predict_proba shape:", np.asarray(proba).shape, "rows sum to 1:", bool(np.allclose(np.asarray(proba).sum(axis=1), 1)))
print("output schema:", model.metadata.get_output_schema().to_json())

# Schema enforcement: a string or an int64 column where the schema says double is refused
bad = X.head(2).copy()
bad["sepal length (cm)"] = ["a", "b"]
try:
    model.predict(bad)
except mlflow.exceptions.MlflowException as e:
    print("string for double refused:", "sepal length (cm)" in str(e))
ints = X.head(2).astype(int)
try:
    model.predict(ints)
    print("int64 for double: accepted")
except mlflow.exceptions.MlflowException as e:
    print("int64 for double refused:", "sepal length (cm)" in str(e))
floats32 = X.head(2).astype(np.float32)
print("float32 for double accepted:", np.asarray(model.predict(floats32)).shape)


class Thresholder(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        self.threshold = context.model_config["threshold"]

    def predict(self, context, model_input, params=None):
        threshold = (params or {}).get("threshold", self.threshold)
        return (model_input["score"] > threshold).astype(int)


params_schema = ParamSchema([ParamSpec("threshold", "double", 0.5)])
sig = ModelSignature(inputs=Schema([ColSpec("double", "score")]), params=params_schema)
with mlflow.start_run():
    th_info = mlflow.pyfunc.log_model(
        name="thresholder", python_model=Thresholder(), signature=sig, model_config={"threshold": 0.7}
    )
th = mlflow.pyfunc.load_model(th_info.model_uri)
scores = pd.DataFrame({"score": [0.2, 0.6, 0.8]})
print("config threshold:", list(th.predict(scores)))
print("param threshold:", list(th.predict(scores, params={"threshold": 0.1})))
print("model_config:", th.model_config)
override = mlflow.pyfunc.load_model(th_info.model_uri, model_config={"threshold": 0.5})
print("load-time config:", list(override.predict(scores)))
print("param defaults:", {p.name: p.default for p in th.metadata.get_params_schema().params})
print("OK")
