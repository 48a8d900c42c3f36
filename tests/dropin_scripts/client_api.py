# MlflowClient usage as in MLflow's docs: experiments, runs, batches, search, history.
import time

import mlflow
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

client = MlflowClient()
experiment_id = client.create_experiment("client-demo", tags={"team": "ml"})
run = client.create_run(experiment_id, run_name="batch-run")
ts = int(time.time() * 1000)
client.log_batch(
    run.info.run_id,
    metrics=[Metric("loss", 1.0 / (i + 1), ts + i, i) for i in range(5)],
    params=[Param("lr", "0.01"), Param("batch_size", "32")],
    tags=[RunTag("stage", "dev")],
)
client.set_tag(run.info.run_id, "note", "hello")
client.log_param(run.info.run_id, "epochs", 5)
client.set_terminated(run.info.run_id)

fetched = client.get_run(run.info.run_id)
assert fetched.info.status == "FINISHED"
assert fetched.data.params == {"lr": "0.01", "batch_size": "32", "epochs": "5"}
assert fetched.data.metrics["loss"] == 0.2
history = client.get_metric_history(run.info.run_id, "loss")
assert [m.step for m in history] == [0, 1, 2, 3, 4]

other = client.create_run(experiment_id)
client.log_metric(other.info.run_id, "loss", 0.5)
client.set_terminated(other.info.run_id, "FAILED")
found = client.search_runs(
    [experiment_id], "metrics.loss < 0.3 and params.lr = '0.01'", ViewType.ACTIVE_ONLY,
    max_results=10, order_by=["metrics.loss ASC"],
)
assert [r.info.run_id for r in found] == [run.info.run_id]

client.delete_run(other.info.run_id)
assert len(client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)) == 1
client.restore_run(other.info.run_id)

try:
    client.get_run("does-not-exist")
except MlflowException as e:
    print("expected error:", e.error_code)
else:
    raise AssertionError("no error for an unknown run")

exps = client.search_experiments(filter_string="tags.team = 'ml'")
assert [e.name for e in exps] == ["client-demo"]
print("OK")
