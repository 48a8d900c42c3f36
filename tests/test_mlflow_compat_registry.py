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
        with pytest.raises(MlflowException, match="Invalid value for (request parameter )?max_results") as e:
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


def test_explicit_version_order_breaks_ties_by_name_then_version_desc(store_path: Path) -> None:
    # SqlAlchemyStore._parse_search_model_versions_order_by (and the file store's
    # _get_sort_key) append name ASC, version DESC behind an explicit order_by,
    # not the default order's last_updated_timestamp DESC.
    client = Client()
    rid = _model_run()
    for name in ("b", "a", "c", "a", "b"):
        mlflow.register_model(f"runs:/{rid}/model", name)
        _tick()
    client.set_model_version_tag("b", 1, "touched", "yes")  # b/1: the latest update
    def names(**kw: object) -> list[str]:
        return [f"{v.name}/{v.version}" for v in client.search_model_versions(**kw)]  # type: ignore[arg-type]

    # MLflow 3.17 answers ['a/1', 'b/1', 'c/1', 'a/2', 'b/2']
    assert names(order_by=["version_number"]) == ["a/1", "b/1", "c/1", "a/2", "b/2"]
    # MLflow 3.17 answers ['c/1', 'b/2', 'b/1', 'a/2', 'a/1']
    assert names(order_by=["name DESC"]) == ["c/1", "b/2", "b/1", "a/2", "a/1"]
    page = client.search_model_versions(max_results=2, order_by=["version_number DESC"])
    # MLflow 3.17 answers ['a/2', 'b/2'] then ['a/1', 'b/1', 'c/1']
    assert [f"{v.name}/{v.version}" for v in page] == ["a/2", "b/2"]
    rest = names(max_results=5, order_by=["version_number DESC"], page_token=page.token)
    assert rest == ["a/1", "b/1", "c/1"]


def test_version_number_takes_a_quoted_whole_number(store_path: Path) -> None:
    # MLflow's registry stores cast the value with int(): version_number > '1' works,
    # version_number = 2.5 raises "Invalid value for numeric attribute".
    client = Client()
    rid = _model_run()
    for _ in range(3):
        mlflow.register_model(f"runs:/{rid}/model", "m")
    got = client.search_model_versions("version_number > '1'", order_by=["version_number"])
    assert [v.version for v in got] == [2, 3]  # MLflow 3.17 answers [2, 3]
    got = client.search_model_versions("version_number = ' 2'")
    assert [v.version for v in got] == [2]  # MLflow 3.17 answers [2]
    for bad in ("version_number = 2.5", "version_number = 'two'"):
        with pytest.raises(MlflowException, match="version_number|whole number") as e:
            client.search_model_versions(bad)
        assert e.value.error_code == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    ("search", "order_by"),
    [
        ("search_registered_models", ["name", "name DESC"]),
        ("search_registered_models", ["timestamp", "last_updated_timestamp DESC"]),
        ("search_model_versions", ["version_number", "name", "version_number DESC"]),
    ],
)
def test_registry_order_by_naming_a_field_twice_raises(
    store_path: Path, search: str, order_by: list[str]
) -> None:
    # MLflow 3.17 (SQLite store) raises "`order_by` contains duplicate fields: [...]".
    client = Client()
    mlflow.register_model(f"runs:/{_model_run()}/model", "m")
    with pytest.raises(MlflowException, match="same field twice") as info:
        getattr(client, search)(order_by=order_by)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_search_model_versions_order_by_simple(store_path: Path) -> None:
    # MLflow's tests/store/model_registry/test_file_store.py, same names and expectations.
    client = Client()
    rid = _model_run()
    names = ["RM1", "RM2", "RM3", "RM4", "RM1", "RM4"]
    for name in sorted(set(names)):
        client.create_registered_model(name)
    for name in names:
        client.create_model_version(name, f"runs:/{rid}/model", run_id=rid)
        _tick()

    def found(order_by: list[str] | None) -> list[tuple[str, int]]:
        return [(v.name, v.version) for v in client.search_model_versions(order_by=order_by)]

    assert found(None) == list(zip(names[::-1], [2, 2, 1, 1, 1, 1], strict=True))
    assert found(["name DESC"]) == list(
        zip(sorted(names)[::-1], [2, 1, 1, 1, 2, 1], strict=True)
    )
    assert found(["version_number DESC"]) == list(
        zip(["RM1", "RM4", "RM1", "RM2", "RM3", "RM4"], [2, 2, 1, 1, 1, 1], strict=True)
    )
    assert found(["creation_timestamp DESC"]) == found(None)
    client.update_model_version("RM1", 1, "latest updated")
    assert found(["last_updated_timestamp ASC"])[-1] == ("RM1", 1)


def test_search_model_versions_by_tag_and_run_id(store_path: Path) -> None:
    # MLflow's test_search_model_versions_by_tag and the run_id cases of
    # test_search_model_versions (test_file_store.py), expectations as MLflow writes them.
    client = Client()
    run_1, run_2 = _model_run("1"), _model_run("2")
    client.create_registered_model("N")
    client.create_model_version("N", f"runs:/{run_1}/model", run_1, {"t1": "abc", "t2": "xyz"})
    _tick()
    client.create_model_version("N", f"runs:/{run_2}/model", run_2, {"t1": "abc", "t2": "x123"})

    def versions(filter_string: str) -> list[int]:
        return [v.version for v in client.search_model_versions(filter_string)]

    assert versions("name = 'N' and tag.t2 = 'xyz'") == [1]
    assert versions("name = 'wrong_name' and tag.t2 = 'xyz'") == []
    assert versions("tag.`t2` = 'xyz'") == [1]
    assert versions("tag.t3 = 'xyz'") == []
    assert versions("tag.t2 != 'xy'") == [2, 1]
    assert versions("tag.t2 LIKE 'xy%'") == [1]
    assert versions("tag.t2 LIKE 'xY%'") == []
    assert versions("tag.t2 ILIKE 'xY%'") == [1]
    assert versions("tag.T2 = 'xyz'") == []
    assert versions("tag.t1 = 'abc' and tag.t2 LIKE 'x%'") == [2, 1]
    assert versions("tag.t2 like 'x%' and tag.t2 != 'xyz'") == [2]
    assert versions(f"run_id IN ('{run_1.upper()}','{run_2}')") == [2]  # case-sensitive
    assert versions(f"run_id LIKE '{run_2[:30]}%'") == [2]
    assert versions(f"run_id ILIKE '{run_2[:30].upper()}%'") == [2]
    assert versions("source_path = ''") == []
    for bad in ("run_id IN (1,2,3)", "run_id IN ()", "run_id IN (", "run_id IN", "name LIKE",
                "run_id IN (,)", "run_id IN ('runid1',,'runid2')"):
        with pytest.raises(MlflowException) as info:
            client.search_model_versions(bad)
        assert info.value.error_code == "INVALID_PARAMETER_VALUE", bad


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
