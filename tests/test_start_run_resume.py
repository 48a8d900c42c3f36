"""start_run() as MLflow's: the run handed through MLFLOW_RUN_ID, description, parent_run_id.

Cases ported from MLflow's tests/tracking/fluent/test_fluent.py (inputs and
expected outcomes kept; written against litetrack's store, not mocks).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import litetrack
from litetrack.errors import LitetrackError

NOTE = "mlflow.note.content"


def _finished_run() -> str:
    run_id = litetrack.start_run().info.run_id
    litetrack.end_run()
    return run_id


@pytest.mark.parametrize("var", ["MLFLOW_RUN_ID", "LITETRACK_RUN_ID"])
def test_start_run_existing_run_from_environment(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    run_id = _finished_run()
    monkeypatch.setenv(var, run_id)
    with litetrack.start_run() as active:
        assert active.info.run_id == run_id
        assert active.info.status == "RUNNING"
        litetrack.log_metric("m", 1.0)
    # Resumed once: the variable is consumed, the next start_run opens a new run.
    assert var not in os.environ
    with litetrack.start_run() as other:
        assert other.info.run_id != run_id
    run = litetrack.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {"m": 1.0}


def test_log_metric_without_run_resumes_handed_run(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _finished_run()
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)
    litetrack.log_metric("m", 2.0)
    assert litetrack.active_run().info.run_id == run_id
    litetrack.end_run()


def test_start_run_existing_run_from_environment_with_set_experiment(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _finished_run()
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)
    litetrack.set_experiment("test-run")
    with pytest.raises(LitetrackError, match="active run ID does not match environment run ID"):
        litetrack.start_run()


def test_start_run_existing_run_deleted(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = _finished_run()
    litetrack.delete_run(run_id)
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)
    with pytest.raises(LitetrackError, match=f"{run_id}.*deleted"):
        litetrack.start_run()


def test_start_run_conflicting_description(store_path: Path) -> None:
    match = f"Description is already set via the tag {NOTE} in tags"
    with pytest.raises(LitetrackError, match=match) as info:
        litetrack.start_run(tags={NOTE: "Another description"}, description="Test description")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert litetrack.active_run() is None


def test_start_run_with_description(store_path: Path) -> None:
    with litetrack.start_run(description="Test description") as run:
        pass
    assert litetrack.get_run(run.info.run_id).data.tags[NOTE] == "Test description"


def test_start_run_resumes_existing_run_and_sets_description(store_path: Path) -> None:
    run_id = _finished_run()
    with litetrack.start_run(run_id, description="Description"):
        pass
    assert litetrack.get_run(run_id).data.tags[NOTE] == "Description"


def test_start_run_resumes_existing_run_and_sets_description_twice(store_path: Path) -> None:
    run_id = _finished_run()
    with pytest.raises(LitetrackError, match=f"Description is already set via the tag {NOTE}"):
        litetrack.start_run(run_id, tags={NOTE: "Another description"}, description="Description")


def test_start_run_resumes_existing_run_and_sets_user_specified_tags(store_path: Path) -> None:
    run_id = _finished_run()
    with litetrack.start_run(run_id, tags={"A": "B", "C": "D"}):
        pass
    assert {"A": "B", "C": "D"}.items() <= litetrack.get_run(run_id).data.tags.items()


def test_start_run_with_parent_id(store_path: Path) -> None:
    parent_run_id = _finished_run()
    nested_run_id = litetrack.start_run(parent_run_id=parent_run_id).info.run_id
    litetrack.end_run()
    parent = litetrack.get_parent_run(nested_run_id)
    assert parent is not None and parent.info.run_id == parent_run_id


def test_start_run_with_invalid_parent_id(store_path: Path) -> None:
    with litetrack.start_run() as run:
        with pytest.raises(LitetrackError, match=f"Current run with UUID {run.info.run_id}"):
            with litetrack.start_run(nested=True, parent_run_id="hello"):
                pass
        # The active run is untouched by the refused start.
        assert litetrack.active_run() is run


def test_start_run_nested_with_matching_parent_id(store_path: Path) -> None:
    with litetrack.start_run() as run:
        with litetrack.start_run(nested=True, parent_run_id=run.info.run_id) as child:
            pass
    parent = litetrack.get_parent_run(child.info.run_id)
    assert parent is not None and parent.info.run_id == run.info.run_id
