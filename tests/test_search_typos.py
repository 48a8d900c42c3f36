"""A search that finds nothing because of a typo says so.

MLflow answers ``search_runs`` with no runs for an experiment name or id that
does not exist and for a filter on a key no run has; scripts rely on that, so
litetrack answers the same. But the charter forbids a silent empty answer to
a typo: the search logs a warning naming the value and the near ones (MLflow
itself logs "Cannot retrieve experiment by name" for a missing name).
Each case runs through the index and by a scan of the documents.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.query import fields_of, parse_filter, parse_order_by


@pytest.fixture(params=["index", "scan"])
def exp(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "scan":
        monkeypatch.setenv("LITETRACK_INDEX", "0")
    experiment_id = litetrack.set_experiment("exp").experiment_id
    with litetrack.start_run():
        litetrack.log_metric("accuracy", 0.9)
        litetrack.log_param("lr", "0.1")
        litetrack.set_tag("team", "a")
    return experiment_id


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_misspelt_metric_key_is_named_with_the_near_one(exp: str, caplog: pytest.LogCaptureFixture) -> None:
    runs = litetrack.search_runs(
        experiment_names=["exp"], filter_string="metrics.acurracy > 0.5", output_format="list"
    )
    assert runs == []  # MLflow's answer
    assert _warnings(caplog) == [
        f"search_runs found no runs: no run in experiment {exp!r} has the metric 'acurracy'; "
        "did you mean 'accuracy'?"
    ]


def test_unknown_param_and_tag_keys_list_what_the_runs_have(exp: str, caplog: pytest.LogCaptureFixture) -> None:
    runs = Client().search_runs([exp], "params.learning_rate = '0.1' and tags.zzz = 'a'")
    assert list(runs) == []
    # The run's tags depend on where it ran (git tags in a clone): the ones it has, sorted.
    (run,) = Client().search_runs([exp])
    tags = sorted(run.data.tags)
    assert "team" in tags and "mlflow.user" in tags
    assert _warnings(caplog) == [
        f"search_runs found no runs: no run in experiment {exp!r} has the param 'learning_rate'; its params: lr",
        f"search_runs found no runs: no run in experiment {exp!r} has the tag 'zzz'; its tags: "
        + ", ".join(tags[:12]) + (" ..." if len(tags) > 12 else ""),
    ]


def test_an_unknown_experiment_name_or_id_is_named_with_the_experiments(
    exp: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert litetrack.search_runs(experiment_names=["exq"], output_format="list") == []
    assert litetrack.search_runs(experiment_ids=["7"], output_format="list") == []
    assert _warnings(caplog) == [
        f"Cannot retrieve experiment by name 'exq' (experiments: 0 'Default', {exp} 'exp')",
        f"search_runs found no runs: no experiment with id '7' (experiments: 0 'Default', {exp} 'exp')",
    ]


def test_a_name_that_exists_next_to_one_that_does_not_still_searches(
    exp: str, caplog: pytest.LogCaptureFixture
) -> None:
    runs = litetrack.search_runs(experiment_names=["exp", "exq"], output_format="list")
    assert len(runs) == 1
    assert _warnings(caplog) == [f"Cannot retrieve experiment by name 'exq' (experiments: 0 'Default', {exp} 'exp')"]


@pytest.mark.parametrize(
    "filter_string",
    [
        "metrics.accuracy > 0.95",  # known key, no match: an answer, not a typo
        "params.lr = '0.2' and tags.team = 'b'",
        "attributes.status = 'FAILED'",
        "metrics.accuracy > 0.95 or metrics.accuracy < 0",
    ],
)
def test_an_empty_answer_on_known_keys_warns_nothing(
    exp: str, caplog: pytest.LogCaptureFixture, filter_string: str
) -> None:
    assert litetrack.search_runs(experiment_ids=[exp], filter_string=filter_string, output_format="list") == []
    assert _warnings(caplog) == []


def test_a_deleted_runs_key_is_not_a_typo(exp: str, caplog: pytest.LogCaptureFixture) -> None:
    with litetrack.start_run() as run:
        litetrack.log_metric("loss", 1.0)
    Client().delete_run(run.info.run_id)
    assert litetrack.search_runs(experiment_ids=[exp], filter_string="metrics.loss > 0", output_format="list") == []
    assert _warnings(caplog) == []


def test_an_experiment_without_runs_warns_nothing(caplog: pytest.LogCaptureFixture) -> None:
    empty = litetrack.create_experiment("empty")
    assert litetrack.search_runs(experiment_ids=[empty], filter_string="metrics.x > 0", output_format="list") == []
    assert _warnings(caplog) == []


def test_a_missing_store_is_not_created_by_the_explanation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "nowhere"
    litetrack.set_tracking_uri(str(missing))
    try:
        assert list(Client().search_runs(["0"], "metrics.x > 0")) == []
        assert list(Client().search_runs(["5"])) == []
    finally:
        litetrack.set_tracking_uri(None)
    assert not os.path.exists(missing)
    assert _warnings(caplog) == ["search_runs found no runs: no experiment with id '5' (experiments: 0 'Default')"]


def test_fields_of_lists_every_field_in_writing_order() -> None:
    expr = parse_filter("metrics.a > 1 and (params.b = 'x' or not tags.c = 'y') and attributes.status = 'RUNNING'")
    keys = parse_order_by(["metrics.d DESC"])
    assert [(f.kind, f.key) for f in fields_of(expr, keys)] == [
        ("metric", "a"), ("param", "b"), ("tag", "c"), ("attribute", "status"), ("metric", "d"),
    ]
    assert fields_of(None) == []
