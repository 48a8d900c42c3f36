"""The registry searches' shortcuts around the filter parser give the parser's answers.

A search without a filter or order_by, or with just ``name = '...'``, skips
the filter language (its import is most of a fresh process's first search);
these tests hold the shortcuts to what the parser makes of the same text,
errors included, and check that such searches really leave it unimported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_python
from hypothesis import given, settings
from hypothesis import strategies as st

from litetrack import Client
from litetrack.errors import LitetrackError
from litetrack.query import Compare, Field
from litetrack.query.parse import _RUN_DIALECT, _Parser
from litetrack.store.core import current_store
from litetrack.store.registry import filters
from litetrack.store.registry.search import _blank, _no_order, _shortcut

# Pieces filters near "name = '...'" and "tags.k = '...'" are made of: each
# shortcut must either decline or agree with the parser on every text built
# from them.
PIECES = [
    "name",
    "Name",
    "NAME",
    "names",
    "name.x",
    "=",
    "==",
    "!=",
    "<=",
    "'",
    "''",
    '"',
    "`",
    " ",
    "  ",
    "\t",
    "\n",
    "\u00a0",
    "\u2003",
    "x",
    "taxi",
    "a.b",
    "é",
    "-",
    "/",
    "_",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    "tags.k",
    "tags.",
    "tags",
    "tag.",
    ".",
    "k",
    "`k`",
    "٣",
    "LIKE",
    "%",
]


def _parse(text: Any) -> tuple[str, Any]:
    try:
        return "ok", filters.parse_version_filter(text)
    except LitetrackError as e:
        return "error", str(e)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=8).map("".join))
def test_shortcuts_agree_with_the_parser(text: str) -> None:
    outcome, expr = _parse(text)
    if _blank(text):
        assert (outcome, expr) == ("ok", None)
    quick = _shortcut(text)
    if quick is not None:
        kind, key, value = quick
        assert (outcome, expr) == ("ok", Compare(Field(kind, key), "=", value))


@pytest.mark.parametrize(
    "text, quick",
    [
        ("name = 'taxi'", ("attribute", "name", "taxi")),
        ("  name='a b.c'\n", ("attribute", "name", "a b.c")),
        ("name =\u00a0'x'", ("attribute", "name", "x")),
        ("name = ''", ("attribute", "name", "")),
        ("tags.team = 'a b'", ("tag", "team", "a b")),
        ("tags.train/loss-x_1='v'", ("tag", "train/loss-x_1", "v")),
        ("name = 'it''s'", None),  # a doubled quote: the parser reads it
        ('name = "taxi"', None),
        ("name == 'taxi'", None),
        ("name = 'a' AND tags.k = 'v'", None),
        ("names = 'taxi'", None),
        ("`name` = 'taxi'", None),
        ("attributes.name = 'taxi'", None),
        ("tags.a.b = 'v'", None),  # the key "a.b": the parser joins the segments
        ("tags.`k` = 'v'", None),
        ("tag.k = 'v'", None),
        ("tags.k != 'v'", None),
        ("tags. k = 'v'", None),  # an error, the parser's
    ],
)
def test_shortcut_recognises_just_the_plain_forms(text: str, quick: Any) -> None:
    assert _shortcut(text) == quick
    if quick is not None:
        kind, key, value = quick
        assert filters.parse_version_filter(text) == Compare(Field(kind, key), "=", value)


@pytest.mark.parametrize(
    "text, blank", [(None, True), ("", True), (" \t\n\u2003", True), ("x", False), (3, False)]
)
def test_blank(text: Any, blank: bool) -> None:
    assert _blank(text) is blank


@pytest.mark.parametrize(
    "order_by, none",
    [(None, True), ([], True), ((), True), ("", False), (["name"], False), (0, False)],
)
def test_no_order(order_by: Any, none: bool) -> None:
    assert _no_order(order_by) is none


@pytest.fixture
def registry(store_path: Path) -> Path:
    reg = current_store().registry
    for name, n in (("taxi", 4), ("other", 2)):
        for i in range(n):
            reg.create_version(
                name,
                f"runs:/{'ab' * 16}/model",
                {},
                run_id=f"{i:032x}",
                tags={"i": str(i)},
                create_model=True,
            )
    return store_path / "registry"


@pytest.mark.parametrize("index", ["1", "0"])
def test_searches_on_the_shortcuts_match_the_parsed_ones(
    registry: Path, monkeypatch: pytest.MonkeyPatch, index: str
) -> None:
    monkeypatch.setenv("LITETRACK_INDEX", index)
    c = Client()
    # Same answers as an equivalent filter the shortcuts do not take.
    assert c.search_model_versions("name = 'taxi'") == c.search_model_versions(
        "name = 'taxi' AND version_number > 0"
    )
    assert c.search_model_versions() == c.search_model_versions("version_number > 0")
    assert c.search_model_versions(" ", order_by=[]) == c.search_model_versions(
        order_by=["last_updated_timestamp DESC", "name ASC", "version_number DESC"]
    )
    assert c.search_model_versions("tags.i = '1'") == c.search_model_versions(
        "tags.i = '1' AND version_number > 0"
    )
    assert [v.version for v in c.search_model_versions("tags.i = '1'")] == [2, 2]
    assert c.search_model_versions("tags.nope = '1'") == []
    assert c.search_registered_models() == c.search_registered_models(order_by=["name ASC"])
    assert [m.name for m in c.search_registered_models()] == ["other", "taxi"]
    assert c.search_model_versions("name = 'missing'") == []
    # Errors stay the parser's and the checks': a blank name, a bad order_by.
    with pytest.raises(LitetrackError):
        c.search_model_versions("name = ''")
    with pytest.raises(LitetrackError, match="order_by must be a list"):
        c.search_model_versions("name = 'taxi'", order_by="")  # type: ignore[arg-type]


def test_plain_searches_do_not_import_the_filter_language(registry: Path) -> None:
    out = run_python(
        "import sys, litetrack\n"
        "c = litetrack.Client()\n"
        "n = len(c.search_model_versions()) + len(c.search_model_versions(\"name = 'taxi'\"))\n"
        "n += len(c.search_registered_models()) + len(c.search_model_versions(\"tags.i = '1'\"))\n"
        "print(n, sorted(m for m in sys.modules if m.startswith('litetrack.query')\n"
        "                or m == 'litetrack.store.registry.filters'))\n"
        "c.search_model_versions(\"tags.i != '1'\")\n"
        "print('litetrack.store.registry.filters' in sys.modules)"
    ).stdout.split("\n")
    assert out[:2] == ["14 []", "True"]


# The parser scans whitespace, keywords and comparison operators by hand (no
# regex to compile at import); these are the regexes it used, as the reference.
_WS_RE = re.compile(r"\s*")
_WORD_RE = re.compile(r"[A-Za-z]+\b")
_OP_RE = re.compile(r"!=|<=|>=|=|<|>")
_SCAN_TEXT = st.text(
    st.sampled_from(list(" \t\n\x0b\x1c\x85\u00a0\u2003\u200b_-=!<>aZé1٣ⅷ.'")), max_size=8
)


@settings(max_examples=500, deadline=None)
@given(_SCAN_TEXT, st.integers(0, 8))
def test_hand_scanning_matches_the_regexes(text: str, pos: int) -> None:
    pos = min(pos, len(text))
    p = _Parser(text, _RUN_DIALECT)
    p.pos = pos
    p.skip_ws()
    m = _WS_RE.match(text, pos)
    assert m is not None and p.pos == m.end()
    p.pos = pos
    word = p.peek_word()
    ws_end = m.end()
    assert p.pos == ws_end
    w = _WORD_RE.match(text, ws_end)
    assert word == (w.group().upper() if w else None)
    p.pos = ws_end
    op = _OP_RE.match(text, ws_end)
    assert p.compare_op() == (op.group() if op else None)
