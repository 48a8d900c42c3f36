"""MLflow's own search cases (tests/store/tracking/test_file_store.py and
test_sqlalchemy_store.py), kept with their inputs and expected results.

Each case runs twice: through the SQLite index and by a scan of the run
documents (``LITETRACK_INDEX=0``); both must give MLflow's answer.
"""

from __future__ import annotations

import math
import time

import pytest

from litetrack import Client
from litetrack.entities import DatasetInput
from litetrack.errors import MlflowException

CONTEXT = "mlflow.data.context"


@pytest.fixture(params=["index", "scan"])
def client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Client:
    if request.param == "scan":
        monkeypatch.setenv("LITETRACK_INDEX", "0")
    return Client()


def _dataset(n: int) -> dict[str, str]:
    return {
        "name": f"name{n}", "digest": f"digest{n}", "source_type": f"st{n}",
        "source": f"source{n}", "schema": f"schema{n}", "profile": f"profile{n}",
    }


@pytest.fixture
def three_runs(client: Client) -> tuple[str, list[str]]:
    """MLflow's test_search_runs_datasets fixture: three runs and their inputs."""
    exp = client.create_experiment("datasets")
    runs = [client.create_run(exp, start_time=i).info.run_id for i in range(3)]
    test, train, evaluation = ({CONTEXT: c} for c in ("test", "train", "eval"))
    client.log_inputs(runs[0], [DatasetInput(_dataset(1), train), DatasetInput(_dataset(2), evaluation)])
    client.log_inputs(runs[1], [DatasetInput(_dataset(1), train), DatasetInput(_dataset(3), evaluation)])
    client.log_inputs(runs[2], [DatasetInput(_dataset(2), test)])
    return exp, runs


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        ("dataset.name = 'name1'", {0, 1}),
        ("dataset.digest = 'digest2'", {0, 2}),
        ("dataset.name = 'name4'", set()),
        ("dataset.context = 'train'", {0, 1}),
        ("dataset.context = 'test'", {2}),
        ("dataset.context = 'test' and dataset.name = 'name2'", {2}),
        ("dataset.name = 'name2' and dataset.context = 'test'", {2}),
        ("datasets.name IN ('name1', 'name2')", {0, 1, 2}),
        ("datasets.digest IN ('digest1', 'digest2')", {0, 1, 2}),
        ("datasets.name LIKE 'Name%'", set()),
        ("datasets.name ILIKE 'Name%'", {0, 1, 2}),
        ("datasets.context ILIKE 'test%'", {2}),
        ("datasets.context IN ('test', 'train')", {0, 1, 2}),
        # MLflow's meaning of != and NOT IN: *some* input differs.
        ("dataset.name != 'name1'", {0, 1, 2}),
        ("dataset.name NOT IN ('name1', 'name3')", {0, 2}),
    ],
)
def test_search_runs_datasets(
    client: Client, three_runs: tuple[str, list[str]], filter_string: str, expected: set[int]
) -> None:
    exp, runs = three_runs
    found = {r.info.run_id for r in client.search_runs([exp], filter_string)}
    assert found == {runs[i] for i in expected}


def test_dataset_filters_combine_with_params(client: Client) -> None:
    # test_sqlalchemy_store.py: param filter + dataset filters
    exp = client.create_experiment("combined")
    run1 = client.create_run(exp).info.run_id
    run2 = client.create_run(exp).info.run_id
    client.log_param(run1, "learning_rate", "0.01")
    client.log_param(run1, "batch_size", "32")
    client.log_param(run2, "batch_size", "32")
    client.log_param(run2, "learning_rate", "0.02")
    ds = {"name": "train_data", "digest": "digest1", "source_type": "local", "source": "source1"}
    for run in (run1, run2):
        client.log_inputs(run, [DatasetInput(ds, {CONTEXT: "training"})])
    for f in (
        "params.learning_rate = '0.01' AND dataset.name = 'train_data'",
        "params.learning_rate = '0.01' AND dataset.context = 'training'",
        "params.learning_rate = '0.01' AND params.batch_size = '32' AND dataset.name = 'train_data'",
        "params.learning_rate = '0.01' AND dataset.name = 'train_data' AND dataset.context = 'training'",
    ):
        assert [r.info.run_id for r in client.search_runs([exp], f)] == [run1], f


def test_runs_without_inputs_never_match_a_dataset_comparison(client: Client) -> None:
    exp = client.create_experiment("none")
    client.create_run(exp)
    assert client.search_runs([exp], "dataset.name != 'x'") == []
    assert client.search_runs([exp], "dataset.name NOT IN ('x')") == []


@pytest.mark.parametrize(
    "filter_string, fragment",
    [
        ("dataset.foobar = 'x'", "invalid dataset key 'foobar'"),
        ("dataset.name = 3", "quote the value"),
        ("dataset.name > 'a'", "operator >"),
    ],
)
def test_bad_dataset_filters_are_invalid_parameter_values(
    client: Client, filter_string: str, fragment: str
) -> None:
    with pytest.raises(MlflowException, match=fragment) as info:
        client.search_runs(["0"], filter_string)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_order_by_dataset_is_refused_as_in_mlflow(client: Client) -> None:
    # MLflow: "Invalid order_by entity type 'dataset'"
    with pytest.raises(MlflowException, match="dataset.name") as info:
        client.search_runs(["0"], order_by=["dataset.name"])
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_nan_sorts_between_numbers_and_missing(client: Client) -> None:
    # SearchUtils._get_value_for_sort: NaN after every number, missing last, both directions.
    exp = client.create_experiment("nan")
    ids = {}
    for name, value in (("one", 1.0), ("nan", math.nan), ("two", 2.0), ("missing", None)):
        run = client.create_run(exp, run_name=name).info.run_id
        ids[run] = name
        if value is not None:
            client.log_metric(run, "x", value)
    asc = [ids[r.info.run_id] for r in client.search_runs([exp], order_by=["metrics.x ASC"])]
    desc = [ids[r.info.run_id] for r in client.search_runs([exp], order_by=["metrics.x DESC"])]
    assert asc == ["one", "two", "nan", "missing"]
    assert desc == ["two", "one", "nan", "missing"]


def test_filters_mlflow_refuses_are_kept_as_a_superset(client: Client) -> None:
    # MLflow raises on these; litetrack gives them their plain meaning (docs/mlflow-compat.md).
    from litetrack.entities import ViewType

    exp = client.create_experiment("superset")
    kept = client.create_run(exp, start_time=2).info.run_id
    gone = client.create_run(exp, start_time=1).info.run_id
    client.log_param(kept, "x", "b")
    client.log_param(gone, "x", "a")
    client.delete_run(gone)
    every = ViewType.ALL
    found = client.search_runs([exp], "attribute.lifecycle_stage = 'deleted'", every)
    assert [r.info.run_id for r in found] == [gone]
    found = client.search_runs([exp], f"attribute.experiment_id = '{exp}'", every)
    assert {r.info.run_id for r in found} == {kept, gone}
    ordered = client.search_runs([exp], "", every, order_by=["attribute.lifecycle_stage DESC"])
    assert [r.info.run_id for r in ordered] == [gone, kept]
    ordered = client.search_runs([exp], "", every, order_by=["params.x "])
    assert [r.info.run_id for r in ordered] == [gone, kept]
    assert client.search_runs([exp], "", every, order_by=["attribute.experiment_id"])


@pytest.mark.parametrize(
    "order_by",
    [
        ["metrics.x ASC", "metrics.x DESC"],
        ["start_time", "attributes.start_time DESC"],
        ["params.p", "tags.t", "params.p"],
    ],
)
def test_order_by_naming_a_field_twice_raises(client: Client, order_by: list[str]) -> None:
    # MLflow 3.17 (SQLite store) raises "`order_by` contains duplicate fields: [...]".
    exp = client.create_experiment("dup")
    client.create_run(exp)
    with pytest.raises(MlflowException, match="same field twice") as info:
        client.search_runs([exp], order_by=order_by)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    "filter_string, expected",
    [
        # MLflow 3.17 answers these in its SQLite and file stores alike: a NaN
        # metric compares as IEEE floats do (NaN != x is true, the rest false);
        # a run without the metric never matches.
        ("metrics.x != 1", ["nan"]),
        ("metrics.x != 2", ["nan", "one"]),
        ("metrics.x = 1", ["one"]),
        ("metrics.x >= -1e300", ["one"]),
        ("metrics.x < 1e300", ["one"]),
        ("metrics.x != 2 AND params.p = 'a'", ["nan", "one"]),
    ],
)
def test_nan_metric_is_unequal_to_every_number(
    client: Client, filter_string: str, expected: list[str]
) -> None:
    exp = client.create_experiment("nan-filter")
    names = {}
    for i, (name, value) in enumerate((("one", 1.0), ("nan", math.nan), ("missing", None))):
        run = client.create_run(exp, run_name=name, start_time=i + 1).info.run_id
        names[run] = name
        client.log_param(run, "p", "a")
        if value is not None:
            client.log_metric(run, "x", value)
    found = client.search_runs([exp], filter_string, order_by=["attributes.start_time DESC"])
    assert [names[r.info.run_id] for r in found] == expected


def _names(client: Client, exp: str, order_by: list[str]) -> list[str]:
    return [r.info.run_name for r in client.search_runs([exp], order_by=order_by)]


def test_order_by_metric_tag_param(client: Client) -> None:
    # MLflow's test_sqlalchemy_store.py::test_order_by_metric_tag_param, its expectations.
    exp = client.create_experiment("order_by_metric")
    for x, y in zip(
        [None, "nan", "inf", "-inf", "-1000", "0", "0", "1000"],
        ["1", "2", "3", "4", "5", "6", "7", "8"],
        strict=True,
    ):
        run = client.create_run(exp, start_time=123, tags={"metric": y}, run_name=f"{x}/{y}")
        rid = run.info.run_id
        if x is not None:
            client.log_metric(rid, "x", float(x), timestamp=1, step=0)
            client.log_metric(rid, "y", float(y), timestamp=1, step=0)
        client.log_param(rid, "metric", y)
    up = ["-inf/4", "-1000/5", "0/6", "0/7", "1000/8", "inf/3", "nan/2", "None/1"]
    up_down = ["-inf/4", "-1000/5", "0/7", "0/6", "1000/8", "inf/3", "nan/2", "None/1"]
    assert _names(client, exp, ["metrics.x asc", "metrics.y asc"]) == up
    assert _names(client, exp, ["metrics.x asc", "tag.metric asc"]) == up
    assert _names(client, exp, ["metrics.x asc", "metrics.y desc"]) == up_down
    assert _names(client, exp, ["metrics.x asc", "tag.metric desc"]) == up_down
    assert _names(client, exp, ["metrics.x desc", "metrics.y asc"]) == [
        "inf/3", "1000/8", "0/6", "0/7", "-1000/5", "-inf/4", "nan/2", "None/1",
    ]
    assert _names(client, exp, ["metrics.x desc", "param.metric desc"]) == [
        "inf/3", "1000/8", "0/7", "0/6", "-1000/5", "-inf/4", "nan/2", "None/1",
    ]


def test_order_by_attributes(client: Client) -> None:
    # MLflow's test_sqlalchemy_store.py::test_order_by_attributes: a missing end time is
    # last. MLflow's case has an end time of -123, which litetrack refuses as a
    # time; 1 takes its place (same order).
    exp = client.create_experiment("order_by_attributes")
    for i, end in enumerate([234, None, 456, 1, 789, 123]):
        rid = client.create_run(exp, start_time=123 + i, run_name=str(end)).info.run_id
        if end is not None:
            client.set_terminated(rid, "FINISHED", end)
    assert _names(client, exp, ["attribute.end_time asc"]) == [
        "1", "123", "234", "456", "789", "None",
    ]
    assert _names(client, exp, ["attribute.end_time desc"]) == [
        "789", "456", "234", "123", "1", "None",
    ]
    assert _names(client, exp, ["attribute.start_time asc", "attribute.end_time desc"]) == [
        "234", "None", "456", "1", "789", "123",
    ]


def test_search_metrics_compare_the_latest_value(client: Client) -> None:
    # MLflow's test_sqlalchemy_store.py::test_search_metrics: the value compared is the
    # one with the latest (step, timestamp), not the latest logged or the largest.
    exp = client.create_experiment("search_metric")
    r1 = client.create_run(exp, start_time=2).info.run_id
    r2 = client.create_run(exp, start_time=1).info.run_id
    for run, key, value, timestamp in (
        (r1, "common", 1.0, 1), (r2, "common", 1.0, 1),
        (r1, "measure_a", 1.0, 1), (r2, "measure_a", 200.0, 2), (r2, "measure_a", 400.0, 3),
        (r1, "m_a", 2.0, 2),
        (r2, "m_b", 3.0, 2), (r2, "m_b", 4.0, 8), (r2, "m_b", 8.0, 3),  # 4.0: last timestamp
    ):
        client.log_metric(run, key, value, timestamp=timestamp, step=0)
    both, one, two, none = [r1, r2], [r1], [r2], []
    for filter_string, expected in (
        ("metrics.common = 1.0", both), ("metrics.common > 0.0", both),
        ("metrics.common >= 0.0", both), ("metrics.common < 4.0", both),
        ("metrics.common <= 4.0", both), ("metrics.common != 1.0", none),
        ("metrics.common >= 3.0", none), ("metrics.common <= 0.75", none),
        ("metrics.measure_a > 0.0", both), ("metrics.measure_a < 50.0", one),
        ("metrics.measure_a < 1000.0", both), ("metrics.measure_a != -12.0", both),
        ("metrics.measure_a > 50.0", two), ("metrics.measure_a = 1.0", one),
        ("metrics.measure_a = 400.0", two), ("metrics.m_a > 1.0", one),
        ("metrics.m_b > 1.0", two), ("metrics.m_b > 5.0", none), ("metrics.m_b = 4.0", two),
    ):
        found = [r.info.run_id for r in client.search_runs([exp], filter_string)]
        assert found == expected, filter_string


def test_search_with_deterministic_max_results(client: Client) -> None:
    # MLflow's test_sqlalchemy_store.py: runs with one start time come in run-id order,
    # so every max_results gives a prefix of the same list; pages follow it.
    exp = client.create_experiment("deterministic")
    runs = sorted(client.create_run(exp, start_time=10).info.run_id for _ in range(10))
    for n in (1, 2, 4, 8, 10, 20):
        assert [r.info.run_id for r in client.search_runs([exp], max_results=n)] == runs[:n]
    page = client.search_runs([exp], max_results=4)
    rest = client.search_runs([exp], max_results=4, page_token=page.token)
    assert [r.info.run_id for r in page] + [r.info.run_id for r in rest] == runs[:8]


def _exp_names(client: Client, **kw: object) -> list[str]:
    return [e.name for e in client.search_experiments(**kw)]  # type: ignore[arg-type]


def test_search_experiments_filter_by_attribute_and_tag(client: Client) -> None:
    # MLflow's test_sqlalchemy_store.py::test_search_experiments_filter_by_attribute,
    # _by_tag and _by_attribute_and_tag, with their expectations (newest first).
    for name in ("a", "ab", "Abc"):
        client.create_experiment(name)
    assert _exp_names(client, filter_string="name = 'a'") == ["a"]
    assert _exp_names(client, filter_string="attribute.name = 'a'") == ["a"]
    assert _exp_names(client, filter_string="attribute.`name` = 'a'") == ["a"]
    assert _exp_names(client, filter_string="attribute.`name` != 'a'") == ["Abc", "ab", "Default"]
    assert _exp_names(client, filter_string="name LIKE 'a%'") == ["ab", "a"]
    assert _exp_names(client, filter_string="name ILIKE 'a%'") == ["Abc", "ab", "a"]
    assert _exp_names(client, filter_string="name ILIKE 'a%' AND name ILIKE '%b'") == ["ab"]
    for name, tags in (
        ("exp1", {"key1": "value", "key2": "value", "a": "1"}),
        ("exp2", {"key1": "vaLue", "key2": "vaLue", "a": "3"}),
        ("exp3", {"k e y 1": "value"}),
    ):
        client.create_experiment(name, tags=tags)
    for filter_string, expected in (
        ("tag.key1 = 'value'", ["exp1"]),
        ("tag.`k e y 1` = 'value'", ["exp3"]),
        ('tag."k e y 1" = \'value\'', ["exp3"]),
        ("tag.key1 != 'value'", ["exp2"]),
        ("tag.key1 != 'VALUE'", ["exp2", "exp1"]),
        ("tag.key1 LIKE 'val%'", ["exp1"]),
        ("tag.key1 LIKE '%Lue'", ["exp2"]),
        ("tag.key1 ILIKE '%alu%'", ["exp2", "exp1"]),
        ("tag.key1 LIKE 'va%' AND tag.key2 LIKE '%Lue'", ["exp2"]),
        ("tag.KEY = 'value'", []),
        ("name ILIKE 'exp%' AND tags.a = '1'", ["exp1"]),
    ):
        assert _exp_names(client, filter_string=filter_string) == expected, filter_string


def test_search_experiments_by_time_and_order(client: Client) -> None:
    # MLflow's test_search_experiments_filter_by_time_attribute, _order_by and
    # _order_by_time_attribute (test_sqlalchemy_store.py), expectations as there.
    ids = [client.create_experiment(name) for name in ("x", "y", "z")]
    x = client.get_experiment(ids[0])
    assert _exp_names(client, filter_string=f"creation_time = {x.creation_time}") == ["x"]
    assert _exp_names(client, filter_string=f"creation_time != {x.creation_time}") == [
        "z", "y", "Default",
    ]
    assert _exp_names(client, filter_string=f"creation_time >= {x.creation_time}") == [
        "z", "y", "x",
    ]
    assert _exp_names(client, filter_string=f"creation_time < {x.creation_time}") == ["Default"]
    assert _exp_names(client, order_by=["name"]) == ["Default", "x", "y", "z"]
    assert _exp_names(client, order_by=["name ASC"]) == ["Default", "x", "y", "z"]
    assert _exp_names(client, order_by=["name DESC"]) == ["z", "y", "x", "Default"]
    assert _exp_names(client, order_by=["experiment_id DESC"]) == ["z", "y", "x", "Default"]
    assert _exp_names(client, order_by=["name", "experiment_id"]) == ["Default", "x", "y", "z"]
    assert _exp_names(client, order_by=["creation_time"]) == ["Default", "x", "y", "z"]
    assert _exp_names(client, order_by=["creation_time DESC"]) == ["z", "y", "x", "Default"]
    time.sleep(0.002)
    client.rename_experiment(ids[0], "new_name")
    renamed = client.get_experiment(ids[0]).last_update_time
    assert _exp_names(client, filter_string=f"last_update_time >= {renamed}") == ["new_name"]
    assert _exp_names(client, order_by=["last_update_time"])[-1] == "new_name"


def test_order_by_given_as_a_string_says_to_pass_a_list(client: Client) -> None:
    # MLflow 3.17 reads order_by="metrics.loss" letter by letter ("Invalid attribute key
    # 'm'"); litetrack raises as well, naming the mistake.
    exp = client.create_experiment("str-order")
    client.create_run(exp)
    searches = (
        lambda: client.search_runs([exp], order_by="metrics.loss"),  # type: ignore[arg-type]
        lambda: client.search_experiments(order_by="name"),  # type: ignore[arg-type]
        lambda: client.search_registered_models(order_by="name"),  # type: ignore[arg-type]
        lambda: client.search_model_versions(order_by="name"),  # type: ignore[arg-type]
    )
    for search in searches:
        with pytest.raises(MlflowException, match=r"must be a list of strings") as info:
            search()
        assert info.value.error_code == "INVALID_PARAMETER_VALUE"
