"""Property tests: the compiled SQL and the Python evaluator agree on every filter and order.

Random runs (a small key vocabulary so filters hit, missing keys, NaN, +/-inf,
duplicate values, tied start times) are loaded into an in-memory index;
random filter trees are printed with ``format_filter`` and parsed back (the
round trip must be exact), then the SQL result must equal brute force
(``matches`` + ``sort_records``) element for element, order included.
"""

from __future__ import annotations

import math
import sqlite3

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from litetrack.query import (
    AGGREGATES,
    DATASET_KEYS,
    INDEX_SCHEMA,
    And,
    Compare,
    Expr,
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
    load_records,
    matches,
    parse_filter,
    parse_order_by,
    sort_records,
)

SETTINGS = settings(
    max_examples=150,
    deadline=None,  # a shared machine: no wall-clock limits in tests
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

METRIC_KEYS = ["m", "loss.min", "a b"]
PARAM_KEYS = ["p", "q.r"]
TAG_KEYS = ["t", "mlflow.runName"]
STRING_ATTRIBUTES = ["run_id", "run_name", "status", "user_id", "experiment_id", "lifecycle_stage"]
NUMERIC_ATTRIBUTES = ["start_time", "end_time", "duration", "artifact_size", "model_size"]

# Characters that stress LIKE/GLOB translation (GLOB's * ? [ must match
# literally), quoting, and case folding beyond ASCII (é/É, the Kelvin sign K).
# Short strings over a tiny alphabet make values and patterns collide often.
TRICKY = "aA*?[%_éÉk\u212a"
ALPHABET = TRICKY + "]\\'\"`. \n"
strings = st.one_of(
    st.sampled_from(["", "a", "A", "ab", "aB", "10", "6", "1", "x*y", "[a]", "it's", "é", "É"]),
    st.text(alphabet=TRICKY, max_size=3),
    st.text(alphabet=ALPHABET, max_size=4),
)
floats = st.one_of(
    st.sampled_from([0.0, -0.0, 0.5, 1.0, -1.0, 2.5, 1e300, math.inf, -math.inf]),
    st.floats(allow_nan=False, width=64),
)
metric_values = st.one_of(floats, st.just(math.nan))
# Artifact bytes: None (unknown), 0 (no artifacts), ties and large values.
sizes = st.one_of(st.none(), st.sampled_from([0, 1, 1000]), st.integers(0, 2**40))
times = st.one_of(st.none(), st.sampled_from([0, 1, 2, 1000]), st.integers(-(2**40), 2**40))


@st.composite
def metric_summaries(draw: st.DrawFn) -> MetricSummary:
    return MetricSummary(
        last=draw(metric_values),
        min=draw(metric_values),
        max=draw(metric_values),
        first=draw(metric_values),
        count=draw(st.integers(0, 3)),
    )


@st.composite
def run_records(draw: st.DrawFn, run_id: str) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        experiment_id=draw(st.sampled_from(["0", "1"])),
        run_name=draw(st.one_of(st.none(), strings)),
        status=draw(st.sampled_from(["RUNNING", "FINISHED", "FAILED", "finished"])),
        start_time=draw(times),
        end_time=draw(times),
        artifact_uri=draw(strings),
        user_id=draw(st.one_of(st.none(), strings)),
        lifecycle_stage=draw(st.sampled_from(["active", "deleted"])),
        params=draw(st.dictionaries(st.sampled_from(PARAM_KEYS), strings)),
        tags=draw(st.dictionaries(st.sampled_from(TAG_KEYS), strings)),
        metrics=draw(st.dictionaries(st.sampled_from(METRIC_KEYS), metric_summaries())),
        artifact_size=draw(sizes),
        model_size=draw(sizes),
        datasets=draw(
            st.lists(st.tuples(strings, strings, st.one_of(st.none(), strings)), max_size=3)
        ),
    )


@st.composite
def run_sets(draw: st.DrawFn) -> list[RunRecord]:
    run_ids = draw(
        st.lists(st.text(alphabet="abAB01", min_size=1, max_size=3), unique=True, max_size=12)
    )
    return [draw(run_records(run_id)) for run_id in run_ids]


metric_fields = st.builds(
    Field, st.just("metric"), st.sampled_from(METRIC_KEYS), st.sampled_from(AGGREGATES)
)
string_fields = st.one_of(
    st.builds(Field, st.just("param"), st.sampled_from(PARAM_KEYS)),
    st.builds(Field, st.just("tag"), st.sampled_from(TAG_KEYS)),
    st.builds(Field, st.just("attribute"), st.sampled_from(STRING_ATTRIBUTES)),
)
time_fields = st.builds(Field, st.just("attribute"), st.sampled_from(NUMERIC_ATTRIBUTES))
# dataset.<key>: "some input of the run" semantics; filters only (MLflow cannot order by them).
dataset_fields = st.builds(Field, st.just("dataset"), st.sampled_from(DATASET_KEYS))
any_field = st.one_of(metric_fields, string_fields, time_fields)

leaves: st.SearchStrategy[Expr] = st.one_of(
    st.builds(Compare, metric_fields, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), floats),
    st.builds(
        Compare,
        time_fields,
        st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
        st.one_of(times.filter(lambda t: t is not None), floats),
    ),
    st.builds(Compare, string_fields, st.sampled_from(["=", "!=", "LIKE", "ILIKE"]), strings),
    st.builds(
        InList,
        string_fields,
        st.lists(strings, min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
    st.builds(IsNull, any_field, st.booleans()),
    st.builds(Compare, dataset_fields, st.sampled_from(["=", "!=", "LIKE", "ILIKE"]), strings),
    st.builds(
        InList,
        dataset_fields,
        st.lists(strings, min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
    st.builds(IsNull, dataset_fields, st.booleans()),
)

filters: st.SearchStrategy[Expr] = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Not, children),
        st.lists(children, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        st.lists(children, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
    ),
    max_leaves=6,
)

# Each field once: parse_order_by refuses a field named twice (as MLflow does).
order_keys = st.lists(
    st.builds(OrderKey, any_field, st.booleans()), max_size=3, unique_by=lambda k: k.field
)


def index_of(runs: list[RunRecord]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(INDEX_SCHEMA)
    configure_connection(conn)
    load_records(conn, runs)
    return conn


@SETTINGS
@given(runs=run_sets(), expr=st.one_of(st.none(), filters), keys=order_keys)
def test_sql_equals_brute_force(
    runs: list[RunRecord], expr: Expr | None, keys: list[OrderKey]
) -> None:
    text = format_filter(expr)
    parsed = parse_filter(text)
    assert parsed == expr, text
    parsed_keys = parse_order_by([format_order_key(k) for k in keys])
    assert parsed_keys == keys

    expected = [
        r.run_id for r in sort_records([r for r in runs if matches(parsed, r)], parsed_keys)
    ]
    conn = index_of(runs)
    sql, params = compile_sql(parsed, parsed_keys)
    got = [row[0] for row in conn.execute(sql, params)]
    assert got == expected, (text, keys)


@SETTINGS
@given(
    runs=run_sets(),
    expr=st.one_of(st.none(), filters),
    keys=order_keys,
    experiment_ids=st.one_of(st.none(), st.lists(st.sampled_from(["0", "1", "2"]), max_size=2)),
    stages=st.one_of(st.none(), st.lists(st.sampled_from(["active", "deleted"]), max_size=2)),
    limit=st.one_of(st.none(), st.integers(0, 5)),
    offset=st.one_of(st.none(), st.integers(0, 5)),
)
def test_sql_restrictions_and_paging_equal_brute_force(
    runs: list[RunRecord],
    expr: Expr | None,
    keys: list[OrderKey],
    experiment_ids: list[str] | None,
    stages: list[str] | None,
    limit: int | None,
    offset: int | None,
) -> None:
    def keep(r: RunRecord) -> bool:
        return (
            (experiment_ids is None or r.experiment_id in experiment_ids)
            and (stages is None or r.lifecycle_stage in stages)
            and matches(expr, r)
        )

    ordered = [r.run_id for r in sort_records([r for r in runs if keep(r)], keys)]
    start = offset or 0
    expected = ordered[start:] if limit is None else ordered[start : start + limit]
    conn = index_of(runs)
    sql, params = compile_sql(
        expr,
        keys,
        experiment_ids=experiment_ids,
        lifecycle_stages=stages,
        limit=limit,
        offset=offset,
    )
    assert [row[0] for row in conn.execute(sql, params)] == expected


@settings(SETTINGS, max_examples=400)
@given(
    value=st.text(alphabet=TRICKY + "b]", max_size=4),
    pattern=st.text(alphabet=TRICKY + "b]", max_size=4),
    op=st.sampled_from(["LIKE", "ILIKE"]),
    negated=st.booleans(),
)
@example(value="a", pattern="*", op="LIKE", negated=False)  # GLOB's * must be literal
@example(value="ab", pattern="[a]b", op="LIKE", negated=True)
@example(value="é", pattern="É", op="ILIKE", negated=False)  # folding beyond ASCII
@example(value="k", pattern="\u212a", op="ILIKE", negated=True)  # Kelvin sign folds to k
def test_like_and_ilike_agree_with_sql(value: str, pattern: str, op: str, negated: bool) -> None:
    # The whole-filter test rarely draws a pattern that hits a value; this one
    # aims every example at the LIKE/GLOB translation and the ILIKE function.
    record = RunRecord("r", "0", value, "FINISHED", 0, 0, value, None, "active", {"p": value})
    field = Field("param", "p") if negated else Field("attribute", "run_name")
    expr: Expr = Compare(field, op, pattern)
    if negated:
        expr = Not(expr)
    conn = index_of([record])
    sql, params = compile_sql(parse_filter(format_filter(expr)), [])
    assert bool(conn.execute(sql, params).fetchall()) == matches(expr, record)


# Keys with every character that needs quoting: dots, spaces, backticks, quotes.
wild_keys = st.text(alphabet="ab.` '\"-/_é%\n", min_size=1, max_size=6)
wild_fields = st.one_of(
    st.builds(Field, st.just("metric"), wild_keys, st.sampled_from(AGGREGATES)),
    st.builds(Field, st.just("param"), wild_keys),
    st.builds(Field, st.just("tag"), wild_keys),
)


@SETTINGS
@given(
    expr=st.recursive(
        st.one_of(
            st.builds(
                Compare,
                wild_fields.filter(lambda f: f.kind == "metric"),
                st.sampled_from(["=", "<"]),
                floats,
            ),
            st.builds(
                Compare,
                wild_fields.filter(lambda f: f.kind != "metric"),
                st.sampled_from(["=", "LIKE"]),
                st.text(max_size=5).filter(lambda s: "\x00" not in s),
            ),
            st.builds(IsNull, wild_fields, st.booleans()),
        ),
        lambda children: st.one_of(
            st.builds(Not, children),
            st.lists(children, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
            st.lists(children, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
        ),
        max_leaves=5,
    )
)
def test_format_then_parse_is_identity_for_any_key(expr: Expr) -> None:
    assert parse_filter(format_filter(expr)) == expr


@SETTINGS
@given(text=st.text(alphabet="metrics.params<>=!'\"`() ANDORNTILKE0123456789-", max_size=40))
def test_parser_fails_only_with_filter_syntax_error(text: str) -> None:
    from litetrack.errors import FilterSyntaxError

    try:
        expr = parse_filter(text)
    except FilterSyntaxError as err:
        assert err.text == text
        assert 0 <= err.position <= len(text)
    else:
        # Whatever parses prints back into an equivalent filter.
        assert parse_filter(format_filter(expr)) == expr
