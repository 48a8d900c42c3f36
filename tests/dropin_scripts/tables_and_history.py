# Logging evaluation tables and metric curves, then reading them back for a report
# (MLflow docs: mlflow.log_table / mlflow.load_table, MlflowClient.get_metric_history).
import mlflow
import pandas as pd
from mlflow import MlflowClient

mlflow.set_experiment("eval-tables")
run_ids = []
for model in ["small", "large"]:
    with mlflow.start_run(run_name=model) as run:
        table = {
            "inputs": ["What is MLflow?", "What is Spark?"],
            "outputs": [f"{model} answer 1", f"{model} answer 2"],
            "score": [0.5, 0.75] if model == "small" else [0.75, 1.0],
        }
        mlflow.log_table(data=table, artifact_file="eval_results.json")
        frame = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.9, 0.6, 0.4]})
        mlflow.log_table(data=frame, artifact_file="curves/loss_table.json")
        for epoch, loss in zip(frame["epoch"], frame["loss"]):
            mlflow.log_metric("loss", loss, step=int(epoch))
        run_ids.append(run.info.run_id)

loaded = mlflow.load_table("eval_results.json", run_ids=run_ids, extra_columns=["run_id"])
print("loaded columns:", list(loaded.columns))
print("rows:", len(loaded))
loaded["model"] = loaded["run_id"].map(dict(zip(run_ids, ["small", "large"])))
print(loaded.drop(columns=["run_id"]).sort_values(["model", "score"]).to_string(index=False))
print("mean score:", loaded.groupby("model")["score"].mean().to_dict())
every = mlflow.load_table("eval_results.json")
print("all runs of the experiment:", len(every))

curves = mlflow.load_table("curves/loss_table.json", run_ids=[run_ids[0]])
print("curve dtypes:", {c: str(t) for c, t in curves.dtypes.items()})

client = MlflowClient()
history = client.get_metric_history(run_ids[1], "loss")
print("history:", [(m.step, round(m.value, 2)) for m in history])
print("history sorted by step:", [m.step for m in sorted(history, key=lambda m: m.step)])
print("latest:", client.get_run(run_ids[1]).data.metrics["loss"])
print("table artifacts:", sorted(f.path for f in client.list_artifacts(run_ids[0])))
print("OK")
