# MLflow's mlflow.data example (python_api/mlflow.data, "Dataset Tracking"): log a training
# dataset, read it back from the run, and search runs by dataset.
import json
import os

import mlflow.data
import pandas as pd
from mlflow.data.pandas_dataset import PandasDataset

df = pd.DataFrame(
    {
        "fixed acidity": [7.4, 7.8, 7.8, 11.2, 7.4, 7.9],
        "alcohol": [9.4, 9.8, 9.8, 9.8, 9.4, 9.4],
        "quality": [5, 5, 5, 6, 5, 5],
    }
)
df.to_csv("winequality-red.csv", index=False)
dataset: PandasDataset = mlflow.data.from_pandas(df, source="winequality-red.csv", name="wine-quality", targets="quality")
print("dataset:", dataset.name, dataset.targets, len(dataset.df))

mlflow.set_experiment("dataset-tracking")
with mlflow.start_run(run_name="train"):
    # Log the dataset to the MLflow Run. Specify the "training" context
    mlflow.log_input(dataset, context="training")
    mlflow.log_param("rows", len(df))

# Retrieve the run, including dataset information
run = mlflow.get_run(mlflow.last_active_run().info.run_id)
dataset_info = run.inputs.dataset_inputs[0].dataset
print(f"Dataset name: {dataset_info.name}")
print(f"Dataset source type: {dataset_info.source_type}")
print(f"Dataset rows: {json.loads(dataset_info.profile)['num_rows']}")
print(f"Dataset schema: {dataset_info.schema}")
print("digest is a string:", isinstance(dataset_info.digest, str) and len(dataset_info.digest) > 0)
schema = json.loads(dataset_info.schema)
print("schema columns:", [c["name"] for c in schema["mlflow_colspec"]])

# Load the dataset's source back (the path it was read from)
source = mlflow.data.get_source(dataset_info)
print("source:", os.path.basename(source.load()))

# Find runs by the dataset they used
runs = mlflow.search_runs(filter_string="dataset.name = 'wine-quality' AND dataset.context = 'training'")
print("runs with the dataset:", len(runs), list(runs["tags.mlflow.runName"]))
print("OK")
