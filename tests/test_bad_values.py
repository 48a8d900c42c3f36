"""Values that used to break the store for everyone, or escape as raw Python exceptions.

Times out of range, numbers too large for a float, text that is not valid
Unicode, unhashable keys and over-long artifact paths are refused at the API
with a litetrack error naming the value and what is allowed; a document
edited by hand to hold such a value is left out of the index, not fatal.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.entities import Metric, Param, RunTag
from litetrack.errors import (
    InvalidArgument,
    InvalidArtifactPath,
    InvalidMetricValue,
    InvalidName,
    LitetrackError,
)


def _exp(name: str = "e") -> str:
    return Client().create_experiment(name)


def _run_folders(store_path: Path) -> list[str]:
    runs = store_path / "runs"
    return sorted(p.name for p in runs.iterdir()) if runs.exists() else []


# -- item 11: times -----------------------------------------------------------------

BAD_TIMES = [2**70, -1, 2**63, "yesterday", 1.5, float("nan"), float("inf"), True, [1], None.__class__]


@pytest.mark.parametrize("bad", BAD_TIMES, ids=repr)
def test_create_run_refuses_a_bad_start_time(store_path: Path, bad: object) -> None:
    c = Client()
    eid = _exp()
    before = _run_folders(store_path)
    with pytest.raises(InvalidArgument, match="start_time.*integer milliseconds"):
        c.create_run(eid, start_time=bad)  # type: ignore[arg-type]
    assert _run_folders(store_path) == before  # no unreadable run folder left behind
    c.create_run(eid, start_time=1_700_000_000_000)
    assert len(c.search_runs([eid])) == 1


@pytest.mark.parametrize("bad", ["later", 2**70, 1.5, False], ids=repr)
def test_set_terminated_refuses_a_bad_end_time(store_path: Path, bad: object) -> None:
    c = Client()
    run = c.create_run(_exp())
    rid = run.info.run_id
    with pytest.raises(InvalidArgument, match="end_time"):
        c.set_terminated(rid, "FINISHED", end_time=bad)  # type: ignore[arg-type]
    assert c.get_run(rid).info.status == "RUNNING"  # readable, unchanged
    c.set_terminated(rid, "FINISHED", end_time=1_700_000_000_000.0)  # an integral float is fine
    assert c.get_run(rid).info.end_time == 1_700_000_000_000


@pytest.mark.parametrize("bad", ["now", 2**70, 1.5, True], ids=repr)
def test_metric_timestamps_are_checked(store_path: Path, bad: object) -> None:
    c = Client()
    rid = c.create_run(_exp()).info.run_id
    with pytest.raises(InvalidArgument, match="timestamp"):
        c.log_metric(rid, "m", 1.0, timestamp=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="timestamp"):
        c.log_batch(rid, metrics=[Metric("m", 1.0, bad, 0)])  # type: ignore[arg-type]
    with litetrack.start_run(run_id=rid):
        with pytest.raises(InvalidArgument, match="timestamp"):
            litetrack.log_metric("m", 1.0, timestamp=bad)  # type: ignore[arg-type]
    assert c.get_metric_history(rid, "m") == []


def test_a_hand_written_huge_time_does_not_break_search(
    store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from litetrack.cli import main

    c = Client()
    eid = _exp()
    bad = c.create_run(eid, run_name="bad").info.run_id
    good = c.create_run(eid, run_name="good").info.run_id
    c.log_metric(good, "m", 1.0)
    c.search_runs([eid])  # build the index first: the damage comes later
    doc_path = store_path / "runs" / bad / "run.json"
    doc = json.loads(doc_path.read_text())
    doc["start_time"] = 2**70
    doc["end_time"] = -(2**64)
    doc_path.write_text(json.dumps(doc))
    with caplog.at_level(logging.WARNING):
        runs = c.search_runs([eid], order_by=["attributes.start_time DESC"])
    assert {r.info.run_id for r in runs} == {bad, good}
    assert "start_time" in caplog.text and bad in caplog.text
    assert [r.info.run_id for r in c.search_runs([eid], "metrics.m >= 1")] == [good]
    assert main(["ls"]) == 0 and main(["ls", "e"]) == 0
    # verify finds what the index had to leave out.
    from litetrack.store.core import Store
    from litetrack.store.verify import verify

    rep = verify(Store(store_path))
    assert not rep.ok and any(f.subject == bad and "start_time" in f.message for f in rep.errors)


# -- item 15: raw Python exceptions ---------------------------------------------------------


def test_metric_too_large_for_a_float(store_path: Path) -> None:
    with litetrack.start_run():
        with pytest.raises(InvalidMetricValue, match="too large for a float"):
            litetrack.log_metric("m", 10**400)
        with pytest.raises(InvalidMetricValue, match="too large"):
            litetrack.log_metrics({"m": -(10**400)})


@pytest.mark.parametrize("where", ["param", "tag", "set_tags", "create_run_tag", "run_name", "experiment"])
def test_lone_surrogates_are_refused(store_path: Path, where: str) -> None:
    text = "bad\udcff"
    c = Client()
    with litetrack.start_run() as run:
        with pytest.raises(InvalidArgument, match="lone surrogate") as info:
            if where == "param":
                litetrack.log_param("p", text)
            elif where == "tag":
                litetrack.set_tag("t", text)
            elif where == "set_tags":
                c.set_tag(run.info.run_id, "t", text)
            elif where == "create_run_tag":
                c.create_run(run.info.experiment_id, tags={"t": text})
            elif where == "run_name":
                c.create_run(run.info.experiment_id, run_name=text)
            else:
                c.create_experiment(text)
        assert isinstance(info.value, LitetrackError)
    assert litetrack.get_run(run.info.run_id).data.params == {}


@pytest.mark.parametrize("call", [
    lambda c, rid: litetrack.log_metric(["k"], 1.0),  # type: ignore[arg-type]
    lambda c, rid: litetrack.log_param(["k"], 1),  # type: ignore[arg-type]
    lambda c, rid: litetrack.set_tag(["k"], 1),  # type: ignore[arg-type]
    lambda c, rid: c.log_metric(rid, ["k"], 1.0),  # type: ignore[arg-type]
    lambda c, rid: c.log_param(rid, ["k"], 1),  # type: ignore[arg-type]
    lambda c, rid: c.set_tag(rid, {"k": 1}, 1),  # type: ignore[arg-type]
    lambda c, rid: c.log_batch(rid, params=[Param(["k"], "1")]),  # type: ignore[arg-type]
    lambda c, rid: c.log_batch(rid, tags=[RunTag(["k"], "1")]),  # type: ignore[arg-type]
    lambda c, rid: c.log_batch(rid, metrics=[Metric(["k"], 1.0, 0, 0)]),  # type: ignore[arg-type]
], ids=["fluent-metric", "fluent-param", "fluent-tag", "metric", "param", "tag", "batch-param",
        "batch-tag", "batch-metric"])
def test_unhashable_keys_are_refused(store_path: Path, call) -> None:  # type: ignore[no-untyped-def]
    with litetrack.start_run() as run:
        with pytest.raises(InvalidName, match="must be a string"):
            call(Client(), run.info.run_id)


def test_over_long_artifact_paths_are_refused_at_log_time(store_path: Path, tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_text("x")
    deep = "/".join(["segment"] * 120)  # 959 bytes: fine by itself ...
    with litetrack.start_run() as run:
        with pytest.raises(InvalidArtifactPath, match="at most 1024 bytes"):
            litetrack.log_artifact(str(f), artifact_path=deep + "/more/and/more/and/more/x" * 3)
        litetrack.log_artifact(str(f), artifact_path="/".join(["s"] * 120))
        with pytest.raises(InvalidArtifactPath, match="255 bytes"):
            litetrack.log_artifact(str(f), artifact_path="x" * 256)
    # What was accepted can be downloaded.
    out = litetrack.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "dl"))
    assert (Path(out) / "/".join(["s"] * 120) / "f.txt").read_text() == "x"


def test_huge_int_param_is_refused_clearly(store_path: Path) -> None:
    with litetrack.start_run():
        with pytest.raises(InvalidArgument, match="param 'p'"):
            litetrack.log_param("p", 10**5000)
