"""Cases of MLflow's tests/tracking/fluent/test_fluent.py, run with ``import litetrack as mlflow``.

The cases that exercise the store (not mocks of MLflow's internals) keep MLflow's name, inputs
and assertions. The same file with the imports switched back passes on MLflow 3.17 (sqlite
store; tools/mlflow_cases/run_on_mlflow.sh) but for test_log_input (MLflow's 8-digit digest;
litetrack's differs on purpose, docs/mlflow-compat.md); test_log_param_async_throws fails
there now and then (its background queue may raise a UNIQUE constraint error at wait()
instead of "Changing param values is not allowed").
Where litetrack differs on purpose, the assertion says so.
"""

from __future__ import annotations

import json
import random
import uuid
from itertools import zip_longest
from pathlib import Path

import pytest

import litetrack as mlflow
from litetrack import MlflowClient
from litetrack.entities import LifecycleStage, RunStatus, ViewType
from litetrack.errors import MlflowException
from litetrack.fluent import set_experiment, start_run
from litetrack.utils import mlflow_tags

MLFLOW_RUN_ID = "MLFLOW_RUN_ID"
search_runs = mlflow.search_runs
# MLflow pages by SEARCH_MAX_RESULTS_DEFAULT (1000) and asks for one more; a smaller count
# asks the same question (the fluent search returns everything by default) in less time.
N_EXPERIMENTS = 40
N_MODELS = 30


@pytest.fixture(autouse=True)
def _store(store_path: Path) -> Path:
    return store_path


def test_get_experiment_by_id():
    name = f"Random experiment {random.randint(1, 10**6)}"
    exp_id = mlflow.create_experiment(name)
    experiment = mlflow.get_experiment(exp_id)
    assert experiment.experiment_id == exp_id


def test_get_experiment_by_name():
    name = f"Random experiment {random.randint(1, 10**6)}"
    exp_id = mlflow.create_experiment(name)
    experiment = mlflow.get_experiment_by_name(name)
    assert experiment.experiment_id == exp_id


def test_search_experiments():
    mlflow.search_experiments()
    num_all_experiments = N_EXPERIMENTS + 1  # +1 for the default experiment
    num_active_experiments = N_EXPERIMENTS // 2
    num_deleted_experiments = N_EXPERIMENTS - num_active_experiments
    active_experiment_names = [f"active_{i}" for i in range(num_active_experiments)]
    tag_values = ["x", "x", "y"]
    for tag, active_experiment_name in zip_longest(tag_values, active_experiment_names):
        mlflow.create_experiment(active_experiment_name, tags={"tag": tag} if tag else None)
    deleted_experiment_names = [f"deleted_{i}" for i in range(num_deleted_experiments)]
    for deleted_experiment_name in deleted_experiment_names:
        exp_id = mlflow.create_experiment(deleted_experiment_name)
        mlflow.delete_experiment(exp_id)

    experiments = mlflow.search_experiments(view_type=ViewType.ALL)
    assert len(experiments) == num_all_experiments
    experiments = mlflow.search_experiments(
        view_type=ViewType.ALL, max_results=num_all_experiments + 1
    )
    assert len(experiments) == num_all_experiments
    experiments = mlflow.search_experiments(view_type=ViewType.ALL, max_results=num_all_experiments)
    assert len(experiments) == num_all_experiments
    experiments = mlflow.search_experiments(
        view_type=ViewType.ALL, max_results=num_all_experiments - 1
    )
    assert len(experiments) == num_all_experiments - 1

    experiments = mlflow.search_experiments(view_type=ViewType.ACTIVE_ONLY)
    assert [e.name for e in experiments] == active_experiment_names[::-1] + ["Default"]
    experiments = mlflow.search_experiments(view_type=ViewType.DELETED_ONLY)
    assert [e.name for e in experiments] == deleted_experiment_names[::-1]
    experiments = mlflow.search_experiments(view_type=ViewType.ALL)
    assert [e.name for e in experiments] == (
        deleted_experiment_names[::-1] + active_experiment_names[::-1] + ["Default"]
    )
    experiments = mlflow.search_experiments(filter_string="name = 'active_1'")
    assert [e.name for e in experiments] == ["active_1"]
    experiments = mlflow.search_experiments(filter_string="name ILIKE 'active_%'")
    assert [e.name for e in experiments] == active_experiment_names[::-1]
    experiments = mlflow.search_experiments(filter_string="tags.tag = 'x'")
    assert [e.name for e in experiments] == active_experiment_names[:2][::-1]
    experiments = mlflow.search_experiments(filter_string="tags.tag = 'y'")
    assert [e.experiment_id for e in experiments] == ["3"]
    experiments = mlflow.search_experiments(order_by=["name DESC"], max_results=3)
    assert [e.name for e in experiments] == sorted(active_experiment_names, reverse=True)[:3]


def test_search_registered_models():
    num_all_models = N_MODELS + 1
    num_a_models = num_all_models // 4
    num_b_models = num_all_models - num_a_models
    a_model_names = [f"AModel_{i}" for i in range(num_a_models)]
    b_model_names = [f"BModel_{i}" for i in range(num_b_models)]
    model_names = b_model_names + a_model_names
    tag_values = ["x", "x", "y"]
    for tag, model_name in zip_longest(tag_values, model_names):
        MlflowClient().create_registered_model(model_name, tags={"tag": tag} if tag else None)

    assert len(mlflow.search_registered_models()) == num_all_models
    assert len(mlflow.search_registered_models(max_results=num_all_models + 1)) == num_all_models
    assert len(mlflow.search_registered_models(max_results=num_all_models)) == num_all_models
    models = mlflow.search_registered_models(max_results=num_all_models - 1)
    assert len(models) == num_all_models - 1
    models = mlflow.search_registered_models(filter_string="name = 'AModel_1'")
    assert [m.name for m in models] == ["AModel_1"]
    models = mlflow.search_registered_models(filter_string="name ILIKE 'bmodel_%'")
    assert len(models) == num_b_models
    models = mlflow.search_registered_models(filter_string="tags.tag = 'x'")
    assert [m.name for m in models] == model_names[:2]
    models = mlflow.search_registered_models(filter_string="tags.tag = 'y'")
    assert [m.name for m in models] == [model_names[2]]
    models = mlflow.search_registered_models(order_by=["name DESC"], max_results=3)
    assert [m.name for m in models] == sorted(model_names, reverse=True)[:3]


def test_search_model_versions(tmp_path):
    num_all_model_versions = N_MODELS + 1
    num_a_model_versions = num_all_model_versions // 4
    num_b_model_versions = num_all_model_versions - num_a_model_versions
    a_model_version_names = ["AModel" for _ in range(num_a_model_versions)]
    b_model_version_names = ["BModel" for _ in range(num_b_model_versions)]
    model_version_names = b_model_version_names + a_model_version_names
    MlflowClient().create_registered_model(name="AModel")
    MlflowClient().create_registered_model(name="BModel")
    source = tmp_path / "model_src"
    source.mkdir()
    (source / "MLmodel").write_text("flavors: {}\n")
    tag_values = ["x", "x", "y"]
    for tag, model_name in zip_longest(tag_values, model_version_names):
        MlflowClient().create_model_version(
            name=model_name, source=str(source), tags={"tag": tag} if tag else None
        )

    assert len(mlflow.search_model_versions()) == num_all_model_versions
    versions = mlflow.search_model_versions(max_results=num_all_model_versions + 1)
    assert len(versions) == num_all_model_versions
    versions = mlflow.search_model_versions(max_results=num_all_model_versions)
    assert len(versions) == num_all_model_versions
    versions = mlflow.search_model_versions(max_results=num_all_model_versions - 1)
    assert len(versions) == num_all_model_versions - 1
    versions = mlflow.search_model_versions(filter_string="name = 'AModel'")
    assert [m.name for m in versions] == a_model_version_names
    versions = mlflow.search_model_versions(filter_string="name ILIKE 'bmodel'")
    assert len(versions) == num_b_model_versions
    versions = mlflow.search_model_versions(filter_string="tags.tag = 'x'")
    assert [m.name for m in versions] == model_version_names[:2]
    versions = mlflow.search_model_versions(filter_string="tags.tag = 'y'")
    assert [m.name for m in versions] == [model_version_names[2]]
    versions = mlflow.search_model_versions(order_by=["version_number ASC"], max_results=5)
    assert [m.version for m in versions] == [1, 1, 2, 2, 3]


@pytest.mark.parametrize(
    "experiment_id", [("a", "b"), {"a", "b"}, ["a", "b"], {"a": 1}, [], (), {}]
)
def test_start_run_raises_invalid_experiment_id(experiment_id):
    with pytest.raises(MlflowException, match="Invalid experiment id: "):
        start_run(experiment_id=experiment_id)


def test_start_run_resumes_existing_run_and_sets_user_specified_tags():
    tags_to_set = {"A": "B", "C": "D"}
    run_id = mlflow.start_run().info.run_id
    mlflow.end_run()
    restarted_run = mlflow.start_run(run_id, tags=tags_to_set)
    assert tags_to_set.items() <= restarted_run.data.tags.items()


def test_start_run_with_parent():
    # MLflow mocks create_run; the same question asked of the store: the tags a nested run gets.
    with start_run() as parent_run:
        exp_id = mlflow.create_experiment("nested-elsewhere")
        with start_run(experiment_id=exp_id, nested=True) as child:
            pass
    tags = MlflowClient().get_run(child.info.run_id).data.tags
    assert tags[mlflow_tags.MLFLOW_PARENT_RUN_ID] == parent_run.info.run_id
    assert tags[mlflow_tags.MLFLOW_SOURCE_TYPE] == "LOCAL"
    assert {mlflow_tags.MLFLOW_USER, mlflow_tags.MLFLOW_SOURCE_NAME} <= set(tags)
    assert child.info.experiment_id == exp_id


def test_start_run_with_parent_non_nested():
    with start_run():
        with pytest.raises(Exception, match=r"Run with UUID .+ is already active"):
            start_run()


def test_start_run_existing_run_from_environment(monkeypatch):
    run_id = mlflow.start_run().info.run_id
    mlflow.end_run()
    monkeypatch.setenv(MLFLOW_RUN_ID, run_id)
    active_run = start_run()
    assert active_run.info.run_id == run_id


def test_start_run_existing_run_from_environment_with_set_environment(monkeypatch):
    run_id = mlflow.start_run().info.run_id
    mlflow.end_run()
    monkeypatch.setenv(MLFLOW_RUN_ID, run_id)
    set_experiment("test-run")
    # (MLflow 3.17 words it "active experiment ID does not match environment run ID")
    with pytest.raises(MlflowException, match="does not match environment run ID"):
        start_run()


def test_start_run_existing_run_deleted():
    run_id = mlflow.start_run().info.run_id
    mlflow.end_run()
    MlflowClient().delete_run(run_id)
    match = f"Cannot start run with ID {run_id} because it is in the deleted state"
    with pytest.raises(MlflowException, match=match):
        start_run(run_id)


def test_start_existing_run_status():
    run_id = mlflow.start_run().info.run_id
    mlflow.end_run()
    assert MlflowClient().get_run(run_id).info.status == RunStatus.to_string(RunStatus.FINISHED)
    restarted_run = mlflow.start_run(run_id)
    assert restarted_run.info.status == RunStatus.to_string(RunStatus.RUNNING)


def test_start_existing_run_end_time():
    run_id = mlflow.start_run().info.run_id
    mlflow.end_run()
    run_obj_info = MlflowClient().get_run(run_id).info
    old_end = run_obj_info.end_time
    assert run_obj_info.status == RunStatus.to_string(RunStatus.FINISHED)
    mlflow.start_run(run_id)
    mlflow.end_run()
    run_obj_info = MlflowClient().get_run(run_id).info
    # MLflow asserts ">": both stamp in milliseconds, and two ends can share one.
    assert run_obj_info.end_time >= old_end


def test_start_run_with_description():
    description = "Test description"
    with start_run(description=description) as run:
        pass
    tags = MlflowClient().get_run(run.info.run_id).data.tags
    assert tags[mlflow_tags.MLFLOW_RUN_NOTE] == description


def test_start_run_conflicting_description():
    description = "Test description"
    invalid_tags = {mlflow_tags.MLFLOW_RUN_NOTE: "Another description"}
    match = (
        f"Description is already set via the tag {mlflow_tags.MLFLOW_RUN_NOTE} in tags."
        f"Remove the key {mlflow_tags.MLFLOW_RUN_NOTE} from the tags or omit the description."
    )
    with pytest.raises(MlflowException, match=match):
        start_run(tags=invalid_tags, description=description)


def test_start_run_resumes_existing_run_and_sets_description():
    description = "Description"
    run_id = mlflow.start_run().info.run_id
    mlflow.end_run()
    restarted_run = mlflow.start_run(run_id, description=description)
    assert mlflow_tags.MLFLOW_RUN_NOTE in restarted_run.data.tags


def test_start_run_resumes_existing_run_and_sets_description_twice():
    description = "Description"
    invalid_tags = {mlflow_tags.MLFLOW_RUN_NOTE: "Another description"}
    match = (
        f"Description is already set via the tag {mlflow_tags.MLFLOW_RUN_NOTE} in tags."
        f"Remove the key {mlflow_tags.MLFLOW_RUN_NOTE} from the tags or omit the description."
    )
    run_id = mlflow.start_run().info.run_id
    mlflow.end_run()
    with pytest.raises(MlflowException, match=match):
        mlflow.start_run(run_id, tags=invalid_tags, description=description)


def test_get_run():
    with mlflow.start_run() as run:
        pass
    assert mlflow.get_run(run.info.run_id).info.user_id == run.info.user_id


def test_search_runs_by_non_existing_experiment_name():
    for name in [None, f"Random {random.randint(1, 10**6)}"]:
        assert search_runs(experiment_names=[name], output_format="list") == []


def test_search_runs_by_experiment_id_and_name():
    err_msg = "Only experiment_ids or experiment_names can be used, but not both"
    with pytest.raises(MlflowException, match=err_msg):
        search_runs(experiment_ids=["id"], experiment_names=["name"])


def test_search_runs_by_experiment_name():
    name = f"Random experiment {random.randint(1, 10**6)}"
    exp_id = mlflow.create_experiment(name)
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.log_metric("mse", 0.2)
        mlflow.log_param("param", "value")
        mlflow.set_tag("tag", "value")
    frame = search_runs(experiment_names=[name])
    assert list(frame["run_id"]) == [run.info.run_id]
    assert list(frame["experiment_id"]) == [exp_id]
    assert frame["metrics.mse"][0] == 0.2
    assert frame["params.param"][0] == "value" and frame["tags.tag"][0] == "value"
    assert str(frame["start_time"].dtype).startswith("datetime64") and "UTC" in str(
        frame["start_time"].dtype
    )


def test_delete_tag():
    mlflow.set_tag("a", "b")
    run = MlflowClient().get_run(mlflow.active_run().info.run_id)
    assert "a" in run.data.tags
    mlflow.delete_tag("a")
    run = MlflowClient().get_run(mlflow.active_run().info.run_id)
    assert "a" not in run.data.tags
    with pytest.raises(MlflowException, match="No tag with name"):
        mlflow.delete_tag("a")
    with pytest.raises(MlflowException, match="No tag with name"):
        mlflow.delete_tag("b")
    mlflow.end_run()


def test_last_active_run_returns_currently_active_run():
    run_id = mlflow.start_run().info.run_id
    last_active_run_id = mlflow.last_active_run().info.run_id
    mlflow.end_run()
    assert run_id == last_active_run_id


def test_last_active_run_returns_most_recently_ended_active_run():
    run_id = mlflow.start_run().info.run_id
    mlflow.log_metric("a", 1.0)
    mlflow.log_param("b", 2)
    mlflow.end_run()
    last_active_run = mlflow.last_active_run()
    assert last_active_run.info.run_id == run_id
    assert last_active_run.data.metrics == {"a": 1.0}
    assert last_active_run.data.params == {"b": "2"}


def test_set_experiment_tag():
    test_tags = {"new_test_tag_1": "abc", "new_test_tag_2": 5, "new/nested/tag": "cbd"}
    tag_counter = 0
    with start_run() as active_run:
        test_experiment = active_run.info.experiment_id
        current_experiment = MlflowClient().get_experiment(test_experiment)
        assert len(current_experiment.tags) == 0
        for tag_key, tag_value in test_tags.items():
            mlflow.set_experiment_tag(tag_key, tag_value)
            tag_counter += 1
            current_experiment = MlflowClient().get_experiment(test_experiment)
            assert tag_counter == len(current_experiment.tags)
        finished_experiment = MlflowClient().get_experiment(test_experiment)
        assert len(finished_experiment.tags) == len(test_tags)
        for tag_key, tag_value in test_tags.items():
            assert finished_experiment.tags[tag_key] == str(tag_value)


def test_set_experiment_tags():
    exact_expected_tags = {"name_1": "c", "name_2": "b", "nested/nested/name": 5}
    with start_run() as active_run:
        test_experiment = active_run.info.experiment_id
        current_experiment = MlflowClient().get_experiment(test_experiment)
        assert len(current_experiment.tags) == 0
        mlflow.set_experiment_tags(exact_expected_tags)
    finished_experiment = MlflowClient().get_experiment(test_experiment)
    assert len(finished_experiment.tags) == len(exact_expected_tags)
    for tag_key, tag_value in finished_experiment.tags.items():
        assert str(exact_expected_tags[tag_key]) == tag_value


def test_log_input(tmp_path):
    pd = pytest.importorskip("pandas")
    from litetrack.data.pandas_dataset import from_pandas

    df = pd.DataFrame([[1, 2, 3], [1, 2, 3]], columns=["a", "b", "c"])
    path = tmp_path / "temp.csv"
    df.to_csv(path)
    dataset = from_pandas(df, source=path)
    for tags, expected_tags in (
        ({"foo": "baz"}, {"foo": "baz", mlflow_tags.MLFLOW_DATASET_CONTEXT: "train"}),
        (None, {mlflow_tags.MLFLOW_DATASET_CONTEXT: "train"}),
    ):
        with start_run() as run:
            mlflow.log_input(dataset, "train", tags)
        dataset_inputs = MlflowClient().get_run(run.info.run_id).inputs.dataset_inputs
        assert len(dataset_inputs) == 1
        got = dataset_inputs[0].dataset
        assert got.name == "dataset"
        # MLflow: digest "f0f3e026" (8 hex digits of an MD5); litetrack keeps 64 of a SHA-256
        # (docs/mlflow-compat.md), and input tags as a dict rather than a list of InputTag.
        assert len(got.digest) == 64
        assert got.source_type == "local"
        assert json.loads(got.source) == {"uri": str(path)}
        assert json.loads(got.schema) == {
            "mlflow_colspec": [
                {"name": "a", "type": "long", "required": True},
                {"name": "b", "type": "long", "required": True},
                {"name": "c", "type": "long", "required": True},
            ]
        }
        # (litetrack's profile also says how many rows the digest read: digest_rows)
        assert json.loads(got.profile).items() >= {"num_rows": 2, "num_elements": 6}.items()
        assert dataset_inputs[0].tags == expected_tags


def test_get_parent_run():
    with mlflow.start_run() as parent:
        mlflow.log_param("a", 1)
        mlflow.log_metric("b", 2.0)
        with mlflow.start_run(nested=True) as child_run:
            child_run_id = child_run.info.run_id
    with mlflow.start_run() as run:
        run_id = run.info.run_id
    parent_run = mlflow.get_parent_run(child_run_id)
    assert parent_run.info.run_id == parent.info.run_id
    assert parent_run.data.metrics == {"b": 2.0}
    assert parent_run.data.params == {"a": "1"}
    assert mlflow.get_parent_run(run_id) is None


def test_log_metric_async():
    run_operations = []
    with mlflow.start_run() as parent:
        for num in range(100):
            run_operations.append(
                mlflow.log_metric("async single metric", step=num, value=num, synchronous=False)
            )
        metrics = {f"async batch metric {num}": num for num in range(100)}
        run_operations.append(mlflow.log_metrics(metrics=metrics, step=1, synchronous=False))
    for run_operation in run_operations:
        run_operation.wait()
    parent_run = mlflow.get_run(parent.info.run_id)
    assert parent_run.info.run_id == parent.info.run_id
    assert parent_run.data.metrics["async single metric"] == 99
    for num in range(100):
        assert parent_run.data.metrics[f"async batch metric {num}"] == num


def test_log_metric_async_throws():
    # MLflow raises at .wait(); litetrack's calls are synchronous and raise at the call.
    with mlflow.start_run():
        with pytest.raises(MlflowException, match="Please specify value as a valid double"):
            mlflow.log_metric(
                "async single metric", step=1, value="single metric value", synchronous=False
            ).wait()
        with pytest.raises(MlflowException, match="Please specify value as a valid double"):
            mlflow.log_metrics(
                metrics={f"async batch metric {num}": "batch metric value" for num in range(2)},
                step=1,
                synchronous=False,
            ).wait()


def test_log_param_async():
    run_operations = []
    with mlflow.start_run() as parent:
        run_operations.append(mlflow.log_param("async single param", value="1", synchronous=False))
        params = {f"async batch param {num}": num for num in range(100)}
        run_operations.append(mlflow.log_params(params=params, synchronous=False))
    for run_operation in run_operations:
        run_operation.wait()
    parent_run = mlflow.get_run(parent.info.run_id)
    assert parent_run.data.params["async single param"] == "1"
    for num in range(100):
        assert parent_run.data.params[f"async batch param {num}"] == str(num)


def test_log_param_async_throws():
    with mlflow.start_run():
        mlflow.log_param("async single param", value="1", synchronous=False)
        with pytest.raises(MlflowException, match="Changing param values is not allowed"):
            mlflow.log_param("async single param", value="2", synchronous=False).wait()
        mlflow.log_params({"async batch param": "2"}, synchronous=False)
        with pytest.raises(MlflowException, match="Changing param values is not allowed"):
            mlflow.log_params({"async batch param": "3"}, synchronous=False).wait()


def test_flush_async_logging():
    with mlflow.start_run() as run:
        for i in range(100):
            mlflow.log_metric("dummy", i, step=i, synchronous=False)
        mlflow.flush_async_logging()
        metric_history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "dummy")
        assert len(metric_history) == 100


def test_set_tag_async():
    run_operations = []
    with mlflow.start_run() as parent:
        run_operations.append(mlflow.set_tag("async single tag", value="1", synchronous=False))
        tags = {f"async batch tag {num}": num for num in range(100)}
        run_operations.append(mlflow.set_tags(tags=tags, synchronous=False))
    for run_operation in run_operations:
        run_operation.wait()
    parent_run = mlflow.get_run(parent.info.run_id)
    assert parent_run.data.tags["async single tag"] == "1"
    for num in range(100):
        assert parent_run.data.tags[f"async batch tag {num}"] == str(num)


def test_run_id_of_a_random_uuid_is_not_found():
    # test_start_run_existing_run asks for an existing id through a mock; an unknown one
    # is RESOURCE_DOES_NOT_EXIST in MLflow 3.17 and here.
    with pytest.raises(MlflowException) as e:
        start_run(uuid.uuid4().hex)
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert mlflow.active_run() is None
    assert LifecycleStage.ACTIVE == "active"
