# Asynchronous logging as MLflow's docs write it: the calls return an
# operation to wait on (litetrack's writes are already durable).
import mlflow

with mlflow.start_run() as run:
    run_operations = mlflow.log_metric("loss", 0.5, synchronous=False)
    run_operations.wait()

    ops = [mlflow.log_metric("acc", 0.1 * i, step=i, synchronous=False) for i in range(5)]
    ops.append(mlflow.log_params({"lr": 0.01, "batch_size": 32}, synchronous=False))
    ops.append(mlflow.set_tags({"stage": "dev"}, synchronous=False))
    for op in ops:
        op.wait()

data = mlflow.get_run(run.info.run_id).data
assert data.metrics["acc"] == 0.4 and data.metrics["loss"] == 0.5
assert data.params == {"lr": "0.01", "batch_size": "32"}
print("OK")
