"""Damage written by hand or by a foreign tool stays local: readers skip and report it, verify finds it.

A record of the wrong shape in a run log, a corrupt run document among good
ones, a truncated or garbled registry document.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from litetrack import Client
from litetrack.cli import main
from litetrack.errors import CorruptDocument
from litetrack.store.search import query_runs
from litetrack.store.core import Store
from litetrack.store.verify import verify

WRONG_SHAPES = [
    {"tag": "t", "value": ["list"]},
    {"param": "bad", "value": 5},
    {"param": ["k"], "value": "v"},
    {"key": "m", "value": "NaN-ish", "timestamp": 0, "step": 0},
    {"key": "m", "value": True, "timestamp": 0, "step": 0},
    {"key": "m", "value": 1.0, "timestamp": "now", "step": 0},
    {"key": "m", "value": 10**400, "timestamp": 0, "step": 0},
    {"status": "DONE", "end_time": 1},
    {"status": "FINISHED", "end_time": "later"},
    {"artifact": "a.txt", "digest": "0" * 64, "size": "big"},
    {"source": ["not", "a", "dict"]},
    {"something": "else"},
]


def _append(store_path: Path, run_id: str, rec: dict) -> None:
    with open(store_path / "runs" / run_id / "log.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")


@pytest.mark.parametrize("rec", WRONG_SHAPES, ids=lambda r: json.dumps(r)[:40])
def test_a_wrong_typed_record_is_skipped_reported_and_found(
    store_path: Path, rec: dict, caplog: pytest.LogCaptureFixture
) -> None:
    c = Client()
    eid = c.create_experiment("e")
    other = c.create_run(eid, run_name="other").info.run_id
    c.log_param(other, "p", "1")
    c.set_terminated(other)
    rid = c.create_run(eid, run_name="hurt").info.run_id
    c.log_param(rid, "good", "1")
    c.log_metric(rid, "m", 2.0, step=1)
    c.search_runs([eid])  # index built before the damage
    _append(store_path, rid, rec)
    c.set_tag(rid, "after", "yes")  # logging goes on after the bad record
    with caplog.at_level(logging.WARNING):
        run = c.get_run(rid)
    assert "malformed record" in caplog.text
    assert run.data.params == {"good": "1"} and run.data.metrics == {"m": 2.0}
    assert run.data.tags["after"] == "yes" and run.info.status == "RUNNING"
    assert [m.value for m in c.get_metric_history(rid, "m")] == [2.0]
    # The next document rewrite does not make the run unreadable.
    c.set_terminated(rid)
    assert c.get_run(rid).info.status == "FINISHED"
    # Searches use the index and the scan, and agree.
    assert {r.info.run_id for r in c.search_runs([eid], "params.p = '1' or params.good = '1'")} == {rid, other}
    assert {r.info.run_id for r in c.search_runs([eid], "tags.after = 'yes'")} == {rid}
    assert main(["ls"]) == 0
    assert main(["ls", "e"]) == 0
    rep = verify(Store(store_path))
    assert [f.kind for f in rep.errors] == ["malformed_record"] and rep.errors[0].subject == rid


def test_index_and_scan_both_skip_and_report_a_corrupt_run(
    store_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = Client()
    eid = c.create_experiment("e")
    ids = [c.create_run(eid, run_name=f"r{i}").info.run_id for i in range(3)]
    for rid in ids:
        c.set_terminated(rid)
    (store_path / "runs" / ids[1] / "run.json").write_text('{"schema_version": 1, "run_id": ')
    for index in ("1", "0"):  # through the index, then a scan of the documents
        monkeypatch.setenv("LITETRACK_INDEX", index)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            found = {r.info.run_id for r in query_runs(Store(store_path), [eid])}
        assert found == {ids[0], ids[2]}, index
        assert ids[1] in caplog.text, index
    with pytest.raises(CorruptDocument):
        c.get_run(ids[1])  # asked by id: the clear error


def _registered(store_path: Path, tmp_path: Path) -> Path:
    import litetrack.pyfunc  # noqa: F401

    class Model(litetrack.pyfunc.PythonModel):
        def predict(self, context, model_input):  # type: ignore[no-untyped-def]
            return model_input

    with litetrack.start_run():
        info = litetrack.pyfunc.log_model("model", python_model=Model())
    litetrack.register_model(info.model_uri, "m")
    litetrack.register_model(info.model_uri, "m")
    Client().transition_model_version_stage("m", 1, "Production")
    Client().set_registered_model_alias("m", "champion", 2)
    (folder,) = [p for p in (store_path / "registry").iterdir() if p.is_dir() and not p.name.startswith(".")]
    return folder


@pytest.mark.parametrize("damage", ["truncate_model", "garble_version", "drop_model", "bad_stage"])
def test_verify_checks_the_registry(store_path: Path, tmp_path: Path, damage: str) -> None:
    folder = _registered(store_path, tmp_path)
    assert verify(Store(store_path)).ok
    model = folder / "model.json"
    if damage == "truncate_model":
        model.write_bytes(model.read_bytes()[:20])
    elif damage == "garble_version":
        v1 = folder / "versions" / "1.json"
        v1.write_bytes(v1.read_bytes().replace(b'"files"', b'"fil\xffes"', 1))
    elif damage == "drop_model":
        model.unlink()
    else:
        doc = json.loads(model.read_text())
        doc["latest"] = 5
        doc["stages"]["Staging"] = {"4": 1}
        model.write_text(json.dumps(doc))
    rep = verify(Store(store_path))
    assert not rep.ok
    assert {f.kind for f in rep.errors} == {"corrupt_document"}
    assert all(str(folder) in f.subject for f in rep.errors)
    assert main(["verify"]) != 0
