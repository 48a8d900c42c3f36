"""MLflow's ``mlflow.utils`` path: only :mod:`litetrack.utils.mlflow_tags` is kept."""
