"""MLflow's client and entity cases (tests/tracking/test_client.py, test_tracking.py,
test_fluent.py, the docstring examples of ``MlflowClient``) whose results litetrack shares,
checked against MLflow 3.17 with the same calls: ``import litetrack as mlflow`` only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import litetrack as mlflow
from litetrack import MlflowClient
from litetrack.errors import MlflowException

TABLE = {
    "inputs": ["What is MLflow?", "What is Databricks?"],
    "outputs": ["MLflow is ...", "Databricks is ..."],
    "toxicity": [0.0, 0.0],
}


# -- MlflowClient.load_table ----------------------------------------------------------


def test_client_load_table_docstring_examples(store_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    # MlflowClient.load_table's two documented examples: with run_ids, and without.
    df = pd.DataFrame.from_dict(TABLE)
    client = MlflowClient()
    run = client.create_run(experiment_id="0")
    client.log_table(run.info.run_id, data=df, artifact_file="qabot_eval_results.json")
    loaded = client.load_table(
        experiment_id="0",
        artifact_file="qabot_eval_results.json",
        run_ids=[run.info.run_id],
        extra_columns=["run_id"],
    )
    assert list(loaded.columns) == ["inputs", "outputs", "toxicity", "run_id"]
    assert list(loaded["run_id"]) == [run.info.run_id] * 2
    # pandas reads the all-zero float column back as int64, in MLflow 3.17 as here.
    pd.testing.assert_frame_equal(loaded.drop(columns="run_id"), df, check_dtype=False)
    other = client.create_run(experiment_id="0")
    client.log_table(other.info.run_id, data=df, artifact_file="qabot_eval_results.json")
    every = client.load_table(
        experiment_id="0", artifact_file="qabot_eval_results.json", extra_columns=["run_id"]
    )
    assert len(every) == 4 and set(every["run_id"]) == {run.info.run_id, other.info.run_id}


def test_client_load_table_stays_in_its_experiment_and_store(
    store_path: Path, tmp_path: Path
) -> None:
    pytest.importorskip("pandas")
    # As the fluent load_table (test_fluent.py::test_load_table), per experiment; and a
    # client of another store reads that store, not the current one.
    client = MlflowClient()
    exp = client.create_experiment("tables")
    ids = []
    for exp_id in ("0", exp, exp):
        run = client.create_run(exp_id)
        client.log_table(run.info.run_id, TABLE, "t.json")
        client.set_tag(run.info.run_id, "test_tag", "test_value")
        ids.append(run.info.run_id)
    out = client.load_table(exp, "t.json", extra_columns=["run_id", "tags.test_tag"])
    assert out.shape[0] == 4 and set(out["run_id"]) == set(ids[1:])
    assert set(out["tags.test_tag"]) == {"test_value"}
    with pytest.raises(KeyError, match="error_column"):
        client.load_table(exp, "t.json", extra_columns=["error_column"])
    with pytest.raises(MlflowException, match="No runs found with the corresponding table") as e:
        client.load_table(exp, "test_table_does_not_exist.json")
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    # The fluent call is the client's on the current experiment.
    mlflow.set_experiment(experiment_id=exp)
    assert mlflow.load_table("t.json").shape[0] == 4
    elsewhere = MlflowClient(tracking_uri=str(tmp_path / "other-store"))
    run = elsewhere.create_run("0")
    elsewhere.log_table(run.info.run_id, {"x": [1]}, "t.json")
    assert list(elsewhere.load_table("0", "t.json")["x"]) == [1]
    assert client.load_table("0", "t.json").shape[0] == 2  # the first store's run in "0"


# -- mlflow.entities ------------------------------------------------------------------


def test_entities_a_tracking_user_imports() -> None:
    from litetrack.entities import (  # noqa: F401 - MLflow's names import
        Dataset,
        DatasetInput,
        Experiment,
        ExperimentTag,
        FileInfo,
        InputTag,
        LifecycleStage,
        Metric,
        Param,
        Run,
        RunData,
        RunInfo,
        RunInputs,
        RunStatus,
        RunTag,
        SourceType,
        ViewType,
    )

    assert SourceType.to_string(SourceType.NOTEBOOK) == "NOTEBOOK"
    assert SourceType.from_string("LOCAL") == SourceType.LOCAL == 4
    with pytest.raises(MlflowException, match="'NOPE'.*NOTEBOOK"):
        SourceType.from_string("NOPE")
    info = FileInfo("a/b.txt", False, 3)
    assert (info.path, info.is_dir, info.file_size) == ("a/b.txt", False, 3)
    assert info == FileInfo("a/b.txt", False, 3) and info != FileInfo("a", True, None)
    tag = InputTag("mlflow.data.context", "training")
    assert (tag.key, tag.value) == ("mlflow.data.context", "training")


def test_dataset_entities_as_mlflow_builds_them(store_path: Path) -> None:
    # MLflow builds inputs as DatasetInput(Dataset(...), [InputTag(...)]) and logs them with
    # MlflowClient.log_inputs (test_client.py::test_log_inputs); source/schema are JSON text.
    from litetrack.entities import Dataset, DatasetInput, InputTag

    schema = json.dumps({"mlflow_colspec": [{"type": "double", "name": "x"}]})
    ds = Dataset(name="train", digest="abc123", source_type="local",
                 source=json.dumps({"uri": "/data/train.csv"}), schema=schema)
    assert (ds.name, ds.digest, ds.source_type, ds.schema, ds.profile) == (
        "train", "abc123", "local", schema, None
    )
    client = MlflowClient()
    run = client.create_run("0")
    client.log_inputs(
        run.info.run_id, [DatasetInput(ds, [InputTag("mlflow.data.context", "training")])]
    )
    (got,) = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert isinstance(got.dataset, Dataset)
    assert got.dataset.name == "train" and got.dataset.digest == "abc123"
    assert json.loads(got.dataset.source) == {"uri": "/data/train.csv"}
    assert json.loads(got.dataset.schema) == json.loads(schema)
    assert got.context == "training"
    with pytest.raises(MlflowException, match="Dataset digest cannot be None"):
        Dataset("n", None, "local", "{}")  # type: ignore[arg-type]


# -- artifacts: list_artifacts, log_artifact(s), download_artifacts ---------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    parent = tmp_path / "parent"
    (parent / "child").mkdir(parents=True)
    (parent / "file0").write_text("something")
    (parent / "child" / "file1").write_text("x")
    return parent


def test_log_artifact_with_dirs(store_path: Path, folder: Path) -> None:
    # test_tracking.py::test_log_artifact_with_dirs: a folder passed to log_artifact is logged
    # whole under its own name (MLflow 3.17 does the same).
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(folder))
        mlflow.log_artifact(str(folder), "deeper/path")
    client = MlflowClient()
    rid = run.info.run_id
    top = client.list_artifacts(rid)
    assert [(f.path, f.is_dir, f.file_size) for f in top] == [
        ("deeper", True, None),
        ("parent", True, None),
    ]
    assert [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(rid, "parent")] == [
        ("parent/child", True, None),
        ("parent/file0", False, 9),
    ]
    assert [f.path for f in client.list_artifacts(rid, "deeper/path/parent/child")] == [
        "deeper/path/parent/child/file1"
    ]


@pytest.mark.parametrize("artifact_path", [None, "dir", "dir/subdir"])
def test_log_artifacts_and_list(store_path: Path, folder: Path, artifact_path: str | None) -> None:
    # test_tracking.py::test_log_artifacts (parametrised as there); list_artifacts of a file
    # or of a missing path lists nothing, as MLflow's.
    from litetrack.entities import FileInfo

    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(folder), artifact_path)
    base = f"{artifact_path}/" if artifact_path else ""
    listed = MlflowClient().list_artifacts(run.info.run_id, artifact_path)
    assert all(isinstance(f, FileInfo) for f in listed)
    assert [f.path for f in listed] == [f"{base}child", f"{base}file0"]
    assert MlflowClient().list_artifacts(run.info.run_id, f"{base}file0") == []
    assert MlflowClient().list_artifacts(run.info.run_id, "no/such/path") == []
    assert [f.path for f in mlflow.artifacts.list_artifacts(run_id=run.info.run_id)] == [
        (artifact_path or "child").split("/")[0], *([] if artifact_path else ["file0"])
    ]


def test_download_artifacts_lands_at_the_basename(
    store_path: Path, folder: Path, tmp_path: Path
) -> None:
    # MLflow 3.17 (client and mlflow.artifacts alike): dst_path/<last part of the path>.
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(folder), "a/b")
    rid = run.info.run_id
    client = MlflowClient()
    dst = tmp_path / "d1"
    dst.mkdir()
    got = client.download_artifacts(rid, "a/b/file0", str(dst))
    assert got == str(dst / "file0") and Path(got).read_text() == "something"
    dst = tmp_path / "d2"
    got = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="a/b", dst_path=str(dst))
    assert got == str(dst / "b")
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()) == [
        "b/child/file1",
        "b/file0",
    ]
    dst = tmp_path / "d3"
    got = mlflow.artifacts.download_artifacts(f"runs:/{rid}/a/b/child/file1", dst_path=str(dst))
    assert got == str(dst / "file1")
    dst = tmp_path / "d4"
    assert client.download_artifacts(rid, "", str(dst)) == str(dst)
    assert (dst / "a" / "b" / "file0").is_file()
    with pytest.raises(MlflowException) as e:
        client.download_artifacts(rid, "zzz", str(tmp_path / "d5"))
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_log_artifact_of_a_missing_file_is_a_file_not_found_error(
    store_path: Path, tmp_path: Path
) -> None:
    # MLflow raises FileNotFoundError; litetrack's error is also an MlflowException.
    with mlflow.start_run():
        with pytest.raises(FileNotFoundError, match="nope.txt"):
            mlflow.log_artifact(str(tmp_path / "nope.txt"))
        with pytest.raises(MlflowException, match="nope.txt"):
            mlflow.log_artifact(str(tmp_path / "nope.txt"))


# -- runs: ids, tags, batches -----------------------------------------------------------


def test_delete_tag_that_does_not_exist(store_path: Path) -> None:
    # test_tracking.py::test_delete_tag: deleting a missing tag (or a tag of a missing run)
    # raises RESOURCE_DOES_NOT_EXIST.
    with mlflow.start_run() as run:
        mlflow.set_tag("a", "b")
        mlflow.delete_tag("a")
        with pytest.raises(MlflowException, match="nope") as e:
            mlflow.delete_tag("nope")
        assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert "a" not in mlflow.get_run(run.info.run_id).data.tags
    with pytest.raises(MlflowException) as e:
        MlflowClient().delete_tag("f" * 32, "a")
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("run_id", ["a" * 32, "not-a-run"])
def test_get_run_of_an_unknown_id(store_path: Path, run_id: str) -> None:
    # Every call taking a run id answers RESOURCE_DOES_NOT_EXIST for an unknown one.
    MlflowClient().create_experiment("some")  # a store that exists
    client = MlflowClient()
    for call in (
        lambda: client.get_run(run_id),
        lambda: mlflow.get_run(run_id),
        lambda: client.set_terminated(run_id),
        lambda: client.log_metric(run_id, "m", 1.0),
        lambda: mlflow.start_run(run_id=run_id),
    ):
        with pytest.raises(MlflowException) as e:
            call()
        assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST", call
    assert os.environ.get("MLFLOW_RUN_ID") is None


def test_whole_float_steps_are_taken_as_integers(store_path: Path) -> None:
    # MLflow stores any float step; litetrack takes a whole one (epoch / 2 == 3.0) as the
    # integer it is and refuses 1.5 with a clear error (docs/mlflow-compat.md).
    np = pytest.importorskip("numpy")
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0, step=3.0)
        mlflow.log_metric("m", 2.0, step=np.float64(4.0))
        MlflowClient().log_metric(run.info.run_id, "m", 3.0, step=np.int32(5))
        with pytest.raises(MlflowException, match="Invalid step 1.5") as e:
            mlflow.log_metric("m", 4.0, step=1.5)
        assert e.value.error_code == "INVALID_PARAMETER_VALUE"
    steps = [m.step for m in MlflowClient().get_metric_history(run.info.run_id, "m")]
    assert steps == [3, 4, 5] and all(type(s) is int for s in steps)


def test_ctrl_c_inside_start_run_reads_killed(store_path: Path) -> None:
    # MLflow marks a run FAILED for any exception; litetrack says KILLED for Ctrl-C
    # (KeyboardInterrupt), as for every run that was stopped (docs/mlflow-compat.md).
    with pytest.raises(KeyboardInterrupt):
        with mlflow.start_run():
            raise KeyboardInterrupt
    assert mlflow.last_active_run().info.status == "KILLED"
    with pytest.raises(ValueError):
        with mlflow.start_run():
            raise ValueError("boom")
    assert mlflow.last_active_run().info.status == "FAILED"


def test_resume_deleted_run_and_parent_mismatch_say_what_mlflow_says(store_path: Path) -> None:
    with mlflow.start_run() as other:
        pass
    with mlflow.start_run() as outer:
        with pytest.raises(MlflowException, match="does not match the specified parent_run_id"):
            mlflow.start_run(nested=True, parent_run_id=other.info.run_id)
        assert mlflow.active_run().info.run_id == outer.info.run_id
    MlflowClient().delete_run(other.info.run_id)
    with pytest.raises(MlflowException, match="because it is in the deleted state") as e:
        mlflow.start_run(run_id=other.info.run_id)
    assert e.value.error_code == "INVALID_STATE"  # MLflow 3.17: INTERNAL_ERROR


def test_client_get_parent_run_and_is_tracking_uri_set(store_path: Path, monkeypatch) -> None:
    # MlflowClient.get_parent_run and mlflow.is_tracking_uri_set (MLflow 3's API).
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            pass
    client = MlflowClient()
    assert client.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    assert client.get_parent_run(parent.info.run_id) is None
    assert mlflow.is_tracking_uri_set()  # LITETRACK_STORE, set by the test fixture
    monkeypatch.delenv("LITETRACK_STORE")
    assert not mlflow.is_tracking_uri_set()
    mlflow.set_tracking_uri(str(store_path))
    try:
        assert mlflow.is_tracking_uri_set()
    finally:
        mlflow.set_tracking_uri(None)


def test_metric_history_is_ordered_as_mlflow_orders_it(store_path: Path) -> None:
    # MLflow 3.17's SQL store orders a history by timestamp, step, value; so does litetrack,
    # whatever order explicit timestamps were logged in.
    with mlflow.start_run() as run:
        for s in (5, 1, 3):
            mlflow.log_metric("m", s * 1.0, step=s, timestamp=1000 - s)
        mlflow.log_metric("m2", 1.0, step=0, timestamp=5)
        mlflow.log_metric("m2", 2.0, step=0, timestamp=3)
        mlflow.log_metric("m3", 9.0, step=2, timestamp=7)
        mlflow.log_metric("m3", 8.0, step=1, timestamp=7)
        mlflow.log_metric("m3", 7.0, step=1, timestamp=7)
    client = MlflowClient()

    def history(key: str) -> list[tuple[int, int, float]]:
        points = client.get_metric_history(run.info.run_id, key)
        return [(m.step, m.timestamp, m.value) for m in points]

    assert history("m") == [(5, 995, 5.0), (3, 997, 3.0), (1, 999, 1.0)]
    assert history("m2") == [(0, 3, 2.0), (0, 5, 1.0)]
    assert history("m3") == [(1, 7, 7.0), (1, 7, 8.0), (2, 7, 9.0)]
    assert client.get_run(run.info.run_id).data.metrics["m2"] == 1.0  # the latest timestamp
