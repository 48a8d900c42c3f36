"""Cases of MLflow's tests/tracking/test_model_registry.py, run with ``import litetrack as mlflow``.

MLflow runs these through its REST server; here they run on the client's own store (a
litetrack folder; MLflow 3.17's sqlite store in tools/mlflow_cases/run_on_mlflow.sh). Each
keeps MLflow's name, inputs and assertions, with two changes that both stores need:

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

import pytest

import litetrack as mlflow
from litetrack import MlflowClient
from litetrack.entities import ModelVersion, RegisteredModel
from litetrack.errors import MlflowException


def get_current_time_millis() -> int:
    return int(time.time() * 1000)


@pytest.fixture(autouse=True)
def _store(store_path: Path) -> Path:
    return store_path


class _Runs:
    """Real runs standing for MLflow's made-up run ids, each with the paths a case names."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def run_id(self, label: str) -> str:
        if label not in self.ids:
            with mlflow.start_run() as run:
                for path in ("model", "another_model", "a/b/c"):
                    mlflow.log_text("artifact_path: x\nflavors: {}\n", f"{path}/MLmodel")
                    mlflow.log_text(f"{label} {path}", f"{path}/weights.txt")
            self.ids[label] = run.info.run_id
        return self.ids[label]

    def source(self, label: str, path: str) -> tuple[str, str]:
        """(source URI, run id) for MLflow's ``"runs:/<label>/<path>", "<label>"``."""
        run_id = self.run_id(label)
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
