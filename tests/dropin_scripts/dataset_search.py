# Dataset tracking and search as MLflow's docs show them ("Dataset Tracking",
# "Search Runs": filtering runs by the datasets they used).
import time

import mlflow
import mlflow.data
import pandas as pd

df = pd.DataFrame(
    {
        "fixed acidity": [7.0, 6.3, 8.1, 7.2, 7.2],
        "alcohol": [8.8, 9.5, 10.1, 9.9, 9.6],
        "quality": [6, 6, 6, 6, 5],
    }
)
dataset = mlflow.data.from_pandas(df, source="wine-quality-white.csv", name="wine quality - white", targets="quality")
eval_df = df.sample(3, random_state=0)
eval_dataset = mlflow.data.from_pandas(eval_df, name="wine quality - eval", targets="quality")

mlflow.set_experiment("dataset-search")
with mlflow.start_run(run_name="trained") as trained:
    mlflow.log_input(dataset, context="training")
    mlflow.log_input(eval_dataset, context="eval")
    mlflow.log_param("alpha", 0.5)
time.sleep(0.01)  # "start_time ASC" below: start times are milliseconds (in MLflow too)
with mlflow.start_run(run_name="eval-only") as eval_only:
    mlflow.log_input(eval_dataset, context="eval")
with mlflow.start_run(run_name="no-data"):
    mlflow.log_param("alpha", 0.1)

run = mlflow.get_run(trained.info.run_id)
dataset_info = run.inputs.dataset_inputs[0].dataset
print(f"Dataset name: {dataset_info.name}" if hasattr(dataset_info, "name") else dataset_info["name"])

runs = mlflow.search_runs(filter_string="dataset.name = 'wine quality - white'")
assert runs["tags.mlflow.runName"].tolist() == ["trained"]

runs = mlflow.search_runs(filter_string="dataset.context = 'eval'", order_by=["attributes.start_time ASC"])
assert runs["tags.mlflow.runName"].tolist() == ["trained", "eval-only"]

runs = mlflow.search_runs(
    filter_string=f"datasets.digest IN ('{dataset.digest}', 'ffffffff') AND params.alpha = '0.5'",
    output_format="list",
)
assert [r.info.run_id for r in runs] == [trained.info.run_id]

runs = mlflow.search_runs(filter_string="datasets.name LIKE 'wine quality%' AND dataset.context = 'eval'")
assert set(runs["run_id"]) == {trained.info.run_id, eval_only.info.run_id}
print("OK")
