"""Parse MLflow-style filter and ``order_by`` strings into :mod:`~litetrack.query.nodes` trees.

Grammar (keywords case-insensitive; NOT binds tighter than AND, AND tighter than OR)::

    filter     := or_expr
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | "(" or_expr ")" | predicate
    predicate  := field ( ("=" | "!=" | "<" | "<=" | ">" | ">=") value
                        | ["NOT"] ("LIKE" | "ILIKE") string
                        | ["NOT"] "IN" "(" string ("," string)* ")"
                        | "IS" ["NOT"] "NULL" )
    field      := [prefix "."] key ["." aggregate]
    key        := bare ("." bare)* | `backticked` | "double quoted"
    value      := number | inf | 'single quoted' | "double quoted"

A hand-written recursive-descent parser (rather than sqlparse, which MLflow
uses) keeps the module stdlib-only and lets every error point at the exact
offset where reading stopped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from litetrack.errors import FilterSyntaxError, InvalidArgument
from litetrack.query.nodes import (
    AGGREGATES,
    DATASET_KEYS,
    And,
    Compare,
    Expr,
    Field,
    InList,
    IsNull,
    Kind,
    Not,
    Or,
    OrderKey,
)

__all__ = [
    "RUN_ATTRIBUTES",
    "NUMERIC_RUN_ATTRIBUTES",
    "EXPERIMENT_ATTRIBUTES",
    "parse_filter",
    "parse_order_by",
    "parse_experiment_filter",
    "parse_experiment_order_by",
]

#: Run attributes a filter or order_by may name, and whether each is numeric.
RUN_ATTRIBUTES: Mapping[str, bool] = {
    "run_id": False,
    "run_name": False,
    "status": False,
    "start_time": True,
    "end_time": True,
    "artifact_uri": False,
    "user_id": False,
    "experiment_id": False,
    "lifecycle_stage": False,
    # end_time - start_time in ms (NULL while either is missing, e.g. a live
    # run), so the web UI and ``ls --sort duration`` can order by it.
    "duration": True,
    # Bytes of all artifacts / of the model folders among them, so that the
    # UI's size columns sort like any other column (0 for a run without any).
    "artifact_size": True,
    "model_size": True,
}
NUMERIC_RUN_ATTRIBUTES: frozenset[str] = frozenset(k for k, v in RUN_ATTRIBUTES.items() if v)

#: Experiment attributes a filter or an order_by may name (MLflow's
#: SearchExperimentsUtils: experiment_id compares as a string, = != IN NOT IN).
EXPERIMENT_ATTRIBUTES: Mapping[str, bool] = {
    "name": False,
    "experiment_id": False,
    "creation_time": True,
    "last_update_time": True,
}
_EXPERIMENT_ORDER_ATTRIBUTES: Mapping[str, bool] = EXPERIMENT_ATTRIBUTES

_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")


class _Dialect:
    """What one search surface (runs, experiments, the registry's) accepts.

    A plain slotted class, not a ``NamedTuple``: building a NamedTuple class
    costs ~0.2 ms, paid by the first search of every process.
    """

    __slots__ = ("what", "prefixes", "attributes", "order_attributes", "aliases")

    def __init__(
        self,
        what: str,
        prefixes: Mapping[str, Kind],
        attributes: Mapping[str, bool],
        order_attributes: Mapping[str, bool],
        # MLflow's alternate spellings of attributes ("created" for start_time).
        aliases: Mapping[str, str],
    ) -> None:
        self.what = what
        self.prefixes = prefixes
        self.attributes = attributes
        self.order_attributes = order_attributes
        self.aliases = aliases


_RUN_DIALECT = _Dialect(
    what="run",
    prefixes={
        # MLflow's SearchUtils identifiers and their alternates.
        "metric": "metric",
        "metrics": "metric",
        "param": "param",
        "params": "param",
        "parameter": "param",
        "parameters": "param",
        "tag": "tag",
        "tags": "tag",
        "attribute": "attribute",
        "attributes": "attribute",
        "attr": "attribute",
        "run": "attribute",
        "dataset": "dataset",
        "datasets": "dataset",
    },
    attributes=RUN_ATTRIBUTES,
    order_attributes=RUN_ATTRIBUTES,
    aliases={
        "created": "start_time",
        "Created": "start_time",
        "run name": "run_name",
        "Run name": "run_name",
        "Run Name": "run_name",
    },
)

_EXPERIMENT_DIALECT = _Dialect(
    what="experiment",
    prefixes={
        "tag": "tag",
        "tags": "tag",
        "attribute": "attribute",
        "attributes": "attribute",
        "attr": "attribute",
    },
    attributes=EXPERIMENT_ATTRIBUTES,
    order_attributes=_EXPERIMENT_ORDER_ATTRIBUTES,
    aliases={},
)

# Unquoted key segments also take "-" and "/" (common in metric names such as
# "val-loss" or "train/loss"); neither is an operator in this grammar.
_BARE_SEGMENT = re.compile(r"[\w\-/]+")
# Whitespace, keywords and operators are scanned by hand rather than by
# regexes (r"\s*", r"[A-Za-z]+\b", r"!=|<=|>=|=|<|>"), whose compilation was a
# third of this module's import. ``str.isspace`` and ``str.isalnum`` are
# the tests ``re`` uses for ``\s`` and ``\w`` on str patterns.
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_TWO_CHAR_OPS = frozenset({"!=", "<=", ">="})
_ONE_CHAR_OPS = frozenset({"=", "<", ">"})


class _Lazy:
    """A regex compiled on its first use: most filters (``name = 'x'``, ``tags.k = 'v'``)
    never need these, and compiling them costs ~0.3 ms in every process."""

    __slots__ = ("pattern", "compiled")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.compiled: re.Pattern[str] | None = None

    def _get(self) -> re.Pattern[str]:
        if self.compiled is None:
            self.compiled = re.compile(self.pattern)
        return self.compiled

    def match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self._get().match(text, pos)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self._get().fullmatch(text)


_NUMBER = _Lazy(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:inf(?:inity)?)|(?i:nan))(?![\w.])"
)
_INTEGER = _Lazy(r"[+-]?\d+")
_TOKEN = _Lazy(r"\S+")


def _is_version_number(field: Field) -> bool:
    """The registry's ``version_number``: a whole number, quoted or not (as in MLflow)."""
    return field.kind == "attribute" and field.key == "version_number"


# Parsing, evaluation and compilation recurse once per level of nesting; a
# bound keeps absurd input a FilterSyntaxError instead of a RecursionError.
MAX_DEPTH = 100
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC"})


# MLflow's sentences for the same mistakes (its search_utils); messages start with them.
_INVALID_CLAUSE = "Invalid clause(s) in filter string"
_LIST_EMPTY = (
    "While parsing a list in the query, expected a non-empty list of string values, "
    "but got empty list"
)
_LIST_ILL_FORMED = (
    "While parsing a list in the query, expected a non-empty list of string values, "
    "but got ill-formed list"
)
_LIST_OTHER_TYPE = (
    "While parsing a list in the query, expected string value, punctuation, or whitespace, "
    "but got different type in list"
)


def _unquoted(token: str) -> str:
    return (
        "Parameter value is either not quoted or unidentified quote types used for "
        f"string value {token}"
    )


def _display(text: str) -> str:
    # Tabs and newlines would misalign the caret line.
    return "".join(" " if c in "\t\r\n\v\f" else c for c in text)


def syntax_error(
    reason: str, text: str, position: int, what: str = "filter", mlflow: str | None = None
) -> FilterSyntaxError:
    """Build a :class:`FilterSyntaxError` whose message points a caret at ``position``.

    ``mlflow`` is MLflow's sentence for the same mistake: the message starts with it, since
    code written for MLflow matches those words.
    """
    message = (
        (f"{mlflow}: " if mlflow else "")
        + f"Invalid {what} {text!r}: {reason} (at position {position})\n"
        f"    {_display(text)}\n"
        f"    {' ' * position}^"
    )
    return FilterSyntaxError(message, text=text, position=position)


class _Segment:
    """One key segment as read: its text, whether it was quoted, and where it started."""

    __slots__ = ("text", "quoted", "start")

    def __init__(self, text: str, quoted: bool, start: int) -> None:
        self.text = text
        self.quoted = quoted
        self.start = start


class _Parser:
    def __init__(self, text: str, dialect: _Dialect, what: str = "filter") -> None:
        self.text = text
        self.pos = 0
        self.dialect = dialect
        self.what = what
        self.depth = 0

    # -- scanning helpers ---------------------------------------------------

    def error(
        self, reason: str, position: int | None = None, mlflow: str | None = None
    ) -> FilterSyntaxError:
        return syntax_error(
            reason, self.text, self.pos if position is None else position, self.what, mlflow
        )

    def skip_ws(self) -> None:
        text, pos = self.text, self.pos
        end = len(text)
        while pos < end and text[pos].isspace():
            pos += 1
        self.pos = pos

    def at_end(self) -> bool:
        self.skip_ws()
        return self.pos >= len(self.text)

    def peek_word(self) -> str | None:
        """The upper-cased keyword-like word at the cursor, without consuming it."""
        self.skip_ws()
        text, start = self.text, self.pos
        pos, end = start, len(text)
        while pos < end and text[pos] in _ASCII_LETTERS:
            pos += 1
        if pos == start or (pos < end and (text[pos].isalnum() or text[pos] == "_")):
            return None  # no letters, or no word boundary after them (as r"[A-Za-z]+\b")
        return text[start:pos].upper()

    def compare_op(self) -> str | None:
        """The comparison operator at the cursor (what r"!=|<=|>=|=|<|>" matches), not consumed."""
        op = self.text[self.pos : self.pos + 2]
        if op in _TWO_CHAR_OPS:
            return op
        op = op[:1]
        return op if op in _ONE_CHAR_OPS else None

    def take_word(self, *words: str) -> str | None:
        word = self.peek_word()
        if word is not None and word in words:
            self.pos += len(word)
            return word
        return None

    def take_char(self, char: str) -> bool:
        self.skip_ws()
        if self.text.startswith(char, self.pos):
            self.pos += len(char)
            return True
        return False

    def describe_here(self) -> str:
        if self.pos >= len(self.text):
            return "end of filter"
        m = _TOKEN.match(self.text, self.pos)
        token = m.group() if m else self.text[self.pos]
        return repr(token[:20])

    # -- expressions ----------------------------------------------------------

    def parse(self) -> Expr | None:
        if self.at_end():
            return None
        expr = self.parse_or()
        if not self.at_end():
            if self.text[self.pos] == ")":
                raise self.error("unbalanced ')'")
            raise self.error(f"expected AND, OR or end of filter, found {self.describe_here()}")
        return expr

    def parse_or(self) -> Expr:
        items = [self.parse_and()]
        while self.take_word("OR"):
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Expr:
        items = [self.parse_not()]
        while self.take_word("AND"):
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Expr:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.error(f"filter nested deeper than {MAX_DEPTH} levels of NOT/parentheses")
            return self.parse_not_inner()
        finally:
            self.depth -= 1

    def parse_not_inner(self) -> Expr:
        if self.take_word("NOT"):
            return Not(self.parse_not())
        if self.take_char("("):
            open_at = self.pos - 1
            if self.at_end():
                raise self.error("expected a condition after '('")
            expr = self.parse_or()
            if not self.take_char(")"):
                if self.at_end():
                    raise self.error(f"missing ')' to close the '(' at position {open_at}")
                raise self.error(f"expected AND, OR or ')', found {self.describe_here()}")
            return expr
        return self.parse_predicate()

    def parse_predicate(self) -> Expr:
        self.skip_ws()
        if self.at_end():
            raise self.error("expected a condition such as metrics.rmse < 1, found end of filter")
        field_start = self.pos
        word = self.peek_word()
        if word in _KEYWORDS and not self.text.startswith(".", self.pos + len(word)):
            raise self.error(
                f"expected a field such as metrics.x, params.x, tags.x or attributes.x, "
                f"found the keyword {word}"
            )
        field = self.parse_field(for_order=False)
        field_text = self.text[field_start : self.pos]
        numeric = self.is_numeric(field)
        self.skip_ws()
        op_start = self.pos

        op = self.compare_op()
        if op is not None:
            self.check_op(field, field_text, op, op_start)
            self.pos = op_start + len(op)
            return Compare(field, op, self.parse_value(field, numeric, field_text))

        word = self.peek_word()
        if word == "IS":
            self.take_word("IS")
            negated = self.take_word("NOT") is not None
            if not self.take_word("NULL"):
                raise self.error(f"expected NULL after IS{' NOT' if negated else ''}")
            return IsNull(field, negated)

        negated = False
        if word == "NOT":
            self.take_word("NOT")
            negated = True
            word = self.peek_word()
            if word not in ("LIKE", "ILIKE", "IN"):
                raise self.error("expected LIKE, ILIKE or IN after NOT")
        if word in ("LIKE", "ILIKE"):
            self.check_op(field, field_text, word, op_start)
            self.take_word(word)
            value = self.parse_value(field, numeric, field_text)
            node: Expr = Compare(field, word, value)
            return Not(node) if negated else node
        if word == "IN":
            self.check_op(field, field_text, "NOT IN" if negated else "IN", op_start)
            self.take_word("IN")
            return InList(field, self.parse_list(field, field_text), negated)

        raise self.error(
            f"expected an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL) "
            f"after {field_text!r}, found {self.describe_here()}"
        )

    # -- fields ---------------------------------------------------------------

    def parse_segment(self, first: bool = False) -> _Segment:
        start = self.pos
        text = self.text
        # After a prefix, MLflow also reads a single-quoted key: params.'lr'.
        if start < len(text) and (text[start] in '`"' or (text[start] == "'" and not first)):
            quote = text[start]
            value = self.read_quoted(quote, "key")
            if not value:
                raise self.error("a quoted key cannot be empty", start)
            return _Segment(value, True, start)
        m = _BARE_SEGMENT.match(text, start)
        if not m:
            if first:
                raise self.error(
                    "expected a field such as metrics.x, params.x, tags.x or attributes.x, "
                    f"found {self.describe_here()}"
                )
            raise self.error(f"expected a key, found {self.describe_here()}")
        self.pos = m.end()
        return _Segment(m.group(), False, start)

    def read_quoted(self, quote: str, what: str) -> str:
        """Read a quoted token at the cursor; a doubled quote stands for one quote."""
        start = self.pos
        parts: list[str] = []
        i = start + 1
        text = self.text
        while True:
            j = text.find(quote, i)
            if j < 0:
                raise self.error(f"unterminated {what} (missing closing {quote})", start)
            parts.append(text[i:j])
            if text.startswith(quote, j + 1):
                parts.append(quote)
                i = j + 2
                continue
            self.pos = j + 1
            return "".join(parts)

    def parse_field(self, *, for_order: bool) -> Field:
        self.skip_ws()
        if self.pos < len(self.text) and self.text[self.pos] == "'":
            raise self.error(
                "expected a field such as metrics.x, params.x, tags.x or attributes.x, "
                "found a quoted string"
            )
        segments = [self.parse_segment(first=True)]
        while self.pos < len(self.text) and self.text[self.pos] == ".":
            self.pos += 1
            if self.pos >= len(self.text) or self.text[self.pos].isspace():
                raise self.error("expected a key after '.'")
            segments.append(self.parse_segment())
        attributes = self.dialect.order_attributes if for_order else self.dialect.attributes

        if len(segments) == 1:
            # MLflow reads a field without prefix as an attribute ("status = 'FINISHED'").
            return Field("attribute", self.resolve_attribute(segments[0], attributes))

        head, rest = segments[0], segments[1:]
        kind = self.dialect.prefixes.get(head.text)
        if kind is None:
            canonical = ["metrics.", "params.", "tags.", "attributes.", "dataset."]
            if self.dialect.what == "experiment":
                canonical = ["tags.", "attributes."]
            raise self.error(
                f"unknown prefix {head.text!r}; expected "
                + ", ".join(canonical)
                + " (or an alias: "
                + ", ".join(f"{p}." for p in self.dialect.prefixes if f"{p}." not in canonical)
                + ")"
                + self.prefix_hint(head.text),
                head.start,
            )
        aggregate: str | None = None
        if kind == "metric" and len(rest) >= 2 and not rest[-1].quoted:
            if rest[-1].text in AGGREGATES:
                aggregate = rest[-1].text
                rest = rest[:-1]
            elif rest[-2].quoted:
                raise self.error(
                    f"unknown metric aggregate {rest[-1].text!r}; expected one of "
                    + ", ".join(AGGREGATES),
                    rest[-1].start,
                )
        if any(s.quoted for s in rest) and len(rest) > 1:
            quoted = next(s for s in rest if s.quoted)
            raise self.error(
                "a quoted key must be the whole key (write metrics.`a.b`, not metrics.a.`b`)",
                quoted.start,
            )
        if len(rest) == 1:
            key = rest[0].text
        else:
            key = ".".join(s.text for s in rest)
        if kind == "attribute":
            merged = _Segment(key, rest[0].quoted or len(rest) > 1, rest[0].start)
            return Field("attribute", self.resolve_attribute(merged, attributes))
        if kind == "metric":
            return Field("metric", key, aggregate or "last")
        if kind == "dataset":
            if for_order:
                # MLflow refuses it too ("Invalid order_by entity type 'dataset'"):
                # a run has any number of datasets, so there is no one value to sort by.
                raise self.error(
                    f"runs cannot be ordered by {head.text}.{key}: a run may have "
                    "several datasets; filter on them instead",
                    head.start,
                )
            if key not in DATASET_KEYS:
                raise self.error(
                    f"invalid dataset key {key!r}; valid keys are " + ", ".join(DATASET_KEYS),
                    rest[0].start,
                )
        return Field(kind, key)

    def prefix_hint(self, prefix: str) -> str:
        if prefix in ("metric", "metrics", "param", "params") and self.dialect.what == "experiment":
            return " (experiments have no metrics or params)"
        return ""

    def resolve_attribute(self, segment: _Segment, attributes: Mapping[str, bool]) -> str:
        name = self.dialect.aliases.get(segment.text, segment.text)
        if name not in attributes:
            raise self.error(
                f"unknown {self.dialect.what} attribute {segment.text!r}; valid attributes are "
                + ", ".join(attributes)
                + (
                    " (prefix metrics., params. or tags. to search those)"
                    if self.dialect.what == "run"
                    else " (prefix tags. to search tags)"
                ),
                segment.start,
                mlflow=f"Invalid attribute key {segment.text!r} specified",
            )
        return name

    def is_numeric(self, field: Field) -> bool:
        if field.kind == "metric":
            return True
        return field.kind == "attribute" and self.dialect.order_attributes.get(field.key, False)

    def check_op(self, field: Field, field_text: str, op: str, position: int) -> None:
        numeric = self.is_numeric(field)
        allowed = _NUMERIC_OPS if numeric else _STRING_OPS
        if op not in allowed:
            what = {
                "metric": "metrics",
                "param": "params",
                "tag": "tags",
                "attribute": "numeric attributes" if numeric else "string attributes",
                "dataset": "dataset fields",
            }[field.kind]
            raise self.error(
                f"operator {op} cannot be used with {field_text!r}: {what} accept "
                + ", ".join(allowed)
                + " and IS [NOT] NULL",
                position,
            )

    # -- values ---------------------------------------------------------------

    def parse_value(self, field: Field, numeric: bool, field_text: str) -> float | int | str:
        self.skip_ws()
        start = self.pos
        if self.pos >= len(self.text):
            raise self.error(
                f"expected a value to compare {field_text!r} with, found end of filter",
                mlflow=_INVALID_CLAUSE,
            )
        char = self.text[self.pos]
        if char in "'\"":
            value = self.read_quoted(char, "string")
            if numeric and _is_version_number(field) and _INTEGER.fullmatch(value.strip()):
                # MLflow's registry stores cast a quoted version: version_number > '2'.
                return int(value)
            if numeric:
                raise self.error(
                    f"{field_text!r} compares numerically: expected a number, "
                    f"found the string {self.text[start : self.pos]}",
                    start,
                )
            return value
        m = _NUMBER.match(self.text, self.pos)
        if m:
            if not numeric:
                raise self.error(
                    f"{field_text!r} compares as a string: quote the value "
                    f"('{m.group()}'), found the number {m.group()}",
                    start,
                    mlflow=_unquoted(m.group()),
                )
            return self.number(m.group(), field, start)
        expected = "a number" if numeric else "a quoted string ('...' or \"...\")"
        bare = _TOKEN.match(self.text, self.pos)
        raise self.error(
            f"expected {expected} after the operator, found {self.describe_here()}",
            mlflow=None if numeric or bare is None else _unquoted(bare.group()),
        )

    def number(self, token: str, field: Field, start: int) -> float | int:
        value = float(token)
        if value != value:
            raise self.error(
                "NaN is not a comparable value; use IS NULL to find NaN metrics", start
            )
        self.pos = start + len(token)
        if _is_version_number(field) and not _INTEGER.fullmatch(token):
            # MLflow: "Invalid value for numeric attribute 'version_number': 2.5".
            raise self.error(f"version numbers are whole numbers, found {token}", start)
        if field.kind == "attribute" and _INTEGER.fullmatch(token):
            # Times are integers (ms); keep integer literals exact.
            return int(token)
        return value

    def parse_list(self, field: Field, field_text: str) -> tuple[str, ...]:
        if not self.take_char("("):
            raise self.error(
                f"expected '(' after IN, found {self.describe_here()}", mlflow=_INVALID_CLAUSE
            )
        values: list[str] = []
        while True:
            self.skip_ws()
            if self.pos < len(self.text) and self.text[self.pos] in "'\"":
                values.append(self.read_quoted(self.text[self.pos], "string"))
            elif self.text.startswith(")", self.pos) and not values:
                raise self.error("an IN list cannot be empty", mlflow=_LIST_EMPTY)
            else:
                raise self.error(
                    f"expected a quoted string in the IN list, found {self.describe_here()}",
                    mlflow=(
                        _INVALID_CLAUSE
                        if self.pos >= len(self.text)
                        else _LIST_ILL_FORMED
                        if self.text[self.pos] in ",)"
                        else _LIST_OTHER_TYPE
                    ),
                )
            if self.take_char(")"):
                return tuple(values)
            if not self.take_char(","):
                raise self.error(
                    f"expected ',' or ')' in the IN list, found {self.describe_here()}"
                )
            if self.take_char(")"):  # MLflow accepts a trailing comma: IN ('a', 'b',)
                return tuple(values)

    # -- order_by ---------------------------------------------------------------

    def parse_order_key(self) -> OrderKey:
        if self.at_end():
            raise self.error("expected a field to order by, found an empty string")
        field = self.parse_field(for_order=True)
        ascending = True
        direction = self.take_word("ASC", "DESC")
        if direction is not None:
            ascending = direction == "ASC"
        if not self.at_end():
            raise self.error(
                f"expected ASC, DESC or end, found {self.describe_here()}",
                mlflow=f"Invalid order_by clause {self.text!r}",
            )
        return OrderKey(field, ascending)


def _check_text(text: object, what: str) -> None:
    if not isinstance(text, str):
        raise InvalidArgument(f"A {what} must be a string, not {type(text).__name__}: {text!r}")


def parse_filter(text: str | None) -> Expr | None:
    """Parse a run filter string (MLflow ``search_runs`` syntax plus OR, NOT, IS NULL ...).

    Returns ``None`` for ``None``, ``""`` or blank text, meaning "match every run".
    Raises :class:`FilterSyntaxError` (``.text``, ``.position``) for malformed
    text, unknown prefixes or attributes, operators a field type does not take
    (``LIKE`` on a metric) and values of the wrong type (a string for a metric,
    an unquoted number for a param).
    """
    if text is None:
        return None
    _check_text(text, "filter")
    return _Parser(text, _RUN_DIALECT).parse()


def parse_experiment_filter(text: str | None) -> Expr | None:
    """Parse an experiment filter (``name``, ``tags.X``, ``creation_time``, ``last_update_time``).

    Same grammar and errors as :func:`parse_filter`; ``None`` or blank means "match all".
    """
    if text is None:
        return None
    _check_text(text, "filter")
    return _Parser(text, _EXPERIMENT_DIALECT).parse()


def check_no_duplicate_keys(keys: list[OrderKey], items: list[str]) -> None:
    """Refuse an ``order_by`` that names one field twice, as MLflow's SQL stores do.

    (``["metrics.loss ASC", "metrics.loss DESC"]``: the second entry could
    never matter, so it is a mistake; MLflow: "`order_by` contains duplicate
    fields".) ``items`` are the entries ``keys`` were parsed from.
    """
    seen: dict[Field, str] = {}
    for key, item in zip(keys, items, strict=True):
        if key.field in seen:
            raise syntax_error(
                f"order_by names the same field twice ({seen[key.field]!r} and {item!r}); "
                "give each field once",
                item,
                0,
                "order_by",
            )
        seen[key.field] = item


def _parse_order(
    order_by: Iterable[str] | None,
    dialect: _Dialect,
    attributes_only: bool = False,
    unique: bool = False,
) -> list[OrderKey]:
    if order_by is None:
        return []
    if isinstance(order_by, str):
        raise InvalidArgument(
            f"order_by must be a list of strings, not the string {order_by!r} "
            f"(write [{order_by!r}])"
        )
    keys = []
    items = list(order_by)
    for item in items:
        _check_text(item, "order_by entry")
        key = _Parser(item, dialect, what="order_by").parse_order_key()
        if attributes_only and key.field.kind != "attribute":
            raise syntax_error(
                f"{dialect.what}s can only be ordered by "
                + ", ".join(dialect.order_attributes)
                + f", not by {key.field.kind}s",
                item,
                0,
                "order_by",
            )
        keys.append(key)
    if unique:
        check_no_duplicate_keys(keys, items)
    return keys


def parse_order_by(order_by: Iterable[str] | None) -> list[OrderKey]:
    """Parse run ``order_by`` entries such as ``"metrics.rmse DESC"`` or ``"params.depth"``.

    ``None`` or ``[]`` gives ``[]`` (the default order: start_time DESC, run_id ASC).
    Raises :class:`FilterSyntaxError` for a malformed entry or a field named twice, and
    :class:`InvalidArgument` when ``order_by`` is not a list of strings.
    """
    return _parse_order(order_by, _RUN_DIALECT, unique=True)


def parse_experiment_order_by(order_by: Iterable[str] | None) -> list[OrderKey]:
    """Parse experiment ``order_by`` entries (``name``, ``experiment_id``, ``creation_time``,
    ``last_update_time``, optionally ``attribute.``-prefixed, with ASC/DESC).

    Raises :class:`FilterSyntaxError` for anything else (MLflow does not order experiments by tag).
    """
    return _parse_order(order_by, _EXPERIMENT_DIALECT, attributes_only=True)
