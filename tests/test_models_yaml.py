"""YAML through litetrack.yamlfmt (pyyaml): MLflow's bytes out, pyyaml's values in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from litetrack import yamlfmt
from litetrack.errors import CorruptDocument

_scalars = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=" abc:#'\"-\\\n\t{}[],&*!|>%@`?\xa0\u2028\x85\u3000", max_size=12),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.sampled_from(["yes", "no", "null", "~", "1.0", "0x1f", "017", "1e5", ".inf", "", "- x"]),
)
_keys = st.text(min_size=1, max_size=12)
_docs = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=15,
)


@settings(max_examples=200, deadline=None)
@given(doc=st.dictionaries(_keys, _docs, max_size=5))
@example(doc={"inputs": '[{"type": "double", "name": "a", "required": true}]' * 6})
@example(doc={"": None, "a": "x\xa0", "0": "\xa0"})
def test_writes_mlflow_bytes_and_reads_them_back(doc: dict[str, Any]) -> None:
    text = yamlfmt.dump(doc)
    assert text == yaml.safe_dump(doc, default_flow_style=False)  # MLflow's writer
    assert yamlfmt.load(text) == doc


def test_unicode_whitespace_is_kept() -> None:
    # The old hand-written reader stripped these (issue 11 item 4).
    assert yamlfmt.load("a: x\xa0") == {"a": "x\xa0"}
    assert yamlfmt.load("'0': \xa0") == {"0": "\xa0"}
    assert yamlfmt.load("a: x\u3000y") == {"a": "x\u3000y"}


def test_key_order_is_kept_when_asked() -> None:
    doc = {"python": "3.11.7", "build_dependencies": ["pip"], "dependencies": ["-r r.txt"]}
    assert yamlfmt.dump(doc, sort_keys=False).splitlines()[0] == "python: 3.11.7"
    assert yamlfmt.dump(doc).splitlines()[0] == "build_dependencies:"


def test_invalid_yaml_names_the_file() -> None:
    with pytest.raises(CorruptDocument, match="/m/MLmodel"):
        yamlfmt.load("a: [unclosed\n  b: {", "/m/MLmodel")
    with pytest.raises(CorruptDocument, match="/m/MLmodel"):
        yamlfmt.load("a: 1\n---\nb: 2\n", "/m/MLmodel")


def test_aliases_are_refused_only_when_asked() -> None:
    text = "a: &x [1, 2]\nb: *x\n"
    assert yamlfmt.load(text) == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(CorruptDocument, match=r"/imp/meta\.yaml.*alias \*x"):
        yamlfmt.load(text, "/imp/meta.yaml", aliases=False)
    # A '*' that is not an alias is fine.
    assert yamlfmt.load("a: '*x'\nb: 2*3\n", aliases=False) == {"a": "*x", "b": "2*3"}


def test_writing_a_value_yaml_cannot_hold_is_a_litetrack_error() -> None:
    from litetrack.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="YAML"):
        yamlfmt.dump({"a": Path("/x")})


def test_env_files_read_back(tmp_path: Path) -> None:
    from litetrack.models.envfiles import read_python_env, write_env_files

    write_env_files(tmp_path, ["numpy==1.26.4", "x[e]>=1; python_version > '3'"], "3.10.2")
    got = read_python_env(tmp_path)
    assert got["python"] == "3.10.2"
    assert got["dependencies"] == ["-r requirements.txt"]
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert conda["dependencies"][-1] == {"pip": ["numpy==1.26.4", "x[e]>=1; python_version > '3'"]}
    (tmp_path / "python_env.yaml").unlink()
    assert read_python_env(tmp_path) == {"python": "3.10.2"}
