"""Cases of MLflow's tests/tracking/test_tracking.py, run with ``import litetrack as mlflow``.

Each keeps MLflow's name, inputs and assertions (messages and error codes included); where
MLflow looks at its artifact folder on disk (``local_file_uri_to_path``), the same question
is asked through ``list_artifacts``/``download_artifacts``, since litetrack's artifacts live in
a content-addressed store (docs/mlflow-compat.md).
"""

from __future__ import annotations

import filecmp
import json
import os
import posixpath
import re
import tempfile
import time
from pathlib import Path
from unittest import mock

import pytest

import litetrack as mlflow
from litetrack import MlflowClient
from litetrack.entities import LifecycleStage, Metric, Param, RunStatus, RunTag, ViewType
from litetrack.errors import MlflowException
from litetrack.fluent import start_run
from litetrack.utils.mlflow_tags import (
    MLFLOW_PARENT_RUN_ID,
    MLFLOW_SOURCE_NAME,
    MLFLOW_SOURCE_TYPE,
    MLFLOW_USER,
)

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
_RUN_ID_ENV_VAR = "MLFLOW_RUN_ID"


@pytest.fixture(autouse=True)
def _store(store_path: Path) -> Path:
    return store_path


def _listing(run_id: str, path: str | None = None) -> list[str]:
    """The names directly under ``path`` (what MLflow's tests read with os.listdir)."""
    return [posixpath.basename(f.path) for f in MlflowClient().list_artifacts(run_id, path)]


def _read(run_id: str, path: str) -> str:
    return mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")


def test_create_experiment():
    with pytest.raises(MlflowException, match="Invalid experiment name"):
        mlflow.create_experiment(None)
    with pytest.raises(MlflowException, match="Invalid experiment name"):
        mlflow.create_experiment("")
    exp_id = mlflow.create_experiment("Some random experiment name 42")
    assert exp_id is not None


def test_create_experiment_with_duplicate_name():
    name = "popular_name"
    exp_id = mlflow.create_experiment(name)
    with pytest.raises(MlflowException, match=re.escape(f"Experiment(name={name}) already exists")):
        mlflow.create_experiment(name)
    MlflowClient().delete_experiment(exp_id)
    with pytest.raises(MlflowException, match=re.escape(f"Experiment(name={name}) already exists")):
        mlflow.create_experiment(name)


def test_create_experiments_with_bad_names():
    with pytest.raises(MlflowException, match="Invalid experiment name: 'None'"):
        mlflow.create_experiment(None)
    with pytest.raises(MlflowException, match="Invalid experiment name: ''"):
        mlflow.create_experiment("")


@pytest.mark.parametrize("name", [123, 0, -1.2, [], ["A"], {1: 2}])
def test_create_experiments_with_bad_name_types(name):
    with pytest.raises(
        MlflowException, match=re.escape(f"Invalid experiment name: {name}. Expects a string.")
    ):
        mlflow.create_experiment(name)


def test_set_experiment_by_name():
    name = "random_exp"
    exp_id = mlflow.create_experiment(name)
    exp1 = mlflow.set_experiment(name)
    assert exp1.experiment_id == exp_id
    with start_run() as run:
        assert run.info.experiment_id == exp_id
    another_name = "another_experiment"
    exp2 = mlflow.set_experiment(another_name)
    with start_run() as another_run:
        assert another_run.info.experiment_id == exp2.experiment_id


def test_set_experiment_by_id():
    name = "random_exp"
    exp_id = mlflow.create_experiment(name)
    active_exp = mlflow.set_experiment(experiment_id=exp_id)
    assert active_exp.experiment_id == exp_id
    with start_run() as run:
        assert run.info.experiment_id == exp_id
    nonexistent_id = "-1337"
    with pytest.raises(MlflowException, match="No Experiment with id=-1337 exists") as exc:
        mlflow.set_experiment(experiment_id=nonexistent_id)
    assert exc.value.error_code == RESOURCE_DOES_NOT_EXIST
    with start_run() as run:
        assert run.info.experiment_id == exp_id


def test_set_experiment_parameter_validation():
    for args in [(), (None,), (None, None), ("name", "id")]:
        with pytest.raises(MlflowException, match="Must specify exactly one") as exc:
            mlflow.set_experiment(*args)
        assert exc.value.error_code == INVALID_PARAMETER_VALUE


def test_set_experiment_with_deleted_experiment():
    name = "dead_exp"
    mlflow.set_experiment(name)
    with start_run() as run:
        exp_id = run.info.experiment_id
    MlflowClient().delete_experiment(exp_id)
    with pytest.raises(MlflowException, match="Cannot set a deleted experiment") as exc:
        mlflow.set_experiment(name)
    assert exc.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException, match="Cannot set a deleted experiment") as exc:
        mlflow.set_experiment(experiment_id=exp_id)
    assert exc.value.error_code == INVALID_PARAMETER_VALUE


def test_search_experiments_view_types():
    # test_list_experiments, with search_experiments (MLflow 2 removed list_experiments).
    client = MlflowClient()

    def _assert_exps(ids_to_lifecycle_stage, view_type_arg):
        result = {
            (exp.experiment_id, exp.lifecycle_stage)
            for exp in client.search_experiments(view_type=view_type_arg)
        }
        assert result == set(ids_to_lifecycle_stage.items())

    experiment_id = mlflow.create_experiment("exp_1")
    assert experiment_id == "1"  # as MLflow's SQL store numbers them
    _assert_exps({"0": LifecycleStage.ACTIVE, "1": LifecycleStage.ACTIVE}, ViewType.ACTIVE_ONLY)
    _assert_exps({"0": LifecycleStage.ACTIVE, "1": LifecycleStage.ACTIVE}, ViewType.ALL)
    _assert_exps({}, ViewType.DELETED_ONLY)
    client.delete_experiment(experiment_id)
    _assert_exps({"0": LifecycleStage.ACTIVE}, ViewType.ACTIVE_ONLY)
    _assert_exps({"0": LifecycleStage.ACTIVE, "1": LifecycleStage.DELETED}, ViewType.ALL)
    _assert_exps({"1": LifecycleStage.DELETED}, ViewType.DELETED_ONLY)


def test_search_experiments_paginated():
    experiments = [mlflow.create_experiment("paginated_exp_" + str(i)) for i in range(10)]
    max_results = 5
    client = MlflowClient()
    result = client.search_experiments(max_results=max_results, page_token=None)
    assert len(result) == max_results
    returned = list(result)
    while result.token:
        result = client.search_experiments(max_results=max_results, page_token=result.token)
        assert len(result) <= max_results
        returned.extend(result)
    assert result.token is None
    assert set(experiments) - {exp.experiment_id for exp in returned} == set()


def test_search_experiments_paginated_errors():
    client = MlflowClient()
    with pytest.raises(MlflowException, match="Invalid page token") as e:
        client.search_experiments(page_token="evilhax", max_results=20)
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    # MLflow 3.17: "Invalid value 1000000000000000 for parameter 'max_results' supplied..."
    # (litetrack: "Invalid value for max_results: 1000000000000000; ...")
    with pytest.raises(MlflowException, match="Invalid value .*max_results") as e:
        client.search_experiments(page_token=None, max_results=int(1e15))
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_start_run_context_manager():
    with start_run() as first_run:
        first_uuid = first_run.info.run_id
        persisted_run = MlflowClient().get_run(first_uuid)
        assert persisted_run is not None
        assert persisted_run.info == first_run.info
    finished_run = MlflowClient().get_run(first_uuid)
    assert finished_run.info.status == RunStatus.to_string(RunStatus.FINISHED)
    with pytest.raises(Exception, match="Failing run!"):
        with start_run() as second_run:
            second_run_id = second_run.info.run_id
            raise Exception("Failing run!")
    assert second_run_id != first_uuid
    finished_run2 = MlflowClient().get_run(second_run_id)
    assert finished_run2.info.status == RunStatus.to_string(RunStatus.FAILED)


def test_start_and_end_run():
    with start_run() as active_run:
        mlflow.log_metric("name_1", 25)
    finished_run = MlflowClient().get_run(active_run.info.run_id)
    assert len(finished_run.data.metrics) == 1
    assert finished_run.data.metrics["name_1"] == 25


def test_metric_timestamp():
    with mlflow.start_run() as active_run:
        mlflow.log_metric("name_1", 25)
        mlflow.log_metric("name_1", 30)
        run_id = active_run.info.run_id  # MLflow 3 dropped RunInfo.run_uuid
    client = MlflowClient()
    history = client.get_metric_history(run_id, "name_1")
    finished_run = client.get_run(run_id)
    assert len(history) == 2
    assert all(
        finished_run.info.start_time <= m.timestamp <= finished_run.info.end_time for m in history
    )


def test_log_batch():
    expected_metrics = {"metric-key0": 1.0, "metric-key1": 4.0}
    expected_params = {"param-key0": "param-val0", "param-key1": "param-val1"}
    exact_expected_tags = {"tag-key0": "tag-val0", "tag-key1": "tag-val1"}
    t = int(time.time())
    sorted_expected_metrics = sorted(expected_metrics.items(), key=lambda kv: kv[0])
    metrics = [
        Metric(key=key, value=value, timestamp=t, step=i)
        for i, (key, value) in enumerate(sorted_expected_metrics)
    ]
    params = [Param(key=key, value=value) for key, value in expected_params.items()]
    tags = [RunTag(key=key, value=value) for key, value in exact_expected_tags.items()]
    with start_run() as active_run:
        run_id = active_run.info.run_id
        MlflowClient().log_batch(run_id=run_id, metrics=metrics, params=params, tags=tags)
    client = MlflowClient()
    finished_run = client.get_run(run_id)
    assert len(finished_run.data.metrics) == 2
    for key, value in finished_run.data.metrics.items():
        assert expected_metrics[key] == value
    metric_history0 = client.get_metric_history(run_id, "metric-key0")
    assert {(m.value, m.timestamp, m.step) for m in metric_history0} == {(1.0, t, 0)}
    metric_history1 = client.get_metric_history(run_id, "metric-key1")
    assert {(m.value, m.timestamp, m.step) for m in metric_history1} == {(4.0, t, 1)}
    for tag_key, tag_value in exact_expected_tags.items():
        assert finished_run.data.tags[tag_key] == tag_value
    assert {MLFLOW_USER, MLFLOW_SOURCE_NAME, MLFLOW_SOURCE_TYPE} <= set(finished_run.data.tags)
    assert finished_run.data.params == expected_params
    new_tags = {"1": "2", "3": "4", "5": "6"}
    client.log_batch(run_id=run_id, tags=[RunTag(key=k, value=v) for k, v in new_tags.items()])
    finished_run_2 = client.get_run(run_id)
    assert len(finished_run_2.data.tags) == len(finished_run.data.tags) + 3
    for tag_key, tag_value in new_tags.items():
        assert finished_run_2.data.tags[tag_key] == tag_value


def test_log_metric():
    with start_run() as active_run, mock.patch("time.time") as time_mock:
        time_mock.side_effect = [123 for _ in range(100)]
        run_id = active_run.info.run_id
        mlflow.log_metric("name_1", 25)
        mlflow.log_metric("name_2", -3)
        mlflow.log_metric("name_1", 30, 5)
        mlflow.log_metric("name_1", 40, -2)
        mlflow.log_metric("nested/nested/name", 40)
    finished_run = MlflowClient().get_run(run_id)
    assert len(finished_run.data.metrics) == 3
    expected_pairs = {"name_1": 30, "name_2": -3, "nested/nested/name": 40}
    for key, value in finished_run.data.metrics.items():
        assert expected_pairs[key] == value
    client = MlflowClient()
    metric_history_name1 = client.get_metric_history(run_id, "name_1")
    assert {(m.value, m.timestamp, m.step) for m in metric_history_name1} == {
        (25, 123 * 1000, 0),
        (30, 123 * 1000, 5),
        (40, 123 * 1000, -2),
    }
    metric_history_name2 = client.get_metric_history(run_id, "name_2")
    assert {(m.value, m.timestamp, m.step) for m in metric_history_name2} == {(-3, 123 * 1000, 0)}


def test_log_metrics_uses_millisecond_timestamp_resolution_fluent():
    with start_run() as active_run, mock.patch("time.time") as time_mock:
        time_mock.side_effect = lambda: 123
        mlflow.log_metrics({"name_1": 25, "name_2": -3})
        mlflow.log_metrics({"name_1": 30})
        mlflow.log_metrics({"name_1": 40})
        run_id = active_run.info.run_id
    client = MlflowClient()
    metric_history_name1 = client.get_metric_history(run_id, "name_1")
    assert {(m.value, m.timestamp) for m in metric_history_name1} == {
        (25, 123 * 1000),
        (30, 123 * 1000),
        (40, 123 * 1000),
    }
    metric_history_name2 = client.get_metric_history(run_id, "name_2")
    assert {(m.value, m.timestamp) for m in metric_history_name2} == {(-3, 123 * 1000)}


def test_log_metrics_uses_millisecond_timestamp_resolution_client():
    with start_run() as active_run, mock.patch("time.time") as time_mock:
        time_mock.side_effect = lambda: 123
        mlflow_client = MlflowClient()
        run_id = active_run.info.run_id
        mlflow_client.log_metric(run_id=run_id, key="name_1", value=25)
        mlflow_client.log_metric(run_id=run_id, key="name_2", value=-3)
        mlflow_client.log_metric(run_id=run_id, key="name_1", value=30)
        mlflow_client.log_metric(run_id=run_id, key="name_1", value=40)
    metric_history_name1 = mlflow_client.get_metric_history(run_id, "name_1")
    assert {(m.value, m.timestamp) for m in metric_history_name1} == {
        (25, 123 * 1000),
        (30, 123 * 1000),
        (40, 123 * 1000),
    }
    metric_history_name2 = mlflow_client.get_metric_history(run_id, "name_2")
    assert {(m.value, m.timestamp) for m in metric_history_name2} == {(-3, 123 * 1000)}


@pytest.mark.parametrize("step_kwarg", [None, -10, 5])
def test_log_metrics_uses_common_timestamp_and_step_per_invocation(step_kwarg):
    expected_metrics = {"name_1": 30, "name_2": -3, "nested/nested/name": 40}
    with start_run() as active_run:
        run_id = active_run.info.run_id
        mlflow.log_metrics(expected_metrics, step=step_kwarg)
    finished_run = MlflowClient().get_run(run_id)
    assert finished_run.data.metrics == expected_metrics
    # MLflow reads the private RunData._metric_objs; the histories say the same.
    points = [MlflowClient().get_metric_history(run_id, k)[0] for k in expected_metrics]
    expected_step = step_kwarg if step_kwarg is not None else 0
    assert len({m.timestamp for m in points}) == 1
    assert all(m.step == expected_step for m in points)


def test_set_tags():
    exact_expected_tags = {"name_1": "c", "name_2": "b", "nested/nested/name": 5}
    with start_run() as active_run:
        run_id = active_run.info.run_id
        mlflow.set_tags(exact_expected_tags)
    finished_run = MlflowClient().get_run(run_id)
    for tag_key, tag_val in exact_expected_tags.items():
        assert finished_run.data.tags[tag_key] == str(tag_val)
    assert {MLFLOW_USER, MLFLOW_SOURCE_NAME, MLFLOW_SOURCE_TYPE} <= set(finished_run.data.tags)


def test_log_metric_validation():
    with start_run() as active_run:
        run_id = active_run.info.run_id
        # MLflow 3.17: 'Invalid value "apple" for parameter 'value' supplied ...'
        with pytest.raises(MlflowException, match="Invalid value .apple.") as e:
            mlflow.log_metric("name_1", "apple")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    finished_run = MlflowClient().get_run(run_id)
    assert len(finished_run.data.metrics) == 0


def test_log_param():
    with start_run() as active_run:
        run_id = active_run.info.run_id
        mlflow.log_param("name_1", "a")
        mlflow.log_param("name_2", "b")
        mlflow.log_param("nested/nested/name", 5)
    finished_run = MlflowClient().get_run(run_id)
    assert finished_run.data.params == {"name_1": "a", "name_2": "b", "nested/nested/name": "5"}


def test_log_params():
    expected_params = {"name_1": "c", "name_2": "b", "nested/nested/name": 5}
    with start_run() as active_run:
        run_id = active_run.info.run_id
        mlflow.log_params(expected_params)
    finished_run = MlflowClient().get_run(run_id)
    assert finished_run.data.params == {"name_1": "c", "name_2": "b", "nested/nested/name": "5"}


def test_log_params_duplicate_keys_raises():
    params = {"a": "1", "b": "2"}
    with start_run() as active_run:
        run_id = active_run.info.run_id
        mlflow.log_params(params)
        with pytest.raises(
            MlflowException, match=r"Changing param values is not allowed. Param with key="
        ) as e:
            mlflow.log_param("a", "3")
        assert e.value.error_code == INVALID_PARAMETER_VALUE
    finished_run = MlflowClient().get_run(run_id)
    assert finished_run.data.params == params


def test_log_batch_duplicate_entries_raises():
    with start_run() as active_run:
        run_id = active_run.info.run_id
        with pytest.raises(
            MlflowException, match=r"Duplicate parameter keys have been submitted."
        ) as e:
            MlflowClient().log_batch(run_id=run_id, params=[Param("a", "1"), Param("a", "2")])
        assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_log_batch_validates_entity_names_and_values():
    with start_run() as active_run:
        run_id = active_run.info.run_id
        client = MlflowClient()
        metrics = [Metric(key="../bad/metric/name", value=0.3, timestamp=3, step=0)]
        # MLflow 3.17: 'Invalid value "../bad/metric/name" for parameter ...'; litetrack:
        # "Invalid metric key '../bad/metric/name': ...": both name the value.
        with pytest.raises(MlflowException, match=r"Invalid .*\.\./bad/metric/name") as e:
            client.log_batch(run_id, metrics=metrics)
        assert e.value.error_code == INVALID_PARAMETER_VALUE
        metrics = [Metric(key="ok-name", value="non-numerical-value", timestamp=3, step=0)]
        with pytest.raises(MlflowException, match="Invalid value .non-numerical-value.") as e:
            client.log_batch(run_id, metrics=metrics)
        assert e.value.error_code == INVALID_PARAMETER_VALUE
        metrics = [Metric(key="ok-name", value=0.3, timestamp="non-numerical-timestamp", step=0)]
        with pytest.raises(MlflowException, match="Invalid .*non-numerical-timestamp") as e:
            client.log_batch(run_id, metrics=metrics)
        assert e.value.error_code == INVALID_PARAMETER_VALUE
        params = [Param(key="../bad/param/name", value="my-val")]
        with pytest.raises(MlflowException, match=r"Invalid .*\.\./bad/param/name") as e:
            client.log_batch(run_id, params=params)
        assert e.value.error_code == INVALID_PARAMETER_VALUE
        tags = [Param(key="../bad/tag/name", value="my-val")]
        with pytest.raises(MlflowException, match=r"Invalid .*\.\./bad/tag/name") as e:
            client.log_batch(run_id, tags=tags)
        assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_log_artifact_with_dirs(tmp_path):
    art_dir = tmp_path / "parent"
    art_dir.mkdir()
    (art_dir / "file0").write_text("something")
    (art_dir / "file1").write_text("something")
    (art_dir / "child").mkdir()
    (art_dir / "child" / "f").write_text("x")  # an empty folder is not an artifact here
    with start_run() as run:
        mlflow.log_artifact(str(art_dir))
        base = os.path.basename(str(art_dir))
        assert _listing(run.info.run_id) == [base]
        assert set(_listing(run.info.run_id, base)) == {"child", "file0", "file1"}
        assert _read(run.info.run_id, f"{base}/file0") == "something"
    art_dir = tmp_path / "dir"
    art_dir.mkdir()
    (art_dir / "g").write_text("y")
    with start_run() as run:
        mlflow.log_artifact(str(art_dir), "some_parent")
        assert _listing(run.info.run_id) == ["some_parent"]
        assert _listing(run.info.run_id, "some_parent") == [os.path.basename(str(art_dir))]
    sub_dir = art_dir / "another_dir"
    sub_dir.mkdir()
    (sub_dir / "h").write_text("z")
    with start_run() as run:
        mlflow.log_artifact(str(art_dir), "parent/and_child")
        assert _listing(run.info.run_id, "parent/and_child") == [os.path.basename(str(art_dir))]
        assert _listing(run.info.run_id, "parent/and_child/dir") == ["another_dir", "g"]


def test_log_artifact(tmp_path):
    artifact_src_dir = tempfile.mkdtemp(dir=tmp_path)
    _, path0 = tempfile.mkstemp(dir=artifact_src_dir)
    _, path1 = tempfile.mkstemp(dir=artifact_src_dir)
    for i, path in enumerate([path0, path1]):
        with open(path, "w") as handle:
            handle.write(str(i))
    for parent_dir in ["some_parent_dir", None]:
        with start_run() as run:
            mlflow.log_artifact(path0, parent_dir)
        assert _listing(run.info.run_id, parent_dir) == [os.path.basename(path0)]
        name = posixpath.join(parent_dir or "", os.path.basename(path0))
        downloaded = MlflowClient().download_artifacts(run.info.run_id, name, str(tmp_path / "d"))
        assert filecmp.cmp(downloaded, path0, shallow=False)
    for parent_dir in ["some_parent_dir", None]:
        with start_run() as run:
            mlflow.log_artifacts(artifact_src_dir, parent_dir)
        out = Path(mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id,
            artifact_path=parent_dir,
            dst_path=str(tmp_path / "e" / str(parent_dir)),
        ))
        dir_comparison = filecmp.dircmp(artifact_src_dir, out)
        assert len(dir_comparison.left_only) == 0
        assert len(dir_comparison.right_only) == 0
        assert len(dir_comparison.diff_files) == 0
        assert len(dir_comparison.funny_files) == 0


@pytest.mark.parametrize("subdir", [None, ".", "dir", "dir1/dir2", "dir/.."])
def test_log_text(subdir):
    filename = "file.txt"
    text = "a"
    artifact_file = filename if subdir is None else posixpath.join(subdir, filename)
    with mlflow.start_run() as run:
        mlflow.log_text(text, artifact_file)
        artifact_path = None if subdir is None else posixpath.normpath(subdir)
        if artifact_path == ".":
            artifact_path = None
        assert _listing(run.info.run_id, artifact_path) == [filename]
        assert _read(run.info.run_id, posixpath.normpath(artifact_file)) == text


@pytest.mark.parametrize("subdir", [None, ".", "dir", "dir1/dir2", "dir/.."])
@pytest.mark.parametrize("extension", [".json", ".yml", ".yaml", ".txt", ""])
def test_log_dict(subdir, extension):
    dictionary = {"k": "v"}
    filename = "data" + extension
    artifact_file = filename if subdir is None else posixpath.join(subdir, filename)
    with mlflow.start_run() as run:
        mlflow.log_dict(dictionary, artifact_file)
        artifact_path = None if subdir is None else posixpath.normpath(subdir)
        if artifact_path == ".":
            artifact_path = None
        assert _listing(run.info.run_id, artifact_path) == [filename]
        text = _read(run.info.run_id, posixpath.normpath(artifact_file))
        if extension in (".yml", ".yaml"):
            yaml = pytest.importorskip("yaml")
            assert yaml.safe_load(text) == dictionary
        else:
            assert json.loads(text) == dictionary


def test_with_startrun():
    # (MLflow also brackets end_time by time.time() readings; litetrack's tests assert no
    # wall-clock times: the run's own start_time bounds it instead.)
    with mlflow.start_run() as active_run:
        assert mlflow.active_run() == active_run
        run_id = active_run.info.run_id
    run_info = MlflowClient().get_run(run_id).info
    assert run_info.status == "FINISHED"
    assert run_info.start_time <= run_info.end_time
    assert mlflow.active_run() is None


def test_parent_create_run(monkeypatch):
    with mlflow.start_run() as parent_run:
        parent_run_id = parent_run.info.run_id
    monkeypatch.setenv(_RUN_ID_ENV_VAR, parent_run_id)
    with mlflow.start_run() as parent_run:
        assert parent_run.info.run_id == parent_run_id
        with pytest.raises(Exception, match="To start a nested run"):
            mlflow.start_run()
        with mlflow.start_run(nested=True) as child_run:
            assert child_run.info.run_id != parent_run_id
            with mlflow.start_run(nested=True) as grand_child_run:
                pass

    def verify_has_parent_id_tag(child_id, expected_parent_id):
        tags = MlflowClient().get_run(child_id).data.tags
        assert tags[MLFLOW_PARENT_RUN_ID] == expected_parent_id

    verify_has_parent_id_tag(child_run.info.run_id, parent_run.info.run_id)
    verify_has_parent_id_tag(grand_child_run.info.run_id, child_run.info.run_id)
    assert mlflow.active_run() is None


def test_start_deleted_run():
    with mlflow.start_run() as active_run:
        run_id = active_run.info.run_id
    MlflowClient().delete_run(run_id)
    with pytest.raises(MlflowException, match="because it is in the deleted state."):
        with mlflow.start_run(run_id=run_id):
            pass
    assert mlflow.active_run() is None


def test_start_run_exp_id_0():
    mlflow.set_experiment("some-experiment")
    with mlflow.start_run() as active_run:
        exp_id = active_run.info.experiment_id
        assert exp_id != "0"
        assert MlflowClient().get_experiment(exp_id).name == "some-experiment"
    with mlflow.start_run(experiment_id=0) as active_run:
        assert active_run.info.experiment_id == "0"


def test_get_artifact_uri_with_artifact_path_unspecified_returns_artifact_root_dir():
    with mlflow.start_run() as active_run:
        assert mlflow.get_artifact_uri(artifact_path=None) == active_run.info.artifact_uri


def test_search_runs():
    mlflow.set_experiment("exp-for-search")
    logged_runs = {}
    with mlflow.start_run() as active_run:
        logged_runs["first"] = active_run.info.run_id
        mlflow.log_metric("m1", 0.001)
        mlflow.log_metric("m2", 0.002)
        mlflow.log_metric("m1", 0.002)
        mlflow.log_param("p1", "a")
        mlflow.set_tag("t1", "first-tag-val")
    with mlflow.start_run() as active_run:
        logged_runs["second"] = active_run.info.run_id
        mlflow.log_metric("m1", 0.008)
        mlflow.log_param("p2", "aa")
        mlflow.set_tag("t2", "second-tag-val")

    def verify_runs(runs, expected_set):
        assert {r.info.run_id for r in runs} == {logged_runs[r] for r in expected_set}

    client = MlflowClient()
    experiment_id = client.get_experiment_by_name("exp-for-search").experiment_id
    assert len(client.search_runs([experiment_id], run_view_type=ViewType.ACTIVE_ONLY)) == 2
    verify_runs(client.search_runs([experiment_id], "metrics.m1 > 0.0001"), ["first", "second"])
    verify_runs(client.search_runs([experiment_id], "metrics.m1 > 0.002"), ["second"])
    verify_runs(client.search_runs([experiment_id], "metrics.m1 > 0.1"), [])
    verify_runs(client.search_runs([experiment_id], "metrics.m2 > 0"), ["first"])
    verify_runs(client.search_runs([experiment_id], "params.p1 = 'a'", ViewType.ALL), ["first"])
    verify_runs(client.search_runs([experiment_id], "params.p2 != 'a'", ViewType.ALL), ["second"])
    verify_runs(client.search_runs([experiment_id], "params.p2 = 'aa'", ViewType.ALL), ["second"])
    verify_runs(
        client.search_runs([experiment_id], "tags.t1 = 'first-tag-val'", ViewType.ALL), ["first"]
    )
    verify_runs(
        client.search_runs([experiment_id], "tags.t2 != 'qwerty'", ViewType.ALL), ["second"]
    )
    verify_runs(
        client.search_runs([experiment_id], "tags.t2 = 'second-tag-val'", ViewType.ALL), ["second"]
    )
    client.delete_run(logged_runs["first"])
    verify_runs(client.search_runs([experiment_id], "params.p1 = 'a'", ViewType.ALL), ["first"])
    verify_runs(
        client.search_runs([experiment_id], "params.p1 = 'a'", ViewType.DELETED_ONLY), ["first"]
    )
    verify_runs(client.search_runs([experiment_id], "params.p1 = 'a'", ViewType.ACTIVE_ONLY), [])


def test_search_runs_multiple_experiments():
    experiment_ids = [mlflow.create_experiment(f"exp__{exp_id}") for exp_id in range(1, 4)]
    for eid in experiment_ids:
        with mlflow.start_run(experiment_id=eid):
            mlflow.log_metric("m0", 1)
            mlflow.log_metric(f"m_{eid}", 2)
    client = MlflowClient()
    assert len(client.search_runs(experiment_ids, "metrics.m0 > 0", ViewType.ALL)) == 3
    assert len(client.search_runs(experiment_ids, "metrics.m_1 > 0", ViewType.ALL)) == 1
    assert len(client.search_runs(experiment_ids, "metrics.m_2 = 2", ViewType.ALL)) == 1
    assert len(client.search_runs(experiment_ids, "metrics.m_3 < 4", ViewType.ALL)) == 1


@pytest.mark.parametrize("subdir", [None, ".", "dir", "dir1/dir2", "dir/.."])
def test_log_figure_matplotlib(subdir):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    filename = "figure.png"
    artifact_file = filename if subdir is None else posixpath.join(subdir, filename)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [2, 3])
    with mlflow.start_run() as run:
        mlflow.log_figure(fig, artifact_file)
        plt.close(fig)
        artifact_path = None if subdir is None else posixpath.normpath(subdir)
        if artifact_path == ".":
            artifact_path = None
        assert _listing(run.info.run_id, artifact_path) == [filename]


def test_log_figure_raises_error_for_unsupported_figure_object_type():
    with mlflow.start_run(), pytest.raises(TypeError, match="Unsupported figure object type"):
        mlflow.log_figure("not_figure", "figure.png")


def _load_png(run_id, path):
    from PIL import Image

    return Image.open(MlflowClient().download_artifacts(run_id, path, tempfile.mkdtemp()))


@pytest.mark.parametrize("subdir", [None, ".", "dir", "dir1/dir2", "dir/.."])
def test_log_image_numpy(subdir):
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    filename = "image.png"
    artifact_file = filename if subdir is None else posixpath.join(subdir, filename)
    image = np.random.randint(0, 256, size=(100, 100, 3), dtype=np.uint8)
    with mlflow.start_run() as run:
        mlflow.log_image(image, artifact_file)
        artifact_path = None if subdir is None else posixpath.normpath(subdir)
        if artifact_path == ".":
            artifact_path = None
        assert _listing(run.info.run_id, artifact_path) == [filename]
        loaded = np.asarray(_load_png(run.info.run_id, posixpath.normpath(artifact_file)))
        np.testing.assert_array_equal(loaded, image)


@pytest.mark.parametrize("subdir", [None, ".", "dir", "dir1/dir2", "dir/.."])
def test_log_image_pillow(subdir):
    pytest.importorskip("PIL")
    from PIL import Image, ImageChops

    filename = "image.png"
    artifact_file = filename if subdir is None else posixpath.join(subdir, filename)
    image = Image.new("RGB", (100, 100))
    with mlflow.start_run() as run:
        mlflow.log_image(image, artifact_file)
        artifact_path = None if subdir is None else posixpath.normpath(subdir)
        if artifact_path == ".":
            artifact_path = None
        assert _listing(run.info.run_id, artifact_path) == [filename]
        loaded_image = _load_png(run.info.run_id, posixpath.normpath(artifact_file))
        assert ImageChops.difference(loaded_image, image).getbbox() is None


@pytest.mark.parametrize("size", [(100, 100), (100, 100, 1), (100, 100, 3), (100, 100, 4)])
def test_log_image_numpy_shape(size):
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    filename = "image.png"
    image = np.random.randint(0, 256, size=size, dtype=np.uint8)
    with mlflow.start_run() as run:
        mlflow.log_image(image, filename)
        assert _listing(run.info.run_id) == [filename]


@pytest.mark.parametrize(
    "dtype",
    ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64", "bool"],
)
def test_log_image_numpy_dtype(dtype):
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    filename = "image.png"
    image = np.random.randint(0, 2, size=(100, 100, 3)).astype(np.dtype(dtype))
    with mlflow.start_run() as run:
        mlflow.log_image(image, filename)
        assert _listing(run.info.run_id) == [filename]


def test_log_image_numpy_raises_exception_for_invalid_array_data_type():
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    with mlflow.start_run(), pytest.raises(TypeError, match="Invalid array data type"):
        mlflow.log_image(np.tile("a", (1, 1, 3)), "image.png")


def test_log_image_numpy_raises_exception_for_invalid_array_shape():
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    with mlflow.start_run(), pytest.raises(ValueError, match="`image` must be a 2D or 3D array"):
        mlflow.log_image(np.zeros((1,), dtype=np.uint8), "image.png")


def test_log_image_numpy_raises_exception_for_invalid_channel_length():
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    with mlflow.start_run(), pytest.raises(ValueError, match="Invalid channel length"):
        mlflow.log_image(np.zeros((1, 1, 5), dtype=np.uint8), "image.png")


def test_log_image_raises_exception_for_unsupported_image_object_type():
    with mlflow.start_run(), pytest.raises(TypeError, match="Unsupported image object type"):
        mlflow.log_image("not_image", "image.png")


@pytest.mark.parametrize("array", [[[-1]], [[256]], [[-0.1, 0.5]], [[1.1, 0.5]]])
def test_log_image_numpy_out_of_range_values(array):
    # test_log_image_numpy_emits_warning_for_out_of_range_values, as MLflow 3.17 behaves
    # (mlflow/tracking/multimedia.py): integers out of [0, 255] raise ValueError, floats out of
    # [0, 1] warn and are min-max scaled.
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    image = np.array(array).astype(type(array[0][0]))
    with mlflow.start_run() as run:
        if isinstance(array[0][0], int):
            with pytest.raises(ValueError, match=r"Integer pixel values out of acceptable range"):
                mlflow.log_image(image, "image.png")
            assert _listing(run.info.run_id) == []
        else:
            with pytest.warns(UserWarning, match=r"Float pixel values out of acceptable range"):
                mlflow.log_image(image, "image.png")
            pixels = np.asarray(_load_png(run.info.run_id, "image.png"))
            assert pixels.min() == 0 and pixels.max() == 255  # scaled to the full range
