# Registry housekeeping with MlflowClient (MLflow docs: "Model Registry Workflows" API
# examples): versions from a run's artifacts, tags, searches, descriptions, deletes.
import mlflow
from mlflow import MlflowClient
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException


class Constant(mlflow.pyfunc.PythonModel):
    def __init__(self, value):
        self.value = value

    def predict(self, context, model_input, params=None):
        return [self.value] * len(model_input)


client = MlflowClient()
run_ids, model_uris = [], []
for value in (1, 2, 3):
    with mlflow.start_run(run_name=f"const-{value}") as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=Constant(value))
        run_ids.append(run.info.run_id)
        model_uris.append(info.model_uri)

client.create_registered_model("churn", tags={"domain": "crm"}, description="Churn scorer")
client.create_registered_model("fraud")
for rid, model_uri in zip(run_ids, model_uris):
    mv = client.create_model_version(
        "churn", model_uri, run_id=rid, tags={"source": "nightly"}, description="auto"
    )
    print("created:", mv.name, mv.version, mv.status, mv.current_stage, mv.description, mv.tags)

client.set_registered_model_tag("churn", "owner", "ana")
client.delete_registered_model_tag("churn", "domain")
client.set_model_version_tag("churn", "2", "validated", "true")
client.delete_model_version_tag("churn", "1", "source")
print("model tags:", client.get_registered_model("churn").tags)
print("v1 tags:", client.get_model_version("churn", "1").tags, "v2 tags:", dict(sorted(client.get_model_version("churn", "2").tags.items())))

print("search name:", [m.name for m in client.search_registered_models(filter_string="name = 'churn'")])
print("search like:", sorted(m.name for m in client.search_registered_models(filter_string="name LIKE '%r%'")))
print("search tag:", [m.name for m in client.search_registered_models(filter_string="tags.owner = 'ana'")])
print("ordered:", [m.name for m in client.search_registered_models(order_by=["name DESC"])])
versions = client.search_model_versions("name = 'churn' and tag.validated = 'true'")
print("validated versions:", [v.version for v in versions])
by_run = client.search_model_versions(f"run_id = '{run_ids[2]}'")
print("by run:", [(v.name, v.version) for v in by_run])
latest = client.search_model_versions("name = 'churn'", order_by=["version_number DESC"], max_results=1)
print("latest by number:", [v.version for v in latest])

rm = client.get_registered_model("churn")
print("latest_versions:", sorted((v.version, v.current_stage) for v in rm.latest_versions))
print("description:", rm.description)

uri = client.get_model_version_download_uri("churn", 3)
print("download uri is a string:", isinstance(uri, str))
print("v3 predicts:", mlflow.pyfunc.load_model("models:/churn/3").predict([[0], [0]]))

client.delete_model_version("churn", 1)
print("after delete:", sorted(v.version for v in client.search_model_versions("name='churn'")))
for call in (lambda: client.get_registered_model("nope"), lambda: client.get_model_version("churn", 1)):
    try:
        call()
    except MlflowException as e:
        print("missing:", e.error_code)
try:
    client.create_registered_model("churn")
except MlflowException as e:
    print("duplicate:", e.error_code)
client.delete_registered_model("fraud")
print("models:", [m.name for m in client.search_registered_models()])

# Parent runs set by tag or by id, then looked up
with mlflow.start_run(run_name="parent") as parent:
    pass
with mlflow.start_run(run_name="child", parent_run_id=parent.info.run_id) as child:
    pass
print("get_parent_run:", mlflow.get_parent_run(child.info.run_id).info.run_name)
print("no parent:", mlflow.get_parent_run(parent.info.run_id))
mlflow.delete_run(child.info.run_id)
print("active children:", len(mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")))
print("all children:", len(mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'", run_view_type=ViewType.ALL)))
print("OK")
