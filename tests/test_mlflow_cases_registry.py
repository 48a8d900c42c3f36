"""MLflow's model-registry test cases, run with ``import litetrack as mlflow``.

From MLflow's tests/tracking/test_model_registry.py, tests/store/model_registry/
test_sqlalchemy_store.py (store calls made through the client),
tests/tracking/_model_registry/test_model_registry_fluent.py (the cases that do not mock
MLflow's client) and tests/store/artifact/utils/test_model_utils.py (models:/ URIs, resolved
through download_artifacts). The same file with the imports switched back passes on MLflow
3.17's sqlite store (tools/mlflow_cases/run_on_mlflow.sh). MLflow runs the first file's cases
through its REST server; here they run on the client's own store. Each keeps MLflow's name,
inputs and assertions, with two changes that both local stores need:

- version numbers are ``int`` on a local store (MLflow's sqlite store too), so where MLflow's
  REST case expects ``"1"`` the port expects ``1`` (every call still accepts ``"1"``);
- a version's source must exist in litetrack, which copies (pins) the files at registration
  (docs/mlflow-compat.md): MLflow's made-up ``runs:/run_id/model`` sources are real runs here,
  made by ``_source``, and ``"run_id_1"`` stands for the id of such a run.

The error messages matched are MLflow's own words, with which litetrack's messages start.
"""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

import pytest

import litetrack as mlflow
from litetrack import MlflowClient, register_model
from litetrack.entities import ModelVersion, RegisteredModel
from litetrack.errors import MlflowException


def get_current_time_millis() -> int:
    return int(time.time() * 1000)


@pytest.fixture(autouse=True)
def _store(store_path: Path) -> Path:
    return store_path


class _Runs:
    """Real runs standing for MLflow's made-up run ids, with a model at each path a case names."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.paths: set[tuple[str, str]] = set()

    def run_id(self, label: str) -> str:
        if label not in self.ids:
            with mlflow.start_run() as run:
                pass
            self.ids[label] = run.info.run_id
        return self.ids[label]

    def source(self, label: str, path: str) -> tuple[str, str]:
        """(source URI, run id) for MLflow's ``"runs:/<label>/<path>", "<label>"``."""
        run_id = self.run_id(label)
        if (label, path) not in self.paths:
            client = MlflowClient()
            client.log_text(run_id, "artifact_path: x\nflavors: {}\n", f"{path}/MLmodel")
            client.log_text(run_id, f"{label} {path}", f"{path}/weights.txt")
            self.paths.add((label, path))
        return f"runs:/{run_id}/{path}", run_id


@pytest.fixture
def client() -> MlflowClient:
    return MlflowClient()


@pytest.fixture
def runs() -> _Runs:
    return _Runs()


def assert_is_between(start_time, end_time, expected_time):
    assert expected_time >= start_time
    assert expected_time <= end_time


def test_create_and_query_registered_model_flow(client):
    name = "CreateRMTest"
    tags = {"key": "value", "another key": "some other value", "numeric value": 12345}
    start_time = get_current_time_millis()
    registered_model = client.create_registered_model(name, tags)
    end_time = get_current_time_millis()
    assert isinstance(registered_model, RegisteredModel)
    assert registered_model.name == name
    assert registered_model.tags == {
        "key": "value",
        "another key": "some other value",
        "numeric value": "12345",
    }
    registered_model_detailed = client.get_registered_model(name)
    assert isinstance(registered_model_detailed, RegisteredModel)
    assert registered_model_detailed.name == name
    assert registered_model_detailed.tags == {
        "key": "value",
        "another key": "some other value",
        "numeric value": "12345",
    }
    # MLflow's REST client reads a missing description as "" (str() of None is "None").
    assert registered_model_detailed.description in ("", None)
    assert registered_model_detailed.latest_versions == []
    assert_is_between(start_time, end_time, registered_model_detailed.creation_timestamp)
    assert_is_between(start_time, end_time, registered_model_detailed.last_updated_timestamp)
    assert [rm.name for rm in client.search_registered_models() if rm.name == name] == [name]
    assert [
        rm.name for rm in client.search_registered_models(filter_string="") if rm.name == name
    ] == [name]
    assert [
        rm.name
        for rm in client.search_registered_models("name = 'CreateRMTest'")
        if rm.name == name
    ] == [name]


@pytest.mark.parametrize("max_results", [1, 8, 100])
@pytest.mark.parametrize(
    ("filter_string", "filter_func"),
    [
        (None, lambda rm: True),
        ("", lambda rm: True),
        ("name LIKE '%7'", lambda rm: rm.name.endswith("7")),
        ("name ILIKE '%rm%00%'", lambda rm: "00" in rm.name),
        ("name LIKE '%rm%00%'", lambda rm: False),
        ("name = 'badname'", lambda rm: False),
        ("name = 'CreateRMsearch023'", lambda rm: rm.name == "CreateRMsearch023"),
    ],
)
def test_search_registered_model_flow_paginated(client, max_results, filter_string, filter_func):
    names = [f"CreateRMsearch{i:03}" for i in range(29)]
    rms = [client.create_registered_model(name) for name in names]
    for rm in rms:
        assert isinstance(rm, RegisteredModel)
    seen = []
    result = client.search_registered_models(
        filter_string=filter_string, max_results=max_results, page_token=None
    )
    seen.extend(result)
    while result.token:
        result = client.search_registered_models(
            filter_string=filter_string, max_results=max_results, page_token=result.token
        )
        seen.extend(result)
    assert [rm.name for rm in filter(filter_func, rms)] == [rm.name for rm in seen]


def test_update_registered_model_flow(client):
    name = "UpdateRMTest"
    start_time_1 = get_current_time_millis()
    client.create_registered_model(name)
    end_time_1 = get_current_time_millis()
    rmd1 = client.get_registered_model(name)
    assert rmd1.name == name
    assert rmd1.description in ("", None)
    assert_is_between(start_time_1, end_time_1, rmd1.creation_timestamp)
    assert_is_between(start_time_1, end_time_1, rmd1.last_updated_timestamp)

    new_name = "UpdateRMTest 2"
    start_time_2 = get_current_time_millis()
    client.rename_registered_model(name=name, new_name=new_name)
    end_time_2 = get_current_time_millis()
    with pytest.raises(MlflowException, match="Registered Model with name=UpdateRMTest not found"):
        client.get_registered_model(name)
    rmd2 = client.get_registered_model(new_name)
    assert rmd2.name == new_name
    assert rmd2.description in ("", None)
    assert_is_between(start_time_1, end_time_1, rmd2.creation_timestamp)
    assert_is_between(start_time_2, end_time_2, rmd2.last_updated_timestamp)

    start_time_3 = get_current_time_millis()
    client.update_registered_model(name=new_name, description="This is a test")
    end_time_3 = get_current_time_millis()
    rmd3 = client.get_registered_model(new_name)
    assert rmd3.name == new_name
    assert rmd3.description == "This is a test"
    assert_is_between(start_time_1, end_time_1, rmd3.creation_timestamp)
    assert_is_between(start_time_3, end_time_3, rmd3.last_updated_timestamp)

    another_new = "UpdateRMTest 4"
    start_time_4 = get_current_time_millis()
    client.update_registered_model(new_name, "4th update")
    client.rename_registered_model(new_name, another_new)
    end_time_4 = get_current_time_millis()
    rmd4 = client.get_registered_model(another_new)
    assert rmd4.name == another_new
    assert rmd4.description == "4th update"
    assert_is_between(start_time_1, end_time_1, rmd4.creation_timestamp)
    assert_is_between(start_time_4, end_time_4, rmd4.last_updated_timestamp)

    previous_name = another_new
    another_new = "UpdateRMTest 5"
    start_time_5 = get_current_time_millis()
    client.rename_registered_model(previous_name, another_new)
    end_time_5 = get_current_time_millis()
    rmd5 = client.get_registered_model(another_new)
    assert rmd5.name == another_new
    assert rmd5.description == "4th update"
    assert_is_between(start_time_1, end_time_1, rmd5.creation_timestamp)
    assert_is_between(start_time_5, end_time_5, rmd5.last_updated_timestamp)

    for old_name in [previous_name, name, new_name]:
        with pytest.raises(
            MlflowException, match=r"Registered Model with name=UpdateRMTest( \d)? not found"
        ):
            client.get_registered_model(old_name)


def test_delete_registered_model_flow(client):
    name = "DeleteRMTest"
    start_time_1 = get_current_time_millis()
    client.create_registered_model(name)
    end_time_1 = get_current_time_millis()
    rmd1 = client.get_registered_model(name)
    assert rmd1.name == name
    assert_is_between(start_time_1, end_time_1, rmd1.creation_timestamp)
    assert_is_between(start_time_1, end_time_1, rmd1.last_updated_timestamp)
    assert [rm.name for rm in client.search_registered_models() if rm.name == name] == [name]
    with pytest.raises(MlflowException, match=r"Registered Model .+ already exists"):
        client.create_registered_model(name)
    client.delete_registered_model(name)
    with pytest.raises(MlflowException, match=r"Registered Model .+ not found"):
        client.get_registered_model(name)
    with pytest.raises(MlflowException, match=r"Registered Model .+ not found"):
        client.rename_registered_model(name=name, new_name="something else")
    assert [rm.name for rm in client.search_registered_models() if rm.name == name] == []
    start_time_2 = get_current_time_millis()
    client.create_registered_model(name)
    end_time_2 = get_current_time_millis()
    rmd2 = client.get_registered_model(name)
    assert rmd2.name == name
    assert_is_between(start_time_2, end_time_2, rmd2.creation_timestamp)
    assert_is_between(start_time_2, end_time_2, rmd2.last_updated_timestamp)
    assert [rm.name for rm in client.search_registered_models() if rm.name == name] == [name]


def test_set_delete_registered_model_tag_flow(client):
    name = "SetDeleteRMTagTest"
    client.create_registered_model(name)
    assert client.get_registered_model(name).tags == {}
    for key, value in {"key": "value", "numeric value": 12345}.items():
        client.set_registered_model_tag(name, key, value)
    assert client.get_registered_model(name).tags == {"key": "value", "numeric value": "12345"}
    client.delete_registered_model_tag(name, "key")
    assert client.get_registered_model(name).tags == {"numeric value": "12345"}


def test_set_registered_model_tag_with_empty_string_as_value(client):
    name = "SetRMTagEmptyValueTest"
    client.create_registered_model(name)
    client.set_registered_model_tag(name, "tag_key", "")
    assert {"tag_key": ""}.items() <= client.get_registered_model(name).tags.items()


def _make_versions(client, runs):
    names = [f"CreateRMsearchForMV{i:03}" for i in range(29)]
    for name in names:
        client.create_registered_model(name)
    source, run_id = runs.source("run_id", "model")
    mvs = []
    for name in names + names[:10]:
        # Sleep for unique creation_time to make search results deterministic
        time.sleep(0.001)
        mvs.append(client.create_model_version(name, source, run_id))
    for mv in mvs:
        assert isinstance(mv, ModelVersion)
    return mvs[::-1]


def _all_pages(search):
    found = []
    result = search(None)
    found.extend(result)
    while result.token:
        result = search(result.token)
        found.extend(result)
    return found


def _same(expected_mvs, result_mvs):
    assert [mv.name for mv in expected_mvs] == [mv.name for mv in result_mvs]
    assert [mv.version for mv in expected_mvs] == [mv.version for mv in result_mvs]


@pytest.mark.parametrize(
    ("filter_string", "filter_func"),
    [
        (None, lambda mv: True),
        ("", lambda mv: True),
        ("name LIKE '%2'", lambda mv: mv.name.endswith("2")),
        ("name ILIKE '%rm%00%'", lambda mv: "00" in mv.name),
        ("name LIKE '%rm%00%'", lambda mv: False),
        ("name = 'badname'", lambda mv: False),
        ("name = 'CreateRMsearchForMV03'", lambda mv: mv.name == "CreateRMsearchForMV03"),
    ],
)
def test_search_model_versions_filter_string(client, runs, filter_string, filter_func):
    mvs = _make_versions(client, runs)
    expected = sorted(
        filter(filter_func, mvs), key=lambda x: x.last_updated_timestamp, reverse=True
    )
    _same(
        expected,
        _all_pages(
            lambda tok: client.search_model_versions(filter_string=filter_string, page_token=tok)
        ),
    )


@pytest.mark.parametrize("max_results", [1, 8, 100])
def test_search_model_versions_max_results(client, runs, max_results):
    mvs = _make_versions(client, runs)
    expected = sorted(mvs, key=lambda x: x.last_updated_timestamp, reverse=True)
    _same(
        expected,
        _all_pages(
            lambda tok: client.search_model_versions(max_results=max_results, page_token=tok)
        ),
    )


@pytest.mark.parametrize(
    ("order_by", "order_by_key", "order_by_desc"),
    [
        (None, None, False),
        (["name DESC"], lambda mv: (mv.name, mv.version), True),
        (["version_number DESC"], lambda mv: (-int(mv.version), mv.name), False),
    ],
)
def test_search_model_versions_order_by(client, runs, order_by, order_by_key, order_by_desc):
    mvs = _make_versions(client, runs)
    if order_by_key:
        expected = sorted(mvs, key=order_by_key, reverse=order_by_desc)
    else:
        expected = sorted(
            mvs, key=lambda x: (-int(x.last_updated_timestamp), x.name, -int(x.version))
        )
    _same(
        expected,
        _all_pages(lambda tok: client.search_model_versions(order_by=order_by, page_token=tok)),
    )


def test_create_and_query_model_version_flow(client, runs):
    name = "CreateMVTest"
    tags = {"key": "value", "another key": "some other value", "numeric value": 12345}
    client.create_registered_model(name)
    source_1, run_id_1 = runs.source("run_id_1", "model")
    mv1 = client.create_model_version(name, source_1, run_id_1, tags)
    assert mv1.version == 1
    assert mv1.name == name
    assert mv1.tags == {"key": "value", "another key": "some other value", "numeric value": "12345"}
    mvd1 = client.get_model_version(name, "1")
    assert mvd1.tags == {
        "key": "value",
        "another key": "some other value",
        "numeric value": "12345",
    }
    assert [rm.latest_versions for rm in client.search_registered_models() if rm.name == name] == [
        [mvd1]
    ]
    mv2 = client.create_model_version(name, runs.source("run_id_1", "another_model")[0], run_id_1)
    assert mv2.version == 2
    assert mv2.name == name
    mvd2 = client.get_model_version(name, "2")
    assert [rm.latest_versions for rm in client.search_registered_models() if rm.name == name] == [
        [mvd2]
    ]
    model_versions_by_name = client.search_model_versions(f"name = '{name}'")
    assert {mv.version for mv in model_versions_by_name} == {1, 2}
    assert {mv.name for mv in model_versions_by_name} == {name}

    source_3, run_id_2 = runs.source("run_id_2", "another_model")
    mv3 = client.create_model_version(name, source_3, run_id_2)
    assert mv3.version == 3
    assert client.search_model_versions(f"source_path = '{source_1}'") == [mvd1]
    assert client.search_model_versions(f"run_id = '{run_id_1}'") == [mvd2, mvd1]

    assert client.get_model_version_download_uri(name, "1") == source_1


def test_get_model_version(client, runs):
    name = "GetModelVersionTest"
    client.create_registered_model(name)
    client.create_model_version(name, *runs.source("run_id_1", "model"))
    model_version = client.get_model_version(name, "1")
    assert model_version.name == name
    assert model_version.version == 1

    # MLflow's REST client prefixes the error code ("INVALID_PARAMETER_VALUE: "); a local
    # store's message does not, in MLflow as in litetrack.
    error_message = "Parameter 'version' must be an integer, got 'something not correct'."
    with pytest.raises(MlflowException, match=error_message) as e:
        client.get_model_version(name=name, version="something not correct")
    assert e.value.error_code == "INVALID_PARAMETER_VALUE"


def test_update_model_version_flow(client, runs):
    name = "UpdateMVTest"
    start_time_0 = get_current_time_millis()
    client.create_registered_model(name)
    end_time_0 = get_current_time_millis()
    rmd1 = client.get_registered_model(name)
    assert_is_between(start_time_0, end_time_0, rmd1.creation_timestamp)
    assert_is_between(start_time_0, end_time_0, rmd1.last_updated_timestamp)

    source_1, run_id_1 = runs.source("run_id_1", "model")
    source_2 = runs.source("run_id_1", "another_model")[0]
    start_time_1 = get_current_time_millis()
    mv1 = client.create_model_version(name, source_1, run_id_1)
    end_time_1 = get_current_time_millis()
    assert mv1.version == 1
    assert mv1.name == name
    mvd1 = client.get_model_version(name, "1")
    assert mvd1.description in ("", None)
    assert_is_between(start_time_1, end_time_1, mvd1.creation_timestamp)
    assert_is_between(start_time_1, end_time_1, mvd1.last_updated_timestamp)

    # creating model version changes last_updated_timestamp for registered model
    rmd2 = client.get_registered_model(name)
    assert_is_between(start_time_0, end_time_0, rmd2.creation_timestamp)
    assert_is_between(start_time_1, end_time_1, rmd2.last_updated_timestamp)

    assert [rm.latest_versions for rm in client.search_registered_models() if rm.name == name] == [
        [mvd1]
    ]
    mv2 = client.create_model_version(name, source_2, run_id_1)
    assert mv2.version == 2
    assert mv2.name == name
    mvd2 = client.get_model_version(name, "2")
    assert [rm.latest_versions for rm in client.search_registered_models() if rm.name == name] == [
        [mvd2]
    ]

    start_time_2 = get_current_time_millis()
    client.transition_model_version_stage(name=name, version=1, stage="Staging")
    end_time_2 = get_current_time_millis()
    mvd1b = client.get_model_version(name, 1)
    assert_is_between(start_time_1, end_time_1, mvd1b.creation_timestamp)
    assert_is_between(start_time_2, end_time_2, mvd1b.last_updated_timestamp)

    # updating model version's stage changes last_updated_timestamp for registered model
    rmd3 = client.get_registered_model(name)
    assert_is_between(start_time_0, end_time_0, rmd3.creation_timestamp)
    assert_is_between(start_time_2, end_time_2, rmd3.last_updated_timestamp)

    detailed = [rm.latest_versions for rm in client.search_registered_models() if rm.name == name]
    assert len(detailed) == 1
    assert {mvd.version for mvd in detailed[0]} == {1, 2}
    assert {mvd.name for mvd in detailed[0]} == {name}

    start_time_3 = get_current_time_millis()
    client.update_model_version(name=name, version=1, description="This is a test model")
    end_time_3 = get_current_time_millis()
    mvd1c = client.get_model_version(name, "1")
    assert str(mvd1c.description) == "This is a test model"
    assert_is_between(start_time_1, end_time_1, mvd1c.creation_timestamp)
    assert_is_between(start_time_3, end_time_3, mvd1c.last_updated_timestamp)

    # changing description for model version does not affect last_updated_timestamp for
    # registered model
    rmd4 = client.get_registered_model(name)
    assert_is_between(start_time_0, end_time_0, rmd4.creation_timestamp)
    assert_is_between(start_time_2, end_time_2, rmd4.last_updated_timestamp)


def test_latest_models(client, runs):
    version_stage_mapping = (
        (1, "Archived"),
        (2, "Production"),
        (3, "Archived"),
        (4, "Production"),
        (5, "Staging"),
        (6, "Staging"),
        (7, "None"),
    )
    name = "LatestVersionTest"
    client.create_registered_model(name)
    source, run_id = runs.source("run_id", "model")
    for version, stage in version_stage_mapping:
        # Sleep for unique creation_time to make search results deterministic
        time.sleep(0.001)
        mv = client.create_model_version(name, source, run_id)
        assert mv.version == version
        if stage != "None":
            client.transition_model_version_stage(name, version, stage=stage)
        mvd = client.get_model_version(name, version)
        assert mvd.current_stage == stage

    def get_latest(stages):
        latest = client.get_latest_versions(name, stages)
        return {mvd.current_stage: mvd.version for mvd in latest}

    assert get_latest(["None"]) == {"None": 7}
    assert get_latest(["Staging"]) == {"Staging": 6}
    assert get_latest(["None", "Staging"]) == {"None": 7, "Staging": 6}
    assert get_latest(None) == {"Production": 4, "Staging": 6, "Archived": 3, "None": 7}
    assert get_latest([]) == {"Production": 4, "Staging": 6, "Archived": 3, "None": 7}


def test_delete_model_version_flow(client, runs):
    name = "DeleteMVTest"
    start_time_0 = get_current_time_millis()
    client.create_registered_model(name)
    end_time_0 = get_current_time_millis()
    rmd1 = client.get_registered_model(name)
    assert_is_between(start_time_0, end_time_0, rmd1.creation_timestamp)
    assert_is_between(start_time_0, end_time_0, rmd1.last_updated_timestamp)

    source_1, run_id_1 = runs.source("run_id_1", "model")
    source_2 = runs.source("run_id_1", "another_model")[0]
    source_3, run_id_2 = runs.source("run_id_2", "a/b/c")
    start_time_1 = get_current_time_millis()
    mv1 = client.create_model_version(name, source_1, run_id_1)
    end_time_1 = get_current_time_millis()
    assert mv1.version == 1
    assert mv1.name == name
    mvd1 = client.get_model_version(name, 1)
    assert_is_between(start_time_1, end_time_1, mvd1.creation_timestamp)
    assert_is_between(start_time_1, end_time_1, mvd1.last_updated_timestamp)

    rmd2 = client.get_registered_model(name)
    assert_is_between(start_time_0, end_time_0, rmd2.creation_timestamp)
    assert_is_between(start_time_1, end_time_1, rmd2.last_updated_timestamp)

    mv2 = client.create_model_version(name, source_2, run_id_1)
    assert mv2.version == 2
    assert mv2.name == name
    mv3 = client.create_model_version(name, source_3, run_id_2)
    assert mv3.version == 3
    assert mv3.name == name
    detailed = [rm.latest_versions for rm in client.search_registered_models() if rm.name == name]
    assert len(detailed) == 1
    assert detailed[0][0].version == 3
    assert {mv.version for mv in client.search_model_versions(f"name = '{name}'")} == {1, 2, 3}

    start_time_2 = get_current_time_millis()
    client.delete_model_version(name, "1")
    end_time_2 = get_current_time_millis()
    assert {mv.version for mv in client.search_model_versions(f"name = '{name}'")} == {2, 3}
    rmd3 = client.get_registered_model(name)
    # deleting model versions changes last_updated_timestamp for registered model
    assert_is_between(start_time_0, end_time_0, rmd3.creation_timestamp)
    assert_is_between(start_time_2, end_time_2, rmd3.last_updated_timestamp)

    with pytest.raises(MlflowException, match=r"Model Version .+ not found"):
        client.delete_model_version(name, "1")
    with pytest.raises(MlflowException, match=r"Model Version .+ not found"):
        client.update_model_version(name=name, version=1, description="Test model")
    with pytest.raises(MlflowException, match=r"Model Version .+ not found"):
        client.transition_model_version_stage(name=name, version=1, stage="Staging")

    client.delete_model_version(name, 3)
    assert {mv.version for mv in client.search_model_versions(f"name = '{name}'")} == {2}

    # new model versions will not reuse existing version numbers
    mv4 = client.create_model_version(name, source_3, run_id_2)
    assert mv4.version == 4
    assert mv4.name == name
    assert {mv.version for mv in client.search_model_versions(f"name = '{name}'")} == {2, 4}


def test_set_delete_model_version_tag_flow(client, runs):
    name = "SetDeleteMVTagTest"
    client.create_registered_model(name)
    client.create_model_version(name, *runs.source("run_id_1", "model"))
    assert client.get_model_version(name, "1").tags == {}
    for key, value in {"key": "value", "numeric value": 12345}.items():
        client.set_model_version_tag(name, "1", key, value)
    assert client.get_model_version(name, "1").tags == {"key": "value", "numeric value": "12345"}
    client.delete_model_version_tag(name, "1", "key")
    assert client.get_model_version(name, "1").tags == {"numeric value": "12345"}


def test_set_model_version_tag_with_empty_string_as_value(client, runs):
    name = "SetMVTagEmptyValueTest"
    client.create_registered_model(name)
    client.create_model_version(name, *runs.source("run_id_1", "model"))
    client.set_model_version_tag(name, "1", "tag_key", "")
    assert {"tag_key": ""}.items() <= client.get_model_version(name, "1").tags.items()


def test_set_delete_registered_model_alias_and_get_model_version_by_alias_flow(client, runs):
    name = "SetDeleteGetRMAliasTest"
    client.create_registered_model(name)
    client.create_model_version(name, *runs.source("run_id_1", "model"))
    assert client.get_registered_model(name).aliases == {}
    assert client.get_model_version(name, "1").aliases == []
    client.set_registered_model_alias(name, "test_alias", "1")
    # Versions are ints on a local store, in the alias map too.
    assert client.get_registered_model(name).aliases == {"test_alias": 1}
    mv = client.get_model_version(name, "1")
    assert mv.aliases == ["test_alias"]
    mv_alias = client.get_model_version_by_alias(name, "test_alias")
    assert mv == mv_alias
    client.delete_registered_model_alias(name, "test_alias")
    assert client.get_registered_model(name).aliases == {}
    assert client.get_model_version(name, "1").aliases == []


def test_copy_model_version_flow(client, runs):
    name = "CopyMVTest"
    client.create_registered_model(name)
    source_1, run_id_1 = runs.source("run_id_1", "model")
    src_mv = client.create_model_version(
        name, source_1, run_id_1, description="dummy", tags={"hello": "world"}
    )
    client.set_registered_model_alias(name, "test_alias", "1")
    copy_mv = client.copy_model_version(f"models:/{name}@test_alias", name)
    assert copy_mv.version == 2
    assert copy_mv.name == name

    copy_mv = client.get_model_version(name, 2)
    assert copy_mv.source == f"models:/{name}/1"
    assert copy_mv.description == "dummy"
    assert copy_mv.run_id == run_id_1
    assert copy_mv.tags == {"hello": "world"}

    copy_download_uri = client.get_model_version_download_uri(name, 2)
    assert copy_download_uri == src_mv.source


# -- Cases of MLflow's tests/store/model_registry/test_sqlalchemy_store.py ---------------------
# MLflow calls its store there (``store.create_registered_model(name, [RegisteredModelTag])``);
# here the same calls go through the client (``client.create_registered_model(name, {k: v})``),
# with MLflow's inputs and assertions. Made-up sources (``"A/B"``) are real runs' paths.

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"


def _extract_latest_by_stage(latest_versions):
    return {mvd.current_stage: str(mvd.version) for mvd in latest_versions}


def _mv(client, runs, name, label="run", path="path/to/source", **kwargs):
    source, run_id = runs.source(label, path)
    return client.create_model_version(name, source, run_id, **kwargs)


def test_create_registered_model(client):
    name = "randomstrabCD"
    rm1 = client.create_registered_model(name)
    assert rm1.name == name
    assert rm1.description is None

    with pytest.raises(
        MlflowException, match=rf"Registered Model \(name={name}\) already exists"
    ) as e:
        client.create_registered_model(name)
    assert e.value.error_code == RESOURCE_ALREADY_EXISTS

    for name2 in [name + "extra", name + name]:
        assert client.create_registered_model(name2).name == name2

    name2 = "randomstrtags"
    tags = {"key": "value", "anotherKey": "some other value"}
    rm2 = client.create_registered_model(name2, tags)
    rmd2 = client.get_registered_model(name2)
    assert rm2.name == name2
    assert rm2.tags == tags
    assert rmd2.name == name2
    assert rmd2.tags == tags

    name3 = "randomstr-description"
    description = "the best model ever"
    rm3 = client.create_registered_model(name3, description=description)
    rmd3 = client.get_registered_model(name3)
    assert rm3.name == name3
    assert rm3.description == description
    assert rmd3.name == name3
    assert rmd3.description == description

    for bad in (None, ""):
        with pytest.raises(
            MlflowException, match=r"Missing value for required parameter 'name'"
        ) as e:
            client.create_registered_model(bad)
        assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_get_registered_model(client):
    name = "model_1"
    tags = {"key": "value", "anotherKey": "some other value"}
    with mock.patch("time.time", return_value=1234):
        rm = client.create_registered_model(name, tags)
        assert rm.name == name
    rmd = client.get_registered_model(name=name)
    assert rmd.name == name
    assert rmd.creation_timestamp == 1234000
    assert rmd.last_updated_timestamp == 1234000
    assert rmd.description is None
    assert rmd.latest_versions == []
    assert rmd.tags == tags


def test_update_registered_model(client):
    name = "model_for_update_RM"
    rm1 = client.create_registered_model(name)
    rmd1 = client.get_registered_model(name=name)
    assert rm1.name == name
    assert rmd1.description is None
    rm2 = client.update_registered_model(name=name, description="test model")
    rmd2 = client.get_registered_model(name=name)
    assert rm2.name == "model_for_update_RM"
    assert rmd2.name == "model_for_update_RM"
    assert rmd2.description == "test model"


def test_rename_registered_model(client, runs):
    original_name = "original name"
    new_name = "new name"
    client.create_registered_model(original_name)
    _mv(client, runs, original_name)
    _mv(client, runs, original_name)
    assert client.get_registered_model(original_name).name == original_name
    assert client.get_model_version(original_name, 1).name == original_name
    assert client.get_model_version(original_name, 2).name == original_name

    client.rename_registered_model(original_name, new_name)
    assert client.get_registered_model(new_name).name == new_name
    assert client.get_model_version(new_name, 1).name == new_name
    assert client.get_model_version(new_name, 2).name == new_name

    with pytest.raises(
        MlflowException, match=rf"Registered Model with name={original_name} not found"
    ) as e:
        client.get_registered_model(original_name)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST

    client.create_registered_model(original_name)
    with pytest.raises(
        MlflowException, match=rf"Registered Model \(name={original_name}\) already exists"
    ) as e:
        client.rename_registered_model(new_name, original_name)
    assert e.value.error_code == RESOURCE_ALREADY_EXISTS
    # MLflow's store refuses None and "" ("Missing value for required parameter
    # 'new_name'"); its client answers first: None -> AttributeError (new_name.strip()),
    # "" -> "The name must not be an empty string." (INTERNAL_ERROR). litetrack gives the
    # store's answer, INVALID_PARAMETER_VALUE, for both.
    with pytest.raises(
        MlflowException,
        match=r"Missing value for required parameter 'new_name'|The name must not be an empty",
    ):
        client.rename_registered_model(original_name, "")


def test_delete_registered_model(client, runs):
    name = "model_for_delete_RM"
    client.create_registered_model(name)
    _mv(client, runs, name)
    assert client.get_registered_model(name=name).name == name
    assert client.get_model_version(name, 1).name == name

    client.delete_registered_model(name=name)
    with pytest.raises(MlflowException, match=rf"Registered Model with name={name} not found") as e:
        client.get_registered_model(name=name)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(MlflowException, match=rf"Registered Model with name={name} not found") as e:
        client.update_registered_model(name=name, description="deleted")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(MlflowException, match=rf"Registered Model with name={name} not found") as e:
        client.delete_registered_model(name=name)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    # model versions are cascade deleted with the registered model
    with pytest.raises(
        MlflowException, match=rf"Model Version \(name={name}, version=1\) not found"
    ) as e:
        client.get_model_version(name, 1)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST


def test_get_latest_versions(client, runs):
    name = "test_for_latest_versions"
    client.create_registered_model(name)
    assert client.get_registered_model(name=name).latest_versions == []

    mv1 = _mv(client, runs, name)
    assert mv1.version == 1
    assert _extract_latest_by_stage(client.get_registered_model(name=name).latest_versions) == {
        "None": "1"
    }
    mv2 = _mv(client, runs, name)
    assert mv2.version == 2
    client.transition_model_version_stage(
        name=mv2.name, version=mv2.version, stage="Production", archive_existing_versions=False
    )
    mv3 = _mv(client, runs, name)
    assert mv3.version == 3
    client.transition_model_version_stage(
        name=mv3.name, version=mv3.version, stage="Production", archive_existing_versions=False
    )
    mv4 = _mv(client, runs, name)
    assert mv4.version == 4
    client.transition_model_version_stage(
        name=mv4.name, version=mv4.version, stage="Staging", archive_existing_versions=False
    )
    expected = {"None": "1", "Production": "3", "Staging": "4"}
    assert (
        _extract_latest_by_stage(client.get_registered_model(name=name).latest_versions) == expected
    )
    assert _extract_latest_by_stage(client.get_latest_versions(name=name, stages=None)) == expected
    assert _extract_latest_by_stage(client.get_latest_versions(name=name, stages=[])) == expected
    for stage in ("Production", "production", "pROduction"):  # The stages are case insensitive.
        assert _extract_latest_by_stage(client.get_latest_versions(name=name, stages=[stage])) == {
            "Production": "3"
        }
    assert _extract_latest_by_stage(
        client.get_latest_versions(name=name, stages=["None", "Production"])
    ) == {"None": "1", "Production": "3"}

    # delete latest Production, and should point to previous one
    client.delete_model_version(name=mv3.name, version=mv3.version)
    expected = {"None": "1", "Production": "2", "Staging": "4"}
    assert (
        _extract_latest_by_stage(client.get_registered_model(name=name).latest_versions) == expected
    )
    assert _extract_latest_by_stage(client.get_latest_versions(name=name, stages=None)) == expected
    assert _extract_latest_by_stage(
        client.get_latest_versions(name=name, stages=["Production"])
    ) == {"Production": "2"}


def test_set_registered_model_tag(client):
    name1 = "SetRegisteredModelTag_TestMod"
    name2 = "SetRegisteredModelTag_TestMod 2"
    initial_tags = {"key": "value", "anotherKey": "some other value"}
    client.create_registered_model(name1, initial_tags)
    client.create_registered_model(name2, initial_tags)
    client.set_registered_model_tag(name1, "randomTag", "not a random value")
    all_tags = {**initial_tags, "randomTag": "not a random value"}
    assert client.get_registered_model(name=name1).tags == all_tags
    client.set_registered_model_tag(name1, "key", "overriding")
    assert client.get_registered_model(name=name1).tags == {**all_tags, "key": "overriding"}
    assert client.get_registered_model(name=name2).tags == initial_tags

    client.delete_registered_model(name1)
    with pytest.raises(
        MlflowException, match=rf"Registered Model with name={name1} not found"
    ) as e:
        client.set_registered_model_tag(name1, "key", "overriding")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(
        MlflowException, match=r"'value' exceeds the maximum length of \d+ characters"
    ) as e:
        client.set_registered_model_tag(name2, "longTagKey", "a" * 100_001)
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    client.set_registered_model_tag(name2, "longTagKey", "a" * 4999)
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'key'") as e:
        client.set_registered_model_tag(name2, None, "")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'name'") as e:
        client.set_registered_model_tag(None, "key", "value")
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_delete_registered_model_tag(client):
    name1 = "DeleteRegisteredModelTag_TestMod"
    name2 = "DeleteRegisteredModelTag_TestMod 2"
    initial_tags = {"key": "value", "anotherKey": "some other value"}
    client.create_registered_model(name1, initial_tags)
    client.create_registered_model(name2, initial_tags)
    client.set_registered_model_tag(name1, "randomTag", "not a random value")
    client.delete_registered_model_tag(name1, "randomTag")
    assert client.get_registered_model(name=name1).tags == initial_tags
    client.delete_registered_model_tag(name1, "key")
    assert client.get_registered_model(name=name1).tags == {"anotherKey": "some other value"}
    assert client.get_registered_model(name=name2).tags == initial_tags
    # delete tag that is already deleted does nothing
    client.delete_registered_model_tag(name1, "key")
    assert client.get_registered_model(name=name1).tags == {"anotherKey": "some other value"}

    client.delete_registered_model(name1)
    with pytest.raises(
        MlflowException, match=rf"Registered Model with name={name1} not found"
    ) as e:
        client.delete_registered_model_tag(name1, "anotherKey")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'key'") as e:
        client.delete_registered_model_tag(name2, None)
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'name'") as e:
        client.delete_registered_model_tag(None, "key")
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_create_model_version(client, runs):
    name = "test_for_update_MV"
    client.create_registered_model(name)
    source, run_id = runs.source("run", "a/b/CD")
    with mock.patch("time.time", return_value=456778):
        mv1 = client.create_model_version(name, source, run_id)
        assert mv1.name == name
        assert mv1.version == 1

    mvd1 = client.get_model_version(mv1.name, mv1.version)
    assert mvd1.name == name
    assert int(mvd1.version) == 1
    assert mvd1.current_stage == "None"
    assert mvd1.creation_timestamp == 456778000
    assert mvd1.last_updated_timestamp == 456778000
    assert mvd1.description is None
    assert mvd1.source == source
    assert mvd1.run_id == run_id
    assert mvd1.status == "READY"
    assert mvd1.status_message is None
    assert mvd1.tags == {}

    mv2 = _mv(client, runs, name)
    assert mv2.version == 2
    assert int(client.get_model_version(name=mv2.name, version=mv2.version).version) == 2

    tags = {"key": "value", "anotherKey": "some other value"}
    mv3 = _mv(client, runs, name, tags=tags)
    mvd3 = client.get_model_version(name=mv3.name, version=mv3.version)
    assert mv3.version == 3
    assert mv3.tags == tags
    assert int(mvd3.version) == 3
    assert mvd3.tags == tags

    run_link = "http://localhost:3000/path/to/run/"
    mv4 = _mv(client, runs, name, run_link=run_link)
    mvd4 = client.get_model_version(name, mv4.version)
    assert mv4.version == 4
    assert mv4.run_link == run_link
    assert int(mvd4.version) == 4
    assert mvd4.run_link == run_link

    description = "the best model ever"
    mv5 = _mv(client, runs, name, description=description)
    mvd5 = client.get_model_version(name, mv5.version)
    assert mv5.version == 5
    assert mv5.description == description
    assert int(mvd5.version) == 5
    assert mvd5.description == description


def test_update_model_version(client, runs):
    name = "test_for_update_MV"
    client.create_registered_model(name)
    mv1 = _mv(client, runs, name)
    mvd1 = client.get_model_version(name=mv1.name, version=mv1.version)
    assert mvd1.name == name
    assert int(mvd1.version) == 1
    assert mvd1.current_stage == "None"

    client.transition_model_version_stage(
        name=mv1.name, version=mv1.version, stage="Production", archive_existing_versions=False
    )
    mvd2 = client.get_model_version(name=mv1.name, version=mv1.version)
    assert mvd2.name == name
    assert int(mvd2.version) == 1
    assert mvd2.current_stage == "Production"
    assert mvd2.description is None

    client.update_model_version(
        name=mv1.name, version=mv1.version, description="test model version"
    )
    mvd3 = client.get_model_version(name=mv1.name, version=mv1.version)
    assert mvd3.name == name
    assert int(mvd3.version) == 1
    assert mvd3.current_stage == "Production"
    assert mvd3.description == "test model version"

    with pytest.raises(
        MlflowException,
        match=(
            "Invalid Model Version stage: unknown. "
            "Value must be one of None, Staging, Production, Archived."
        ),
    ) as e:
        client.transition_model_version_stage(
            mv1.name, mv1.version, stage="unknown", archive_existing_versions=False
        )
    assert e.value.error_code == INVALID_PARAMETER_VALUE

    for stage_name in ["STAGING", "staging", "StAgInG"]:
        client.transition_model_version_stage(
            name=mv1.name, version=mv1.version, stage=stage_name, archive_existing_versions=False
        )
        assert (
            client.get_model_version(name=mv1.name, version=mv1.version).current_stage == "Staging"
        )


def test_transition_model_version_stage_when_archive_existing_versions_is_false(client, runs):
    name = "model"
    client.create_registered_model(name)
    mv1 = _mv(client, runs, name)
    mv2 = _mv(client, runs, name)
    mv3 = _mv(client, runs, name)

    for stage in ["Archived", "None"]:
        client.transition_model_version_stage(name, mv1.version, stage, False)

    client.transition_model_version_stage(name, mv1.version, "Staging", False)
    client.transition_model_version_stage(name, mv2.version, "Production", False)
    client.transition_model_version_stage(name, mv3.version, "Staging", False)
    assert client.get_model_version(name=name, version=mv1.version).current_stage == "Staging"
    assert client.get_model_version(name=name, version=mv2.version).current_stage == "Production"
    assert client.get_model_version(name=name, version=mv3.version).current_stage == "Staging"

    client.transition_model_version_stage(name, mv3.version, "Production", False)
    assert client.get_model_version(name=name, version=mv1.version).current_stage == "Staging"
    assert client.get_model_version(name=name, version=mv2.version).current_stage == "Production"
    assert client.get_model_version(name=name, version=mv3.version).current_stage == "Production"


def test_transition_model_version_stage_when_archive_existing_versions_is_true(client, runs):
    name = "model"
    client.create_registered_model(name)
    mv1 = _mv(client, runs, name)
    mv2 = _mv(client, runs, name)
    mv3 = _mv(client, runs, name)

    msg = (
        r"Model version transition cannot archive existing model versions "
        r"because .+ is not an Active stage"
    )
    for stage in ["Archived", "None"]:
        with pytest.raises(MlflowException, match=msg):
            client.transition_model_version_stage(name, mv1.version, stage, True)

    client.transition_model_version_stage(name, mv1.version, "Staging", False)
    client.transition_model_version_stage(name, mv2.version, "Production", False)
    client.transition_model_version_stage(name, mv3.version, "Staging", True)
    mvd1 = client.get_model_version(name=name, version=mv1.version)
    mvd2 = client.get_model_version(name=name, version=mv2.version)
    mvd3 = client.get_model_version(name=name, version=mv3.version)
    assert mvd1.current_stage == "Archived"
    assert mvd2.current_stage == "Production"
    assert mvd3.current_stage == "Staging"
    assert mvd1.last_updated_timestamp == mvd3.last_updated_timestamp

    client.transition_model_version_stage(name, mv3.version, "Production", True)
    mvd1 = client.get_model_version(name=name, version=mv1.version)
    mvd2 = client.get_model_version(name=name, version=mv2.version)
    mvd3 = client.get_model_version(name=name, version=mv3.version)
    assert mvd1.current_stage == "Archived"
    assert mvd2.current_stage == "Archived"
    assert mvd3.current_stage == "Production"
    assert mvd2.last_updated_timestamp == mvd3.last_updated_timestamp

    for uncanonical_stage_name in ["STAGING", "staging", "StAgInG"]:
        client.transition_model_version_stage(mv1.name, mv1.version, "Staging", False)
        client.transition_model_version_stage(mv2.name, mv2.version, "None", False)
        client.transition_model_version_stage(mv2.name, mv2.version, uncanonical_stage_name, True)
        assert (
            client.get_model_version(name=mv1.name, version=mv1.version).current_stage == "Archived"
        )
        assert (
            client.get_model_version(name=mv2.name, version=mv2.version).current_stage == "Staging"
        )


def test_delete_model_version(client, runs):
    name = "test_for_delete_MV"
    client.create_registered_model(name)
    mv = _mv(client, runs, name, tags={"key": "value", "anotherKey": "some other value"})
    assert client.get_model_version(name=mv.name, version=mv.version).name == name

    client.delete_model_version(name=mv.name, version=mv.version)
    not_found = rf"Model Version \(name={mv.name}, version={mv.version}\) not found"
    with pytest.raises(MlflowException, match=not_found) as e:
        client.get_model_version(name=mv.name, version=mv.version)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(MlflowException, match=not_found) as e:
        client.update_model_version(mv.name, mv.version, description="deleted!")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(MlflowException, match=not_found) as e:
        client.delete_model_version(name=mv.name, version=mv.version)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST


def test_get_model_version_download_uri(client, runs):
    name = "test_for_update_MV"
    client.create_registered_model(name)
    source_path, run_id = runs.source("run", "path/to/source")
    mv = client.create_model_version(name, source_path, run_id)
    mvd1 = client.get_model_version(name=mv.name, version=mv.version)
    assert mvd1.name == name
    assert mvd1.source == source_path
    assert client.get_model_version_download_uri(name=mv.name, version=mv.version) == source_path

    client.transition_model_version_stage(
        name=mv.name, version=mv.version, stage="Production", archive_existing_versions=False
    )
    client.update_model_version(name=mv.name, version=mv.version, description="Test for Path")
    assert client.get_model_version(name=mv.name, version=mv.version).source == source_path
    assert client.get_model_version_download_uri(name=mv.name, version=mv.version) == source_path

    client.delete_model_version(name=mv.name, version=mv.version)
    with pytest.raises(
        MlflowException, match=rf"Model Version \(name={mv.name}, version={mv.version}\) not found"
    ) as e:
        client.get_model_version_download_uri(name=mv.name, version=mv.version)
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST


def test_search_model_versions(client, runs):
    name = "test_for_search_MV"
    client.create_registered_model(name)
    src_ab, run_id_1 = runs.source("run_1", "A/B")
    src_ac, run_id_2 = runs.source("run_2", "A/C")
    src_ad_2 = runs.source("run_2", "A/D")[0]
    src_ad_3, run_id_3 = runs.source("run_3", "A/D")
    assert client.create_model_version(name, src_ab, run_id_1).version == 1
    assert client.create_model_version(name, src_ac, run_id_2).version == 2
    assert client.create_model_version(name, src_ad_2, run_id_2).version == 3
    mv4 = client.create_model_version(name, src_ad_3, run_id_3)
    assert mv4.version == 4

    def search_versions(filter_string, max_results=10, order_by=None, page_token=None):
        return [
            mvd.version
            for mvd in client.search_model_versions(
                filter_string, max_results, order_by, page_token
            )
        ]

    assert set(search_versions(f"name='{name}'")) == {1, 2, 3, 4}
    assert set(search_versions("version_number=2")) == {2}
    assert set(search_versions("version_number<=3")) == {1, 2, 3}
    assert set(search_versions(f"run_id='{run_id_1}'")) == {1}
    assert set(search_versions(f"run_id='{run_id_2}'")) == {2, 3}
    assert set(search_versions(f"run_id IN ('{run_id_1}','{run_id_2}')")) == {1, 2, 3}
    # search IN operator is case sensitive
    assert set(search_versions(f"run_id IN ('{run_id_1.upper()}','{run_id_2}')")) == {2, 3}
    assert set(
        search_versions(f"version_number=2 AND run_id IN ('{run_id_1.upper()}','{run_id_2}')")
    ) == {2}
    assert set(search_versions(f"run_id IN ('{run_id_1}', '{run_id_2}')")) == {1, 2, 3}

    with pytest.raises(
        MlflowException,
        match=(
            r"While parsing a list in the query, "
            r"expected string value, punctuation, or whitespace, "
            r"but got different type in list"
        ),
    ) as e:
        search_versions("run_id IN (1,2,3)")
    assert e.value.error_code == INVALID_PARAMETER_VALUE

    assert set(search_versions(f"run_id LIKE '{run_id_2[:30]}%'")) == {2, 3}
    assert set(search_versions(f"run_id ILIKE '{run_id_2[:30].upper()}%'")) == {2, 3}

    with pytest.raises(
        MlflowException,
        match=(
            r"While parsing a list in the query, "
            r"expected a non-empty list of string values, "
            r"but got empty list"
        ),
    ) as e:
        search_versions("run_id IN ()")
    assert e.value.error_code == INVALID_PARAMETER_VALUE

    for bad in ("run_id IN (", "run_id IN", "name LIKE"):
        with pytest.raises(MlflowException, match=r"Invalid clause\(s\) in filter string") as e:
            search_versions(bad)
        assert e.value.error_code == INVALID_PARAMETER_VALUE

    for bad in ("run_id IN (,)", "run_id IN ('runid1',,'runid2')"):
        with pytest.raises(
            MlflowException,
            match=(
                r"While parsing a list in the query, "
                r"expected a non-empty list of string values, "
                r"but got ill-formed list"
            ),
        ) as e:
            search_versions(bad)
        assert e.value.error_code == INVALID_PARAMETER_VALUE

    # MLflow's sources "A/D" are the two runs' A/D folders here: source_path is the whole URI.
    assert set(search_versions(f"source_path = '{src_ad_2}'")) == {3}
    assert set(search_versions("source_path LIKE '%/A/D'")) == {3, 4}
    assert len(search_versions("source_path = 'A'")) == 0
    assert len(search_versions("source_path = 'A/'")) == 0
    assert len(search_versions("source_path = ''")) == 0

    client.delete_model_version(name=mv4.name, version=mv4.version)
    assert set(search_versions("")) == {1, 2, 3}
    assert set(search_versions(None)) == {1, 2, 3}
    assert set(search_versions(f"name='{name}'")) == {1, 2, 3}
    assert set(search_versions("source_path LIKE '%/A/D'")) == {3}

    client.transition_model_version_stage(
        name=name, version=1, stage="production", archive_existing_versions=False
    )
    client.update_model_version(name=name, version=1, description="Online prediction model!")
    mvds = client.search_model_versions(f"run_id = '{run_id_1}'", max_results=10)
    assert len(mvds) == 1
    assert isinstance(mvds[0], ModelVersion)
    assert mvds[0].current_stage == "Production"
    assert mvds[0].run_id == run_id_1
    assert mvds[0].source == src_ab
    assert mvds[0].description == "Online prediction model!"


def test_search_model_versions_order_by_simple(client, runs):
    names = ["RM1", "RM2", "RM3", "RM4", "RM1", "RM4"]
    sources = ["A"] * 3 + ["B"] * 3
    for name in set(names):
        client.create_registered_model(name)
    for i in range(6):
        time.sleep(0.001)  # sleep to ensure each model version has a different creation_time
        source, run_id = runs.source(f"run_{i}", sources[i])
        client.create_model_version(name=names[i], source=source, run_id=run_id)

    mvs = client.search_model_versions(filter_string=None)
    assert [mv.name for mv in mvs] == names[::-1]
    assert [mv.version for mv in mvs] == [2, 2, 1, 1, 1, 1]

    mvs = client.search_model_versions(filter_string=None, order_by=["name DESC"])
    assert [mv.name for mv in mvs] == sorted(names)[::-1]
    assert [mv.version for mv in mvs] == [2, 1, 1, 1, 2, 1]

    mvs = client.search_model_versions(filter_string=None, order_by=["version_number DESC"])
    assert [mv.name for mv in mvs] == ["RM1", "RM4", "RM1", "RM2", "RM3", "RM4"]
    assert [mv.version for mv in mvs] == [2, 2, 1, 1, 1, 1]

    mvs = client.search_model_versions(filter_string=None, order_by=["creation_timestamp DESC"])
    assert [mv.name for mv in mvs] == names[::-1]
    assert [mv.version for mv in mvs] == [2, 2, 1, 1, 1, 1]

    time.sleep(0.001)
    client.update_model_version(names[0], 1, "latest updated")
    mvs = client.search_model_versions(filter_string=None, order_by=["last_updated_timestamp ASC"])
    assert mvs[-1].name == names[0]
    assert mvs[-1].version == 1


def test_search_model_versions_order_by_errors(client, runs):
    name = "RM1"
    client.create_registered_model(name)
    for _ in range(6):
        _mv(client, runs, name)
    query = "name LIKE 'RM%'"
    # MLflow refuses run_id in a version order_by ("Invalid attribute key 'run_id'
    # specified"); litetrack orders by it (a strict superset, docs/mlflow-compat.md).
    with pytest.raises(MlflowException, match=r"Invalid order_by clause '.+'") as e:
        client.search_model_versions(
            query,
            page_token=None,
            order_by=["name ASC", "last_updated_timestamp DESC blah"],
            max_results=5,
        )
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_search_model_versions_pagination(client, runs):
    def search_versions(filter_string, page_token=None, max_results=10):
        result = client.search_model_versions(
            filter_string=filter_string, page_token=page_token, max_results=max_results
        )
        return list(result), result.token

    name = "test_for_search_MV_pagination"
    client.create_registered_model(name)
    mvs = [_mv(client, runs, name) for _ in range(50)][::-1]

    returned_mvs = []
    query = "name LIKE 'test_for_search_MV_pagination%'"
    result, token = search_versions(query, page_token=None, max_results=5)
    returned_mvs.extend(result)
    while token:
        result, token = search_versions(query, page_token=token, max_results=5)
        returned_mvs.extend(result)
    assert mvs == returned_mvs

    result, token1 = search_versions(query, max_results=5)
    assert token1 is not None
    assert result == mvs[0:5]
    result, token2 = search_versions(query, page_token=token1, max_results=10)
    assert token2 is not None
    assert result == mvs[5:15]
    result, token3 = search_versions(query, page_token=token2, max_results=20)
    assert token3 is not None
    assert result == mvs[15:35]
    result, token4 = search_versions(query, page_token=token3, max_results=100)
    assert token4 is None
    assert result == mvs[35:]

    with pytest.raises(MlflowException, match=r"Invalid page token, could not base64-decode") as e:
        search_versions(query, page_token="evilhax", max_results=20)
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException, match=r"Invalid value for max_results\.") as e:
        search_versions(query, page_token="evilhax", max_results=1e15)
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_search_model_versions_by_tag(client, runs):
    name = "test_for_search_MV_by_tag"
    client.create_registered_model(name)
    src_1, run_id_1 = runs.source("run_1", "A/B")
    src_2, run_id_2 = runs.source("run_2", "A/C")
    mv1 = client.create_model_version(name, src_1, run_id_1, tags={"t1": "abc", "t2": "xyz"})
    assert mv1.version == 1
    mv2 = client.create_model_version(name, src_2, run_id_2, tags={"t1": "abc", "t2": "x123"})
    assert mv2.version == 2

    def search_versions(filter_string):
        return [mvd.version for mvd in client.search_model_versions(filter_string)]

    assert search_versions(f"name = '{name}' and tag.t2 = 'xyz'") == [1]
    assert search_versions("name = 'wrong_name' and tag.t2 = 'xyz'") == []
    assert search_versions("tag.`t2` = 'xyz'") == [1]
    assert search_versions("tag.t3 = 'xyz'") == []
    assert search_versions("tag.t2 != 'xy'") == [2, 1]
    assert search_versions("tag.t2 LIKE 'xy%'") == [1]
    assert search_versions("tag.t2 LIKE 'xY%'") == []
    assert search_versions("tag.t2 ILIKE 'xY%'") == [1]
    assert search_versions("tag.t2 LIKE 'x%'") == [2, 1]
    assert search_versions("tag.T2 = 'xyz'") == []
    assert search_versions("tag.t1 = 'abc' and tag.t2 = 'xyz'") == [1]
    assert search_versions("tag.t1 = 'abc' and tag.t2 LIKE 'x%'") == [2, 1]
    assert search_versions("tag.t1 = 'abc' and tag.t2 LIKE 'y%'") == []
    assert search_versions("tag.t2 like 'x%' and tag.t2 != 'xyz'") == [2]


def _search_registered_models(
    client, filter_string, max_results=10, order_by=None, page_token=None
):
    result = client.search_registered_models(
        filter_string=filter_string,
        max_results=max_results,
        order_by=order_by,
        page_token=page_token,
    )
    return [registered_model.name for registered_model in result], result.token


def test_search_registered_models(client):
    prefix = "test_for_search_"
    names = [prefix + name for name in ["RM1", "RM2", "RM3", "RM4", "RM4A", "RM4ab"]]
    for name in names:
        client.create_registered_model(name)

    def search(filter_string, **kwargs):
        return _search_registered_models(client, filter_string, **kwargs)[0]

    assert search(None) == names
    assert search(f"name='{names[0]}'") == [names[0]]
    assert search("name='{}'".format(names[0] + "cats")) == []
    assert search(f"name LIKE '{prefix}%'") == names
    assert search("name LIKE '%RM%'") == names
    assert search("name LIKE '_e%'") == names
    assert search("name LIKE '{}%'".format(prefix + "RM4A")) == [names[4]]
    assert search("name LIKE '{}%'".format(prefix + "cats")) == []
    assert search("name lIkE '%blah%'") == []
    assert search("name like '{}%'".format(prefix + "RM4A")) == [names[4]]
    assert search("name ILIKE '{}%'".format(prefix + "RM4A")) == names[4:]
    assert search("name ILIKE '%RM4a%'") == names[4:]
    assert search("name ILIKE '{}%'".format(prefix + "cats")) == []
    assert search("name iLike '%blah%'") == []
    assert search("name iLike '%%'") == names
    assert search("name ilike '%RM4a%'") == names[4:]

    with pytest.raises(
        MlflowException,
        match="Parameter value is either not quoted or unidentified quote types used for "
        "string value something",
    ) as e:
        search("name!=something")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException, match=r"Invalid attribute key 'run_id' specified.") as e:
        search("run_id='somerunID'")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(
        MlflowException, match=r"Invalid attribute key 'source_path' specified."
    ) as e:
        search("source_path = 'A/D'")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    # MLflow: "Invalid clause(s) in filter string" (its parser stops at the bare `true`);
    # litetrack stops first at the unknown attribute and names it, in MLflow's words for that.
    with pytest.raises(
        MlflowException, match=r"Invalid (clause\(s\) in filter string|attribute key 'evilhax')"
    ) as e:
        search("evilhax = true")
    assert e.value.error_code == INVALID_PARAMETER_VALUE

    client.delete_registered_model(name=names[-1])
    assert _search_registered_models(client, None, max_results=1000) == (names[:-1], None)
    assert _search_registered_models(client, f"name='{names[-1]}'") == ([], None)
    assert _search_registered_models(client, f"name LIKE '{prefix}%'") == (names[0:5], None)
    assert _search_registered_models(client, "name ILIKE '{}%'".format(prefix + "RM4A")) == (
        [names[4]],
        None,
    )


def test_search_registered_models_by_tag(client):
    name1 = "test_for_search_RM_by_tag1"
    name2 = "test_for_search_RM_by_tag2"
    client.create_registered_model(name1, {"t1": "abc", "t2": "xyz"})
    client.create_registered_model(name2, {"t1": "abcd", "t2": "xyz123", "t3": "XYZ"})

    def search(filter_string):
        return _search_registered_models(client, filter_string)[0]

    assert search("tag.t3 = 'XYZ'") == [name2]
    assert search(f"name = '{name1}' and tag.t1 = 'abc'") == [name1]
    assert search("tag.t1 LIKE 'ab%'") == [name1, name2]
    assert search("tag.t1 ILIKE 'aB%'") == [name1, name2]
    assert search("tag.t1 LIKE 'ab%' AND tag.t2 LIKE 'xy%'") == [name1, name2]
    assert search("tag.t3 = 'XYz'") == []
    assert search("tag.T3 = 'XYZ'") == []
    assert search("tag.t1 != 'abc'") == [name2]
    assert search("tag.t1 != 'abcd' and tag.t1 LIKE 'ab%'") == [name1]


def test_search_registered_model_pagination(client):
    rms = [client.create_registered_model(f"RM{i:03}").name for i in range(50)]
    returned_rms = []
    query = "name LIKE 'RM%'"
    result, token = _search_registered_models(client, query, page_token=None, max_results=5)
    returned_rms.extend(result)
    while token:
        result, token = _search_registered_models(client, query, page_token=token, max_results=5)
        returned_rms.extend(result)
    assert rms == returned_rms

    result, token1 = _search_registered_models(client, query, max_results=5)
    assert token1 is not None
    assert result == rms[0:5]
    result, token2 = _search_registered_models(client, query, page_token=token1, max_results=10)
    assert token2 is not None
    assert result == rms[5:15]
    result, token3 = _search_registered_models(client, query, page_token=token2, max_results=20)
    assert token3 is not None
    assert result == rms[15:35]
    result, token4 = _search_registered_models(client, query, page_token=token3, max_results=100)
    assert token4 is None
    assert result == rms[35:]

    with pytest.raises(MlflowException, match=r"Invalid page token, could not base64-decode") as e:
        _search_registered_models(client, query, page_token="evilhax", max_results=20)
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(
        MlflowException, match=r"Invalid value for request parameter max_results"
    ) as e:
        _search_registered_models(client, query, page_token="evilhax", max_results=1e15)
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_search_registered_model_order_by(client):
    # MLflow mocks its store's get_current_time_millis at i; time.time at i seconds gives
    # the same order in both stores.
    rms = []
    for i in range(50):
        with mock.patch("time.time", return_value=i):
            rms.append(client.create_registered_model(f"RM{i:03}").name)

    def search(query, order_by, max_results=100, page_token=None):
        return _search_registered_models(
            client, query, page_token=page_token, order_by=order_by, max_results=max_results
        )

    returned_rms = []
    query = "name LIKE 'RM%'"
    result, token = search(query, ["name DESC"], max_results=5)
    returned_rms.extend(result)
    while token:
        result, token = search(query, ["name DESC"], max_results=5, page_token=token)
        returned_rms.extend(result)
    assert rms[::-1] == returned_rms
    assert search(query, ["last_updated_timestamp DESC"])[0] == rms[::-1]
    assert search(query, ["timestamp DESC"])[0] == rms[::-1]
    assert search(query, ["last_updated_timestamp ASC"])[0] == rms
    assert search(query, ["timestamp ASC"])[0] == rms
    assert search(query, ["timestamp"])[0] == rms
    assert search(query, ["name ASC"])[0] == rms
    assert search(query, ["last_updated_timestamp"])[0] == rms

    with mock.patch("time.time", return_value=1):
        rm1 = client.create_registered_model("MR1").name
        rm2 = client.create_registered_model("MR2").name
    with mock.patch("time.time", return_value=2):
        rm3 = client.create_registered_model("MR3").name
        rm4 = client.create_registered_model("MR4").name
    query = "name LIKE 'MR%'"
    assert search(query, ["last_updated_timestamp ASC", "name DESC"])[0] == [rm2, rm1, rm4, rm3]
    assert search(query, ["timestamp ASC", "name   DESC"])[0] == [rm2, rm1, rm4, rm3]
    assert search(query, [])[0] == [rm1, rm2, rm3, rm4]
    assert search(query, ["last_updated_timestamp DESC"])[0] == [rm3, rm4, rm1, rm2]
    for order in (
        "timestamp\tASC",
        "timestamp\r\rASC",
        "timestamp\nASC",
        "timestamp  ASC",
        "timestamp  asc",
        "timestamp  aSC",
    ):
        assert search(query, [order])[0] == [rm1, rm2, rm3, rm4]
    assert search(query, ["timestamp  desc", "name desc"])[0] == [rm4, rm3, rm2, rm1]
    assert search(query, ["timestamp  deSc", "name deSc"])[0] == [rm4, rm3, rm2, rm1]


def test_search_registered_model_order_by_errors(client):
    query = "name LIKE 'RM%'"
    # MLflow refuses creation_timestamp in a registered-model order_by ("Invalid order by
    # key"); litetrack orders by it (a strict superset, docs/mlflow-compat.md).
    with pytest.raises(MlflowException, match=r"Invalid order_by clause '.+'") as e:
        _search_registered_models(
            client,
            query,
            page_token=None,
            order_by=["name ASC", "last_updated_timestamp DESC blah"],
            max_results=5,
        )
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_set_model_version_tag(client, runs):
    name1 = "SetModelVersionTag_TestMod"
    name2 = "SetModelVersionTag_TestMod 2"
    initial_tags = {"key": "value", "anotherKey": "some other value"}
    client.create_registered_model(name1)
    client.create_registered_model(name2)
    _mv(client, runs, name1, "run_1", "A/B", tags=initial_tags)
    _mv(client, runs, name1, "run_2", "A/C", tags=initial_tags)
    _mv(client, runs, name2, "run_3", "A/D", tags=initial_tags)
    client.set_model_version_tag(name1, 1, "randomTag", "not a random value")
    all_tags = {**initial_tags, "randomTag": "not a random value"}
    assert client.get_model_version(name1, 1).tags == all_tags
    client.set_model_version_tag(name1, 1, "key", "overriding")
    assert client.get_model_version(name1, 1).tags == {**all_tags, "key": "overriding"}
    assert client.get_model_version(name1, 2).tags == initial_tags
    assert client.get_model_version(name2, 1).tags == initial_tags

    client.delete_model_version(name1, 2)
    with pytest.raises(
        MlflowException, match=rf"Model Version \(name={name1}, version=2\) not found"
    ) as e:
        client.set_model_version_tag(name1, 2, "key", "overriding")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(
        MlflowException, match=r"'value' exceeds the maximum length of \d+ characters"
    ) as e:
        client.set_model_version_tag(name1, 1, "longTagKey", "a" * 100_001)
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    client.set_model_version_tag(name1, 1, "longTagKey", "a" * 4999)
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'key'") as e:
        client.set_model_version_tag(name2, 1, None, "")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'name'") as e:
        client.set_model_version_tag(None, 1, "key", "value")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(
        MlflowException, match=r"Parameter 'version' must be an integer, got 'I am not a version'"
    ) as e:
        client.set_model_version_tag(name2, "I am not a version", "key", "value")
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_delete_model_version_tag(client, runs):
    name1 = "DeleteModelVersionTag_TestMod"
    name2 = "DeleteModelVersionTag_TestMod 2"
    initial_tags = {"key": "value", "anotherKey": "some other value"}
    client.create_registered_model(name1)
    client.create_registered_model(name2)
    _mv(client, runs, name1, "run_1", "A/B", tags=initial_tags)
    _mv(client, runs, name1, "run_2", "A/C", tags=initial_tags)
    _mv(client, runs, name2, "run_3", "A/D", tags=initial_tags)
    client.set_model_version_tag(name1, 1, "randomTag", "not a random value")
    client.delete_model_version_tag(name1, 1, "randomTag")
    assert client.get_model_version(name1, 1).tags == initial_tags
    client.delete_model_version_tag(name1, 1, "key")
    assert client.get_model_version(name1, 1).tags == {"anotherKey": "some other value"}
    assert client.get_model_version(name1, 2).tags == initial_tags
    assert client.get_model_version(name2, 1).tags == initial_tags
    client.delete_model_version_tag(name1, 1, "key")
    assert client.get_model_version(name1, 1).tags == {"anotherKey": "some other value"}

    client.delete_model_version(name2, 1)
    with pytest.raises(
        MlflowException, match=rf"Model Version \(name={name2}, version=1\) not found"
    ) as e:
        client.delete_model_version_tag(name2, 1, "key")
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'key'") as e:
        client.delete_model_version_tag(name1, 2, None)
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'name'.") as e:
        client.delete_model_version_tag(None, 2, "key")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(
        MlflowException, match=r"Parameter 'version' must be an integer, got 'I am not a version'"
    ) as e:
        client.delete_model_version_tag(name1, "I am not a version", "key")
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def _setup_and_test_aliases(client, runs, model_name):
    client.create_registered_model(model_name)
    client.create_model_version(model_name, *runs.source("run_1", "v1"))
    client.create_model_version(model_name, *runs.source("run_2", "v2"))
    client.set_registered_model_alias(model_name, "test_alias", "2")
    assert client.get_registered_model(model_name).aliases == {"test_alias": 2}
    assert client.get_model_version(model_name, 1).aliases == []
    assert client.get_model_version(model_name, 2).aliases == ["test_alias"]


def test_set_registered_model_alias(client, runs):
    _setup_and_test_aliases(client, runs, "SetRegisteredModelAlias_TestMod")


def test_delete_registered_model_alias(client, runs):
    model_name = "DeleteRegisteredModelAlias_TestMod"
    _setup_and_test_aliases(client, runs, model_name)
    client.delete_registered_model_alias(model_name, "test_alias")
    assert client.get_registered_model(model_name).aliases == {}
    assert client.get_model_version(model_name, 2).aliases == []


def test_get_model_version_by_alias(client, runs):
    model_name = "GetModelVersionByAlias_TestMod"
    _setup_and_test_aliases(client, runs, model_name)
    mv = client.get_model_version_by_alias(model_name, "test_alias")
    assert mv.aliases == ["test_alias"]


def test_delete_model_version_deletes_alias(client, runs):
    model_name = "DeleteModelVersionDeletesAlias_TestMod"
    _setup_and_test_aliases(client, runs, model_name)
    client.delete_model_version(model_name, 2)
    assert client.get_registered_model(model_name).aliases == {}
    with pytest.raises(MlflowException, match=r"Registered model alias test_alias not found."):
        client.get_model_version_by_alias(model_name, "test_alias")


def test_delete_model_deletes_alias(client, runs):
    model_name = "DeleteModelDeletesAlias_TestMod"
    _setup_and_test_aliases(client, runs, model_name)
    client.delete_registered_model(model_name)
    with pytest.raises(
        MlflowException, match=rf"Registered Model with name={model_name} not found"
    ):
        client.get_model_version_by_alias(model_name, "test_alias")


@pytest.mark.parametrize("copy_to_same_model", [False, True])
def test_copy_model_version(client, runs, copy_to_same_model):
    name1 = "test_for_copy_MV1"
    client.create_registered_model(name1)
    src_mv = _mv(
        client,
        runs,
        name1,
        tags={"key": "value", "anotherKey": "some other value"},
        run_link="dummylink",
        description="test description",
    )
    client.transition_model_version_stage(
        name1, src_mv.version, "Production", archive_existing_versions=False
    )
    copy_rm_name = name1 if copy_to_same_model else "test_for_copy_MV2"
    copy_mv_version = 2 if copy_to_same_model else 1
    timestamp = time.time()
    # MLflow's store takes the version entity; its client, the version's URI.
    dst_mv = client.copy_model_version(f"models:/{src_mv.name}/{src_mv.version}", copy_rm_name)
    assert dst_mv.name == copy_rm_name
    assert dst_mv.version == copy_mv_version

    copied_mv = client.get_model_version(dst_mv.name, dst_mv.version)
    assert copied_mv.name == copy_rm_name
    assert int(copied_mv.version) == copy_mv_version
    assert copied_mv.current_stage == "None"
    assert copied_mv.creation_timestamp >= timestamp
    assert copied_mv.last_updated_timestamp >= timestamp
    assert copied_mv.description == "test description"
    assert copied_mv.source == f"models:/{src_mv.name}/{src_mv.version}"
    assert client.get_model_version_download_uri(dst_mv.name, dst_mv.version) == src_mv.source
    assert copied_mv.run_link == "dummylink"
    assert copied_mv.run_id == src_mv.run_id
    assert copied_mv.status == "READY"
    assert copied_mv.status_message is None
    assert copied_mv.tags == {"key": "value", "anotherKey": "some other value"}

    double_copy_mv = client.copy_model_version(
        f"models:/{copied_mv.name}/{copied_mv.version}", "test_for_copy_MV3"
    )
    assert double_copy_mv.source == f"models:/{copied_mv.name}/{copied_mv.version}"
    assert client.get_model_version_download_uri(dst_mv.name, dst_mv.version) == src_mv.source


# -- Cases of MLflow's tests/tracking/_model_registry/test_model_registry_fluent.py ------------
# (the cases that mock MLflow's client are left out)


class _IdentityModel(mlflow.pyfunc.PythonModel):
    def predict(self, model_input):
        return model_input


def test_register_model_with_runs_uri():
    with mlflow.start_run() as run:
        mlflow.pyfunc.log_model(name="model", python_model=_IdentityModel())
    register_model(f"runs:/{run.info.run_id}/model", "Model 1")
    mv = MlflowClient().get_model_version("Model 1", "1")
    assert mv.name == "Model 1"


def test_register_model_with_tags():
    tags = {"a": "1"}
    with mlflow.start_run() as run:
        mlflow.pyfunc.log_model(name="model", python_model=_IdentityModel())
    register_model(f"runs:/{run.info.run_id}/model", "Model 1", tags=tags)
    mv = MlflowClient().get_model_version("Model 1", "1")
    assert mv.tags == tags


def test_set_model_version_tag_fluent():
    # MLflow's test_set_model_version_tag (the name is taken by the store case above).
    mlflow.pyfunc.log_model(
        name="model", python_model=_IdentityModel(), registered_model_name="Model 1"
    )
    mv = MlflowClient().get_model_version("Model 1", "1")
    assert mv.tags == {}
    mlflow.set_model_version_tag(name="Model 1", version=1, key="key", value="value")
    mv = MlflowClient().get_model_version("Model 1", "1")
    assert mv.tags == {"key": "value"}


@pytest.mark.skipif(mlflow.__name__ != "litetrack", reason="litetrack's side of the case above")
def test_rename_registered_model_to_nothing_is_refused_as_mlflow_store_does(client):
    # The rest of MLflow's test_rename_registered_model (its store's answer).
    client.create_registered_model("original name")
    for bad in (None, ""):
        with pytest.raises(
            MlflowException, match=r"Missing value for required parameter 'new_name'"
        ) as e:
            client.rename_registered_model("original name", bad)
        assert e.value.error_code == INVALID_PARAMETER_VALUE


# -- Cases of MLflow's tests/store/artifact/utils/test_model_utils.py ---------------------------
# MLflow parses models:/ URIs with an internal function there; here each URI is resolved by
# the public mlflow.artifacts.download_artifacts, which must reach the version MLflow's
# parse names. URIs only that internal parser accepts (models://profile@databricks/...,
# "models://////name/1": MLflow 3.17's download_artifacts refuses them too) are left out.


def _register_three(name, runs):
    """Versions 1, 2, 3 of ``name``, each with a weights.txt saying which."""
    client = MlflowClient()
    client.create_registered_model(name)
    for v in (1, 2, 3):
        client.create_model_version(name, *runs.source(f"{name} {v}", "model"))


def _weights(uri, tmp_path):
    dst = tmp_path / f"dl{len(list(tmp_path.iterdir()))}"
    dst.mkdir()
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(dst))
    return Path(local, "weights.txt").read_text()


@pytest.mark.parametrize(
    ("uri", "expected_name", "expected_version"),
    [
        ("models:/AdsModel1/2", "AdsModel1", 2),
        ("models:/Ads Model 1/3", "Ads Model 1", 3),
        ("models:/12345/1", "12345", 1),
        ("models:/catalog.schema.model/2", "catalog.schema.model", 2),
    ],
)
def test_parse_models_uri_with_version(runs, tmp_path, uri, expected_name, expected_version):
    _register_three(expected_name, runs)
    assert _weights(uri, tmp_path) == f"{expected_name} {expected_version} model"


@pytest.mark.parametrize(
    ("uri", "expected_name", "expected_stage"),
    [
        ("models:/AdsModel1/Production", "AdsModel1", "Production"),
        ("models:/AdsModel1/production", "AdsModel1", "production"),  # case insensitive
        ("models:/AdsModel1/pROduction", "AdsModel1", "pROduction"),  # case insensitive
        ("models:/Ads Model 1/None", "Ads Model 1", "None"),
    ],
)
def test_parse_models_uri_with_stage(client, runs, tmp_path, uri, expected_name, expected_stage):
    _register_three(expected_name, runs)
    client.transition_model_version_stage(expected_name, 1, "Production")
    # The latest version in the stage: 1 in Production, 3 in None.
    expected_version = 1 if expected_stage.lower() == "production" else 3
    assert _weights(uri, tmp_path) == f"{expected_name} {expected_version} model"


@pytest.mark.parametrize(
    ("uri", "expected_name"),
    [
        ("models:/AdsModel1/latest", "AdsModel1"),
        ("models:/AdsModel1/Latest", "AdsModel1"),  # case insensitive
        ("models:/AdsModel1/LATEST", "AdsModel1"),  # case insensitive
        ("models:/Ads Model 1/latest", "Ads Model 1"),
        ("models:/catalog.schema.model/latest", "catalog.schema.model"),
    ],
)
def test_parse_models_uri_with_latest(runs, tmp_path, uri, expected_name):
    _register_three(expected_name, runs)
    assert _weights(uri, tmp_path) == f"{expected_name} 3 model"


@pytest.mark.parametrize(
    ("uri", "expected_name", "expected_alias"),
    [
        ("models:/AdsModel1@Champion", "AdsModel1", "Champion"),
        ("models:/AdsModel1@champion", "AdsModel1", "champion"),
        ("models:/AdsModel1@cHAmpion", "AdsModel1", "cHAmpion"),
        ("models:/Ads Model 1@challenger", "Ads Model 1", "challenger"),
        ("models:/catalog.schema.model@None", "catalog.schema.model", "None"),
        ("models:/A!&$%;{}()[]CrazyName@Alias", "A!&$%;{}()[]CrazyName", "Alias"),
        ("models:/NameWith@IntheMiddle@Alias", "NameWith@IntheMiddle", "Alias"),
    ],
)
def test_parse_models_uri_with_alias(client, runs, tmp_path, uri, expected_name, expected_alias):
    _register_three(expected_name, runs)
    client.set_registered_model_alias(expected_name, expected_alias, 2)
    assert _weights(uri, tmp_path) == f"{expected_name} 2 model"


@pytest.mark.parametrize(
    "uri",
    [
        "models:/",  # no model name
        "models:/ /Stage",  # empty name
        "models:/Name@",  # empty alias
        "models:Name/Stage",  # missing slash
    ],
)
def test_parse_models_uri_invalid_input(tmp_path, uri):
    with pytest.raises(MlflowException, match="Not a proper models"):
        _weights(uri, tmp_path)
