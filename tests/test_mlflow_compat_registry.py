"""MLflow's model-registry cases (tests/store/model_registry/test_file_store.py,
test_sqlalchemy_store.py, tests/tracking/test_model_registry.py) that litetrack
now answers the same way."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import litetrack as mlflow
from litetrack import Client
from litetrack.errors import MlflowException


def _model_run(weights: str = "w") -> str:
    with mlflow.start_run() as run:
        mlflow.log_text("artifact_path: model\nflavors: {}\n", "model/MLmodel")
        mlflow.log_text(weights, "model/model.bin")
    return run.info.run_id


def _tick() -> None:
    # Registry timestamps are milliseconds: keep consecutive updates apart.
    time.sleep(0.002)


def test_search_model_versions_default_order_is_last_updated_desc(store_path: Path) -> None:
    client = Client()
    rid = _model_run()
    for name in ("a", "b", "a"):
        mlflow.register_model(f"runs:/{rid}/model", name)
        _tick()
    client.set_model_version_tag("a", 1, "touched", "yes")  # a/1 becomes the latest update
    got = [(v.name, v.version) for v in client.search_model_versions()]
    assert got == [("a", 1), ("a", 2), ("b", 1)]
    fluent = [(v.name, v.version) for v in mlflow.search_model_versions()]
    assert fluent == got


@pytest.mark.parametrize("key", ["timestamp", "last_updated_timestamp"])
def test_timestamp_is_last_updated_timestamp_in_order_by(store_path: Path, key: str) -> None:
    # SearchUtils.VALID_TIMESTAMP_ORDER_BY_KEYS: "timestamp" means last_updated_timestamp.
    client = Client()
    rid = _model_run()
    for name in ("m1", "m2", "m3"):
        mlflow.register_model(f"runs:/{rid}/model", name)
        _tick()
    client.set_registered_model_tag("m1", "k", "v")
    models = [m.name for m in client.search_registered_models(order_by=[f"{key} DESC"])]
    assert models == ["m1", "m3", "m2"]
    versions = [v.name for v in client.search_model_versions(order_by=[f"{key} ASC"])]
    assert versions == ["m1", "m2", "m3"]  # a model tag does not touch its versions


def test_registry_max_results(store_path: Path) -> None:
    client = Client()
    rid = _model_run()
    for i in range(105):
        client.create_registered_model(f"model-{i:03d}")
    mlflow.register_model(f"runs:/{rid}/model", "model-000")
    # The fluent call pages through all (MLflow), the client returns one page.
    assert len(mlflow.search_registered_models()) == 105
    assert len(client.search_registered_models()) == 100
    for call in (
        lambda: client.search_registered_models(max_results=1001),
        lambda: client.search_registered_models(max_results=0),
        lambda: client.search_model_versions(max_results=200_001),
    ):
        with pytest.raises(MlflowException, match="Invalid value for max_results") as e:
            call()
        assert e.value.error_code == "INVALID_PARAMETER_VALUE"


def test_copy_model_version_from_an_alias_records_the_version_uri(store_path: Path) -> None:
    client = Client()
    mlflow.register_model(f"runs:/{_model_run()}/model", "src")
    client.set_registered_model_alias("src", "champion", 1)
    copied = client.copy_model_version("models:/src@champion", "dst")
    assert (copied.name, copied.version, copied.source) == ("dst", 1, "models:/src/1")
    client.transition_model_version_stage("src", 1, "Production")
    again = client.copy_model_version("models:/src/Production", "dst")
    assert again.source == "models:/src/1"


def test_download_uri_is_the_source_location(store_path: Path) -> None:
    rid = _model_run()
    mlflow.register_model(f"runs:/{rid}/model", "m")
    uri = Client().get_model_version_download_uri("m", 1)
    assert uri == f"runs:/{rid}/model"
    local = mlflow.artifacts.download_artifacts(uri)
    assert (Path(local) / "model.bin").read_text() == "w"


def test_missing_alias_is_invalid_parameter_value_as_in_mlflow(store_path: Path) -> None:
    # file_store.py / sqlalchemy_store.py get_model_version_by_alias: "Registered model
    # alias {alias} not found." with INVALID_PARAMETER_VALUE (a NotFound here all the same).
    from litetrack.errors import NotFound

    rid = _model_run()
    mlflow.register_model(f"runs:/{rid}/model", "m")
    client = Client()
    client.set_registered_model_alias("m", "champion", 1)
    client.delete_registered_model_alias("m", "champion")
    for call in (
        lambda: client.get_model_version_by_alias("m", "champion"),
        lambda: mlflow.pyfunc.load_model("models:/m@champion"),
    ):
        with pytest.raises(MlflowException, match="no alias 'champion'") as e:
            call()
        assert e.value.error_code == "INVALID_PARAMETER_VALUE"
        assert isinstance(e.value, NotFound)
    with pytest.raises(MlflowException) as e:  # a missing version keeps its code
        client.get_model_version("m", 7)
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
