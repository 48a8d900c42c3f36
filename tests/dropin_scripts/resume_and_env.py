# Runs driven by environment variables and resumed later (MLflow docs: MLFLOW_EXPERIMENT_NAME,
# "mlflow.start_run(run_id=...)" to keep logging into a run, explicit end_run/status).
import os

os.environ["MLFLOW_EXPERIMENT_NAME"] = "env-experiment"

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

run = mlflow.start_run()
print("experiment:", mlflow.get_experiment(run.info.experiment_id).name)
print("run has a generated name:", bool(run.info.run_name))
print("active:", mlflow.active_run().info.run_id == run.info.run_id)
mlflow.log_metric("loss", 0.9, step=0)
mlflow.log_param("epochs", 1)
mlflow.end_run()
print("status after end_run:", mlflow.get_run(run.info.run_id).info.status)
print("no active run:", mlflow.active_run() is None)

# Resume the same run: keep logging steps, as a training script restarted from a checkpoint
with mlflow.start_run(run_id=run.info.run_id) as resumed:
    print("resumed same id:", resumed.info.run_id == run.info.run_id)
    print("resumed status:", mlflow.get_run(run.info.run_id).info.status)
    mlflow.log_metric("loss", 0.5, step=1)
    mlflow.log_metrics({"loss": 0.3, "acc": 0.8}, step=2)
    mlflow.set_tags({"resumed": "true", "phase": "finetune"})

final = mlflow.get_run(run.info.run_id)
print("final status:", final.info.status)
print("metrics:", dict(sorted(final.data.metrics.items())))
print("params:", final.data.params)
print("tags:", {k: v for k, v in sorted(final.data.tags.items()) if not k.startswith("mlflow.")})
history = MlflowClient().get_metric_history(run.info.run_id, "loss")
print("history:", [(m.step, m.value) for m in history])

# Changing a param on resume is refused, as MLflow refuses to overwrite params
with mlflow.start_run(run_id=run.info.run_id):
    try:
        mlflow.log_param("epochs", 5)
    except MlflowException as e:
        print("param change refused:", e.error_code)
    mlflow.log_param("epochs", 1)  # same value: fine

# A run that fails: the context manager marks it FAILED
try:
    with mlflow.start_run(run_name="will-fail") as failing:
        mlflow.log_metric("loss", 1.0)
        raise ValueError("boom")
except ValueError:
    pass
print("failing status:", mlflow.get_run(failing.info.run_id).info.status)

# Explicit status and a run killed by the user
mlflow.start_run(run_name="killed")
killed_id = mlflow.active_run().info.run_id
mlflow.end_run(status="KILLED")
print("killed status:", mlflow.get_run(killed_id).info.status)

# Starting a run while one is active needs nested=True
with mlflow.start_run(run_name="outer"):
    try:
        mlflow.start_run(run_name="inner")
    except Exception as e:
        print("second start refused:", "nested=True" in str(e))
    with mlflow.start_run(run_name="inner", nested=True) as inner:
        print("inner parent tag set:", "mlflow.parentRunId" in mlflow.get_run(inner.info.run_id).data.tags)

names = mlflow.search_runs(experiment_names=["env-experiment"], filter_string="attributes.run_name != ''")
others = names[names["run_id"] != run.info.run_id]
print("runs:", len(names), sorted(others["tags.mlflow.runName"]))
print("OK")
