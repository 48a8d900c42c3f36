"""conftest for running litetrack's ports of MLflow's test cases on MLflow itself.

Each test gets a fresh SQLite store (copied from one made once: creating MLflow's schema
takes seconds), no MLFLOW_* variables, and its tmp_path as the working folder.
"""

import os
import shutil

import pytest

TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "template.sqlite")


@pytest.fixture(autouse=True)
def store_path(tmp_path, monkeypatch):
    import mlflow
    import mlflow.tracking.fluent as fluent

    for key in list(os.environ):
        if key.startswith("MLFLOW_"):
            monkeypatch.delenv(key, raising=False)
    if not os.path.exists(TEMPLATE):
        mlflow.MlflowClient(f"sqlite:///{TEMPLATE}").search_experiments()
    shutil.copy(TEMPLATE, tmp_path / "db.sqlite")
    uri = f"sqlite:///{tmp_path}/db.sqlite"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    fluent._active_experiment_id = None
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    while mlflow.active_run():
        mlflow.end_run()
    fluent._active_experiment_id = None
