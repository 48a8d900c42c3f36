"""The filter language: parsing, evaluation, ordering and SQL, on concrete cases.

Every search below runs twice, through the Python evaluator and through the
compiled SQL on an in-memory index, and the two answers must be identical.
"""

from __future__ import annotations

import ast
import math
import pickle
import sqlite3
import sys
from pathlib import Path

import pytest

import litetrack.query.sql as query_sql
from litetrack.errors import FilterSyntaxError, InvalidArgument
from litetrack.query import (
    INDEX_SCHEMA,
    And,
    Compare,
    ExperimentRecord,
    Field,
    InList,
    IsNull,
    MetricSummary,
    Not,
    Or,
    OrderKey,
    RunRecord,
    compile_sql,
    configure_connection,
    format_filter,
    format_order_key,
    ilike,
    like,
    load_records,
    matches,
    matches_experiment,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
    sort_experiments,
    sort_records,
)

NAN = math.nan
INF = math.inf


def metric(
    last: float,
    lo: float | None = None,
    hi: float | None = None,
    first: float | None = None,
    count: int = 1,
) -> MetricSummary:  # noqa: E501
    return MetricSummary(
        last=last,
        min=last if lo is None else lo,
        max=last if hi is None else hi,
        first=last if first is None else first,
        count=count,
    )


def run(run_id: str, **kw: object) -> RunRecord:
    base: dict[str, object] = dict(
        run_id=run_id,
        experiment_id="1",
        run_name=None,
        status="FINISHED",
        start_time=None,
        end_time=None,
        artifact_uri=f"/store/{run_id}",
        user_id=None,
        lifecycle_stage="active",
        params={},
        tags={},
        metrics={},
    )
    base.update(kw)
    return RunRecord(**base)  # type: ignore[arg-type]


RUNS = [
    run(
        "a1",
        run_name="alpha",
        status="FINISHED",
        start_time=1000,
        end_time=2000,
        user_id="alice",
        params={"max_depth": "6", "lr": "0.1", "my key": "x", "a.b": "dotted"},
        tags={"mlflow.runName": "alpha", "team": "Vision"},
        metrics={
            "rmse": metric(0.5, 0.3, 0.9, 0.9, 3),
            "loss.min": metric(42.0),
            "my loss": metric(1.0),
            "acc": metric(0.8),
        },
    ),
    run(
        "b2",
        run_name="beta",
        status="RUNNING",
        start_time=3000,
        user_id="bob",
        params={"max_depth": "10", "lr": "0.01"},
        tags={"team": "vision"},
        metrics={"rmse": metric(0.7, 0.7, 0.7, 0.7, 1), "acc": metric(NAN)},
    ),
    run(
        "c3",
        status="FAILED",
        start_time=2000,
        end_time=2500,
        params={"max_depth": "6"},
        metrics={"rmse": metric(INF, 0.1, INF, 0.2, 2), "acc": metric(0.9)},
    ),
    run(
        "d4",
        run_name="gamma_1",
        experiment_id="2",
        start_time=3000,
        lifecycle_stage="deleted",
        tags={"team": "NLP%"},
        metrics={"rmse": metric(-INF)},
    ),
    run(
        "e5",
        run_name="Alpha",
        status="KILLED",
        params={"max_depth": "6", "lr": "0.1"},
        metrics={"rmse": metric(NAN, NAN, NAN, NAN, 1)},
    ),
]
ALL = {r.run_id for r in RUNS}


@pytest.fixture(scope="module")
def conn() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(INDEX_SCHEMA)
    configure_connection(db)
    load_records(db, RUNS)
    return db


def search(
    conn: sqlite3.Connection, text: str | None, order_by: list[str] | None = None, **sql_kw: object
) -> list[str]:
    """Run ids matching ``text`` in order; asserts that SQL and Python agree."""
    expr = parse_filter(text)
    keys = parse_order_by(order_by)
    python = [r.run_id for r in sort_records([r for r in RUNS if matches(expr, r)], keys)]
    sql, params = compile_sql(expr, keys, **sql_kw)  # type: ignore[arg-type]
    got = [row[0] for row in conn.execute(sql, params)]
    if not sql_kw:
        assert got == python, (text, sql, params)
    return got


def ids(conn: sqlite3.Connection, text: str) -> set[str]:
    return set(search(conn, text))


# ---------------------------------------------------------------------------
# metrics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.rmse = 0.5", {"a1"}),
        # e5's rmse is NaN: NaN != x is true (IEEE), every other comparison unknown.
        # MLflow 3.17 answers the same in its SQLite and file stores.
        ("metrics.rmse != 0.5", {"b2", "c3", "d4", "e5"}),
        ("NOT metrics.rmse != 0.5", {"a1"}),
        ("metrics.rmse = 0.5 OR metrics.rmse != 0.5", {"a1", "b2", "c3", "d4", "e5"}),
        ("metrics.rmse < 0.6", {"a1", "d4"}),
        ("metrics.rmse <= 0.7", {"a1", "b2", "d4"}),
        ("metrics.rmse > 0.5", {"b2", "c3"}),
        ("metrics.rmse >= 0.5", {"a1", "b2", "c3"}),
        ("metrics.rmse > 1e300", {"c3"}),  # +inf is an ordinary, large number
        ("metrics.rmse < -1e300", {"d4"}),
        ("metrics.rmse = inf", {"c3"}),
        ("metrics.rmse = -inf", {"d4"}),
        ("metrics.rmse = +Infinity", {"c3"}),
        ("metrics.rmse > -5", {"a1", "b2", "c3"}),
        ("metrics.rmse < .6", {"a1", "d4"}),
        ("metrics.rmse < 6E-1", {"a1", "d4"}),
        ("metrics.rmse=0.5", {"a1"}),
        ("metrics.acc > 0", {"a1", "c3"}),  # b2's acc is NaN
        ("metrics.missing = 1", set()),
        ("metrics.missing != 1", set()),
    ],
)
def test_metric_comparisons(conn: sqlite3.Connection, text: str, expected: set[str]) -> None:
    assert ids(conn, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.rmse.last = 0.5", {"a1"}),
        ("metrics.rmse.min < 0.35", {"a1", "c3", "d4"}),
        ("metrics.rmse.max = inf", {"c3"}),
        ("metrics.rmse.first = 0.9", {"a1"}),
        ("metrics.rmse.count = 3", {"a1"}),
        ("metrics.rmse.count >= 1", ALL),  # count of a NaN-only history is still a count
        ("metrics.`loss.min` = 42", {"a1"}),  # backticks: the literal key
        ('metrics."loss.min" = 42', {"a1"}),
        ("metrics.loss.min = 42", set()),  # min of a metric named "loss"
        ("metrics.`loss.min`.max = 42", {"a1"}),
        ("metrics.`my loss` = 1", {"a1"}),
        ("metric.rmse = 0.5", {"a1"}),
    ],
)
def test_metric_aggregates_and_keys(
    conn: sqlite3.Connection, text: str, expected: set[str]
) -> None:
    assert ids(conn, text) == expected


def test_unknown_dotted_suffix_is_part_of_the_key() -> None:
    # As in MLflow, everything after the prefix is the key unless it ends in an aggregate.
    assert parse_filter("metrics.train.loss > 1") == Compare(
        Field("metric", "train.loss", "last"), ">", 1.0
    )
    assert parse_filter("metrics.train/loss-v2 > 1") == Compare(
        Field("metric", "train/loss-v2", "last"), ">", 1.0
    )


# ---------------------------------------------------------------------------
# params, tags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.max_depth = '6'", {"a1", "c3", "e5"}),
        ('params.max_depth = "6"', {"a1", "c3", "e5"}),
        ("params.max_depth != '6'", {"b2"}),  # d4 has no max_depth: no match either way
        ("param.max_depth = '10'", {"b2"}),
        ("parameters.lr = '0.1'", {"a1", "e5"}),
        ("params.`my key` = 'x'", {"a1"}),
        ("params.\"my key\" = 'x'", {"a1"}),
        ("params.a.b = 'dotted'", {"a1"}),  # dotted key without quotes, as MLflow
        ("params.lr LIKE '0.%'", {"a1", "b2", "e5"}),
        ("params.lr LIKE '0._'", {"a1", "e5"}),
        ("params.lr LIKE '0_1'", {"a1", "e5"}),
        ("params.max_depth LIKE '1%'", {"b2"}),
        ("params.max_depth IN ('6', '10')", {"a1", "b2", "c3", "e5"}),
        ("params.max_depth NOT IN ('6')", {"b2"}),
        ("tags.team = 'vision'", {"b2"}),
        ("tags.team LIKE 'vision'", {"b2"}),  # LIKE is case-sensitive
        ("tags.team ILIKE 'VISION'", {"a1", "b2"}),
        ("tags.team ILIKE 'v%'", {"a1", "b2"}),
        ("tags.team LIKE 'V%'", {"a1"}),
        ("tags.team LIKE 'NLP%'", {"d4"}),
        ("tags.team LIKE '%\\%'", set()),  # no escapes: backslash is literal
        ("tags.`mlflow.runName` = 'alpha'", {"a1"}),
        ("tags.mlflow.runName = 'alpha'", {"a1"}),
        ("tag.team != 'vision'", {"a1", "d4"}),
    ],
)
def test_params_and_tags(conn: sqlite3.Connection, text: str, expected: set[str]) -> None:
    assert ids(conn, text) == expected


def test_like_wildcards_and_glob_metacharacters() -> None:
    assert like("abc", "a%")
    assert like("abc", "%c")
    assert like("abc", "_b_")
    assert not like("abc", "_b")
    assert like("", "%")
    assert not like("Abc", "a%")
    assert ilike("Abc", "a%")
    assert like("a.c", "a.c") and not like("abc", "a.c")  # "." is not a wildcard
    assert like("a*c", "a*c") and not like("abbc", "a*c")
    assert like("[x]?", "[x]?") and not like("x!", "[x]?")
    assert like("line\nbreak", "line%")
    assert ilike("STRASSE", "strasse")


def test_like_sql_glob_translation_escapes_metacharacters() -> None:
    runs = [
        run("r1", params={"p": "a*c"}),
        run("r2", params={"p": "abbc"}),
        run("r3", params={"p": "[x]?"}),
        run("r4", params={"p": "x!"}),
        run("r5", params={"p": "Ünïcode"}),
    ]
    db = sqlite3.connect(":memory:")
    db.executescript(INDEX_SCHEMA)
    configure_connection(db)
    load_records(db, runs)
    for pattern, expected in [
        ("a*c", ["r1"]),
        ("[x]?", ["r3"]),
        ("a%c", ["r2", "r1"]),
        ("_nïcode", ["r5"]),
    ]:
        expr = parse_filter(f"params.p LIKE '{pattern}'")
        sql, params = compile_sql(expr, [])
        got = sorted(row[0] for row in db.execute(sql, params))
        assert got == sorted(expected)
        assert got == sorted(r.run_id for r in runs if matches(expr, r))
    sql, params = compile_sql(parse_filter("params.p ILIKE 'üNÏ%'"), [])
    assert [row[0] for row in db.execute(sql, params)] == ["r5"]  # Unicode case folding


# ---------------------------------------------------------------------------
# attributes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("attributes.status = 'FINISHED'", {"a1", "d4"}),
        ("attribute.status != 'FINISHED'", {"b2", "c3", "e5"}),
        ("run.status = 'RUNNING'", {"b2"}),
        ("attr.status = 'FAILED'", {"c3"}),
        ("status = 'KILLED'", {"e5"}),  # no prefix: an attribute, as in MLflow
        ("attributes.run_name = 'alpha'", {"a1"}),
        ("attributes.run_name LIKE 'alpha'", {"a1"}),
        ("attributes.run_name ILIKE 'alpha'", {"a1", "e5"}),
        ("attributes.run_name LIKE 'gamma_1'", {"d4"}),
        ("attributes.run_name != 'alpha'", {"b2", "d4", "e5"}),  # c3 has no name
        ("`Run name` = 'beta'", {"b2"}),
        ("attributes.run_id = 'c3'", {"c3"}),
        ("attributes.run_id IN ('a1', 'c3', 'zz')", {"a1", "c3"}),
        ("attributes.run_id NOT IN ('a1', 'c3')", {"b2", "d4", "e5"}),
        ("attributes.start_time > 1000", {"b2", "c3", "d4"}),
        ("attributes.start_time >= 1000", {"a1", "b2", "c3", "d4"}),
        ("attributes.start_time = 3000", {"b2", "d4"}),
        ("attributes.start_time != 3000", {"a1", "c3"}),  # e5 has no start_time
        ("created < 2500", {"a1", "c3"}),
        ("attributes.end_time < 2100", {"a1"}),
        ("attributes.end_time IS NULL", {"b2", "d4", "e5"}),
        ("attributes.user_id = 'bob'", {"b2"}),
        ("attributes.user_id IS NULL", {"c3", "d4", "e5"}),
        ("attributes.experiment_id = '2'", {"d4"}),
        ("attributes.lifecycle_stage = 'deleted'", {"d4"}),
        ("attributes.artifact_uri LIKE '/store/%'", ALL),
    ],
)
def test_attributes(conn: sqlite3.Connection, text: str, expected: set[str]) -> None:
    assert ids(conn, text) == expected


# ---------------------------------------------------------------------------
# boolean structure, three-valued logic, IS NULL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metrics.rmse < 1 and params.max_depth = '6'", {"a1"}),
        ("metrics.rmse < 1 AND params.max_depth = '6' AND tags.team = 'Vision'", {"a1"}),
        ("metrics.rmse = 0.5 OR metrics.rmse = 0.7", {"a1", "b2"}),
        ("metrics.rmse = 0.5 or tags.team = 'NLP%'", {"a1", "d4"}),
        # precedence: NOT > AND > OR
        ("metrics.rmse = 0.7 OR metrics.rmse = 0.5 AND params.lr = '0.01'", {"b2"}),
        ("(metrics.rmse = 0.7 OR metrics.rmse = 0.5) AND params.lr = '0.01'", {"b2"}),
        ("(metrics.rmse = 0.7 OR metrics.rmse = 0.5) AND params.lr = '0.1'", {"a1"}),
        ("NOT metrics.rmse = 0.5 AND metrics.rmse < 1", {"b2", "d4"}),
        ("NOT (metrics.rmse = 0.5 AND metrics.rmse < 1)", {"b2", "c3", "d4"}),
        ("not not metrics.rmse = 0.5", {"a1"}),
        ("((metrics.rmse = 0.5))", {"a1"}),
        # NOT of an unknown comparison stays unknown: runs without the key never match
        ("NOT params.max_depth = '6'", {"b2"}),
        ("NOT metrics.acc > 0.85", {"a1"}),  # b2 NaN, d4/e5 missing
        ("params.max_depth = '6' OR params.max_depth != '6'", {"a1", "b2", "c3", "e5"}),
        ("params.x NOT LIKE '%'", set()),
        ("params.lr NOT LIKE '%1'", set()),
        ("params.lr NOT ILIKE '0.01'", {"a1", "e5"}),
        # unknown OR true is true; unknown AND false is false
        ("params.lr = '0.1' OR metrics.acc > 0", {"a1", "c3", "e5"}),
        ("NOT (params.lr = '0.5' AND metrics.acc > 0)", {"a1", "b2", "e5"}),  # c3: NOT unknown
        # IS NULL: missing keys and NaN
        ("metrics.acc IS NULL", {"b2", "d4", "e5"}),
        ("metrics.acc IS NOT NULL", {"a1", "c3"}),
        ("metrics.rmse IS NULL", {"e5"}),
        ("metrics.rmse.count IS NULL", set()),
        ("params.lr IS NULL", {"c3", "d4"}),
        ("tags.team is not null", {"a1", "b2", "d4"}),
        ("NOT tags.team IS NULL", {"a1", "b2", "d4"}),
        ("attributes.run_name IS NULL", {"c3"}),
        ("attributes.run_id IS NULL", set()),
        ("metrics.acc IS NULL OR metrics.acc < 0.85", {"a1", "b2", "d4", "e5"}),
    ],
)
def test_boolean_logic(conn: sqlite3.Connection, text: str, expected: set[str]) -> None:
    assert ids(conn, text) == expected


def test_blank_filter_matches_everything(conn: sqlite3.Connection) -> None:
    for text in (None, "", "   ", "\n\t"):
        assert parse_filter(text) is None
        assert ids(conn, text or "") == ALL


def test_keywords_are_case_insensitive() -> None:
    a = parse_filter(
        "metrics.a > 1 and not (params.b like 'x' or params.c ilike 'y') "
        "And tags.t Is Not Null and params.d not in ('z')"
    )
    b = parse_filter(
        "metrics.a > 1 AND NOT (params.b LIKE 'x' OR params.c ILIKE 'y') "
        "AND tags.t IS NOT NULL AND params.d NOT IN ('z')"
    )
    assert a == b


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        # MLflow 3.17 answers these (SearchUtils reads them through sqlparse):
        # a single-quoted key after the prefix, and a trailing comma in an IN list.
        ("params.'lr' = '0.1'", "params.lr = '0.1'"),
        ("metrics.'loss' > 0", "metrics.loss > 0"),
        ("tags.'mlflow.user' = 'ann'", "tags.`mlflow.user` = 'ann'"),
        ("attributes.run_id IN ('a',)", "attributes.run_id IN ('a')"),
        ("attributes.run_id IN ('a', 'b' , )", "attributes.run_id IN ('a', 'b')"),
        ("params.p NOT IN ('a', 'b',)", "params.p NOT IN ('a', 'b')"),  # litetrack's IN, same rule
    ],
)
def test_mlflow_spellings_parse_as_their_plain_form(text: str, same_as: str) -> None:
    assert parse_filter(text) == parse_filter(same_as)


def test_parse_tree_shapes() -> None:
    assert parse_filter("metrics.a > 1 AND metrics.b > 2 AND metrics.c > 3") == And(
        tuple(Compare(Field("metric", k, "last"), ">", float(v)) for k, v in "a1 b2 c3".split())
    )
    a = Compare(Field("param", "a"), "=", "1")
    b = Compare(Field("param", "b"), "=", "2")
    c = Compare(Field("param", "c"), "=", "3")
    assert parse_filter("params.a = '1' OR params.b = '2' AND params.c = '3'") == Or(
        (a, And((b, c)))
    )
    assert parse_filter("NOT params.a = '1' AND params.b = '2'") == And((Not(a), b))
    assert parse_filter("params.a LIKE '1' OR params.b NOT LIKE '2'") == Or(
        (Compare(Field("param", "a"), "LIKE", "1"), Not(Compare(Field("param", "b"), "LIKE", "2")))
    )
    assert parse_filter("params.a NOT IN ('1', \"2\")") == InList(
        Field("param", "a"), ("1", "2"), negated=True
    )
    assert parse_filter("metrics.a IS NOT NULL") == IsNull(Field("metric", "a", "last"), True)
    assert parse_filter("attributes.start_time > 5") == Compare(
        Field("attribute", "start_time"), ">", 5
    )
    assert parse_filter("attributes.start_time > 5.5") == Compare(
        Field("attribute", "start_time"), ">", 5.5
    )


def test_string_literals_double_their_quote_and_keep_backslashes() -> None:
    assert parse_filter("params.a = 'it''s'") == Compare(Field("param", "a"), "=", "it's")
    assert parse_filter('params.a = "say ""hi"""') == Compare(Field("param", "a"), "=", 'say "hi"')
    assert parse_filter(r"params.a = 'C:\path\'") == Compare(Field("param", "a"), "=", "C:\\path\\")
    assert parse_filter("params.`we``ird` = ''") == Compare(Field("param", "we`ird"), "=", "")


# ---------------------------------------------------------------------------
# format_filter


@pytest.mark.parametrize(
    "text",
    [
        "metrics.rmse < 0.5 AND params.max_depth = '6'",
        "metrics.`loss.min` = 1.0",
        "metrics.loss.min = 1.0",
        "metrics.`my loss`.count >= 2.0",
        "params.`a b` LIKE '%x_' OR (NOT tags.t IS NULL)",
        "attributes.run_id IN ('a', 'it''s')",
        "attributes.start_time > 1000 AND attributes.end_time <= 2.5",
        "(metrics.a = inf OR metrics.b = -inf) AND NOT (params.c NOT IN ('x'))",
        "tags.`mlflow.runName` ILIKE 'a%'",
        "params.`` IS NULL".replace("``", "`x y`"),
    ],
)
def test_format_filter_round_trips(text: str) -> None:
    expr = parse_filter(text)
    printed = format_filter(expr)
    assert parse_filter(printed) == expr
    assert format_filter(parse_filter(printed)) == printed


def test_format_filter_quotes_only_when_needed() -> None:
    assert format_filter(parse_filter("metrics.train.loss > 1")) == "metrics.train.loss > 1.0"
    assert format_filter(parse_filter("metrics.`loss.max` > 1")) == "metrics.`loss.max` > 1.0"
    assert format_filter(parse_filter("params.`a b` = 'x'")) == "params.`a b` = 'x'"
    assert format_filter(parse_filter("status = 'x'")) == "attributes.status = 'x'"
    assert format_filter(None) == ""


def test_format_filter_rejects_unprintable_trees() -> None:
    with pytest.raises(InvalidArgument):
        format_filter(Compare(Field("metric", "a", "last"), "=", NAN))
    with pytest.raises(InvalidArgument):
        format_filter(InList(Field("param", "a"), ()))
    with pytest.raises(InvalidArgument):
        format_filter(And((Compare(Field("param", "a"), "=", "x"),)))
    with pytest.raises(InvalidArgument):
        Field("metric", "a", "median")
    with pytest.raises(InvalidArgument):
        Field("param", "a", "min")


# ---------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("metrics.rmse >", 14, "expected a value"),
        ("metrics.rmse 0.5", 13, "expected an operator"),
        ("metrics.rmse == 0.5", 14, "expected a number"),
        ("metrics.rmse < 0.5 AND", 22, "expected a condition"),
        ("metrics.rmse < 0.5 params.a = '1'", 19, "expected AND, OR"),
        ("(metrics.rmse < 0.5", 19, "missing ')'"),
        ("metrics.rmse < 0.5)", 18, "unbalanced ')'"),
        ("()", 1, "expected a field"),
        ("params.a = 'open", 11, "unterminated string"),
        ("params.`open = '1'", 7, "unterminated key"),
        ("params.`` = '1'", 7, "cannot be empty"),
        ("metrics. rmse < 1", 8, "expected a key after '.'"),
        ("metrics.rmse < 1 AND AND metrics.a < 2", 21, "expected a field"),
        ("metrics.rmse < 1 OR OR", 20, "expected a field"),
        ("params.a IN ('x',,)", 17, "expected a quoted string in the IN list"),
        ("params.a IN ('x' 'y')", 17, "expected ',' or ')'"),
        ("params.a IN 'x'", 12, "expected '('"),
        ("params.a IS 'x'", 12, "expected NULL"),
        ("params.a NOT = 'x'", 13, "expected LIKE, ILIKE or IN after NOT"),
        ("metrics.rmse < 1abc", 15, "expected a number"),
        ("'x' = params.a", 0, "quoted string"),
        ("metrics.`a`.b < 1", 12, "unknown metric aggregate"),
        ("metrics.a.`b` < 1", 10, "whole key"),
    ],
)
def test_malformed_filters_point_at_the_failure(text: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    err = info.value
    assert err.text == text
    assert err.position == position, str(err)
    assert fragment in str(err)
    # The message shows the text and a caret under the failing offset.
    lines = str(err).splitlines()
    assert lines[1] == "    " + text
    assert lines[2] == "    " + " " * position + "^"


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("foo.x = 1", 0, "unknown prefix 'foo'"),
        ("metricz.x = 1", 0, "unknown prefix 'metricz'"),
        ("datasetz.name = 'x'", 0, "unknown prefix"),
        ("rmse < 1", 0, "unknown run attribute 'rmse'"),
        ("attributes.nope = 'x'", 11, "unknown run attribute 'nope'"),
        ("metrics.a < 1 AND run.runtime > 5", 22, "unknown run attribute 'runtime'"),
        ("Metrics.x < 1", 0, "unknown prefix"),  # prefixes are case-sensitive, as MLflow
    ],
)
def test_unknown_prefixes_and_attributes_are_errors(
    text: str, position: int, fragment: str
) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert info.value.position == position
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("metrics.rmse < '0.5'", 15, "compares numerically"),
        ('metrics.rmse = "1"', 15, "compares numerically"),
        ("attributes.start_time > '5'", 24, "compares numerically"),
        ("params.max_depth = 6", 19, "quote the value"),
        ("tags.t = 1.5", 9, "quote the value"),
        ("attributes.status = FINISHED", 20, "expected a quoted string"),
        ("metrics.rmse LIKE '0.5'", 13, "operator LIKE cannot be used"),
        ("metrics.rmse ILIKE '0.5'", 13, "operator ILIKE"),
        ("metrics.rmse IN ('1')", 13, "operator IN"),
        ("attributes.end_time NOT IN ('1')", 20, "operator NOT IN"),
        ("params.a < '1'", 9, "operator < cannot be used"),
        ("tags.a >= 'x'", 7, "operator >="),
        ("attributes.status > 'A'", 18, "operator >"),
        ("metrics.rmse = nan", 15, "NaN"),
        ("params.a IN ()", 13, "cannot be empty"),
        ("params.a IN (1)", 13, "expected a quoted string"),
    ],
)
def test_type_and_operator_errors(text: str, position: int, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert info.value.position == position, str(info.value)
    assert fragment in str(info.value)


def test_errors_are_invalid_argument_and_survive_pickling() -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_filter("metrics.x ?")
    err = pickle.loads(pickle.dumps(info.value))
    assert isinstance(err, FilterSyntaxError)
    assert (err.text, err.position) == ("metrics.x ?", 10)
    with pytest.raises(ValueError):
        parse_filter("params.x = 1")


def test_caret_line_survives_tabs_and_newlines() -> None:
    text = "metrics.a > 1\n\tAND\tparams.b"
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert info.value.position == len(text)
    lines = str(info.value).splitlines()
    assert lines[-2] == "    metrics.a > 1  AND params.b"
    assert lines[-1].index("^") == 4 + len(text)


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    assert parse_filter("(" * 50 + "metrics.a > 1" + ")" * 50) is not None
    assert parse_filter("NOT " * 50 + "metrics.a > 1") is not None
    for text in ("(" * 5000 + "metrics.a > 1" + ")" * 5000, "NOT " * 5000 + "metrics.a > 1"):
        with pytest.raises(FilterSyntaxError, match="nested deeper"):
            parse_filter(text)


def test_non_string_filter_is_rejected() -> None:
    with pytest.raises(InvalidArgument):
        parse_filter(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# order_by


def test_parse_order_by() -> None:
    assert parse_order_by(None) == []
    assert parse_order_by([]) == []
    assert parse_order_by(["metrics.rmse", "metrics.rmse.min DESC", "params.max_depth asc"]) == [
        OrderKey(Field("metric", "rmse", "last"), True),
        OrderKey(Field("metric", "rmse", "min"), False),
        OrderKey(Field("param", "max_depth"), True),
    ]
    assert parse_order_by(["attributes.start_time DESC", "end_time", "tags.x Desc"]) == [
        OrderKey(Field("attribute", "start_time"), False),
        OrderKey(Field("attribute", "end_time"), True),
        OrderKey(Field("tag", "x"), False),
    ]
    assert parse_order_by(["metrics.loss.min", "metrics.`loss.min` DESC", "metric.`my loss`"]) == [
        OrderKey(Field("metric", "loss", "min"), True),
        OrderKey(Field("metric", "loss.min", "last"), False),
        OrderKey(Field("metric", "my loss", "last"), True),
    ]
    assert parse_order_by(["  created  desc "]) == [
        OrderKey(Field("attribute", "start_time"), False)
    ]
    key = parse_order_by(["metrics.`a b`.max DESC"])[0]
    assert parse_order_by([format_order_key(key)]) == [key]


@pytest.mark.parametrize(
    ("entry", "position"),
    [
        ("metrics.rmse DOWN", 13),
        ("metrics.rmse DESC ASC", 18),
        ("", 0),
        ("foo.rmse", 0),
        ("attributes.nope", 11),
        ("metrics.rmse, params.x", 12),
    ],
)
def test_malformed_order_by(entry: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_order_by([entry])
    assert info.value.text == entry
    assert info.value.position == position


@pytest.mark.parametrize(
    "order_by",
    [
        ["metrics.rmse", "metrics.rmse DESC"],
        ["attributes.start_time DESC", "start_time"],
        ["created", "params.x", "attribute.start_time ASC"],  # created is start_time
        ["tags.t", "tags.t"],
    ],
)
def test_order_by_naming_a_field_twice_is_refused(order_by: list[str]) -> None:
    # MLflow 3.17 (SQLite store) raises "`order_by` contains duplicate fields".
    with pytest.raises(FilterSyntaxError, match="same field twice") as info:
        parse_order_by(order_by)
    assert info.value.text == order_by[-1]


def test_order_by_must_be_a_list() -> None:
    with pytest.raises(InvalidArgument, match="list of strings"):
        parse_order_by("metrics.rmse")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        parse_order_by([1])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        # default: start_time DESC (missing last), then run_id
        (None, ["b2", "d4", "c3", "a1", "e5"]),
        # +inf and -inf are ordinary; NaN (e5) is missing and last both ways
        (["metrics.rmse"], ["d4", "a1", "b2", "c3", "e5"]),
        (["metrics.rmse DESC"], ["c3", "b2", "a1", "d4", "e5"]),
        (["metrics.rmse.min"], ["d4", "c3", "a1", "b2", "e5"]),
        (["metrics.rmse.count DESC"], ["a1", "c3", "b2", "d4", "e5"]),
        # missing metric last, ties broken by start_time DESC then run_id
        (["metrics.acc"], ["a1", "c3", "b2", "d4", "e5"]),
        (["metrics.acc DESC"], ["c3", "a1", "b2", "d4", "e5"]),
        # params sort as strings: "10" < "6"
        (["params.max_depth"], ["b2", "c3", "a1", "e5", "d4"]),
        (["params.max_depth DESC"], ["c3", "a1", "e5", "b2", "d4"]),
        (["params.max_depth", "metrics.rmse DESC"], ["b2", "c3", "a1", "e5", "d4"]),
        (["params.lr DESC", "attributes.run_name"], ["e5", "a1", "b2", "d4", "c3"]),
        (["tags.team"], ["d4", "a1", "b2", "c3", "e5"]),
        (["attributes.start_time"], ["a1", "c3", "b2", "d4", "e5"]),
        (["attributes.run_name DESC"], ["d4", "b2", "a1", "e5", "c3"]),
        (["attributes.end_time DESC"], ["c3", "a1", "b2", "d4", "e5"]),
        (["attributes.status", "attributes.run_id DESC"], ["c3", "d4", "a1", "e5", "b2"]),
    ],
)
def test_sorting(conn: sqlite3.Connection, order_by: list[str] | None, expected: list[str]) -> None:
    assert search(conn, None, order_by) == expected


def test_sql_restrictions_and_paging(conn: sqlite3.Connection) -> None:
    assert search(conn, None, experiment_ids=["1"]) == ["b2", "c3", "a1", "e5"]
    assert search(conn, None, experiment_ids=["1", "2"], lifecycle_stages=["deleted"]) == ["d4"]
    assert search(conn, None, experiment_ids=[]) == []
    assert search(conn, "metrics.rmse > 0", ["metrics.rmse"], limit=2) == ["a1", "b2"]
    assert search(conn, "metrics.rmse > 0", ["metrics.rmse"], limit=2, offset=1) == ["b2", "c3"]
    assert search(conn, None, None, offset=3) == ["a1", "e5"]
    assert search(conn, None, None, limit=0) == []
    with pytest.raises(InvalidArgument):
        compile_sql(None, None, limit=-1)
    with pytest.raises(InvalidArgument):
        compile_sql(None, None, experiment_ids="1")  # type: ignore[arg-type]


def test_sql_falls_back_to_subqueries_beyond_the_join_limit(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(query_sql, "_MAX_JOINS", 1)
    text = "(metrics.rmse > 0 OR params.lr ILIKE '0.1') AND tags.team IS NOT NULL"
    sql, _ = compile_sql(parse_filter(text), parse_order_by(["params.max_depth"]))
    assert "SELECT value FROM params" in sql
    assert search(conn, text, ["params.max_depth", "metrics.acc DESC"]) == ["b2", "a1"]


def test_a_filter_with_many_keys_compiles(conn: sqlite3.Connection) -> None:
    text = " OR ".join(f"metrics.m{i} > 0" for i in range(100)) + " OR metrics.rmse = 0.5"
    assert search(conn, text) == ["a1"]


def test_ilike_needs_configure_connection() -> None:
    db = sqlite3.connect(":memory:")
    db.executescript(INDEX_SCHEMA)
    sql, params = compile_sql(parse_filter("params.a ILIKE 'x'"), [])
    with pytest.raises(sqlite3.OperationalError):
        db.execute(sql, params)
    configure_connection(db)
    assert db.execute(sql, params).fetchall() == []


def test_load_records_replaces_a_run() -> None:
    db = sqlite3.connect(":memory:")
    db.executescript(INDEX_SCHEMA)
    load_records(db, [run("r", params={"a": "1", "b": "2"}, metrics={"m": metric(1.0)})])
    load_records(db, [run("r", params={"a": "3"})])
    assert db.execute("SELECT key, value FROM params").fetchall() == [("a", "3")]
    assert db.execute("SELECT count(*) FROM metrics").fetchone() == (0,)


def test_compile_sql_rejects_trees_the_parser_cannot_make() -> None:
    with pytest.raises(InvalidArgument):
        compile_sql(Compare(Field("attribute", "nope"), "=", "x"), [])
    with pytest.raises(InvalidArgument):
        compile_sql(Compare(Field("metric", "a", "last"), "~", 1.0), [])
    with pytest.raises(InvalidArgument):
        compile_sql(InList(Field("param", "a"), ()), [])


# ---------------------------------------------------------------------------
# experiments

EXPERIMENTS = [
    ExperimentRecord("0", "Default", {}, 100, 100),
    ExperimentRecord("1", "taxi-duration", {"team": "ml", "env": "prod"}, 300, 900),
    ExperimentRecord("2", "Taxi-Fare", {"team": "ML"}, 200, 1000),
    ExperimentRecord("10", "sandbox", {"env": "dev"}, 300, None),
]


def exp_ids(text: str | None, order_by: list[str] | None = None) -> list[str]:
    expr = parse_experiment_filter(text)
    keys = parse_experiment_order_by(order_by)
    return [
        e.experiment_id
        for e in sort_experiments([e for e in EXPERIMENTS if matches_experiment(expr, e)], keys)
    ]  # noqa: E501


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'Default'", {"0"}),
        ("attribute.name = 'Default'", {"0"}),
        ("attributes.name != 'Default'", {"1", "2", "10"}),
        ("name LIKE 'taxi%'", {"1"}),
        ("name ILIKE 'taxi%'", {"1", "2"}),
        ("name IN ('sandbox', 'Default')", {"0", "10"}),
        ("tags.team = 'ml'", {"1"}),
        ("tag.team ILIKE 'ml'", {"1", "2"}),
        ("tags.team != 'ml'", {"2"}),  # missing tags never match
        ("tags.team IS NULL", {"0", "10"}),
        ("creation_time > 150", {"1", "2", "10"}),
        ("attributes.last_update_time >= 1000", {"2"}),
        ("last_update_time IS NULL", {"10"}),
        ("name LIKE '%a%' AND (tags.env = 'dev' OR creation_time < 250)", {"0", "2", "10"}),
        ("NOT tags.env = 'prod'", {"10"}),
        (None, {"0", "1", "2", "10"}),
        # MLflow 3.17 (SQLite store) answers these: experiment_id is a string attribute.
        ("experiment_id = '1'", {"1"}),
        ("experiment_id != '1'", {"0", "2", "10"}),
        ("experiment_id IN ('1', '10')", {"1", "10"}),
        ("attribute.experiment_id NOT IN ('1')", {"0", "2", "10"}),
    ],
)
def test_experiment_filters(text: str | None, expected: set[str]) -> None:
    assert set(exp_ids(text)) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("metrics.x > 1", "experiments have no metrics"),
        ("params.x = '1'", "unknown prefix"),
        ("run_name = 'x'", "unknown experiment attribute"),
        # MLflow 3.17: "Invalid comparator for experiment_id: >"
        ("experiment_id > '1'", "operator >"),
        ("creation_time > '1'", "compares numerically"),
        ("name < 'b'", "operator <"),
        ("tags.x = 1", "quote the value"),
    ],
)
def test_experiment_filter_errors(text: str, fragment: str) -> None:
    with pytest.raises(FilterSyntaxError, match=fragment):
        parse_experiment_filter(text)


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (None, ["1", "10", "2", "0"]),  # creation_time DESC, experiment_id ASC (numeric)
        (["name"], ["0", "2", "10", "1"]),
        (["attribute.name DESC"], ["1", "10", "2", "0"]),
        (["creation_time"], ["0", "2", "10", "1"]),  # tie broken by experiment_id DESC
        (["last_update_time DESC"], ["2", "1", "0", "10"]),  # missing last
        (["last_update_time"], ["0", "1", "2", "10"]),
        (["experiment_id DESC"], ["10", "2", "1", "0"]),
        (["creation_time DESC", "experiment_id"], ["1", "10", "2", "0"]),
    ],
)
def test_experiment_sorting(order_by: list[str] | None, expected: list[str]) -> None:
    assert exp_ids(None, order_by) == expected


def test_experiment_order_by_errors() -> None:
    with pytest.raises(FilterSyntaxError, match="only be ordered by"):
        parse_experiment_order_by(["tags.team"])
    with pytest.raises(FilterSyntaxError, match="unknown experiment attribute"):
        parse_experiment_order_by(["lifecycle_stage"])


# ---------------------------------------------------------------------------
# packaging


def test_query_package_imports_only_the_stdlib() -> None:
    package = Path(query_sql.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = (
                    top in sys.stdlib_module_names
                    or name
                    in (
                        "litetrack.errors",
                        "litetrack.query",
                    )
                    or name.startswith("litetrack.query.")
                )
                assert allowed, f"{path.name} imports {name}"
