"""Cases of MLflow's tracking store tests, run through litetrack's ``MlflowClient``.

From MLflow's tests/store/tracking/test_file_store.py and test_sqlalchemy_store.py (now
tests/store/tracking/sqlalchemy_store/test_sqlalchemy_store_runs.py): the cases a user can
reach through the public client. Each keeps MLflow's name, inputs and assertions; the store
calls become the client's (``store.log_param(run_id, Param(k, v))`` becomes
``client.log_param(run_id, k, v)``, ``store.update_run_info`` becomes ``set_terminated`` /
``update_run``). Cases that read SQL tables, private store methods or the file store's
folders are left out, and so are the search cases tests/test_mlflow_compat_search.py holds.
Where litetrack differs on purpose (docs/mlflow-compat.md), the assertion says so.

The same file with the imports switched back passes on MLflow 3.17's SQLite store
(tools/mlflow_cases/run_on_mlflow.sh).
"""

from __future__ import annotations

import math
import re
import time
import uuid
from pathlib import Path

import pytest

from litetrack import MlflowClient
from litetrack.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from litetrack.errors import MlflowException
from litetrack.utils.mlflow_tags import MLFLOW_RUN_NAME

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
# mlflow.utils.validation's limits
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000  # MLflow 3.17 (5000 in older MLflow)
MAX_EXPERIMENT_NAME_LENGTH = 500
SEARCH_MAX_RESULTS_DEFAULT = 1000


@pytest.fixture(autouse=True)
def _store(store_path: Path) -> Path:
    return store_path


@pytest.fixture
def client() -> MlflowClient:
    return MlflowClient()


def _now() -> int:
    return int(time.time() * 1000)


# -- MLflow's helpers (tests/store/tracking/sqlalchemy_store/conftest.py), through the client
def _create_experiments(client, names):
    if isinstance(names, str):
        return client.create_experiment(name=names)
    return [client.create_experiment(name=name) for name in names]


def _get_run_configs(experiment_id=None, tags=None, start_time=None):
    return {
        "experiment_id": experiment_id,
        "run_name": "name",
        "start_time": start_time if start_time is not None else _now(),
        "tags": tags,
    }


def _run_factory(client, config=None):
    if not config:
        config = _get_run_configs()
    if not config.get("experiment_id"):
        config["experiment_id"] = _create_experiments(client, "test exp")
    return client.create_run(**config)


def _search_runs(
    client,
    experiment_id,
    filter_string=None,
    run_view_type=ViewType.ALL,
    max_results=SEARCH_MAX_RESULTS_DEFAULT,
):
    exps = [experiment_id] if isinstance(experiment_id, str) else experiment_id
    return [
        r.info.run_id
        for r in client.search_runs(exps, filter_string or "", run_view_type, max_results)
    ]


def _get_ordered_runs(client, order_clauses, experiment_id):
    return [
        r.data.tags[MLFLOW_RUN_NAME]
        for r in client.search_runs(
            experiment_ids=[experiment_id],
            filter_string="",
            run_view_type=ViewType.ALL,
            order_by=order_clauses,
        )
    ]


def _verify_logged(client, run_id, metrics, params, tags):
    run = client.get_run(run_id)
    all_metrics = sum((client.get_metric_history(run_id, key) for key in run.data.metrics), [])
    assert len(all_metrics) == len(metrics)
    logged_metrics = [(m.key, m.value, m.timestamp, m.step) for m in all_metrics]
    assert set(logged_metrics) == {(m.key, m.value, m.timestamp, m.step) for m in metrics}
    logged_tags = set(run.data.tags.items())
    assert {(tag.key, tag.value) for tag in tags} <= logged_tags
    assert len(run.data.params) == len(params)
    assert set(run.data.params.items()) == {(param.key, param.value) for param in params}


def _input_tags(dataset_input):
    # MLflow: a list of InputTag; litetrack: a dict (docs/mlflow-compat.md)
    tags = dataset_input.tags
    return dict(tags) if isinstance(tags, dict) else {t.key: t.value for t in tags}


def assert_dataset_inputs_equal(inputs1, inputs2):
    # MLflow compares dict(dataset) of its entities; the same fields, read as attributes.
    def fields(inp):
        d = inp.dataset
        return (d.name, d.digest, d.source_type, d.source, d.schema, d.profile)

    inputs1 = sorted(inputs1, key=lambda inp: (inp.dataset.name, inp.dataset.digest))
    inputs2 = sorted(inputs2, key=lambda inp: (inp.dataset.name, inp.dataset.digest))
    assert len(inputs1) == len(inputs2)
    for inp1, inp2 in zip(inputs1, inputs2, strict=True):
        assert fields(inp1) == fields(inp2)
        assert _input_tags(inp1) == _input_tags(inp2)


# -- runs ---------------------------------------------------------------------------------
def test_create_run_with_tags(client):
    experiment_id = _create_experiments(client, "test_create_run")
    tags = {"3": "4", "1": "2"}
    expected = _get_run_configs(experiment_id=experiment_id, tags=tags)

    actual = client.create_run(**expected)

    assert actual.info.experiment_id == experiment_id
    assert actual.info.run_name == expected["run_name"]
    assert actual.info.start_time == expected["start_time"]
    # run name should be added as a tag by the store
    assert actual.data.tags == {**tags, MLFLOW_RUN_NAME: expected["run_name"]}
    assert actual.inputs.dataset_inputs == []


def test_create_run_sets_name(client):
    experiment_id = _create_experiments(client, "test_create_run_run_name")
    configs = _get_run_configs(experiment_id=experiment_id)
    run_id = client.create_run(**configs).info.run_id
    run = client.get_run(run_id)
    assert run.info.run_name == configs["run_name"]
    assert run.data.tags.get(MLFLOW_RUN_NAME) == configs["run_name"]

    run_id = client.create_run(
        experiment_id=experiment_id, start_time=0, run_name=None, tags={MLFLOW_RUN_NAME: "test"}
    ).info.run_id
    run = client.get_run(run_id)
    assert run.info.run_name == "test"
    assert run.inputs.dataset_inputs == []

    with pytest.raises(
        MlflowException,
        match=re.escape(
            "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
            "different values (run_name='test', mlflow.runName='test_2')",
        ),
    ):
        client.create_run(
            experiment_id=experiment_id,
            start_time=0,
            run_name="test",
            tags={MLFLOW_RUN_NAME: "test_2"},
        )


def test_get_run_with_name(client):
    experiment_id = _create_experiments(client, "test_get_run")
    configs = _get_run_configs(experiment_id=experiment_id)
    run_id = client.create_run(**configs).info.run_id
    run = client.get_run(run_id)
    assert run.info.experiment_id == experiment_id
    assert run.info.run_name == configs["run_name"]

    run_id = client.create_run(experiment_id, start_time=_now(), tags={}, run_name=None).info.run_id
    run = client.get_run(run_id)
    # MLflow checks the first word against name_utils._GENERATOR_PREDICATES: a generated
    # "<predicate>-<noun>-<number>" name
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", run.info.run_name)

    name_empty_str_run = client.create_run(**{**configs, **{"run_name": ""}})
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", name_empty_str_run.info.run_name)


def test_create_run_in_deleted_experiment(client):
    # test_file_store.py; the SQL store's message: "The experiment 1 must be in the 'active'
    # state. Current state is deleted." (litetrack: "... it is deleted (restore it first)")
    exp_id = client.create_experiment("exp")
    client.delete_experiment(exp_id)
    with pytest.raises(MlflowException, match="(?i)deleted"):
        client.create_run(exp_id)


def test_to_mlflow_entity(client):
    created_run = _run_factory(client)
    run_id = created_run.info.run_id
    client.log_metric(run_id, key="my-metric", value=3.4, timestamp=0, step=0)
    client.log_param(run_id, "my-param", "param-val")
    client.set_tag(run_id, "my-tag", "tag-val")

    run = client.get_run(run_id)
    assert run.data.metrics == {"my-metric": 3.4}
    assert run.data.params == {"my-param": "param-val"}
    assert run.data.tags["my-tag"] == "tag-val"
    exp = client.get_experiment(run.info.experiment_id)
    assert exp.experiment_id == run.info.experiment_id


def test_delete_run(client):
    run = _run_factory(client)
    client.delete_run(run.info.run_id)
    deleted_run = client.get_run(run.info.run_id)
    assert deleted_run.info.lifecycle_stage == LifecycleStage.DELETED
    assert deleted_run.info.run_id == run.info.run_id


def test_delete_restore_run(client):
    run = _run_factory(client)
    assert run.info.lifecycle_stage == LifecycleStage.ACTIVE

    # Verify that active runs can be restored (run restoration is idempotent)
    client.restore_run(run.info.run_id)

    # Verify that run deletion is idempotent
    client.delete_run(run.info.run_id)
    client.delete_run(run.info.run_id)

    deleted = client.get_run(run.info.run_id)
    assert deleted.info.run_id == run.info.run_id
    assert deleted.info.lifecycle_stage == LifecycleStage.DELETED
    # Verify that restoration of a deleted run is idempotent
    client.restore_run(run.info.run_id)
    client.restore_run(run.info.run_id)
    restored = client.get_run(run.info.run_id)
    assert restored.info.run_id == run.info.run_id
    assert restored.info.lifecycle_stage == LifecycleStage.ACTIVE


def test_get_deleted_run(client):
    # test_file_store.py: reading a deleted run is allowed
    run_id = _run_factory(client).info.run_id
    client.log_param(run_id, "p", "v")
    client.delete_run(run_id)
    assert client.get_run(run_id).data.params == {"p": "v"}


def test_error_logging_to_deleted_run(client):
    exp = _create_experiments(client, "error_logging")
    run_id = _run_factory(client, _get_run_configs(experiment_id=exp)).info.run_id

    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(MlflowException, match=r"The run .+ must be in the 'active' state"):
        client.log_param(run_id, "p1345", "v1")

    with pytest.raises(MlflowException, match=r"The run .+ must be in the 'active' state"):
        client.log_metric(run_id, "m1345", 1.0, 123, 0)

    with pytest.raises(MlflowException, match=r"The run .+ must be in the 'active' state"):
        client.set_tag(run_id, "t1345", "tv1")

    # restore this run and try again
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE
    client.log_param(run_id, "p1345", "v22")
    client.log_metric(run_id, "m1345", 34.0, 85, 1)  # earlier timestamp
    client.set_tag(run_id, "t1345", "tv44")

    run = client.get_run(run_id)
    assert run.data.params == {"p1345": "v22"}
    assert run.data.metrics == {"m1345": 34.0}
    metric_history = client.get_metric_history(run_id, "m1345")
    assert len(metric_history) == 1
    metric_obj = metric_history[0]
    assert metric_obj.key == "m1345"
    assert metric_obj.value == 34.0
    assert metric_obj.timestamp == 85
    assert metric_obj.step == 1
    assert {("t1345", "tv44")} <= set(run.data.tags.items())


def test_error_logging_to_deleted_run_via_log_batch(client):
    # test_file_store.py's test_set_deleted_run, with log_batch and delete_tag too
    run_id = _run_factory(client).info.run_id
    client.set_tag(run_id, "k", "v")
    client.delete_run(run_id)
    for kwargs in [
        {"metrics": [Metric("a", 0.0, 0, 0)]},
        {"params": [Param("a", "b")]},
        {"tags": [RunTag("a", "b")]},
    ]:
        with pytest.raises(MlflowException, match=r"must be in the 'active' state") as e:
            client.log_batch(run_id, **kwargs)
        assert e.value.error_code == INVALID_PARAMETER_VALUE
    with pytest.raises(MlflowException, match=r"must be in the 'active' state"):
        client.delete_tag(run_id, "k")


@pytest.mark.parametrize("run_id", [uuid.uuid4().hex, "randomRunId"])
def test_unknown_run_id(client, run_id):
    # test_sqlalchemy_store.py's "Run with id=... not found" (delete_tag, log_batch), asked
    # of every call that takes a run id
    for call in (
        lambda: client.get_run(run_id),
        lambda: client.log_param(run_id, "p", "v"),
        lambda: client.log_metric(run_id, "m", 1.0),
        lambda: client.set_tag(run_id, "t", "v"),
        lambda: client.delete_tag(run_id, "t"),
        lambda: client.log_batch(run_id, params=[Param("p", "v")]),
        lambda: client.delete_run(run_id),
        lambda: client.restore_run(run_id),
    ):
        with pytest.raises(MlflowException, match=f"Run with id={run_id} not found") as e:
            call()
        assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    # MLflow 3.17's SQL store answers [] for the history of an unknown run; litetrack raises
    # RESOURCE_DOES_NOT_EXIST, so that a mistyped run id does not read as "no points"
    # (docs/mlflow-compat.md).
    try:
        history = client.get_metric_history(run_id, "m")
    except MlflowException as e:
        assert f"Run with id={run_id} not found" in str(e)
        assert e.error_code == RESOURCE_DOES_NOT_EXIST
    else:
        assert history == []


@pytest.mark.parametrize("run_id", ["../etc", "", "a/b"])
def test_malformed_run_id(client, run_id):
    # MLflow 3.17: 'Invalid value "../etc" for parameter 'run_id' supplied.' (litetrack:
    # "Invalid run id '../etc': expected 1-64 letters, digits, '_' or '-'")
    with pytest.raises(MlflowException, match="Invalid .*run.id") as e:
        client.get_run(run_id)
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_log_batch_nonexistent_run(client):
    nonexistent_run_id = uuid.uuid4().hex
    # (MLflow's case logs an empty batch to the store; MLflow's client returns early on an
    # empty batch, so the case logs one param)
    with pytest.raises(MlflowException, match=rf"Run with id={nonexistent_run_id} not found") as e:
        client.log_batch(nonexistent_run_id, [], [Param("a", "b")], [])
    assert e.value.error_code == RESOURCE_DOES_NOT_EXIST


# -- metrics ------------------------------------------------------------------------------
def test_log_metric(client):
    run = _run_factory(client)

    tkey = "blahmetric"
    tval = 100.0
    client.log_metric(run.info.run_id, tkey, tval, _now(), 0)
    client.log_metric(run.info.run_id, tkey, tval, _now() + 2, 0)
    client.log_metric(run.info.run_id, "NaN", float("nan"), 0, 0)
    client.log_metric(run.info.run_id, "PosInf", float("inf"), 0, 0)
    client.log_metric(run.info.run_id, "NegInf", -float("inf"), 0, 0)

    run = client.get_run(run.info.run_id)
    assert tkey in run.data.metrics
    assert run.data.metrics[tkey] == tval
    assert len(client.get_metric_history(run.info.run_id, tkey)) == 2
    assert len(run.data.metrics) == 4
    assert math.isnan(run.data.metrics["NaN"])
    # MLflow's SQL store keeps ±inf as ±1.7976931348623157e308 (the largest double);
    # litetrack keeps inf, as MLflow's file store did (docs/mlflow-compat.md).
    assert run.data.metrics["PosInf"] >= 1.7976931348623157e308
    assert run.data.metrics["NegInf"] <= -1.7976931348623157e308


def test_log_metric_nan_and_inf_histories(client):
    run_id = _run_factory(client).info.run_id
    for i, v in enumerate([1.0, float("nan"), float("inf"), -float("inf"), 2.0]):
        client.log_metric(run_id, "m", v, timestamp=100 + i, step=i)
    history = client.get_metric_history(run_id, "m")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    values = [m.value for m in history]
    assert values[0] == 1.0
    assert math.isnan(values[1])
    assert values[2] >= 1.7976931348623157e308  # see test_log_metric
    assert values[3] <= -1.7976931348623157e308
    assert values[4] == 2.0


def test_log_metric_allows_multiple_values_at_same_ts_and_run_data_uses_max_ts_value(client):
    run = _run_factory(client)
    run_id = run.info.run_id
    metric_name = "test-metric-1"
    # Check that we get the max of (step, timestamp, value) in that order
    tuples_to_log = [
        (0, 100, 1000),
        (3, 40, 100),  # larger step wins even though it has smaller value
        (3, 50, 10),  # larger timestamp wins even though it has smaller value
        (3, 50, 20),  # tiebreak by max value
        (3, 50, 20),  # duplicate metrics with same (step, timestamp, value) are ok
        # verify that we can log steps out of order / negative steps
        (-3, 900, 900),
        (-1, 800, 800),
    ]
    for step, timestamp, value in reversed(tuples_to_log):
        client.log_metric(run_id, metric_name, value, timestamp, step)

    metric_history = client.get_metric_history(run_id, metric_name)
    logged_tuples = [(m.step, m.timestamp, m.value) for m in metric_history]
    assert set(logged_tuples) == set(tuples_to_log)

    run_metrics = client.get_run(run_id).data.metrics
    assert len(run_metrics) == 1
    assert run_metrics[metric_name] == 20
    # (MLflow then reads the private RunData._metric_objs for step 3 and timestamp 50)


def test_log_null_metric(client):
    run = _run_factory(client)
    with pytest.raises(MlflowException, match=r"Missing value for required parameter 'value'") as e:
        client.log_metric(run.info.run_id, "blahmetric", None, _now(), 0)
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_log_metric_with_non_numeric_value_raises_exception(client):
    # test_file_store.py ("Got invalid value string for metric"); MLflow 3.17's client says
    # 'Invalid value "string" for parameter 'value' supplied'.
    run_id = _run_factory(client).info.run_id
    with pytest.raises(MlflowException, match=r"(?i)invalid value .?string") as e:
        client.log_metric(run_id, "test", "string", 0, 0)
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_weird_metric_names(client):
    weird_metric_name = "this is/a weird/but valid metric"
    run_id = _run_factory(client).info.run_id
    client.log_metric(run_id, weird_metric_name, 10, 1234, 0)
    run = client.get_run(run_id)
    assert run.data.metrics[weird_metric_name] == 10
    history = client.get_metric_history(run_id, weird_metric_name)
    assert len(history) == 1
    metric = history[0]
    assert metric.key == weird_metric_name
    assert metric.value == 10
    assert metric.timestamp == 1234


def test_get_metric_history(client):
    run = _run_factory(client)
    key = "test"
    expected = [
        Metric(key=key, value=0.6, timestamp=1, step=0),
        Metric(key=key, value=0.7, timestamp=2, step=0),
    ]
    for metric in expected:
        client.log_metric(run.info.run_id, metric.key, metric.value, metric.timestamp, metric.step)
    actual = client.get_metric_history(run.info.run_id, key)
    assert sorted([(m.key, m.value, m.timestamp) for m in expected]) == sorted(
        [(m.key, m.value, m.timestamp) for m in actual]
    )


def test_get_metric_history_on_non_existent_metric_key(client):
    experiment_id = _create_experiments(client, "test_exp")
    run = client.create_run(experiment_id=experiment_id, start_time=0, tags={}, run_name="name")
    assert client.get_metric_history(run.info.run_id, "test_metric") == []


# -- params -------------------------------------------------------------------------------
def test_log_param(client):
    run = _run_factory(client)
    tkey = "blahmetric"
    tval = "100.0"
    client.log_param(run.info.run_id, tkey, tval)
    client.log_param(run.info.run_id, "new param", "new key")
    client.log_param(run.info.run_id, "new param", "new key")

    run = client.get_run(run.info.run_id)
    assert len(run.data.params) == 2
    assert tkey in run.data.params
    assert run.data.params[tkey] == tval


def test_log_param_uniqueness(client):
    run = _run_factory(client)
    client.log_param(run.info.run_id, "blahmetric", "100.0")
    with pytest.raises(MlflowException, match=r"Changing param values is not allowed") as e:
        client.log_param(run.info.run_id, "blahmetric", "newval")
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    assert client.get_run(run.info.run_id).data.params["blahmetric"] == "100.0"


def test_log_empty_str(client):
    run = _run_factory(client)
    client.log_param(run.info.run_id, "blahmetric", "")
    client.log_param(run.info.run_id, "new param", "new key")
    run = client.get_run(run.info.run_id)
    assert len(run.data.params) == 2
    assert run.data.params["blahmetric"] == ""


def test_log_param_with_newline_and_weird_names(client):
    run_id = _run_factory(client).info.run_id
    client.log_param(run_id, "new param", "a string\nwith multiple\nlines")
    client.log_param(run_id, "this is/a weird/but valid param", "Value")
    params = client.get_run(run_id).data.params
    assert params["new param"] == "a string\nwith multiple\nlines"
    assert params["this is/a weird/but valid param"] == "Value"


def test_log_param_max_length_value(client, monkeypatch):
    run = _run_factory(client)
    tkey = "blahmetric"
    tval = "x" * 6000
    client.log_param(run.info.run_id, tkey, tval)
    run = client.get_run(run.info.run_id)
    assert run.data.params[tkey] == str(tval)
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    with pytest.raises(MlflowException, match="exceeds the maximum length"):
        client.log_param(run.info.run_id, tkey, "x" * 6001)

    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "true")
    client.log_param(run.info.run_id, tkey, "x" * 6001)


# -- tags ---------------------------------------------------------------------------------
def test_set_experiment_tag(client):
    exp_id = _create_experiments(client, "setExperimentTagExp")
    client.set_experiment_tag(exp_id, "tag0", "value0")
    experiment = client.get_experiment(exp_id)
    assert experiment.tags["tag0"] == "value0"
    # test that updating a tag works
    client.set_experiment_tag(exp_id, "tag0", "value00000")
    experiment = client.get_experiment(exp_id)
    assert experiment.tags["tag0"] == "value00000"
    # test that setting a tag on 1 experiment does not impact another experiment.
    exp_id_2 = _create_experiments(client, "setExperimentTagExp2")
    experiment2 = client.get_experiment(exp_id_2)
    assert len(experiment2.tags) == 0
    # setting a tag on different experiments maintains different values across experiments
    client.set_experiment_tag(exp_id_2, "tag0", "differentValue")
    experiment = client.get_experiment(exp_id)
    assert experiment.tags["tag0"] == "value00000"
    experiment2 = client.get_experiment(exp_id_2)
    assert experiment2.tags["tag0"] == "differentValue"
    # test can set multi-line tags
    client.set_experiment_tag(exp_id, "multiline tag", "value2\nvalue2\nvalue2")
    experiment = client.get_experiment(exp_id)
    assert experiment.tags["multiline tag"] == "value2\nvalue2\nvalue2"
    # test cannot set tags that are too long (MLflow 3.17's limit is 20,000; the stored case
    # says 5000, MLflow's older limit)
    with pytest.raises(
        MlflowException, match=f"exceeds the maximum length of {MAX_EXPERIMENT_TAG_VAL_LENGTH}"
    ):
        client.set_experiment_tag(exp_id, "longTagKey", "a" * 100_001)
    # test can set tags that are somewhat long
    client.set_experiment_tag(exp_id, "longTagKey", "a" * 4999)
    client.set_experiment_tag(exp_id, "longTagKey", "a" * MAX_EXPERIMENT_TAG_VAL_LENGTH)
    # test cannot set tags on deleted experiments
    client.delete_experiment(exp_id)
    with pytest.raises(MlflowException, match="must be in the 'active' state"):
        client.set_experiment_tag(exp_id, "should", "notset")


def test_delete_experiment_tag(client):
    exp_id = _create_experiments(client, "setExperimentTagExp")
    client.set_experiment_tag(exp_id, "tag0", "value0")
    experiment = client.get_experiment(exp_id)
    assert experiment.tags["tag0"] == "value0"
    # test that deleting a tag works
    client.delete_experiment_tag(exp_id, "tag0")
    experiment = client.get_experiment(exp_id)
    assert "tag0" not in experiment.tags


def test_set_tag(client, monkeypatch):
    run = _run_factory(client)
    tkey = "test tag"
    new_val = "new val"
    client.set_tag(run.info.run_id, tkey, "a boogie")
    # Overwriting tags is allowed
    client.set_tag(run.info.run_id, tkey, new_val)
    # test setting tags that are too long fails.
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    with pytest.raises(
        MlflowException, match=f"exceeds the maximum length of {MAX_TAG_VAL_LENGTH} characters"
    ):
        client.set_tag(run.info.run_id, "longTagKey", "a" * (MAX_TAG_VAL_LENGTH + 1))

    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "true")
    client.set_tag(run.info.run_id, "longTagKey", "a" * (MAX_TAG_VAL_LENGTH + 1))

    # test can set tags that are somewhat long
    client.set_tag(run.info.run_id, "longTagKey", "a" * (MAX_TAG_VAL_LENGTH - 1))
    run = client.get_run(run.info.run_id)
    assert tkey in run.data.tags
    assert run.data.tags[tkey] == new_val


def test_unicode_and_multiline_tags(client):
    # test_file_store.py's test_set_tags and test_unicode_tag
    run_id = _run_factory(client).info.run_id
    value = "𝐼 𝓈𝑜𝓁𝑒𝓂𝓃𝓁𝓎 𝓈𝓌𝑒𝒶𝓇 𝓉𝒽𝒶𝓉 𝐼 𝒶𝓂 𝓊𝓅 𝓉𝑜 𝓃𝑜 𝑔𝑜𝑜𝒹"
    client.set_tag(run_id, "message", value)
    client.set_tag(run_id, "multiline_tag", "value2\nvalue2\nvalue2")
    client.set_tag(run_id, "this is/a weird/but valid tag", "Muhahaha!")
    tags = client.get_run(run_id).data.tags
    assert tags["message"] == value
    assert tags["multiline_tag"] == "value2\nvalue2\nvalue2"
    assert tags["this is/a weird/but valid tag"] == "Muhahaha!"


def test_delete_tag(client):
    run = _run_factory(client)
    k0, v0 = "tag0", "val0"
    k1, v1 = "tag1", "val1"
    client.set_tag(run.info.run_id, k0, v0)
    client.set_tag(run.info.run_id, k1, v1)
    # delete a tag and check whether it is correctly deleted.
    client.delete_tag(run.info.run_id, k0)
    run = client.get_run(run.info.run_id)
    assert k0 not in run.data.tags
    assert k1 in run.data.tags
    assert run.data.tags[k1] == v1

    # test that deleting a tag works correctly with multiple runs having the same tag.
    run2 = _run_factory(client, config=_get_run_configs(run.info.experiment_id))
    client.set_tag(run.info.run_id, k0, v0)
    client.set_tag(run2.info.run_id, k0, v0)
    client.delete_tag(run.info.run_id, k0)
    run = client.get_run(run.info.run_id)
    run2 = client.get_run(run2.info.run_id)
    assert k0 not in run.data.tags
    assert k0 in run2.data.tags
    # test that you cannot delete tags that don't exist.
    with pytest.raises(MlflowException, match="No tag with name"):
        client.delete_tag(run.info.run_id, "fakeTag")
    # test that you cannot delete tags for nonexistent runs
    with pytest.raises(MlflowException, match="Run with id=randomRunId not found"):
        client.delete_tag("randomRunId", k0)
    # test that you cannot delete tags for deleted runs.
    client.delete_run(run.info.run_id)
    with pytest.raises(MlflowException, match="must be in the 'active' state"):
        client.delete_tag(run.info.run_id, k1)


# -- experiments --------------------------------------------------------------------------
def test_rename_experiment(client):
    new_name = "new name"
    experiment_id = _create_experiments(client, "test name")
    experiment = client.get_experiment(experiment_id)
    time.sleep(0.01)
    client.rename_experiment(experiment_id, new_name)

    renamed_experiment = client.get_experiment(experiment_id)
    assert renamed_experiment.name == new_name
    assert renamed_experiment.last_update_time > experiment.last_update_time

    with pytest.raises(MlflowException, match=r"'name' exceeds the maximum length"):
        client.rename_experiment(experiment_id, "x" * (MAX_EXPERIMENT_NAME_LENGTH + 1))


def test_rename_experiment_errors(client):
    # test_file_store.py's test_rename_experiment
    exp_id = client.create_experiment("first")
    client.create_experiment("second")
    with pytest.raises(MlflowException, match="Invalid experiment name: 'None'"):
        client.rename_experiment(exp_id, None)
    # MLflow's file store: "Experiment 'second' already exists"; MLflow 3.17's SQL store lets
    # SQLite's "UNIQUE constraint failed" through; litetrack: "Experiment(name=second) already
    # exists", as create_experiment says it.
    with pytest.raises(MlflowException, match=r"already exists|UNIQUE constraint failed"):
        client.rename_experiment(exp_id, "second")
    client.rename_experiment(exp_id, "first!!!")
    assert client.get_experiment(exp_id).name == "first!!!"
    # Ensure that we cannot rename deleted experiments. (The file store: "Cannot rename
    # experiment in non-active lifecycle stage"; MLflow 3.17's SQL store: "Cannot rename a
    # non-active experiment."; litetrack: "... must be in the 'active' state", as for tags.)
    client.delete_experiment(exp_id)
    with pytest.raises(MlflowException, match="(?i)non-active|must be in the 'active' state"):
        client.rename_experiment(exp_id, "first")
    assert client.get_experiment(exp_id).name == "first!!!"
    # Restore the experiment, and confirm that we can now rename it.
    client.restore_experiment(exp_id)
    client.rename_experiment(exp_id, "first")
    assert client.get_experiment(exp_id).name == "first"


def test_restore_experiment(client):
    experiment_id = _create_experiments(client, "helloexp")
    exp = client.get_experiment(experiment_id)
    assert exp.lifecycle_stage == LifecycleStage.ACTIVE

    experiment_id = exp.experiment_id
    client.delete_experiment(experiment_id)

    deleted = client.get_experiment(experiment_id)
    assert deleted.experiment_id == experiment_id
    assert deleted.lifecycle_stage == LifecycleStage.DELETED
    time.sleep(0.01)
    client.restore_experiment(exp.experiment_id)
    restored = client.get_experiment(exp.experiment_id)
    assert restored.experiment_id == experiment_id
    assert restored.lifecycle_stage == LifecycleStage.ACTIVE
    assert restored.last_update_time > deleted.last_update_time


def test_delete_restore_experiment(client):
    # test_file_store.py
    exp_id = client.create_experiment("exp_name")

    def ids(view_type):
        return [e.experiment_id for e in client.search_experiments(view_type=view_type)]

    client.delete_experiment(exp_id)
    assert exp_id not in ids(ViewType.ACTIVE_ONLY)
    assert exp_id in ids(ViewType.DELETED_ONLY)
    assert exp_id in ids(ViewType.ALL)
    assert client.get_experiment(exp_id).lifecycle_stage == LifecycleStage.DELETED

    client.restore_experiment(exp_id)
    restored_1 = client.get_experiment(exp_id)
    assert restored_1.experiment_id == exp_id
    assert restored_1.name == "exp_name"
    restored_2 = client.get_experiment_by_name("exp_name")
    assert restored_2.experiment_id == exp_id
    assert exp_id in ids(ViewType.ACTIVE_ONLY)
    assert exp_id not in ids(ViewType.DELETED_ONLY)
    assert client.get_experiment(exp_id).lifecycle_stage == LifecycleStage.ACTIVE


def test_deleted_experiments_runs(client):
    # The SQL store's delete_experiment marks the experiment's runs deleted, and
    # restore_experiment restores them.
    exp_id = client.create_experiment("with_runs")
    run_ids = [client.create_run(exp_id).info.run_id for _ in range(2)]
    client.delete_experiment(exp_id)
    for run_id in run_ids:
        assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    assert _search_runs(client, exp_id, run_view_type=ViewType.ACTIVE_ONLY) == []
    assert sorted(_search_runs(client, exp_id, run_view_type=ViewType.DELETED_ONLY)) == sorted(
        run_ids
    )
    client.restore_experiment(exp_id)
    for run_id in run_ids:
        assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE


def test_create_experiment_with_tags_works_correctly(client):
    created_id = client.create_experiment(
        "heresAnExperiment", tags={"key1": "val1", "key2": "val2"}
    )
    experiment = client.get_experiment(created_id)
    assert len(experiment.tags) == 2
    assert experiment.tags["key1"] == "val1"
    assert experiment.tags["key2"] == "val2"


def test_get_experiment_errors(client):
    # test_file_store.py ("Could not find experiment with ID"); MLflow 3.17's SQL store and
    # litetrack: "No Experiment with id=... exists"
    for exp_id in ["8000", "15000"]:
        with pytest.raises(MlflowException, match=f"No Experiment with id={exp_id} exists") as e:
            client.get_experiment(exp_id)
        assert e.value.error_code == RESOURCE_DOES_NOT_EXIST
    assert client.get_experiment_by_name("no such experiment") is None


def test_default_experiment_initialization(client):
    # test_file_store.py: MLflow deletes the Default experiment, and a new store object still
    # reads it deleted. litetrack refuses to delete it (docs/mlflow-compat.md): it is where
    # every run without an experiment goes, and gc keeps it.
    try:
        client.delete_experiment("0")
    except MlflowException as e:
        assert "Default experiment (id '0') cannot be deleted" in str(e)
        assert MlflowClient().get_experiment("0").lifecycle_stage == LifecycleStage.ACTIVE
        return
    assert MlflowClient().get_experiment("0").lifecycle_stage == LifecycleStage.DELETED


# -- update_run_info ----------------------------------------------------------------------
def test_update_run_info(client):
    experiment_id = _create_experiments(client, "test_update_run_info")
    for new_status_string in ["SCHEDULED", "FAILED", "FINISHED", "RUNNING", "KILLED"]:
        run = _run_factory(client, config=_get_run_configs(experiment_id=experiment_id))
        endtime = _now()
        client.set_terminated(run.info.run_id, new_status_string, endtime)
        actual = client.get_run(run.info.run_id).info
        assert actual.status == new_status_string
        assert actual.end_time == endtime

    # test updating run name without changing other attributes.
    origin_run_info = client.get_run(run.info.run_id).info
    client.update_run(run.info.run_id, name="name_abc2")
    updated_info = client.get_run(run.info.run_id).info
    assert updated_info.run_name == "name_abc2"
    assert updated_info.status == origin_run_info.status
    assert updated_info.end_time == origin_run_info.end_time


def test_update_run_name(client):
    experiment_id = _create_experiments(client, "test_update_run_name")
    configs = _get_run_configs(experiment_id=experiment_id)

    run_id = client.create_run(**configs).info.run_id
    run = client.get_run(run_id)
    assert run.info.run_name == configs["run_name"]

    client.update_run(run_id, RunStatus.to_string(RunStatus.FINISHED), "new name")
    run = client.get_run(run_id)
    assert run.info.run_name == "new name"
    assert run.data.tags.get(MLFLOW_RUN_NAME) == "new name"

    client.update_run(run_id, "FINISHED", None)
    run = client.get_run(run_id)
    assert run.info.run_name == "new name"
    assert run.data.tags.get(MLFLOW_RUN_NAME) == "new name"

    client.update_run(run_id, "FINISHED", "")
    run = client.get_run(run_id)
    assert run.info.run_name == "new name"
    assert run.data.tags.get(MLFLOW_RUN_NAME) == "new name"

    client.delete_tag(run_id, MLFLOW_RUN_NAME)
    run = client.get_run(run_id)
    assert run.info.run_name == "new name"
    assert run.data.tags.get(MLFLOW_RUN_NAME) is None

    client.update_run(run_id, "FINISHED", "newer name")
    run = client.get_run(run_id)
    assert run.info.run_name == "newer name"
    assert run.data.tags.get(MLFLOW_RUN_NAME) == "newer name"

    client.set_tag(run_id, MLFLOW_RUN_NAME, "newest name")
    run = client.get_run(run_id)
    assert run.data.tags.get(MLFLOW_RUN_NAME) == "newest name"
    assert run.info.run_name == "newest name"

    client.log_batch(run_id, metrics=[], params=[], tags=[RunTag(MLFLOW_RUN_NAME, "batch name")])
    run = client.get_run(run_id)
    assert run.data.tags.get(MLFLOW_RUN_NAME) == "batch name"
    assert run.info.run_name == "batch name"


# -- search -------------------------------------------------------------------------------
def test_search_vanilla(client):
    exp = _create_experiments(client, "search_vanilla")
    runs = [_run_factory(client, _get_run_configs(exp)).info.run_id for r in range(3)]

    assert sorted(runs) == sorted(_search_runs(client, exp, run_view_type=ViewType.ALL))
    assert sorted(runs) == sorted(_search_runs(client, exp, run_view_type=ViewType.ACTIVE_ONLY))
    assert _search_runs(client, exp, run_view_type=ViewType.DELETED_ONLY) == []

    first = runs[0]
    client.delete_run(first)
    assert sorted(runs) == sorted(_search_runs(client, exp, run_view_type=ViewType.ALL))
    assert sorted(runs[1:]) == sorted(_search_runs(client, exp, run_view_type=ViewType.ACTIVE_ONLY))
    assert _search_runs(client, exp, run_view_type=ViewType.DELETED_ONLY) == [first]

    client.restore_run(first)
    assert sorted(runs) == sorted(_search_runs(client, exp, run_view_type=ViewType.ALL))
    assert sorted(runs) == sorted(_search_runs(client, exp, run_view_type=ViewType.ACTIVE_ONLY))
    assert _search_runs(client, exp, run_view_type=ViewType.DELETED_ONLY) == []


def test_search_params(client):
    experiment_id = _create_experiments(client, "search_params")
    r1 = _run_factory(client, _get_run_configs(experiment_id)).info.run_id
    r2 = _run_factory(client, _get_run_configs(experiment_id)).info.run_id

    client.log_param(r1, "generic_param", "p_val")
    client.log_param(r2, "generic_param", "p_val")
    client.log_param(r1, "generic_2", "some value")
    client.log_param(r2, "generic_2", "another value")
    client.log_param(r1, "p_a", "abc")
    client.log_param(r2, "p_b", "ABC")

    def search(f):
        return _search_runs(client, experiment_id, f)

    assert sorted([r1, r2]) == sorted(search("params.generic_param = 'p_val'"))
    assert search("params.generic_2 = 'some value'") == [r1]
    assert search("params.generic_2 = 'another value'") == [r2]
    assert search("params.generic_param = 'wrong_val'") == []
    assert search("params.generic_param != 'p_val'") == []
    assert sorted([r1, r2]) == sorted(search("params.generic_param != 'wrong_val'"))
    assert sorted([r1, r2]) == sorted(search("params.generic_2 != 'wrong_val'"))
    assert search("params.p_a = 'abc'") == [r1]
    assert search("params.p_a = 'ABC'") == []
    assert search("params.p_a != 'ABC'") == [r1]
    assert search("params.p_b = 'ABC'") == [r2]
    assert search("params.generic_2 LIKE '%other%'") == [r2]
    assert search("params.generic_2 LIKE 'other%'") == []
    assert search("params.generic_2 LIKE '%other'") == []
    assert search("params.generic_2 LIKE 'other'") == []
    assert search("params.generic_2 LIKE '%Other%'") == []
    assert search("params.generic_2 ILIKE '%Other%'") == [r2]


def test_search_tags(client):
    experiment_id = _create_experiments(client, "search_tags")
    r1 = _run_factory(client, _get_run_configs(experiment_id)).info.run_id
    r2 = _run_factory(client, _get_run_configs(experiment_id)).info.run_id

    client.set_tag(r1, "generic_tag", "p_val")
    client.set_tag(r2, "generic_tag", "p_val")
    client.set_tag(r1, "generic_2", "some value")
    client.set_tag(r2, "generic_2", "another value")
    client.set_tag(r1, "p_a", "abc")
    client.set_tag(r2, "p_b", "ABC")

    def search(f):
        return _search_runs(client, experiment_id, filter_string=f)

    assert sorted([r1, r2]) == sorted(search("tags.generic_tag = 'p_val'"))
    assert search("tags.generic_tag = 'P_VAL'") == []
    assert sorted([r1, r2]) == sorted(search("tags.generic_tag != 'P_VAL'"))
    assert search("tags.generic_2 = 'some value'") == [r1]
    assert search("tags.generic_2 = 'another value'") == [r2]
    assert search("tags.generic_2='another value'") == [r2]  # test_file_store.py
    assert search("tags.generic_tag = 'wrong_val'") == []
    assert search("tags.generic_tag != 'p_val'") == []
    assert sorted([r1, r2]) == sorted(search("tags.generic_tag != 'wrong_val'"))
    assert sorted([r1, r2]) == sorted(search("tags.generic_2 != 'wrong_val'"))
    assert search("tags.p_a = 'abc'") == [r1]
    assert search("tags.p_b = 'ABC'") == [r2]
    assert search("tags.generic_2 LIKE '%other%'") == [r2]
    assert search("tags.generic_2 LIKE '%Other%'") == []
    assert search("tags.generic_2 LIKE 'other%'") == []
    assert search("tags.generic_2 LIKE '%other'") == []
    assert search("tags.generic_2 LIKE 'other'") == []
    assert search("tags.generic_2 ILIKE '%Other%'") == [r2]
    assert search("tags.generic_2 ILIKE '%OTHER%'") == [r2]
    assert search("tags.generic_2 ILIKE '%Other%' and tags.generic_tag = 'p_val'") == [r2]
    assert search("tags.generic_2 ILIKE '%Other%' and tags.generic_tag ILIKE 'p_val'") == [r2]


def test_search_metrics(client):
    experiment_id = _create_experiments(client, "search_metric")
    r1 = _run_factory(client, _get_run_configs(experiment_id)).info.run_id
    r2 = _run_factory(client, _get_run_configs(experiment_id)).info.run_id

    client.log_metric(r1, "common", 1.0, 1, 0)
    client.log_metric(r2, "common", 1.0, 1, 0)
    client.log_metric(r1, "measure_a", 1.0, 1, 0)
    client.log_metric(r2, "measure_a", 200.0, 2, 0)
    client.log_metric(r2, "measure_a", 400.0, 3, 0)
    client.log_metric(r1, "m_a", 2.0, 2, 0)
    client.log_metric(r2, "m_b", 3.0, 2, 0)
    client.log_metric(r2, "m_b", 4.0, 8, 0)  # this is last timestamp
    client.log_metric(r2, "m_b", 8.0, 3, 0)

    def search(f):
        return _search_runs(client, experiment_id, f)

    both = sorted([r1, r2])
    assert both == sorted(search("metrics.common = 1.0"))
    assert both == sorted(search("metrics.common > 0.0"))
    assert both == sorted(search("metrics.common >= 0.0"))
    assert both == sorted(search("metrics.common < 4.0"))
    assert both == sorted(search("metrics.common <= 4.0"))
    assert search("metrics.common != 1.0") == []
    assert search("metrics.common >= 3.0") == []
    assert search("metrics.common <= 0.75") == []
    # tests for same metric name across runs with different values and timestamps
    assert both == sorted(search("metrics.measure_a > 0.0"))
    assert search("metrics.measure_a < 50.0") == [r1]
    assert both == sorted(search("metrics.measure_a < 1000.0"))
    assert both == sorted(search("metrics.measure_a != -12.0"))
    assert search("metrics.measure_a > 50.0") == [r2]
    assert search("metrics.measure_a = 1.0") == [r1]
    assert search("metrics.measure_a = 400.0") == [r2]
    # test search with unique metric keys
    assert search("metrics.m_a > 1.0") == [r1]
    assert search("metrics.m_b > 1.0") == [r2]
    # there is a recorded metric this threshold but not last timestamp
    assert search("metrics.m_b > 5.0") == []
    # metrics matches last reported timestamp for 'm_b'
    assert search("metrics.m_b = 4.0") == [r2]


def test_search_attrs(client):
    e1 = _create_experiments(client, "search_attributes_1")
    r1 = _run_factory(client, _get_run_configs(experiment_id=e1)).info.run_id
    e2 = _create_experiments(client, "search_attrs_2")
    r2 = _run_factory(client, _get_run_configs(experiment_id=e2)).info.run_id
    run1_artifact_uri = client.get_run(r1).info.artifact_uri
    uppercase_run1_artifact_uri = run1_artifact_uri.upper()
    mismatched_artifact_uri = run1_artifact_uri.replace(f"/{e1}/", f"/{e2}/", 1)
    if mismatched_artifact_uri == run1_artifact_uri:
        mismatched_artifact_uri = f"{run1_artifact_uri}/unexpected"

    def search(f):
        return _search_runs(client, [e1, e2], f)

    both = sorted([r1, r2])
    assert both == sorted(search(""))
    assert both == sorted(search("attribute.status != 'blah'"))
    assert both == sorted(search(f"attribute.status = '{RunStatus.to_string(RunStatus.RUNNING)}'"))

    # change status for one of the runs
    client.set_terminated(r2, "FAILED", 300)
    assert search("attribute.status = 'RUNNING'") == [r1]
    assert search("attribute.status = 'FAILED'") == [r2]
    assert both == sorted(search("attribute.status != 'SCHEDULED'"))
    assert search("attribute.status = 'SCHEDULED'") == []
    assert search("attribute.status = 'KILLED'") == []
    assert search(f"attr.artifact_uri = '{run1_artifact_uri}'") == [r1]
    assert search(f"attr.artifact_uri = '{uppercase_run1_artifact_uri}'") == []
    assert both == sorted(search(f"attr.artifact_uri != '{uppercase_run1_artifact_uri}'"))
    assert search(f"attr.artifact_uri = '{mismatched_artifact_uri}'") == []
    assert search("attribute.artifact_uri = 'random_artifact_path'") == []
    assert both == sorted(search("attribute.artifact_uri != 'random_artifact_path'"))
    assert search(f"attribute.artifact_uri LIKE '%{r1}%'") == [r1]
    assert search(f"attribute.artifact_uri LIKE '%{r1[:16]}%'") == [r1]
    assert search(f"attribute.artifact_uri LIKE '%{r1[-16:]}%'") == [r1]
    assert search(f"attribute.artifact_uri LIKE '%{r1.upper()}%'") == []
    assert search(f"attribute.artifact_uri ILIKE '%{r1.upper()}%'") == [r1]
    assert search(f"attribute.artifact_uri ILIKE '%{r1[:16].upper()}%'") == [r1]
    assert search(f"attribute.artifact_uri ILIKE '%{r1[-16:].upper()}%'") == [r1]
    # (MLflow refuses attribute.experiment_id and attribute.lifecycle_stage here; litetrack
    # accepts them with their plain meaning: docs/mlflow-compat.md, "Fields MLflow refuses")


def test_search_full(client):
    experiment_id = _create_experiments(client, "search_params")
    r1 = _run_factory(client, _get_run_configs(experiment_id)).info.run_id
    r2 = _run_factory(client, _get_run_configs(experiment_id)).info.run_id

    client.log_param(r1, "generic_param", "p_val")
    client.log_param(r2, "generic_param", "p_val")
    client.log_param(r1, "p_a", "abc")
    client.log_param(r2, "p_b", "ABC")
    client.log_metric(r1, "common", 1.0, 1, 0)
    client.log_metric(r2, "common", 1.0, 1, 0)
    client.log_metric(r1, "m_a", 2.0, 2, 0)
    client.log_metric(r2, "m_b", 3.0, 2, 0)
    client.log_metric(r2, "m_b", 4.0, 8, 0)
    client.log_metric(r2, "m_b", 8.0, 3, 0)

    def search(f):
        return _search_runs(client, experiment_id, f)

    assert sorted([r1, r2]) == sorted(
        search("params.generic_param = 'p_val' and metrics.common = 1.0")
    )
    # all params and metrics match
    assert search(
        "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0"
    ) == [r1]
    base = "params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0"
    assert search(base + " and params.p_a LIKE 'a%'") == [r1]
    assert search(base + " and params.p_a LIKE 'A%'") == []
    assert search(base + " and params.p_a ILIKE 'A%'") == [r1]
    # test with mismatch param
    assert (
        search("params.random_bad_name = 'p_val' and metrics.common = 1.0 and metrics.m_a > 1.0")
        == []
    )
    # test with mismatch metric
    assert (
        search("params.generic_param = 'p_val' and metrics.common = 1.0 and metrics.m_a > 100.0")
        == []
    )


def test_search_with_max_results(client):
    # test_file_store.py (10 runs; the SQL store's case writes 1,200 rows with SQL)
    exp = client.create_experiment("search_with_max_results")
    # (start times from 1: MLflow's client takes start_time=0 for "now")
    runs = [client.create_run(exp, start_time=r).info.run_id for r in range(1, 11)]
    runs.reverse()
    assert runs[:10] == _search_runs(client, exp)
    # (the file store's list starts at 0; MLflow 3.17 refuses max_results=0: docs/mlflow-compat.md)
    for n in [1, 2, 4, 8, 10, 20, 50, 100, 500, 1000, 1200, 2000]:
        assert runs[: min(1200, n)] == _search_runs(client, exp, max_results=n)
    # MLflow 3.17: "Invalid value 50001 for parameter 'max_results' supplied"
    with pytest.raises(MlflowException, match=r"Invalid value .*max_results") as e:
        _search_runs(client, exp, None, max_results=50001)
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_search_runs_pagination(client):
    exp = _create_experiments(client, "test_search_runs_pagination")
    # test returned token behavior
    runs = sorted(
        [_run_factory(client, _get_run_configs(exp, start_time=10)).info.run_id for r in range(10)]
    )
    result = client.search_runs([exp], "", ViewType.ALL, max_results=4)
    assert [r.info.run_id for r in result] == runs[0:4]
    assert result.token is not None
    result = client.search_runs([exp], "", ViewType.ALL, max_results=4, page_token=result.token)
    assert [r.info.run_id for r in result] == runs[4:8]
    assert result.token is not None
    result = client.search_runs([exp], "", ViewType.ALL, max_results=4, page_token=result.token)
    assert [r.info.run_id for r in result] == runs[8:]
    assert result.token is None


def test_search_runs_pagination_last_page_exact(client):
    exp = _create_experiments(client, "test_search_runs_pagination_last_page_exact")
    runs = sorted(
        [_run_factory(client, _get_run_configs(exp, start_time=10)).info.run_id for _ in range(8)]
    )
    result = client.search_runs([exp], "", ViewType.ALL, max_results=4)
    assert [r.info.run_id for r in result] == runs[0:4]
    assert result.token is not None
    # Second page: exactly 4 runs (last page) with NO token
    result = client.search_runs([exp], "", ViewType.ALL, max_results=4, page_token=result.token)
    assert [r.info.run_id for r in result] == runs[4:8]
    assert result.token is None


def test_search_runs_bad_page_token(client):
    exp = _create_experiments(client, "bad_token")
    with pytest.raises(MlflowException, match="Invalid page token") as e:
        client.search_runs([exp], page_token="evilhax")
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_search_runs_run_name(client):
    exp_id = _create_experiments(client, "test_search_runs_pagination")
    run1 = _run_factory(client, dict(_get_run_configs(exp_id), run_name="run_name1"))
    run2 = _run_factory(client, dict(_get_run_configs(exp_id), run_name="run_name2"))

    def search(f):
        return [
            r.info.run_id
            for r in client.search_runs(
                [exp_id], filter_string=f, run_view_type=ViewType.ACTIVE_ONLY
            )
        ]

    assert search("attributes.run_name = 'run_name1'") == [run1.info.run_id]
    assert search("attributes.`Run name` = 'run_name1'") == [run1.info.run_id]
    assert search("attributes.`run name` = 'run_name2'") == [run2.info.run_id]
    assert search("attributes.`Run Name` = 'run_name2'") == [run2.info.run_id]
    assert search("tags.`mlflow.runName` = 'run_name2'") == [run2.info.run_id]

    client.update_run(run1.info.run_id, "FINISHED", name="new_run_name1")
    assert search("attributes.run_name = 'new_run_name1'") == [run1.info.run_id]
    assert search("tags.`mlflow.runName` = 'new_run_name1'") == [run1.info.run_id]


def test_search_runs_run_id(client):
    exp_id = _create_experiments(client, "test_search_runs_run_id")
    # Set start_time to ensure the search result is deterministic
    run_id1 = _run_factory(client, dict(_get_run_configs(exp_id), start_time=1)).info.run_id
    run_id2 = _run_factory(client, dict(_get_run_configs(exp_id), start_time=2)).info.run_id

    def search(f):
        return [
            r.info.run_id
            for r in client.search_runs(
                [exp_id], filter_string=f, run_view_type=ViewType.ACTIVE_ONLY
            )
        ]

    assert search(f"attributes.run_id = '{run_id1}'") == [run_id1]
    assert search(f"attributes.run_id != '{run_id1}'") == [run_id2]
    assert search(f"attributes.run_id IN ('{run_id1}')") == [run_id1]
    assert search(f"attributes.run_id NOT IN ('{run_id1}')") == [run_id2]
    assert search(f"run_name = 'name' AND run_id IN ('{run_id1}')") == [run_id1]
    for filter_string in [
        f"attributes.run_id IN ('{run_id1}','{run_id2}')",
        f"attributes.run_id IN ('{run_id1}', '{run_id2}')",
        f"attributes.run_id IN ('{run_id1}',  '{run_id2}')",
    ]:
        assert search(filter_string) == [run_id2, run_id1]
    assert search(f"attributes.run_id NOT IN ('{run_id1}', '{run_id2}')") == []


def test_search_runs_start_time_alias(client):
    exp_id = _create_experiments(client, "test_search_runs_start_time_alias")
    run_id1 = _run_factory(client, dict(_get_run_configs(exp_id), start_time=1)).info.run_id
    run_id2 = _run_factory(client, dict(_get_run_configs(exp_id), start_time=2)).info.run_id

    def search(f, order_by=None):
        return [
            r.info.run_id
            for r in client.search_runs(
                [exp_id], filter_string=f, run_view_type=ViewType.ACTIVE_ONLY, order_by=order_by
            )
        ]

    assert search("attributes.run_name = 'name'", ["attributes.start_time DESC"]) == [
        run_id2,
        run_id1,
    ]
    assert search("attributes.run_name = 'name'", ["attributes.created ASC"]) == [run_id1, run_id2]
    assert search("attributes.run_name = 'name'", ["attributes.Created DESC"]) == [run_id2, run_id1]
    assert set(search("attributes.start_time > 0")) == {run_id1, run_id2}
    assert search("attributes.created > 1") == [run_id2]
    assert search("attributes.Created > 2") == []


def test_search_runs_keep_all_runs_when_sorting(client):
    experiment_id = client.create_experiment("test_experiment1")
    r1 = client.create_run(
        experiment_id=experiment_id, start_time=0, tags={}, run_name="name"
    ).info.run_id
    r2 = client.create_run(
        experiment_id=experiment_id, start_time=0, tags={}, run_name="name"
    ).info.run_id
    client.set_tag(r1, "t1", "1")
    client.set_tag(r1, "t2", "1")
    client.set_tag(r2, "t2", "1")
    run_results = client.search_runs(
        [experiment_id], "", ViewType.ALL, max_results=1000, order_by=["tag.t1"]
    )
    assert len(run_results) == 2


# -- log_batch ----------------------------------------------------------------------------
def test_log_batch(client):
    experiment_id = _create_experiments(client, "log_batch")
    run_id = _run_factory(client, _get_run_configs(experiment_id)).info.run_id
    metric_entities = [Metric("m1", 0.87, 12345, 0), Metric("m2", 0.49, 12345, 1)]
    param_entities = [Param("p1", "p1val"), Param("p2", "p2val")]
    tag_entities = [RunTag("t1", "t1val"), RunTag("t2", "t2val"), RunTag(MLFLOW_RUN_NAME, "my_run")]
    client.log_batch(
        run_id=run_id, metrics=metric_entities, params=param_entities, tags=tag_entities
    )
    run = client.get_run(run_id)
    assert run.data.tags == {"t1": "t1val", "t2": "t2val", MLFLOW_RUN_NAME: "my_run"}
    assert run.data.params == {"p1": "p1val", "p2": "p2val"}
    metric_histories = sum((client.get_metric_history(run_id, key) for key in run.data.metrics), [])
    metrics = [(m.key, m.value, m.timestamp, m.step) for m in metric_histories]
    assert set(metrics) == {("m1", 0.87, 12345, 0), ("m2", 0.49, 12345, 1)}


def test_log_batch_limits(client):
    # Test that log batch at the maximum allowed request size succeeds
    experiment_id = _create_experiments(client, "log_batch_limits")
    run_id = _run_factory(client, _get_run_configs(experiment_id)).info.run_id
    metric_tuples = [(f"m{i}", i, 12345, i * 2) for i in range(1000)]
    metric_entities = [Metric(*metric_tuple) for metric_tuple in metric_tuples]
    client.log_batch(run_id=run_id, metrics=metric_entities, params=[], tags=[])
    run = client.get_run(run_id)
    metric_histories = sum((client.get_metric_history(run_id, key) for key in run.data.metrics), [])
    metrics = [(m.key, m.value, m.timestamp, m.step) for m in metric_histories]
    assert set(metrics) == set(metric_tuples)


def test_log_batch_request_limits(client):
    # A request holds at most 1000 metrics, 100 params and 100 tags (MLflow's REST limits);
    # MLflow's client splits a larger batch into requests, so every entity is logged.
    run_id = _run_factory(client).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(f"m{i}", i, 1, 0) for i in range(1001)],
        params=[Param(f"p{i}", "v") for i in range(101)],
        tags=[RunTag(f"t{i}", "v") for i in range(101)],
    )
    run = client.get_run(run_id)
    assert len(run.data.metrics) == 1001
    assert len(run.data.params) == 101
    assert {f"t{i}" for i in range(101)} <= set(run.data.tags)


def test_log_batch_param_overwrite_disallowed(client):
    # Test that attempting to overwrite a param via log_batch results in an exception and that
    # no partial data is logged
    run = _run_factory(client)
    tkey = "my-param"
    client.log_param(run.info.run_id, tkey, "orig-val")
    overwrite_param = Param(tkey, "newval")
    tag = RunTag("tag-key", "tag-val")
    metric = Metric("metric-key", 3.0, 12345, 0)
    with pytest.raises(MlflowException, match=r"Changing param values is not allowed") as e:
        client.log_batch(run.info.run_id, metrics=[metric], params=[overwrite_param], tags=[tag])
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    _verify_logged(client, run.info.run_id, metrics=[], params=[Param(tkey, "orig-val")], tags=[])


def test_log_batch_with_unchanged_and_new_params(client):
    run = _run_factory(client)
    client.log_batch(
        run.info.run_id, metrics=[], params=[Param("a", "0"), Param("b", "1")], tags=[]
    )
    client.log_batch(
        run.info.run_id, metrics=[], params=[Param("a", "0"), Param("c", "2")], tags=[]
    )
    _verify_logged(
        client,
        run.info.run_id,
        metrics=[],
        params=[Param("a", "0"), Param("b", "1"), Param("c", "2")],
        tags=[],
    )


def test_log_batch_param_overwrite_disallowed_single_req(client):
    # Test that attempting to overwrite a param via log_batch results in an exception
    run = _run_factory(client)
    pkey = "common-key"
    param0 = Param(pkey, "orig-val")
    param1 = Param(pkey, "newval")
    tag = RunTag("tag-key", "tag-val")
    metric = Metric("metric-key", 3.0, 12345, 0)
    with pytest.raises(MlflowException, match=r"Duplicate parameter keys have been submitted") as e:
        client.log_batch(run.info.run_id, metrics=[metric], params=[param0, param1], tags=[tag])
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    _verify_logged(client, run.info.run_id, metrics=[], params=[], tags=[])


def test_log_batch_accepts_empty_payload(client):
    run = _run_factory(client)
    client.log_batch(run.info.run_id, metrics=[], params=[], tags=[])
    _verify_logged(client, run.info.run_id, metrics=[], params=[], tags=[])


def test_log_batch_params_idempotency(client):
    run = _run_factory(client)
    params = [Param("p-key", "p-val")]
    client.log_batch(run.info.run_id, metrics=[], params=params, tags=[])
    client.log_batch(run.info.run_id, metrics=[], params=params, tags=[])
    _verify_logged(client, run.info.run_id, metrics=[], params=params, tags=[])


def test_log_batch_tags_idempotency(client):
    run = _run_factory(client)
    client.log_batch(run.info.run_id, metrics=[], params=[], tags=[RunTag("t-key", "t-val")])
    client.log_batch(run.info.run_id, metrics=[], params=[], tags=[RunTag("t-key", "t-val")])
    _verify_logged(client, run.info.run_id, metrics=[], params=[], tags=[RunTag("t-key", "t-val")])


def test_log_batch_allows_tag_overwrite(client):
    run = _run_factory(client)
    client.log_batch(run.info.run_id, metrics=[], params=[], tags=[RunTag("t-key", "val")])
    client.log_batch(run.info.run_id, metrics=[], params=[], tags=[RunTag("t-key", "newval")])
    _verify_logged(client, run.info.run_id, metrics=[], params=[], tags=[RunTag("t-key", "newval")])


def test_log_batch_allows_tag_overwrite_single_req(client):
    run = _run_factory(client)
    tags = [RunTag("t-key", "val"), RunTag("t-key", "newval")]
    client.log_batch(run.info.run_id, metrics=[], params=[], tags=tags)
    _verify_logged(client, run.info.run_id, metrics=[], params=[], tags=[tags[-1]])


def test_log_batch_metrics(client):
    run = _run_factory(client)
    tkey = "blahmetric"
    tval = 100.0
    metric = Metric(tkey, tval, _now(), 0)
    metric2 = Metric(tkey, tval, _now() + 2, 0)
    nan_metric = Metric("NaN", float("nan"), 0, 0)
    pos_inf_metric = Metric("PosInf", float("inf"), 0, 0)
    neg_inf_metric = Metric("NegInf", -float("inf"), 0, 0)
    metrics = [metric, metric2, nan_metric, pos_inf_metric, neg_inf_metric]
    # (MLflow's case calls the private _log_metrics with metric and metric2 twice more: the
    # SQL store drops exact duplicates within one write. Through log_batch MLflow's client
    # sends them as they are; see test_log_batch_same_metrics_repeated_multiple_reqs.)
    client.log_batch(run.info.run_id, metrics=metrics)

    run = client.get_run(run.info.run_id)
    assert tkey in run.data.metrics
    assert run.data.metrics[tkey] == tval
    assert len(client.get_metric_history(run.info.run_id, tkey)) == 2
    assert len(run.data.metrics) == 4
    assert math.isnan(run.data.metrics["NaN"])
    # see test_log_metric: MLflow's SQL store clamps ±inf to ±1.7976931348623157e308
    assert run.data.metrics["PosInf"] >= 1.7976931348623157e308
    assert run.data.metrics["NegInf"] <= -1.7976931348623157e308


def test_log_batch_same_metric_repeated_single_req(client):
    run = _run_factory(client)
    metric0 = Metric(key="metric-key", value=1, timestamp=2, step=0)
    metric1 = Metric(key="metric-key", value=2, timestamp=3, step=0)
    client.log_batch(run.info.run_id, params=[], metrics=[metric0, metric1], tags=[])
    _verify_logged(client, run.info.run_id, params=[], metrics=[metric0, metric1], tags=[])


def test_log_batch_same_metric_repeated_multiple_reqs(client):
    run = _run_factory(client)
    metric0 = Metric(key="metric-key", value=1, timestamp=2, step=0)
    metric1 = Metric(key="metric-key", value=2, timestamp=3, step=0)
    client.log_batch(run.info.run_id, params=[], metrics=[metric0], tags=[])
    _verify_logged(client, run.info.run_id, params=[], metrics=[metric0], tags=[])
    client.log_batch(run.info.run_id, params=[], metrics=[metric1], tags=[])
    _verify_logged(client, run.info.run_id, params=[], metrics=[metric0, metric1], tags=[])


def test_log_batch_same_metrics_repeated_multiple_reqs(client):
    run = _run_factory(client)
    metric0 = Metric(key="metric-key", value=1, timestamp=2, step=0)
    metric1 = Metric(key="metric-key", value=2, timestamp=3, step=0)
    client.log_batch(run.info.run_id, params=[], metrics=[metric0, metric1], tags=[])
    _verify_logged(client, run.info.run_id, params=[], metrics=[metric0, metric1], tags=[])
    client.log_batch(run.info.run_id, params=[], metrics=[metric0, metric1], tags=[])
    # MLflow's SQL store keeps a point logged twice (same key, value, timestamp and step)
    # once; litetrack keeps both, as MLflow's file store did: each log call is one append
    # (docs/mlflow-compat.md). The points themselves are the same.
    history = client.get_metric_history(run.info.run_id, "metric-key")
    assert len(history) in (2, 4)
    assert {(m.key, m.value, m.timestamp, m.step) for m in history} == {
        (m.key, m.value, m.timestamp, m.step) for m in [metric0, metric1]
    }


def test_log_batch_null_metrics(client):
    run = _run_factory(client)
    metrics = [Metric("blahmetric", None, _now(), 0), Metric("blahmetric2", None, _now(), 0)]
    with pytest.raises(
        MlflowException, match=r"Missing value for required parameter 'metrics\[0\]\.value'"
    ) as e:
        client.log_batch(run.info.run_id, metrics=metrics, params=[], tags=[])
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_log_batch_params_max_length_value(client, monkeypatch):
    run = _run_factory(client)
    param_entities = [Param("long param", "x" * 6000), Param("short param", "xyz")]
    expected_param_entities = [Param("long param", "x" * 6000), Param("short param", "xyz")]
    client.log_batch(run.info.run_id, [], param_entities, [])
    _verify_logged(client, run.info.run_id, [], expected_param_entities, [])
    param_entities = [Param("long param", "x" * 6001)]
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    with pytest.raises(MlflowException, match="exceeds the maximum length"):
        client.log_batch(run.info.run_id, [], param_entities, [])

    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "true")
    client.log_batch(run.info.run_id, [], param_entities, [])


def test_log_batch_with_duplicate_params_errors_no_partial_write(client):
    # test_file_store.py
    run = _run_factory(client)
    with pytest.raises(MlflowException, match="Duplicate parameter keys have been submitted") as e:
        client.log_batch(
            run.info.run_id, metrics=[], params=[Param("a", "1"), Param("a", "2")], tags=[]
        )
    assert e.value.error_code == INVALID_PARAMETER_VALUE
    _verify_logged(client, run.info.run_id, metrics=[], params=[], tags=[])


# -- inputs -------------------------------------------------------------------------------
def _ds(n):
    return Dataset(
        name=f"name{n}",
        digest=f"digest{n}",
        source_type=f"st{n}",
        source=f"source{n}",
        schema=f"schema{n}",
        profile=f"profile{n}",
    )


def test_log_inputs_and_retrieve_runs_behaves_as_expected(client):
    experiment_id = _create_experiments(client, "test exp")
    run1 = _run_factory(client, config=_get_run_configs(experiment_id, start_time=1))
    run2 = _run_factory(client, config=_get_run_configs(experiment_id, start_time=3))
    run3 = _run_factory(client, config=_get_run_configs(experiment_id, start_time=2))
    dataset1, dataset2, dataset3 = _ds(1), _ds(2), _ds(3)
    tags1 = [InputTag(key="key1", value="value1"), InputTag(key="key2", value="value2")]
    tags2 = [InputTag(key="key3", value="value3"), InputTag(key="key4", value="value4")]
    tags3 = [InputTag(key="key5", value="value5"), InputTag(key="key6", value="value6")]
    inputs_run1 = [DatasetInput(dataset1, tags1), DatasetInput(dataset2, tags1)]
    inputs_run2 = [DatasetInput(dataset1, tags2), DatasetInput(dataset3, tags3)]
    inputs_run3 = [DatasetInput(dataset2, tags3)]

    client.log_inputs(run1.info.run_id, inputs_run1)
    client.log_inputs(run2.info.run_id, inputs_run2)
    client.log_inputs(run3.info.run_id, inputs_run3)

    assert_dataset_inputs_equal(client.get_run(run1.info.run_id).inputs.dataset_inputs, inputs_run1)
    assert_dataset_inputs_equal(client.get_run(run2.info.run_id).inputs.dataset_inputs, inputs_run2)
    assert_dataset_inputs_equal(client.get_run(run3.info.run_id).inputs.dataset_inputs, inputs_run3)

    search_results_1 = client.search_runs(
        [experiment_id], "", ViewType.ALL, max_results=4, order_by=["start_time ASC"]
    )
    assert_dataset_inputs_equal(search_results_1[0].inputs.dataset_inputs, inputs_run1)
    assert_dataset_inputs_equal(search_results_1[2].inputs.dataset_inputs, inputs_run2)
    assert_dataset_inputs_equal(search_results_1[1].inputs.dataset_inputs, inputs_run3)

    search_results_2 = client.search_runs(
        [experiment_id], "", ViewType.ALL, max_results=4, order_by=["start_time DESC"]
    )
    assert_dataset_inputs_equal(search_results_2[2].inputs.dataset_inputs, inputs_run1)
    assert_dataset_inputs_equal(search_results_2[0].inputs.dataset_inputs, inputs_run2)
    assert_dataset_inputs_equal(search_results_2[1].inputs.dataset_inputs, inputs_run3)


def test_log_input_multiple_times_does_not_overwrite_tags_or_dataset(client):
    experiment_id = _create_experiments(client, "test exp")
    run = _run_factory(client, config=_get_run_configs(experiment_id))
    dataset = Dataset(
        name="name",
        digest="digest",
        source_type="st",
        source="source",
        schema="schema",
        profile="profile",
    )
    tags = [InputTag(key="key1", value="value1"), InputTag(key="key2", value="value2")]
    client.log_inputs(run.info.run_id, [DatasetInput(dataset, tags)])

    for i in range(3):
        # Since the dataset name and digest are the same as the previously logged dataset,
        # no changes should be made
        overwrite_dataset = Dataset(
            name="name",
            digest="digest",
            source_type="st{i}",
            source=f"source{i}",
            schema=f"schema{i}",
            profile=f"profile{i}",
        )
        # Since the dataset has already been logged as an input to the run, no changes should be
        # made to the input tags
        overwrite_tags = [
            InputTag(key=f"key{i}", value=f"value{i}"),
            InputTag(key=f"key{i + 1}", value=f"value{i + 1}"),
        ]
        client.log_inputs(run.info.run_id, [DatasetInput(overwrite_dataset, overwrite_tags)])

    run = client.get_run(run.info.run_id)
    assert_dataset_inputs_equal(run.inputs.dataset_inputs, [DatasetInput(dataset, tags)])

    # Logging a dataset with a different name or digest to the original run should result
    # in the addition of another dataset input
    other_name_dataset = Dataset(
        name="other_name",
        digest="digest",
        source_type="st",
        source="source",
        schema="schema",
        profile="profile",
    )
    other_name_input_tags = [InputTag(key="k1", value="v1")]
    client.log_inputs(run.info.run_id, [DatasetInput(other_name_dataset, other_name_input_tags)])
    other_digest_dataset = Dataset(
        name="name",
        digest="other_digest",
        source_type="st",
        source="source",
        schema="schema",
        profile="profile",
    )
    other_digest_input_tags = [InputTag(key="k2", value="v2")]
    client.log_inputs(
        run.info.run_id, [DatasetInput(other_digest_dataset, other_digest_input_tags)]
    )

    run = client.get_run(run.info.run_id)
    assert_dataset_inputs_equal(
        run.inputs.dataset_inputs,
        [
            DatasetInput(dataset, tags),
            DatasetInput(other_name_dataset, other_name_input_tags),
            DatasetInput(other_digest_dataset, other_digest_input_tags),
        ],
    )

    # Logging the same dataset with different tags to new runs should result in each run
    # having its own new input tags and the same dataset input
    for i in range(3):
        new_run = client.create_run(
            experiment_id=experiment_id, start_time=0, tags={}, run_name=None
        )
        new_tags = [
            InputTag(key=f"key{i}", value=f"value{i}"),
            InputTag(key=f"key{i + 1}", value=f"value{i + 1}"),
        ]
        client.log_inputs(new_run.info.run_id, [DatasetInput(dataset, new_tags)])
        new_run = client.get_run(new_run.info.run_id)
        assert_dataset_inputs_equal(
            new_run.inputs.dataset_inputs, [DatasetInput(dataset, new_tags)]
        )


def test_log_inputs_handles_case_when_no_datasets_are_specified(client):
    experiment_id = _create_experiments(client, "test exp")
    run = _run_factory(client, config=_get_run_configs(experiment_id))
    client.log_inputs(run.info.run_id)
    client.log_inputs(run.info.run_id, datasets=None)
    assert client.get_run(run.info.run_id).inputs.dataset_inputs == []


def test_log_inputs_fails_with_missing_inputs(client):
    experiment_id = _create_experiments(client, "test exp")
    run = _run_factory(client, config=_get_run_configs(experiment_id))
    dataset = Dataset(name="name1", digest="digest1", source_type="type", source="source")
    tags = [InputTag(key="key", value="train")]

    # (built inside pytest.raises, as in MLflow's case: litetrack's Dataset refuses a None
    # field when it is built, MLflow's store when it is logged)
    cases = [
        (
            "InputTag key cannot be None",
            lambda: DatasetInput(tags=[InputTag(key=None, value="train")], dataset=dataset),
        ),
        (
            "InputTag value cannot be None",
            lambda: DatasetInput(tags=[InputTag(key="key", value=None)], dataset=dataset),
        ),
        (
            "Dataset name cannot be None",
            lambda: DatasetInput(
                tags=tags,
                dataset=Dataset(name=None, digest="digest1", source_type="type", source="source"),
            ),
        ),
        (
            "Dataset digest cannot be None",
            lambda: DatasetInput(
                tags=tags,
                dataset=Dataset(name="name", digest=None, source_type="type", source="source"),
            ),
        ),
        (
            "Dataset source_type cannot be None",
            lambda: DatasetInput(
                tags=tags,
                dataset=Dataset(name="name", digest="digest1", source_type=None, source="source"),
            ),
        ),
        (
            "Dataset source cannot be None",
            lambda: DatasetInput(
                tags=tags,
                dataset=Dataset(name="name", digest="digest1", source_type="type", source=None),
            ),
        ),
    ]
    for message, dataset_input in cases:
        with pytest.raises(MlflowException, match=message):
            client.log_inputs(run.info.run_id, [dataset_input()])
    assert client.get_run(run.info.run_id).inputs.dataset_inputs == []


# -- experiments (tests/store/tracking/sqlalchemy_store/test_sqlalchemy_store_experiments.py)
def test_default_experiment(client):
    experiments = client.search_experiments()
    assert len(experiments) == 1
    first = experiments[0]
    assert first.experiment_id == "0"
    assert first.name == "Default"


def test_raise_duplicate_experiments(client):
    with pytest.raises(MlflowException, match=r"Experiment\(name=.+\) already exists"):
        _create_experiments(client, ["test", "test"])


def test_duplicate_experiment_with_artifact_location_returns_resource_already_exists(
    client, tmp_path
):
    exp_name = "test_duplicate_with_artifact_location"
    artifact_location = str(tmp_path / "test_artifacts")
    # First creation should succeed
    client.create_experiment(exp_name, artifact_location=artifact_location)
    # Second creation should raise MlflowException with RESOURCE_ALREADY_EXISTS error code
    with pytest.raises(MlflowException, match="already exists") as exc_info:
        client.create_experiment(exp_name, artifact_location=artifact_location)
    assert exc_info.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_raise_experiment_dont_exist(client):
    with pytest.raises(MlflowException, match=r"No Experiment with id=.+ exists"):
        client.get_experiment(experiment_id="100")


def test_delete_experiment(client):
    experiments = _create_experiments(client, ["morty", "rick", "rick and morty"])
    all_experiments = client.search_experiments()
    assert len(all_experiments) == len(experiments) + 1  # default

    exp_id = experiments[0]
    exp = client.get_experiment(exp_id)
    time.sleep(0.01)
    client.delete_experiment(exp_id)

    updated_exp = client.get_experiment(exp_id)
    assert updated_exp.lifecycle_stage == LifecycleStage.DELETED
    assert len(client.search_experiments()) == len(all_experiments) - 1
    assert updated_exp.last_update_time > exp.last_update_time


def test_delete_restore_experiment_with_runs(client):
    experiment_id = _create_experiments(client, "test exp")
    run1 = _run_factory(client, config=_get_run_configs(experiment_id)).info.run_id
    run2 = _run_factory(client, config=_get_run_configs(experiment_id)).info.run_id
    client.delete_run(run1)
    run_ids = [run1, run2]

    client.delete_experiment(experiment_id)

    updated_exp = client.get_experiment(experiment_id)
    assert updated_exp.lifecycle_stage == LifecycleStage.DELETED
    deleted_run_list = client.search_runs(
        experiment_ids=[experiment_id], filter_string="", run_view_type=ViewType.DELETED_ONLY
    )
    assert len(deleted_run_list) == 2
    for deleted_run in deleted_run_list:
        assert deleted_run.info.lifecycle_stage == LifecycleStage.DELETED
        assert deleted_run.info.experiment_id == experiment_id
        assert deleted_run.info.run_id in run_ids

    client.restore_experiment(experiment_id)

    updated_exp = client.get_experiment(experiment_id)
    assert updated_exp.lifecycle_stage == LifecycleStage.ACTIVE
    restored_run_list = client.search_runs(
        experiment_ids=[experiment_id], filter_string="", run_view_type=ViewType.ACTIVE_ONLY
    )
    assert len(restored_run_list) == 2
    for restored_run in restored_run_list:
        assert restored_run.info.lifecycle_stage == LifecycleStage.ACTIVE
        assert restored_run.info.experiment_id == experiment_id
        assert restored_run.info.run_id in run_ids


def test_get_experiment(client):
    name = "goku"
    experiment_id = _create_experiments(client, name)
    actual = client.get_experiment(experiment_id)
    assert actual.name == name
    assert actual.experiment_id == experiment_id

    actual_by_name = client.get_experiment_by_name(name)
    assert actual_by_name.name == name
    assert actual_by_name.experiment_id == experiment_id
    assert client.get_experiment_by_name("idontexist") is None

    client.delete_experiment(experiment_id)
    assert client.get_experiment_by_name(name).experiment_id == experiment_id


def test_get_experiment_invalid_id(client):
    # MLflow's SQL store keeps integer ids and refuses another id as invalid; litetrack's ids
    # are strings of letters, digits, '_' and '-', so "invalid_id" is one that does not exist
    # (RESOURCE_DOES_NOT_EXIST, MLflow's "No Experiment with id=... exists"; docs/mlflow-compat.md).
    with pytest.raises(
        MlflowException,
        match=r"Invalid experiment ID 'invalid_id'\. Experiment ID must be a valid integer\."
        r"|No Experiment with id=invalid_id exists",
    ) as e:
        client.get_experiment("invalid_id")
    assert e.value.error_code in (INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST)
    # an id litetrack cannot hold either way is invalid in both
    with pytest.raises(MlflowException) as e:
        client.get_experiment("../1")
    assert e.value.error_code == INVALID_PARAMETER_VALUE


def test_search_experiments_filter_by_attribute(client):
    _create_experiments(client, ["a", "ab", "Abc"])

    def names(f):
        return [e.name for e in client.search_experiments(filter_string=f)]

    assert names("name = 'a'") == ["a"]
    assert names("attribute.name = 'a'") == ["a"]
    assert names("attribute.`name` = 'a'") == ["a"]
    assert names("attribute.`name` != 'a'") == ["Abc", "ab", "Default"]
    assert names("name LIKE 'a%'") == ["ab", "a"]
    assert names("name ILIKE 'a%'") == ["Abc", "ab", "a"]
    assert names("name ILIKE 'a%' AND name ILIKE '%b'") == ["ab"]


def test_search_experiments_filter_by_tag(client):
    experiments = [
        ("exp1", {"key1": "value", "key2": "value"}),
        ("exp2", {"key1": "vaLue", "key2": "vaLue"}),
        ("exp3", {"k e y 1": "value"}),
    ]
    for name, tags in experiments:
        time.sleep(0.001)
        client.create_experiment(name, tags=tags)

    def names(f):
        return [e.name for e in client.search_experiments(filter_string=f)]

    assert names("tag.key1 = 'value'") == ["exp1"]
    assert names("tag.`k e y 1` = 'value'") == ["exp3"]
    assert names('tag."k e y 1" = \'value\'') == ["exp3"]
    assert names("tag.key1 != 'value'") == ["exp2"]
    assert names("tag.key1 != 'VALUE'") == ["exp2", "exp1"]
    assert names("tag.key1 LIKE 'val%'") == ["exp1"]
    assert names("tag.key1 LIKE '%Lue'") == ["exp2"]
    assert names("tag.key1 ILIKE '%alu%'") == ["exp2", "exp1"]
    assert names("tag.key1 LIKE 'va%' AND tag.key2 LIKE '%Lue'") == ["exp2"]
    assert names("tag.KEY = 'value'") == []


def test_search_experiments_filter_by_tag_is_null(client):
    experiments = [
        ("exp1", {"key1": "value", "key2": "value"}),
        ("exp2", {"key1": "value"}),
        ("exp3", {}),
    ]
    for name, tags in experiments:
        time.sleep(0.001)
        client.create_experiment(name, tags=tags)

    def names(f):
        return [e.name for e in client.search_experiments(filter_string=f)]

    # IS NOT NULL: experiments that have key1
    assert names("tag.key1 IS NOT NULL") == ["exp2", "exp1"]
    # IS NULL: experiments that don't have key2 (includes Default)
    assert names("tag.key2 IS NULL") == ["exp3", "exp2", "Default"]
    # Combined IS NOT NULL and IS NULL
    assert names("tag.key1 IS NOT NULL AND tag.key2 IS NULL") == ["exp2"]
    # Combined with value filter
    assert names("tag.key1 = 'value' AND tag.key2 IS NULL") == ["exp2"]
    # (MLflow then refuses "name IS NULL": "IS NULL / IS NOT NULL is only supported for
    # tags"; litetrack accepts IS NULL on any field, docs/mlflow-compat.md "Filter strings")


def test_search_experiments_order_by(client):
    _create_experiments(client, ["x", "y", "z"])

    def names(order_by):
        return [e.name for e in client.search_experiments(order_by=order_by)]

    assert names(["name"]) == ["Default", "x", "y", "z"]
    assert names(["name ASC"]) == ["Default", "x", "y", "z"]
    assert names(["name DESC"]) == ["z", "y", "x", "Default"]
    assert names(["experiment_id DESC"]) == ["z", "y", "x", "Default"]
    assert names(["name", "experiment_id"]) == ["Default", "x", "y", "z"]


def test_search_experiments_max_results(client):
    experiment_names = list(map(str, range(9)))
    _create_experiments(client, experiment_names)
    reversed_experiment_names = experiment_names[::-1]

    experiments = client.search_experiments()
    assert [e.name for e in experiments] == reversed_experiment_names + ["Default"]
    experiments = client.search_experiments(max_results=3)
    assert [e.name for e in experiments] == reversed_experiment_names[:3]


def test_search_experiments_max_results_validation(client):
    # MLflow 3.17: "Invalid value 0 for parameter 'max_results' supplied. It must be a
    # positive integer" (litetrack: "Invalid value for max_results: 0; it must be a positive
    # integer and at most 50000")
    with pytest.raises(MlflowException, match=r"Invalid value .*max_results.*positive integer"):
        client.search_experiments(max_results=0)
    with pytest.raises(MlflowException, match=r"Invalid value .*max_results.*at most 50000"):
        client.search_experiments(max_results=1_000_000)


def test_search_experiments_pagination(client):
    experiment_names = list(map(str, range(9)))
    _create_experiments(client, experiment_names)
    reversed_experiment_names = experiment_names[::-1]

    experiments = client.search_experiments(max_results=4)
    assert [e.name for e in experiments] == reversed_experiment_names[:4]
    assert experiments.token is not None
    experiments = client.search_experiments(max_results=4, page_token=experiments.token)
    assert [e.name for e in experiments] == reversed_experiment_names[4:8]
    assert experiments.token is not None
    experiments = client.search_experiments(max_results=4, page_token=experiments.token)
    assert [e.name for e in experiments] == reversed_experiment_names[8:] + ["Default"]
    assert experiments.token is None


def test_create_experiments(client):
    assert len(client.search_experiments(view_type=ViewType.ALL)) == 1
    time_before_create = _now()
    experiment_id = client.create_experiment(name="test exp")
    assert experiment_id == "1"
    assert len(client.search_experiments(view_type=ViewType.ALL)) == 2

    actual = client.get_experiment(experiment_id)
    assert actual.experiment_id == experiment_id
    assert actual.name == "test exp"
    assert actual.creation_time >= time_before_create
    assert actual.last_update_time == actual.creation_time

    with pytest.raises(MlflowException, match=r"'name' exceeds the maximum length"):
        client.create_experiment(name="x" * (MAX_EXPERIMENT_NAME_LENGTH + 1))
