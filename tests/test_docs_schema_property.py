"""The fast document check (store/docs.py) and the pydantic schema (store/schema.py) agree.

Whatever the fast check accepts, the schema accepts with the same values;
whatever the schema refuses, the fast check refuses. (The schema may accept
more, after coercion, e.g. "1" for 1: parse_doc then uses its normal form.)
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litetrack.store import docs, schema

_ODD = st.sampled_from(
    [
        None, True, False, 0, 1, -1, 2**40, 1.5, 1.0, float("nan"), "", "1", "x", "RUNNING",
        "FINISHED", "active", "deleted", [], [1], [{}], [{"a": 1}], {}, {"a": 1}, {"a": "b"},
        {"value": 1.0, "timestamp": 1, "step": 0}, {"digest": "ab", "size": 3},
    ]
)

_RUN: dict[str, Any] = {
    "schema_version": 1,
    "run_id": "0123456789abcdef0123456789abcdef",
    "experiment_id": "0",
    "run_name": "r",
    "user_id": "u",
    "status": "FINISHED",
    "start_time": 1,
    "end_time": 2,
    "lifecycle_stage": "active",
    "deleted_time": None,
    "artifact_uri": "runs:/x",
    "pid": 12,
    "host": "h",
    "proc_start": "p",
    "parent_run_id": None,
    "params": {"p": "1"},
    "tags": {"t": "v"},
    "metrics": {"m": {"value": 1.5, "timestamp": 3, "step": 0, "min": 1.0, "max": 2.0,
                      "first": 1.0, "count": 2}},
    "log_offset": 10,
    "inputs": [{"name": "d"}],
    "artifacts": {"a.txt": {"digest": "ab", "size": 3}},
    "source": {"entry_point": "x.py"},
    "environment": {"digest": "cd"},
}

_EXPERIMENT: dict[str, Any] = {
    "schema_version": 1,
    "experiment_id": "1",
    "name": "e",
    "artifact_location": "x",
    "lifecycle_stage": "active",
    "tags": {"t": "v"},
    "creation_time": 1,
    "last_update_time": 2,
    "deleted_time": None,
}


@st.composite
def _mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(base))
    for key in draw(st.lists(st.sampled_from(sorted(base)), max_size=3, unique=True)):
        if key == "schema_version":
            continue  # checked before either validator runs
        if draw(st.booleans()):
            del doc[key]
        else:
            doc[key] = draw(_ODD)
    for key in ("metrics", "artifacts"):
        inner = doc.get(key)
        first = next(iter(inner.values()), None) if isinstance(inner, dict) else None
        if isinstance(first, dict) and draw(st.booleans()):
            entry = dict(first)
            field = draw(st.sampled_from(sorted(entry) + ["min", "count"]))
            if draw(st.booleans()):
                entry.pop(field, None)
            else:
                entry[field] = draw(_ODD)
            inner[next(iter(inner))] = entry
    return doc


def _same(normal: Any, value: Any) -> bool:
    """``normal`` (the schema's form) says what ``value`` says; it may add defaults."""
    a, b = normal, value
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is float and type(b) is int:
        return a == b  # a float field given an integer: the same number
    if isinstance(a, dict) and isinstance(b, dict):
        return b.keys() <= a.keys() and all(_same(a[k], b[k]) for k in b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _agree(doc: dict[str, Any], kind: str) -> None:
    fast = docs._looks_like_run(doc) if kind == "run" else docs._looks_like_experiment(doc)
    message, normal = schema.validate(doc, kind)  # type: ignore[arg-type]
    if message is not None:
        assert not fast, f"fast check accepts what the schema refuses ({message}): {doc}"
    if fast:
        # Same values for every field the document has (the schema adds defaults).
        for key, value in doc.items():
            assert _same(normal[key], value), (key, value, normal[key])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated(_RUN))
def test_run_documents(doc: dict[str, Any]) -> None:
    _agree(doc, "run")


@settings(max_examples=200, deadline=None)
@given(_mutated(_EXPERIMENT))
def test_experiment_documents(doc: dict[str, Any]) -> None:
    _agree(doc, "experiment")


def test_the_valid_bases_pass_both() -> None:
    assert docs._looks_like_run(_RUN) and schema.validate(_RUN, "run")[0] is None
    assert docs._looks_like_experiment(_EXPERIMENT)
    assert schema.validate(_EXPERIMENT, "experiment")[0] is None


def test_cases_the_fast_check_used_to_accept_or_crash_on() -> None:
    import pytest

    from litetrack.errors import CorruptDocument

    run_cases = [
        {"user_id": 5},
        {"inputs": [1]},
        {"source": "x"},
        {"metrics": {"m": {"value": 1.0, "timestamp": 1, "step": 0, "count": None}}},
    ]
    for change in run_cases:
        doc = {**_RUN, **change}
        assert not docs._looks_like_run(doc), change
        with pytest.raises(CorruptDocument):
            docs.parse_doc(json.dumps(doc).encode(), "/s/run.json", "run")
    bad_experiment = {**_EXPERIMENT, "lifecycle_stage": ["active"]}  # was a raw TypeError
    with pytest.raises(CorruptDocument, match="lifecycle_stage"):
        docs.parse_doc(json.dumps(bad_experiment).encode(), "/s/e.json", "experiment")
    assert not docs._looks_like_experiment({**_EXPERIMENT, "deleted_time": True})
