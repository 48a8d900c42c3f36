"""The YAML of model folders: litetrack's writer and reader against pyyaml, both directions."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from litetrack.errors import CorruptDocument
from litetrack.models import yamlio

yaml = pytest.importorskip("yaml")

_scalars = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=" abc:#'\"-\\\n\t{}[],&*!|>%@`?", max_size=12),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(
        [
            "yes",
            "no",
            "null",
            "~",
            "1.0",
            "0x1f",
            "017",
            "1e5",
            ".inf",
            "2024-01-01",
            "2024-01-01 12:00:00.5",
            "-",
            "- x",
            ": x",
            "a: b",
            "#c",
            "a #c",
            "'q'",
            "",
        ]
    ),
)
_keys = st.text(min_size=1, max_size=12)
_docs = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(doc=st.dictionaries(_keys, _docs, max_size=5))
@example(doc={"inputs": '[{"type": "double", "name": "a", "required": true}]' * 6})
@example(doc={"a": [[1, [2]], [], {}, {"b": [None]}]})
def test_round_trips_both_ways(doc: dict[str, Any]) -> None:
    mine = yamlio.dump(doc)
    assert yaml.safe_load(mine) == doc
    assert yamlio.load(mine) == doc
    # pyyaml's output, folded at several widths as MLflow's files are.
    for width in (80, 20):
        assert yamlio.load(yaml.safe_dump(doc, default_flow_style=False, width=width)) == doc


def test_writes_what_pyyaml_writes_for_short_lines() -> None:
    doc = {
        "flavors": {
            "python_function": {
                "env": {"conda": "conda.yaml"},
                "loader_module": "litetrack.xgboost",
                "python_version": "3.11.7",
            }
        },
        "model_size_bytes": 1234,
        "run_id": None,
        "utc_time_created": "2024-01-02 03:04:05.678901",
        "metadata": {"ratio": 0.5, "flags": [True, False], "empty": {}, "none": []},
    }
    assert yamlio.dump(doc) == yaml.safe_dump(doc, default_flow_style=False)


def test_comments_flow_collections_and_fallback() -> None:
    text = "# model\nflavors: # the flavours\n  a: {x: 1, y: two}\n  b: [1, 2.5, c]\nn: 3 # three\n"
    assert yamlio.load(text) == {"flavors": {"a": {"x": 1, "y": "two"}, "b": [1, 2.5, "c"]}, "n": 3}
    # Anchors are outside the subset: pyyaml reads them.
    assert yamlio.load("a: &x 1\nb: *x\n") == {"a": 1, "b": 1}


def test_invalid_yaml_names_the_file() -> None:
    with pytest.raises(CorruptDocument, match="MLmodel"):
        yamlio.load("a: [unclosed\n  b: {", "/m/MLmodel")
