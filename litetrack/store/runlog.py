"""The run log's records, folded into run documents, and runs built from them.

A run's ``log.jsonl`` holds one JSON object per line::

    {"key": "rmse", "value": 0.5, "timestamp": 1700000000000, "step": 3}
    {"param": "max_depth", "value": "6"}
    {"tag": "team", "value": "ml"}        {"tag": "team", "deleted": true}
    {"artifact": "model/model.ubj", "digest": "<sha256>", "size": 1234}
    {"status": "FINISHED", "end_time": 1700000000999}
    {"source": {...}}  {"environment": {...}}   (summaries: litetrack.capture)
    {"input": {"dataset": {...}, "tags": {"mlflow.data.context": "training"}}}

:func:`fold_log` applies the records past a document's ``log_offset`` to it;
:func:`doc_to_run` builds the public :class:`~litetrack.entities.Run`. Pure
functions of the bytes on disk: the writers live in :mod:`litetrack.store.runs`.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from litetrack.entities import (
    DatasetInput,
    LifecycleStage,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
)
from litetrack.store.procs import process_alive

logger = logging.getLogger("litetrack.store.runs")

RUN_NAME_TAG = "mlflow.runName"


def apply_metric(metrics: dict[str, Any], key: str, value: float, ts: int, step: int) -> None:
    s = metrics.get(key)
    ok = value == value  # NaN never becomes a min or max
    if s is None:
        metrics[key] = {
            "value": value,
            "timestamp": ts,
            "step": step,
            "min": value if ok else None,
            "max": value if ok else None,
            "first": value,
            "count": 1,
        }
        return
    # MLflow's "latest" value: highest step, then highest timestamp, then
    # the highest value when several points share both.
    if (step, ts) > (s["step"], s["timestamp"]) or (
        (step, ts) == (s["step"], s["timestamp"]) and value > s["value"]
    ):
        s["value"], s["timestamp"], s["step"] = value, ts, step
    s["count"] = s.get("count", 1) + 1
    if ok:
        if s.get("min") is None or value < s["min"]:
            s["min"] = value
        if s.get("max") is None or value > s["max"]:
            s["max"] = value


class MalformedRecord(ValueError):
    """A log record that is valid JSON but not of a shape the writers produce."""


_STATUSES = frozenset(("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"))


def metric_point(rec: dict[str, Any]) -> tuple[str, float, int, int]:
    """(key, value, timestamp, step) of a metric record; :class:`MalformedRecord` if not one."""
    key, value, ts, step = rec["key"], rec["value"], rec["timestamp"], rec["step"]
    # type() checks, not isinstance: a bool is not a metric value, a time or a step.
    if type(key) is not str or type(ts) is not int or type(step) is not int:
        raise MalformedRecord("metric key, timestamp or step of the wrong type")
    if type(value) is not float:
        if type(value) is not int:
            raise MalformedRecord("metric value is not a number")
        try:
            value = float(value)
        except OverflowError:
            raise MalformedRecord("metric value too large for a float") from None
    return key, value, ts, step


def _text(value: Any) -> str:
    if type(value) is not str:
        raise MalformedRecord("value is not a string")
    return value  # type: ignore[no-any-return]


def _apply_record(doc: dict[str, Any], rec: dict[str, Any]) -> None:
    """Fold one record into ``doc``; :class:`MalformedRecord` (and nothing changed) if malformed.

    Every field is type-checked before anything is applied: a hand-written
    ``{"param": "p", "value": 5}`` would otherwise end up in the document and
    break whatever reads it next (the index, the CLI, the next rewrite).
    """
    if "key" in rec:
        apply_metric(doc["metrics"], *metric_point(rec))
    elif "param" in rec:
        doc["params"][_text(rec["param"])] = _text(rec["value"])
    elif "status" in rec:
        # Written by end_run instead of rewriting the document (see set_status).
        end = rec.get("end_time")
        if rec["status"] not in _STATUSES or not (end is None or type(end) is int):
            raise MalformedRecord("unknown status or end_time of the wrong type")
        doc["status"] = rec["status"]
        doc["end_time"] = end
    elif "artifact" in rec:
        if type(rec["size"]) is not int:
            raise MalformedRecord("artifact size is not an integer")
        doc.setdefault("artifacts", {})[_text(rec["artifact"])] = {
            "digest": _text(rec["digest"]), "size": rec["size"],
        }
    elif "input" in rec:
        _apply_input(doc, rec["input"])
    elif "source" in rec:
        if type(rec["source"]) is not dict:
            raise MalformedRecord("source is not an object")
        doc["source"] = rec["source"]
    elif "environment" in rec:
        if type(rec["environment"]) is not dict:
            raise MalformedRecord("environment is not an object")
        doc["environment"] = rec["environment"]
    elif "tag" in rec:
        key = _text(rec["tag"])
        if rec.get("deleted"):
            doc["tags"].pop(key, None)
        else:
            value = _text(rec["value"])
            doc["tags"][key] = value
            if key == RUN_NAME_TAG:
                doc["run_name"] = value
    else:
        raise MalformedRecord("unknown record kind")


def record_problem(rec: dict[str, Any]) -> str | None:
    """Why the fold skips ``rec`` (a record of the wrong shape), or None if it is well formed."""
    scratch: dict[str, Any] = {"params": {}, "tags": {}, "metrics": {}}
    try:
        _apply_record(scratch, rec)
    except (KeyError, TypeError, ValueError, ArithmeticError) as e:
        return str(e) if isinstance(e, MalformedRecord) else f"{type(e).__name__}: {e}"
    return None


def apply_records(doc: dict[str, Any], data: bytes) -> bool:
    """Fold whole log lines ``data`` (as just written) into ``doc``; False if they do not fold cleanly."""
    try:
        records = json.loads(b"[" + data.rstrip(b"\n").replace(b"\n", b",") + b"]")
        for rec in records:
            _apply_record(doc, rec)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        return False
    return True


def input_key(entry: dict[str, Any]) -> tuple[Any, Any, Any]:
    """What makes two dataset inputs of a run the same: name, digest and context."""
    ds = entry.get("dataset") or {}
    return (ds.get("name"), ds.get("digest"), (entry.get("tags") or {}).get("mlflow.data.context"))


def _apply_input(doc: dict[str, Any], entry: dict[str, Any]) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("dataset"), dict):
        raise MalformedRecord("malformed input record")
    if not isinstance(entry.get("tags") or {}, dict):
        raise MalformedRecord("input tags are not an object")
    inputs = doc.setdefault("inputs", [])
    # Two processes may log the same dataset to one run: the fold keeps one.
    key = input_key(entry)
    if all(input_key(e) != key for e in inputs):
        inputs.append({"dataset": entry["dataset"], "tags": dict(entry.get("tags") or {})})


def read_log_records(log_path: str | Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Complete records of a log from byte ``offset``; returns (records, end offset).

    A torn last line (no newline) and unparsable lines are skipped with a
    warning naming the file.
    """
    try:
        # os-level reads: a buffered file object costs more than the read
        # itself for the small logs of a sweep (the index reads thousands).
        fd = os.open(log_path, os.O_RDONLY)
    except FileNotFoundError:
        return [], offset
    try:
        size = os.fstat(fd).st_size
        if size <= offset:
            return [], offset
        chunks = []
        while True:
            want = max(size - offset, 65536)
            chunk = os.pread(fd, want, offset)
            chunks.append(chunk)
            offset += len(chunk)
            if len(chunk) < want:
                break  # end of file (a regular file reads short only there)
        data = b"".join(chunks) if len(chunks) != 1 else chunks[0]
        offset -= len(data)
    finally:
        os.close(fd)
    end = data.rfind(b"\n") + 1
    if end < len(data):
        logger.warning(
            "Skipping a torn last line (%d bytes without newline) at the end of %s",
            len(data) - end,
            log_path,
        )
    if not end:
        return [], offset
    lines = data[:end].splitlines()
    try:
        # One parse for the whole tail is ~5x cheaper than one per line; a
        # damaged line makes it fail and we fall back to line by line.
        records = json.loads(b"[" + b",".join(lines) + b"]")
        if all(type(r) is dict for r in records):
            return records, offset + end
    except ValueError:
        pass
    records = []
    for line in lines:
        if not line:
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError:
            logger.warning("Skipping an unreadable record in %s: %r", log_path, line[:80])
            continue
        records.append(rec)
    return records, offset + end


def fold_log(doc: dict[str, Any], log_path: str | Path, size: int | None = None) -> dict[str, Any]:
    """Apply the records past ``doc['log_offset']`` to ``doc`` (in place) and return it."""
    offset = doc.get("log_offset", 0)
    if size is not None and size <= offset:
        return doc
    # No stat first: read_log_records finds the size with the open descriptor.
    records, end = read_log_records(log_path, offset)
    if end == offset:
        return doc
    doc.setdefault("params", {})
    doc.setdefault("tags", {})
    doc.setdefault("metrics", {})
    for rec in records:
        try:
            _apply_record(doc, rec)
        except (KeyError, TypeError, ValueError, ArithmeticError) as e:
            # Skipped and reported like a torn line; `verify` lists it too.
            logger.warning("Skipping a malformed record in %s (%s): %.200r", log_path, e, rec)
    doc["log_offset"] = end
    return doc


def effective_status(doc: dict[str, Any]) -> str:
    """The status readers report: RUNNING runs whose process died read as KILLED."""
    status = doc["status"]
    if status == RunStatus.RUNNING and not process_alive(
        doc.get("pid"), doc.get("host"), doc.get("proc_start")
    ):
        return RunStatus.KILLED
    return status


def run_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The part of a folded document a :class:`Run` is built from (what the index keeps).

    Metric summaries shrink to their latest value and artifacts to their
    total sizes: a search returning 10,000 runs parses a third of the JSON.
    """
    view = {k: doc.get(k) for k in _VIEW_KEYS}
    view["metrics"] = {k: v["value"] for k, v in (doc.get("metrics") or {}).items()}
    view["sizes"] = list(artifact_sizes(doc.get("artifacts") or {}))
    return view


_VIEW_KEYS = (
    "run_id", "experiment_id", "run_name", "user_id", "status", "start_time", "end_time",
    "lifecycle_stage", "artifact_uri", "pid", "host", "proc_start", "params", "tags", "inputs",
)


# One encoder for every row: json.dumps with arguments builds a new one per call.
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _number(value: Any) -> str:
    # SQLite's JSON reads no NaN or Infinity: NaN becomes null (SQLite stores
    # NaN as NULL anyway) and an infinity 1e999, which reads back as one.
    if type(value) is float and value - value != 0:
        if value != value:
            return "null"
        return "1e999" if value > 0 else "-1e999"
    return _dumps(value)


def index_row_json(doc: dict[str, Any]) -> str:
    """The search index's columns of an ended run, up to its sizes (then come ``mstats`` and the view)."""
    return _dumps([
        doc["run_id"], doc["experiment_id"], doc.get("run_name"), doc["status"], doc.get("start_time"),
        doc.get("end_time"), doc.get("artifact_uri"), doc.get("user_id"), doc.get("lifecycle_stage", "active"),
        *artifact_sizes(doc.get("artifacts") or {}),
    ])


def index_view_json(doc: dict[str, Any]) -> str:
    """The ``doc`` column: the run's :func:`run_view`, as JSON SQLite can read.

    A metric is its latest value, as in :func:`run_view` (NaN is null there:
    SQLite's JSON has no NaN; :func:`view_metric` reads it back). Its summary
    is in the ``mstats`` column (:func:`index_stats_json`), which results do
    not read: a search returning 10,000 runs parses half the JSON.
    """
    view = run_view(doc)
    text: str = _dumps(view)
    if "NaN" in text or "Infinity" in text:
        # A non-finite metric (or a string spelling one): spell the numbers
        # the way SQLite's JSON reads them, and encode again.
        values = view.pop("metrics")
        metrics_text = ",".join(f"{_dumps(k)}:{_number(v)}" for k, v in values.items())
        text = f'{_dumps(view)[:-1]},"metrics":{{{metrics_text}}}}}'
    return text


def index_stats_json(doc: dict[str, Any]) -> str:
    """The ``mstats`` column: ``{key: [last, min, max, first, count]}`` of each metric.

    The index fills its metric table from it in SQL, for the keys queries use.
    """
    rows = [
        (k, (s["value"], s.get("min"), s.get("max"),
             s["value"] if s.get("first") is None else s["first"], s.get("count", 1)))
        for k, s in (doc.get("metrics") or {}).items()
    ]
    text: str = _dumps(dict(rows))
    if "NaN" in text or "Infinity" in text:
        text = "{" + ",".join(f"{_dumps(k)}:[{','.join(_number(v) for v in row)}]" for k, row in rows) + "}"
    return text


def doc_to_run(doc: dict[str, Any]) -> Run:
    """Build the public :class:`Run` from a folded run document or its :func:`run_view`."""
    info = RunInfo(
        run_id=doc["run_id"],
        experiment_id=doc["experiment_id"],
        user_id=doc.get("user_id"),
        status=effective_status(doc),
        start_time=doc.get("start_time"),
        end_time=doc.get("end_time"),
        lifecycle_stage=doc.get("lifecycle_stage", LifecycleStage.ACTIVE),
        artifact_uri=doc["artifact_uri"],
        run_name=doc.get("run_name"),
    )
    metrics = {
        k: v if type(v) is float else view_metric(v) for k, v in (doc.get("metrics") or {}).items()
    }
    data = RunData(metrics=metrics, params=dict(doc.get("params") or {}), tags=dict(doc.get("tags") or {}))
    raw_inputs = doc.get("inputs")
    inputs = RunInputs(
        [DatasetInput(d.get("dataset", {}), d.get("tags", {})) for d in raw_inputs] if raw_inputs else None
    )
    run = Run(info, data, inputs)
    sizes = doc.get("sizes")
    run.sizes = (sizes[0], sizes[1]) if sizes else artifact_sizes(doc.get("artifacts") or {})
    return run


def view_metric(v: Any) -> float:
    """A metric's latest value from a run document, a run view or the index's row."""
    # A document's summary dict, a view's latest value (null for NaN in the
    # search index's views), or an index [last, min, max, first, count] row.
    if type(v) is dict:
        v = v["value"]
    elif type(v) is list:
        v = v[0]
    return float("nan") if v is None else float(v)


def artifact_sizes(artifacts: dict[str, Any]) -> tuple[int, int]:
    """(bytes of all artifacts, bytes of the model folders among them) of a run.

    A model folder is one holding an ``MLmodel`` descriptor.
    """
    if not artifacts:
        return 0, 0
    total = 0
    model_dirs = [p[: -len("MLmodel")] for p in artifacts if p == "MLmodel" or p.endswith("/MLmodel")]
    model = 0
    for path, entry in artifacts.items():
        size = int(entry.get("size", 0))
        total += size
        if any(path.startswith(d) for d in model_dirs):
            model += size
    return total, model
