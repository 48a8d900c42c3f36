"""Bad input gets a clear error naming the value and what is allowed, and nothing is written."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.errors import (
    ExperimentNotFound,
    InvalidArgument,
    InvalidMetricValue,
    InvalidName,
    InvalidState,
    LitetrackError,
    ParamConflict,
    RunNotFound,
    StoreError,
    UnsupportedURI,
)


def _log_size(store_path: Path, run_id: str) -> int:
    log = store_path / "runs" / run_id / "log.jsonl"
    return log.stat().st_size if log.exists() else 0


@pytest.mark.parametrize("value", ["1.0", None, True, False, b"1", [1.0], {"a": 1}, 1j])
def test_metric_values_must_be_real_numbers(store_path: Path, value: object) -> None:
    with litetrack.start_run() as run:
        before = _log_size(store_path, run.run_id)  # what start_run itself recorded
        with pytest.raises(InvalidMetricValue, match="must be a real number") as e:
            litetrack.log_metric("m", value)
        assert repr(value)[:10] in str(e.value) or type(value).__name__ in str(e.value)
        assert _log_size(store_path, run.run_id) == before


@pytest.mark.parametrize(
    "key", ["", "a\nb", "semi;colon", "../x", "a/../b", "/lead", "x" * 251, "tab\t", "é", 3]
)
def test_bad_keys(store_path: Path, key: object) -> None:
    with litetrack.start_run() as run:
        before = _log_size(store_path, run.run_id)
        for call in (
            lambda: litetrack.log_metric(key, 1.0),  # type: ignore[arg-type]
            lambda: litetrack.log_param(key, 1),  # type: ignore[arg-type]
            lambda: litetrack.set_tag(key, "v"),  # type: ignore[arg-type]
        ):
            with pytest.raises(InvalidName) as e:
                call()
            assert repr(key)[:20] in str(e.value)
        assert _log_size(store_path, run.run_id) == before


def test_good_keys(store_path: Path) -> None:
    keys = ["a-b_c.d/e f", "val/loss"]
    with litetrack.start_run() as run:
        for i, key in enumerate(keys):
            litetrack.log_metric(key, float(i))
            litetrack.log_param(key, i)
            litetrack.set_tag(key, str(i))
    data = litetrack.get_run(run.info.run_id).data
    assert data.metrics == {k: float(i) for i, k in enumerate(keys)}
    assert data.params == {k: str(i) for i, k in enumerate(keys)}
    assert {k: data.tags[k] for k in keys} == {k: str(i) for i, k in enumerate(keys)}


def test_param_conflict(store_path: Path) -> None:
    with litetrack.start_run() as run:
        litetrack.log_param("lr", 0.1)
        litetrack.log_param("lr", "0.1")  # same value as a string: fine
        with pytest.raises(ParamConflict, match=r"'lr'.*'0.1'.*'0.2'"):
            litetrack.log_param("lr", 0.2)
        with pytest.raises(ParamConflict):
            # Nothing of the batch is written when one param conflicts.
            litetrack.log_params({"new": 1, "lr": 0.3})
    assert litetrack.get_run(run.run_id).data.params == {"lr": "0.1"}


def test_batch_validated_before_any_write(store_path: Path) -> None:
    from litetrack.entities import Metric, Param

    c = Client()
    run = c.create_run("0")
    rid = run.info.run_id
    with pytest.raises(InvalidMetricValue):
        c.log_batch(rid, metrics=[Metric("ok", 1.0, 0, 0), Metric("bad", "x", 0, 0)], params=[Param("p", "1")])
    assert _log_size(store_path, rid) == 0


def test_unknown_ids(store_path: Path) -> None:
    c = Client()
    with pytest.raises(RunNotFound, match="ffff"):
        c.get_run("ffff" * 8)
    with pytest.raises(RunNotFound):
        c.log_metric("ffff" * 8, "m", 1.0)
    with pytest.raises(ExperimentNotFound, match="id=42 "):  # MLflow's words
        litetrack.get_experiment("42")
    with pytest.raises(ExperimentNotFound):
        litetrack.start_run(experiment_id="42")
    with pytest.raises(ExperimentNotFound):
        litetrack.set_experiment(experiment_id="42")
    with pytest.raises(InvalidArgument, match="run id"):
        c.get_run("../../etc/passwd")
    # Unknown ids are LookupErrors too.
    with pytest.raises(LookupError):
        c.get_run("0" * 32)


def test_logging_to_deleted_run_refused(store_path: Path) -> None:
    c = Client()
    run = c.create_run("0")
    rid = run.info.run_id
    c.delete_run(rid)
    with pytest.raises(InvalidState, match="deleted"):
        c.log_metric(rid, "m", 1.0)
    with pytest.raises(InvalidState):
        c.log_param(rid, "p", 1)
    with pytest.raises(InvalidState):
        litetrack.start_run(run_id=rid)
    assert _log_size(store_path, rid) == 0


def test_bad_store_paths(tmp_path: Path) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        litetrack.set_tracking_uri(f)
    litetrack.set_tracking_uri(f / "sub")  # parent is a file: fails on first write
    with pytest.raises(StoreError, match="Cannot create store folder"):
        litetrack.start_run()
    litetrack.set_tracking_uri(None)


@pytest.mark.parametrize(
    "uri", ["http://localhost:5000", "https://x.example", "databricks", "sqlite:///mlflow.db", "postgresql://u@h/db"]
)
def test_remote_uris_refused(uri: str) -> None:
    with pytest.raises(UnsupportedURI, match="local-first"):
        litetrack.set_tracking_uri(uri)


def test_bad_experiment_names(store_path: Path) -> None:
    for name in ["", "   ", "a\x00b", 5]:
        with pytest.raises(InvalidName):
            litetrack.create_experiment(name)  # type: ignore[arg-type]


def test_bad_status_and_view_type(store_path: Path) -> None:
    c = Client()
    rid = c.create_run("0").info.run_id
    with pytest.raises(InvalidArgument, match="FINISHED"):
        c.set_terminated(rid, "DONE")
    with pytest.raises(InvalidArgument, match="ACTIVE_ONLY"):
        c.search_runs(["0"], run_view_type=7)
    with pytest.raises(InvalidArgument, match="max_results"):
        c.search_runs(["0"], max_results=-1)


def test_errors_pickle_with_attributes() -> None:
    from litetrack.errors import ChecksumMismatch, CorruptDocument

    for err in [
        CorruptDocument("bad doc x.json", path="x.json"),
        ChecksumMismatch("mismatch", path="p", expected="a" * 64, actual="b" * 64),
        RunNotFound("no run", run_id="abc"),
        InvalidMetricValue("bad"),
    ]:
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err)
        assert back.__dict__ == err.__dict__
        assert isinstance(back, LitetrackError)
