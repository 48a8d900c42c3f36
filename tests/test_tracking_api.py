"""The fluent and client tracking API: names and meaning as in MLflow."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.entities import Metric, Param, RunTag, ViewType
from litetrack.errors import ExperimentAlreadyExists, InvalidState, RunNotFound


def test_default_experiment_and_store_from_env(store_path: Path) -> None:
    assert litetrack.get_tracking_uri() == str(store_path)
    with litetrack.start_run() as run:
        litetrack.log_metric("m", 1.0)
    got = litetrack.get_run(run.info.run_id)
    assert got.info.experiment_id == "0"
    assert litetrack.get_experiment("0").name == "Default"
    assert (store_path / "runs" / run.info.run_id / "run.json").exists()


def test_set_tracking_uri_path_and_file_uri(tmp_path: Path) -> None:
    litetrack.set_tracking_uri(tmp_path / "a")
    with litetrack.start_run():
        pass
    assert (tmp_path / "a" / "runs").is_dir()
    litetrack.set_tracking_uri((tmp_path / "b").as_uri())
    assert litetrack.get_tracking_uri() == (tmp_path / "b").as_uri()
    with litetrack.start_run():
        pass
    assert (tmp_path / "b" / "runs").is_dir()


def test_set_experiment_creates_and_returns(store_path: Path) -> None:
    exp = litetrack.set_experiment("taxi")
    assert exp.name == "taxi" and exp.experiment_id == "1"
    assert litetrack.set_experiment("taxi").experiment_id == "1"
    assert litetrack.set_experiment(experiment_id="1").name == "taxi"
    with litetrack.start_run() as run:
        pass
    assert litetrack.get_run(run.info.run_id).info.experiment_id == "1"
    assert litetrack.get_experiment_by_name("taxi").experiment_id == "1"
    assert litetrack.get_experiment_by_name("nope") is None


def test_experiment_names_unique_and_lifecycle(store_path: Path) -> None:
    eid = litetrack.create_experiment("e", tags={"team": "ml"})
    with pytest.raises(ExperimentAlreadyExists):
        litetrack.create_experiment("e")
    assert litetrack.get_experiment(eid).tags == {"team": "ml"}
    litetrack.delete_experiment(eid)
    assert litetrack.get_experiment(eid).lifecycle_stage == "deleted"
    names = [e.name for e in litetrack.search_experiments()]
    assert "e" not in names
    assert "e" in [e.name for e in litetrack.search_experiments(view_type=ViewType.ALL)]
    with pytest.raises(InvalidState):
        litetrack.set_experiment("e")
    with pytest.raises(ExperimentAlreadyExists):
        litetrack.create_experiment("e")  # deleted names stay taken, as in MLflow
    Client().restore_experiment(eid)
    assert litetrack.set_experiment("e").lifecycle_stage == "active"


def test_run_data_roundtrip(store_path: Path) -> None:
    with litetrack.start_run(run_name="first", tags={"a": 1}, description="hello") as run:
        litetrack.log_param("lr", 0.1)
        litetrack.log_params({"depth": 6, "obj": "reg"})
        litetrack.log_metric("rmse", 7.0, step=0)
        litetrack.log_metric("rmse", 6.0, step=1)
        litetrack.log_metrics({"mae": 3, "r2": 0.5}, step=2)
        litetrack.set_tag("team", "ml")
        litetrack.set_tags({"x": "y", "gone": "soon"})
        litetrack.delete_tag("gone")
        assert litetrack.get_run(run.run_id).data.metrics["rmse"] == 6.0  # live view
    r = litetrack.get_run(run.info.run_id)
    assert r.info.run_name == "first"
    assert r.info.status == "FINISHED"
    assert r.info.end_time >= r.info.start_time
    assert r.info.artifact_uri == f"runs:/{run.info.run_id}"
    assert r.info.lifecycle_stage == "active"
    assert r.data.params == {"lr": "0.1", "depth": "6", "obj": "reg"}
    assert r.data.metrics == {"rmse": 6.0, "mae": 3.0, "r2": 0.5}
    assert r.data.tags["team"] == "ml" and r.data.tags["a"] == "1" and "gone" not in r.data.tags
    assert r.data.tags["mlflow.runName"] == "first"
    assert r.data.tags["mlflow.note.content"] == "hello"
    hist = Client().get_metric_history(run.info.run_id, "rmse")
    assert [(m.value, m.step) for m in hist] == [(7.0, 0), (6.0, 1)]
    assert litetrack.last_active_run().info.run_id == run.info.run_id


def test_latest_metric_is_highest_step(store_path: Path) -> None:
    with litetrack.start_run() as run:
        litetrack.log_metric("m", 5.0, step=10)
        litetrack.log_metric("m", 1.0, step=3)  # logged later, older step
    assert litetrack.get_run(run.info.run_id).data.metrics["m"] == 5.0


def test_nan_and_inf_roundtrip(store_path: Path) -> None:
    with litetrack.start_run() as run:
        litetrack.log_metric("a", float("nan"))
        litetrack.log_metric("b", float("inf"))
        litetrack.log_metric("c", float("-inf"))
    m = litetrack.get_run(run.info.run_id).data.metrics
    assert math.isnan(m["a"]) and m["b"] == math.inf and m["c"] == -math.inf


def test_numpy_values_accepted(store_path: Path) -> None:
    np = pytest.importorskip("numpy")
    with litetrack.start_run() as run:
        litetrack.log_metric("a", np.float32(1.5), step=np.int64(2))
        litetrack.log_metric("b", np.int64(3))
    m = litetrack.get_run(run.info.run_id).data.metrics
    assert m == {"a": 1.5, "b": 3.0}


def test_context_manager_failed_on_exception(store_path: Path) -> None:
    with pytest.raises(ZeroDivisionError):
        with litetrack.start_run() as run:
            1 / 0  # noqa: B018
    assert litetrack.get_run(run.info.run_id).info.status == "FAILED"
    assert litetrack.active_run() is None


def test_nested_runs_record_parent(store_path: Path) -> None:
    with litetrack.start_run() as parent:
        with pytest.raises(InvalidState, match="nested=True"):
            litetrack.start_run()
        with litetrack.start_run(nested=True) as child:
            assert litetrack.active_run().info.run_id == child.info.run_id
        assert litetrack.active_run().info.run_id == parent.info.run_id
    c = litetrack.get_run(child.info.run_id)
    assert c.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert litetrack.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id


def test_log_without_active_run_starts_one(store_path: Path) -> None:
    litetrack.log_metric("x", 1.0)
    active = litetrack.active_run()
    assert active is not None
    litetrack.end_run()
    assert litetrack.get_run(active.run_id).data.metrics == {"x": 1.0}


def test_resume_run_and_end(store_path: Path) -> None:
    with litetrack.start_run() as run:
        litetrack.log_param("p", 1)
    with litetrack.start_run(run_id=run.info.run_id):
        litetrack.log_metric("later", 2.0)
        assert litetrack.get_run(run.info.run_id).info.status == "RUNNING"
    r = litetrack.get_run(run.info.run_id)
    assert r.info.status == "FINISHED" and r.data.metrics == {"later": 2.0}
    assert r.data.params == {"p": "1"}


def test_client_operations(store_path: Path) -> None:
    c = Client()
    eid = c.create_experiment("c")
    run = c.create_run(eid, run_name="r", tags={"k": "v"})
    rid = run.info.run_id
    assert run.info.status == "RUNNING"
    c.log_batch(
        rid,
        metrics=[Metric("m", 1.0, 1000, 0), Metric("m", 2.0, 2000, 1)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "x")],
    )
    c.log_param(rid, "p", "1")  # same value: fine
    c.set_terminated(rid)
    c.log_metric(rid, "eval", 0.9)  # after finishing, as MLflow allows
    r = c.get_run(rid)
    assert r.info.status == "FINISHED"
    assert r.data.metrics == {"m": 2.0, "eval": 0.9}
    assert [m.timestamp for m in c.get_metric_history(rid, "m")] == [1000, 2000]
    c.delete_run(rid)
    assert c.get_run(rid).info.lifecycle_stage == "deleted"
    assert c.search_runs([eid]) == []
    assert len(c.search_runs([eid], run_view_type=ViewType.DELETED_ONLY)) == 1
    c.restore_run(rid)
    assert [x.info.run_id for x in c.search_runs(eid)] == [rid]  # bare string id
    c.update_run(rid, name="renamed")
    assert c.get_run(rid).info.run_name == "renamed"
    with pytest.raises(RunNotFound):
        c.get_run("0" * 32)


def test_mlflow_client_alias() -> None:
    from litetrack.tracking import MlflowClient

    assert MlflowClient is Client and litetrack.MlflowClient is Client


def test_search_runs_order_and_paging(store_path: Path) -> None:
    c = Client()
    eid = c.create_experiment("s")
    ids = []
    for i, rmse in enumerate([3.0, 1.0, 2.0, None]):
        run = c.create_run(eid, start_time=1000 + i)
        if rmse is not None:
            c.log_metric(run.info.run_id, "rmse", rmse)
        c.log_param(run.info.run_id, "i", i)
        c.set_terminated(run.info.run_id)
        ids.append(run.info.run_id)
    got = [r.info.run_id for r in c.search_runs([eid], order_by=["metrics.rmse"])]
    assert got == [ids[1], ids[2], ids[0], ids[3]]  # missing last
    got = [r.info.run_id for r in c.search_runs([eid], order_by=["metrics.rmse DESC"])]
    assert got == [ids[0], ids[2], ids[1], ids[3]]
    default = [r.info.run_id for r in c.search_runs([eid])]
    assert default == ids[::-1]  # newest first
    page1 = c.search_runs([eid], max_results=3, order_by=["params.i"])
    assert page1.token is not None and len(page1) == 3
    page2 = c.search_runs([eid], max_results=3, order_by=["params.i"], page_token=page1.token)
    assert page2.token is None and [r.info.run_id for r in page1 + page2] == ids
    assert len(c.search_runs([eid], "metrics.rmse < 2.5")) == 2


def test_search_runs_dataframe(store_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    litetrack.set_experiment("df")
    for i in range(3):
        with litetrack.start_run():
            litetrack.log_param("max_depth", i)
            litetrack.log_metric("rmse", 5.0 - i)
    df = litetrack.search_runs(filter_string="metrics.rmse < 4.5", order_by=["metrics.rmse"])
    assert list(df["params.max_depth"]) == ["2", "1"]
    assert df["metrics.rmse"].dtype == "float64"
    assert str(df["start_time"].dtype).startswith("datetime64")
    for col in ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"):
        assert col in df.columns
    assert isinstance(df, pd.DataFrame)
    runs = litetrack.search_runs(output_format="list")
    assert len(runs) == 3


def test_search_runs_across_experiments_and_by_name(store_path: Path) -> None:
    pytest.importorskip("pandas")
    for name in ("a", "b"):
        litetrack.set_experiment(name)
        with litetrack.start_run():
            litetrack.log_metric("m", 1.0 if name == "a" else 2.0)
    litetrack.set_experiment("a")
    assert len(litetrack.search_runs()) == 1  # the active experiment only
    both = litetrack.search_runs(search_all_experiments=True, order_by=["metrics.m DESC"])
    assert list(both["metrics.m"]) == [2.0, 1.0]
    by_name = litetrack.search_runs(experiment_names=["b"], output_format="list")
    assert [r.data.metrics["m"] for r in by_name] == [2.0]
    assert len(litetrack.search_runs(experiment_ids="2")) == 1  # a bare string id
    with pytest.raises(litetrack.errors.InvalidArgument, match="output_format"):
        litetrack.search_runs(output_format="arrow")


def test_search_experiments_filter_and_order(store_path: Path) -> None:
    litetrack.create_experiment("alpha", tags={"team": "x"})
    litetrack.create_experiment("beta", tags={"team": "y"})
    assert [e.name for e in litetrack.search_experiments(filter_string="tags.team = 'y'")] == ["beta"]
    assert [e.name for e in litetrack.search_experiments(filter_string="name LIKE 'al%'")] == ["alpha"]
    names = [e.name for e in litetrack.search_experiments(order_by=["name DESC"])]
    assert names == ["beta", "alpha", "Default"]
