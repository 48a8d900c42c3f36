# Experiment tags with the fluent API, as MLflow's docs set them
# (mlflow.set_experiment_tags / set_experiment_tag / delete_experiment_tag).
import mlflow

# The Default experiment is there before anything is logged
assert [e.name for e in mlflow.search_experiments()] == ["Default"]

mlflow.set_experiment("Apple_Models")

# Define tags for a new run
tags = {
    "engineering": "ML Platform",
    "release.candidate": "RC1",
    "release.version": "2.2.0",
}

# Set Tags
mlflow.set_experiment_tags(tags)
mlflow.set_experiment_tag("project_name", "grocery-forecasting")

experiment = mlflow.get_experiment_by_name("Apple_Models")
print(f"Tags: {experiment.tags}")
assert experiment.tags["release.version"] == "2.2.0"

mlflow.delete_experiment_tag("release.candidate")
assert "release.candidate" not in mlflow.get_experiment_by_name("Apple_Models").tags

experiments = mlflow.search_experiments(filter_string="tags.project_name = 'grocery-forecasting'")
assert [e.name for e in experiments] == ["Apple_Models"]
assert [e.name for e in mlflow.search_experiments(order_by=["creation_time DESC"])] == ["Apple_Models", "Default"]
with mlflow.start_run():
    mlflow.log_param("fruit", "apple")
assert len(mlflow.search_runs(experiment_names=["Apple_Models"])) == 1
print("OK")
