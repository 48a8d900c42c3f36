"""LIKE / ILIKE match without backtracking, in Python and in the index (issue 12 item 2).

A pattern translated to one regex (``%`` → ``.*``) backtracks: ``'%%%%%%%%%%x'``
took seconds on one run and each extra ``%`` multiplied it. The matcher must
agree with the regex semantics (checked against ``re.fullmatch`` on a small
alphabet) and finish on adversarial patterns. Work is bounded with an alarm
(a generous 10 s for what takes milliseconds), never a wall-clock assertion.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from helpers import bounded
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import litetrack
from litetrack.query import (
    INDEX_SCHEMA,
    MetricSummary,
    RunRecord,
    compile_sql,
    configure_connection,
    ilike,
    like,
    load_records,
    matches,
    parse_filter,
)

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def reference(value: str, pattern: str, case_insensitive: bool) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if case_insensitive else 0)
    return re.fullmatch(regex, value, flags) is not None


@SETTINGS
@given(
    value=st.text(alphabet="abA\n.", max_size=12),
    pattern=st.text(alphabet="abA%_.\\[", max_size=8),
)
@example(value="", pattern="")
@example(value="", pattern="%")
@example(value="a", pattern="a%a")
@example(value="aa", pattern="a%a")
@example(value="aba", pattern="%a_%")
@example(value="ab", pattern="_%%_")
@example(value="b\na", pattern="b%a")
def test_like_agrees_with_regex_reference(value: str, pattern: str) -> None:
    assert like(value, pattern) == reference(value, pattern, False), (value, pattern)
    assert ilike(value, pattern) == reference(value, pattern, True), (value, pattern)


@pytest.mark.parametrize(
    ("pattern", "like_expected", "ilike_expected"),
    [
        ("%" * 40 + "x", False, False),
        ("%a" * 40 + "%x", False, False),
        ("%_" * 40 + "%x", False, False),
        ("%A" * 40 + "%", False, True),
        ("a" + "%a" * 30 + "%ab", False, False),
        ("%" * 40 + "a", True, True),
    ],
)
def test_adversarial_patterns_finish(
    pattern: str, like_expected: bool, ilike_expected: bool
) -> None:
    value = "a" * 100_000
    with bounded(10):
        assert like(value, pattern) is like_expected
        assert ilike(value, pattern) is ilike_expected


def _record(value: str) -> RunRecord:
    return RunRecord(
        run_id="r",
        experiment_id="0",
        run_name="n",
        status="FINISHED",
        start_time=0,
        end_time=0,
        artifact_uri="",
        user_id=None,
        lifecycle_stage="active",
        params={"p": value},
        tags={},
        metrics={"m": MetricSummary(last=1.0, min=1.0, max=1.0, first=1.0, count=1)},
    )


@pytest.mark.parametrize("op", ["LIKE", "ILIKE"])
def test_adversarial_pattern_in_sql_and_python(op: str) -> None:
    record = _record("a" * 100_000)
    expr = parse_filter(f"params.p {op} '{'%' * 40}x'")
    conn = sqlite3.connect(":memory:")
    conn.executescript(INDEX_SCHEMA)
    configure_connection(conn)
    load_records(conn, [record])
    sql, params = compile_sql(expr, [])
    with bounded(10):
        assert not matches(expr, record)
        assert list(conn.execute(sql, params)) == []


@pytest.mark.parametrize("use_index", [True, False])
def test_search_runs_with_many_percent_signs(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, use_index: bool
) -> None:
    with litetrack.start_run() as run:
        litetrack.log_param("p", "a" * 6000)
    if not use_index:
        from litetrack.store.core import Store

        monkeypatch.setattr(Store, "search_index", lambda self: None)
    with bounded(10):
        found = litetrack.search_runs(
            filter_string="params.p ILIKE '" + "%" * 12 + "x'", output_format="list"
        )
        assert found == []
        found = litetrack.search_runs(
            filter_string="params.p LIKE '" + "%a" * 12 + "%'", output_format="list"
        )
        assert [r.info.run_id for r in found] == [run.info.run_id]
