# mlflow.log_table and mlflow.log_image as in MLflow's API docs.
import json

import mlflow
import numpy as np

table_dict = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}
with mlflow.start_run() as run:
    # Log the dictionary as a table
    mlflow.log_table(data=table_dict, artifact_file="qabot_eval_results.json")

image = np.random.randint(0, 256, size=(100, 100, 3), dtype=np.uint8)
with mlflow.start_run() as image_run:
    mlflow.log_image(image, "image.png")
    # Log images over training steps
    for step in range(3):
        mlflow.log_image(image, key="dogs", step=step)

client = mlflow.MlflowClient()
paths = [f.path for f in client.list_artifacts(run.info.run_id)]
assert paths == ["qabot_eval_results.json"]
local = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="qabot_eval_results.json")
with open(local) as f:
    assert json.load(f)["columns"] == ["inputs", "outputs", "toxicity"]
assert len(client.list_artifacts(image_run.info.run_id, "images")) == 3
print("OK")
