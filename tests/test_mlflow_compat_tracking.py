"""MLflow's own tracking cases (test_fluent.py, test_file_store.py,
test_sqlalchemy_store.py, test_tracking.py) whose results litetrack now shares:
inputs and expected outputs as MLflow's tests state them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import litetrack as mlflow
from litetrack import Client
from litetrack.entities import ViewType
from litetrack.errors import MlflowException


def _code(excinfo: pytest.ExceptionInfo[MlflowException]) -> str:
    return excinfo.value.error_code


# -- the Default experiment ---------------------------------------------------------


def test_fresh_store_lists_default_without_creating_the_store(store_path: Path) -> None:
    exps = mlflow.search_experiments()
    assert [(e.experiment_id, e.name) for e in exps] == [("0", "Default")]
    assert mlflow.get_experiment("0").name == "Default"
    assert mlflow.get_experiment_by_name("Default").experiment_id == "0"
    assert not store_path.exists()  # reads never write


def test_default_is_written_by_the_first_write_and_ordering_is_stable(store_path: Path) -> None:
    client = Client()
    ids = [client.create_experiment(f"e{i}") for i in range(5)]
    assert (store_path / "experiments" / "0.json").is_file()
    # MLflow's default order: creation_time DESC; every creation time is distinct.
    listed = [e.experiment_id for e in client.search_experiments()]
    assert listed == [*reversed(ids), "0"]
    asc = client.search_experiments(order_by=["creation_time ASC"])
    assert [e.experiment_id for e in asc] == ["0", *ids]
    assert len({e.creation_time for e in asc}) == 6


def test_default_experiment_takes_tags_before_any_run(store_path: Path) -> None:
    mlflow.set_experiment_tag("team", "ml")
    assert mlflow.get_experiment("0").tags == {"team": "ml"}


# -- fluent functions MLflow has ----------------------------------------------------


def test_set_experiment_tags_and_delete(store_path: Path) -> None:
    # test_fluent.py::test_set_experiment_tags
    exact = {"a": "b", "c": "d", "multiline": "x\ny\nz", "number": 123}
    mlflow.set_experiment("tagged")
    mlflow.set_experiment_tags(exact)
    mlflow.set_experiment_tag("single", "value")
    tags = mlflow.get_experiment_by_name("tagged").tags
    assert tags == {**{k: str(v) for k, v in exact.items()}, "single": "value"}
    mlflow.delete_experiment_tag("a")
    assert "a" not in mlflow.get_experiment_by_name("tagged").tags


def test_log_inputs_with_contexts_and_tags(store_path: Path) -> None:
    ds1 = {"name": "n1", "digest": "d1", "source_type": "local", "source": "s"}
    ds2 = {"name": "n2", "digest": "d2", "source_type": "local", "source": "s"}
    with mlflow.start_run() as run:
        mlflow.log_inputs([ds1, ds2], contexts=["train", "eval"], tags_list=[None, {"k": "v"}])
    inputs = Client().get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset["name"], i.context) for i in inputs] == [("n1", "train"), ("n2", "eval")]
    assert inputs[1].tags["k"] == "v"
    with mlflow.start_run(), pytest.raises(MlflowException, match="contexts has 1 items for 2"):
        mlflow.log_inputs([ds1, ds2], contexts=["train"])


def test_log_table_appends_and_records_the_artifact(store_path: Path) -> None:
    pytest.importorskip("pandas")
    # test_fluent.py::test_log_table: dict input, then rows appended to the same file.
    with mlflow.start_run() as run:
        mlflow.log_table({"inputs": ["What is MLflow?"], "outputs": ["A platform"]}, "qabot.json")
        mlflow.log_table({"inputs": ["And litetrack?"], "outputs": ["Local-first"]}, "qabot.json")
    client = Client()
    path = client.download_artifacts(run.info.run_id, "qabot.json")
    table = json.loads(Path(path).read_text())
    assert table["columns"] == ["inputs", "outputs"]
    assert table["data"] == [["What is MLflow?", "A platform"], ["And litetrack?", "Local-first"]]
    logged = json.loads(client.get_run(run.info.run_id).data.tags["mlflow.loggedArtifacts"])
    assert logged == [{"path": "qabot.json", "type": "table"}]
    with mlflow.start_run(), pytest.raises(MlflowException, match=r"\.json"):
        mlflow.log_table({"a": [1]}, "table.csv")


def test_load_table_reads_back_what_log_table_wrote(store_path: Path) -> None:
    pytest.importorskip("pandas")
    # test_fluent.py::test_load_table: tables of several runs, extra_columns, missing runs.
    run_ids = []
    for i in range(3):
        with mlflow.start_run() as run:
            mlflow.log_param("i", i)
            mlflow.log_table({"x": [i, i + 1], "run_id": ["a", "b"]}, "dir/tab_1.json")
            run_ids.append(run.info.run_id)
    with mlflow.start_run() as other:  # a table whose name differs only where LIKE's _ matches
        mlflow.log_table({"x": [9]}, "dir/tabX1.json")
    both = mlflow.load_table("dir/tab_1.json", run_ids=run_ids[:2], extra_columns=["run_id"])
    assert sorted(both["x"]) == [0, 1, 1, 2]
    assert set(both["run_id_"]) == set(run_ids[:2])  # the table has run_id: suffixed
    assert list(both["run_id"]) == ["a", "b", "a", "b"]
    every = mlflow.load_table("dir/tab_1.json", extra_columns=["params.i"])
    assert len(every) == 6 and sorted(set(every["params.i"])) == ["0", "1", "2"]
    with pytest.raises(MlflowException, match="no run has the table") as e:
        mlflow.load_table("dir/tab_1.json", run_ids=[other.info.run_id])
    assert _code(e) == "RESOURCE_DOES_NOT_EXIST"


def test_log_image_array_and_key_step(store_path: Path) -> None:
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    image = np.random.default_rng(0).integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
    with mlflow.start_run() as run:
        mlflow.log_image(image, "image.png")
        mlflow.log_image(image.astype("float64") / 255, key="dog", step=3)
        with pytest.raises(MlflowException, match="shape"):
            mlflow.log_image(np.zeros((2, 2, 5)), "bad.png")
        # Out of [0, 1]: clipped with a warning, as MLflow does (test_tracking.py::
        # test_log_image_numpy_emits_warning_for_out_of_range_values).
        mlflow.log_image(np.full((2, 2), 2.0), "clipped.png")
    names = [f.path for f in Client().list_artifacts(run.info.run_id)]
    assert "image.png" in names and "images" in names and "clipped.png" in names
    (entry,) = Client().list_artifacts(run.info.run_id, "images")
    assert entry.path.startswith("images/dog%step%3%timestamp%") and entry.path.endswith(".png")
    from PIL import Image

    got = Image.open(Client().download_artifacts(run.info.run_id, "image.png"))
    assert np.array_equal(np.asarray(got), image)


def test_generic_autolog_turns_on_installed_flavours(store_path: Path) -> None:
    sklearn = pytest.importorskip("sklearn")
    from sklearn.linear_model import LinearRegression

    assert "sklearn" in mlflow.autolog(log_models=False)
    try:
        LinearRegression().fit([[1.0], [2.0], [3.0]], [1.0, 2.0, 3.0])
        (run,) = mlflow.search_runs(output_format="list")
        assert run.data.tags["mlflow.autologging"] == "sklearn"
        assert "training_r2_score" in run.data.metrics
    finally:
        mlflow.autolog(disable=True)
    assert sklearn


def test_synchronous_false_returns_an_object_with_wait(store_path: Path) -> None:
    # test_fluent.py async logging: run_operations.wait()
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0, synchronous=False).wait()
        mlflow.log_metrics({"n": 2.0}, synchronous=False).wait()
        mlflow.log_param("p", "v", synchronous=False).wait()
        mlflow.log_params({"q": "w"}, synchronous=False).wait()
        mlflow.set_tag("t", "x", synchronous=False).wait()
        mlflow.set_tags({"u": "y"}, synchronous=False).wait()
        assert mlflow.log_metric("m", 2.0) is None
        assert mlflow.log_param("r", 3) == 3
    data = Client().get_run(run.info.run_id).data
    assert data.metrics == {"m": 2.0, "n": 2.0}
    assert data.params == {"p": "v", "q": "w", "r": "3"}


# -- validation ------------------------------------------------------------------------


def test_colon_in_keys_is_allowed(store_path: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("a:b", 3)
        mlflow.log_metric("eval:loss", 0.5)
        mlflow.set_tag("x:y", "z")
    data = Client().get_run(run.info.run_id).data
    assert data.params == {"a:b": "3"} and data.metrics == {"eval:loss": 0.5}
    assert data.tags["x:y"] == "z"


def test_log_text_normalises_dot_dot(store_path: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_text("a", "dir/../file.txt")
        with pytest.raises(MlflowException, match=r"'\.\.'"):
            mlflow.log_text("a", "../file.txt")
    assert [f.path for f in Client().list_artifacts(run.info.run_id)] == ["file.txt"]


def test_log_param_max_length_value(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # test_file_store.py::test_log_param_max_length_value
    client = Client()
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "new param", "x" * 6000)
    assert client.get_run(run_id).data.params["new param"] == "x" * 6000
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    with pytest.raises(MlflowException, match="6001 characters") as e:
        client.log_param(run_id, "other", "x" * 6001)
    assert _code(e) == "INVALID_PARAMETER_VALUE"
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "true")
    client.log_param(run_id, "other", "x" * 6001)
    assert client.get_run(run_id).data.params["other"] == "x" * 6000


# -- max_results ------------------------------------------------------------------------


def test_max_results(store_path: Path) -> None:
    client = Client()
    for _ in range(3):
        client.create_run("0")
    # MLflow 3.17: the SQL store's search_runs refuses 0 (its file store answers []
    # with a page token it then refuses); the fluent search_runs gives no rows.
    assert len(mlflow.search_runs(["0"], max_results=0)) == 0
    assert len(client.search_runs(["0"], max_results=2)) == 2
    for call in (
        lambda: client.search_runs(["0"], max_results=50_001),
        lambda: client.search_runs(["0"], max_results=-1),
        lambda: client.search_runs(["0"], max_results=0),
        lambda: client.search_experiments(max_results=50_001),
        lambda: client.search_experiments(max_results=0),  # MLflow: "must be a positive integer"
    ):
        with pytest.raises(MlflowException, match="Invalid value for (request parameter )?max_results") as e:
            call()
        assert _code(e) == "INVALID_PARAMETER_VALUE"


def test_fluent_search_runs_pages_beyond_one_page(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import litetrack.search

    monkeypatch.setattr(litetrack.search, "RUNS_MAX_RESULTS", 2)
    client = Client()
    ids = {client.create_run("0").info.run_id for _ in range(5)}
    assert {r.info.run_id for r in mlflow.search_runs(["0"], output_format="list")} == ids
    assert len(mlflow.search_runs(["0"], max_results=3, output_format="list")) == 3


# -- deleted experiments -------------------------------------------------------------------


def test_deleted_experiment(store_path: Path) -> None:
    client = Client()
    exp = client.create_experiment("doomed")
    run_id = client.create_run(exp).info.run_id
    client.delete_experiment(exp)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([exp]) == []
    assert [r.info.run_id for r in client.search_runs([exp], run_view_type=ViewType.DELETED_ONLY)] == [run_id]
    # test_file_store.py::test_set_experiment_tags: "must be in the 'active' ..."
    for call in (
        lambda: client.set_experiment_tag(exp, "should", "notset"),
        lambda: client.rename_experiment(exp, "renamed"),
    ):
        with pytest.raises(MlflowException, match="must be in the 'active' state") as e:
            call()
        assert _code(e) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="deleted experiment") as e:
        mlflow.set_experiment(experiment_id=exp)
    assert _code(e) == "INVALID_PARAMETER_VALUE"
    client.restore_experiment(exp)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    client.set_experiment_tag(exp, "now", "fine")


# -- run names --------------------------------------------------------------------------------


def test_run_names(store_path: Path) -> None:
    client = Client()
    run = client.create_run("0", run_name="")
    assert run.info.run_name  # generated, as MLflow does for ""
    with pytest.raises(MlflowException, match="different values") as e:
        client.create_run("0", run_name="a", tags={"mlflow.runName": "b"})
    assert _code(e) == "INVALID_PARAMETER_VALUE"
    same = client.create_run("0", run_name="a", tags={"mlflow.runName": "a"})
    assert same.info.run_name == "a"
    client.update_run(run.info.run_id, "FINISHED", "")
    assert client.get_run(run.info.run_id).info.run_name == run.info.run_name
    client.update_run(run.info.run_id, name="renamed")
    assert client.get_run(run.info.run_id).info.run_name == "renamed"


# -- times and ordering -------------------------------------------------------------------------


def test_set_terminated_keeps_an_explicit_end_time(store_path: Path) -> None:
    client = Client()
    run_id = client.create_run("0").info.run_id
    client.set_terminated(run_id, "SCHEDULED", 12345)
    info = client.get_run(run_id).info
    assert (info.status, info.end_time) == ("SCHEDULED", 12345)


@pytest.mark.parametrize("index", ["1", "0"])
def test_end_time_desc_puts_unfinished_runs_last(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, index: str
) -> None:
    monkeypatch.setenv("LITETRACK_INDEX", index)
    client = Client()
    running = client.create_run("0", start_time=3).info.run_id
    early = client.create_run("0", start_time=1).info.run_id
    late = client.create_run("0", start_time=2).info.run_id
    client.set_terminated(early, end_time=10)
    client.set_terminated(late, end_time=20)
    desc = client.search_runs(["0"], order_by=["attribute.end_time DESC"])
    asc = client.search_runs(["0"], order_by=["attribute.end_time ASC"])
    assert [r.info.run_id for r in desc] == [late, early, running]
    assert [r.info.run_id for r in asc] == [early, late, running]


def test_latest_metric_tie_takes_the_max_value(store_path: Path) -> None:
    # test_sqlalchemy_store.py: same step and timestamp -> the maximum value is "latest"
    client = Client()
    run_id = client.create_run("0").info.run_id
    for value in (3.0, 7.0, 5.0, math.nan):
        client.log_metric(run_id, "m", value, timestamp=100, step=1)
    client.log_metric(run_id, "n", 1.0, timestamp=100, step=2)
    client.log_metric(run_id, "n", 9.0, timestamp=99, step=2)
    assert client.get_run(run_id).data.metrics == {"m": 7.0, "n": 1.0}
    # History as MLflow 3.17's SQL store orders it: timestamp, step, value (a NaN as 0).
    history = [m.value for m in client.get_metric_history(run_id, "m")]
    assert math.isnan(history[0]) and history[1:] == [3.0, 5.0, 7.0]


# -- smaller ---------------------------------------------------------------------------------------


def test_search_runs_ids_and_names_together_raise(store_path: Path) -> None:
    with pytest.raises(MlflowException, match="not both") as e:
        mlflow.search_runs(experiment_ids=["0"], experiment_names=["Default"])
    assert _code(e) == "INVALID_PARAMETER_VALUE"


def test_search_runs_frame_has_nan_for_missing_params_and_tags(store_path: Path) -> None:
    pytest.importorskip("pandas")
    client = Client()
    a = client.create_run("0", start_time=2).info.run_id
    client.create_run("0", start_time=1)
    client.log_param(a, "p", "1")
    client.set_tag(a, "t", "x")
    frame = mlflow.search_runs(["0"])
    assert frame["params.p"].tolist()[0] == "1"
    assert math.isnan(frame["params.p"].tolist()[1])
    assert math.isnan(frame["tags.t"].tolist()[1])


def test_search_runs_frame_string_columns_have_pandas_inferred_dtype(store_path: Path) -> None:
    # MLflow builds the frame from plain lists, so params and tags get the dtype pandas
    # infers for strings (``str`` on pandas 3, ``object`` before), like run_id and status.
    pd = pytest.importorskip("pandas")
    client = Client()
    a = client.create_run("0", start_time=2).info.run_id
    client.create_run("0", start_time=1)
    client.log_param(a, "p", "1")
    client.set_tag(a, "t", "x")
    frame = mlflow.search_runs(["0"])
    expected = pd.Series(["x", float("nan")]).dtype
    assert frame["params.p"].dtype == expected
    assert frame["tags.t"].dtype == expected
    assert frame["run_id"].dtype == pd.Series(["x"]).dtype
    assert frame["params.p"].str.len().tolist()[0] == 1


def test_mlflow_names_left_out_say_so(store_path: Path) -> None:
    # A common MLflow call litetrack does not implement fails at once, naming the call
    # and why, with the AttributeError hasattr() expects (never a deep traceback).
    for name, why in [
        ("evaluate", "evaluation"),
        ("pytorch", "flavours"),
        ("search_logged_models", "LoggedModel"),
        ("trace", "tracing"),
    ]:
        with pytest.raises(AttributeError, match=rf"does not implement mlflow\.{name}: .*{why}"):
            getattr(mlflow, name)
        assert not hasattr(mlflow, name)
    with pytest.raises(AttributeError, match="no attribute 'no_such_call'"):
        mlflow.no_such_call  # noqa: B018
    # Accepted and ignored, as log_system_metrics= and synchronous=False are.
    with mlflow.start_run():
        mlflow.log_metric("m", 1.0, synchronous=False)
        mlflow.flush_async_logging()
    mlflow.enable_system_metrics_logging()
    mlflow.disable_system_metrics_logging()


def test_mlflow_module_paths_import() -> None:
    # Paths MLflow's docs and notebooks import from, after the mlflow -> litetrack rewrite.
    from litetrack.client import MlflowClient as FromClient
    from litetrack.data.numpy_dataset import NumpyDataset
    from litetrack.data.pandas_dataset import PandasDataset
    from litetrack.models.signature import ModelSignature
    from litetrack.tracking.client import MlflowClient as FromTrackingClient
    from litetrack.types.schema import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec

    assert FromClient is FromTrackingClient is mlflow.MlflowClient
    assert PandasDataset is mlflow.data.PandasDataset and NumpyDataset is mlflow.data.NumpyDataset
    assert Schema is mlflow.types.Schema and ColSpec is mlflow.types.ColSpec
    assert ParamSchema and ParamSpec and TensorSpec and ModelSignature


def test_mlflow_tags_constants_are_the_keys_litetrack_writes(store_path: Path) -> None:
    from litetrack.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME, MLFLOW_USER

    with mlflow.start_run(run_name="outer") as outer:
        with mlflow.start_run(run_name="inner", nested=True) as inner:
            pass
    tags = mlflow.get_run(inner.info.run_id).data.tags
    assert tags[MLFLOW_PARENT_RUN_ID] == outer.info.run_id
    assert tags[MLFLOW_RUN_NAME] == "inner" and MLFLOW_USER in tags
    found = mlflow.search_runs(filter_string=f"tags.{MLFLOW_PARENT_RUN_ID} = '{outer.info.run_id}'")
    assert list(found["run_id"]) == [inner.info.run_id]
