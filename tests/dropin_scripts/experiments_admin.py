# Organising experiments (MLflow docs: "Organize training runs with experiments",
# MlflowClient experiment management, mlflow.search_experiments).
import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

client = MlflowClient()
names = ["apples", "bananas", "cherries"]
ids = {}
for i, name in enumerate(names):
    ids[name] = mlflow.create_experiment(name, tags={"fruit": "yes", "rank": str(i)})

exp = mlflow.set_experiment("apples")
print("set_experiment returns:", exp.name, exp.experiment_id == ids["apples"], exp.lifecycle_stage)
print("tags:", dict(sorted(exp.tags.items())))
by_id = mlflow.set_experiment(experiment_id=ids["bananas"])
print("by id:", by_id.name)
with mlflow.start_run() as run:
    mlflow.log_metric("m", 1.0)
print("run went to:", mlflow.get_experiment(run.info.experiment_id).name)

try:
    mlflow.create_experiment("apples")
except MlflowException as e:
    print("duplicate:", e.error_code)

client.rename_experiment(ids["cherries"], "cherries-2024")
print("renamed:", client.get_experiment(ids["cherries"]).name)
print("old name gone:", mlflow.get_experiment_by_name("cherries"))

client.set_experiment_tag(ids["apples"], "owner", "alice")
found = mlflow.search_experiments(filter_string="tags.owner = 'alice'")
print("by tag:", [e.name for e in found])
print("by name like:", sorted(e.name for e in mlflow.search_experiments(filter_string="name LIKE 'b%'")))
print("ordered:", [e.name for e in mlflow.search_experiments(order_by=["name DESC"]) if e.name != "Default"])
print("max_results:", len(mlflow.search_experiments(max_results=2)))

mlflow.delete_experiment(ids["bananas"])
print("deleted stage:", client.get_experiment(ids["bananas"]).lifecycle_stage)
print("active:", sorted(e.name for e in mlflow.search_experiments()))
print("deleted:", [e.name for e in mlflow.search_experiments(view_type=ViewType.DELETED_ONLY)])
print("all:", len(mlflow.search_experiments(view_type=ViewType.ALL)))
print("its runs deleted:", client.get_run(run.info.run_id).info.lifecycle_stage)
try:
    mlflow.set_experiment("bananas")
except MlflowException as e:
    print("set deleted:", e.error_code)
client.restore_experiment(ids["bananas"])
print("restored:", client.get_experiment_by_name("bananas").lifecycle_stage)
print("run restored:", client.get_run(run.info.run_id).info.lifecycle_stage)

try:
    mlflow.get_experiment("123456789")
except MlflowException as e:
    print("missing id:", e.error_code)
print("missing name:", mlflow.get_experiment_by_name("no-such-experiment"))
print("default exists:", mlflow.get_experiment("0").name)
print("OK")
