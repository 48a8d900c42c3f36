"""A small reader for the YAML that MLflow writes, so importing needs no pyyaml.

MLflow writes every ``meta.yaml`` with ``yaml.safe_dump(data,
default_flow_style=False, allow_unicode=True)``: block mappings and block
sequences, plain / single-quoted / double-quoted scalars (long ones folded
over several lines), and ``[]`` / ``{}`` for empty collections. That subset
is what :func:`load` reads, with PyYAML's (YAML 1.1) typing of plain scalars
(``null``, ``true``/``yes``/``on``, ints, floats with a dot, ``.inf``, ``.nan``).

Anything outside that subset (anchors, tags, block scalars, flow collections
with content, timestamps, octal or sexagesimal numbers ...) raises
:class:`Unsupported` rather than being guessed at; :func:`load_with_fallback`
then hands the text to PyYAML when it is importable.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Unsupported", "load", "load_with_fallback"]


class Unsupported(ValueError):
    """The text uses YAML this reader does not handle (or is not YAML at all)."""


# PyYAML's implicit resolvers for plain scalars (yaml/resolver.py), restricted
# to the types MLflow's documents contain. Forms that would need more than
# this (timestamps, octal, hex, sexagesimal, merge keys) are refused instead.
_NULL = frozenset(["", "~", "null", "Null", "NULL"])
_TRUE = frozenset(["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"])
_FALSE = frozenset(["no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"])
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?\Z|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?\Z"
)
_INF = frozenset(["+.inf", "-.inf", ".inf", "+.Inf", "-.Inf", ".Inf", "+.INF", "-.INF", ".INF"])
_NAN = frozenset([".nan", ".NaN", ".NAN"])
# Plain scalars PyYAML would type as something this reader does not produce.
_EXOTIC = re.compile(
    r"[-+]?0[0-7_]+\Z"  # octal
    r"|[-+]?0x[0-9a-fA-F_]+\Z"  # hex
    r"|[-+]?0b[01_]+\Z"  # binary
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z"  # sexagesimal
    r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"  # timestamp
    r"|<<\Z|=\Z"
)
_FLOW_START = frozenset("&*!|>%@`")
_ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _resolve_plain(text: str) -> Any:
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    first = text[0]
    if first.isdigit() or first in "+-.":
        if _INT.match(text):
            return int(text.replace("_", ""))
        if _FLOAT.match(text):
            return float(text.replace("_", ""))
        if text in _INF:
            return float("-inf") if text[0] == "-" else float("inf")
        if text in _NAN:
            return float("nan")
    if _EXOTIC.match(text):
        raise Unsupported(f"plain scalar {text!r} needs a full YAML resolver")
    return text


def _fold(raw: str, *, double: bool) -> str:
    """Apply YAML flow-scalar line folding (and escapes when ``double``).

    A single line break between two lines becomes a space; ``n`` breaks in a
    row become ``n - 1`` newlines; whitespace around breaks is dropped. In a
    double-quoted scalar a backslash before the break removes it entirely.
    """
    if not double and "\n" not in raw:
        return raw
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if double and c == "\\":
            if i + 1 >= n:
                raise Unsupported("dangling backslash in double-quoted scalar")
            nxt = raw[i + 1]
            if nxt == "\n":
                i += 2
                while i < n and raw[i] in " \t":
                    i += 1
                continue
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            width = _HEX_ESCAPES.get(nxt)
            if width is None:
                raise Unsupported(f"unknown escape \\{nxt}")
            digits = raw[i + 2 : i + 2 + width]
            try:
                out.append(chr(int(digits, 16)))
            except ValueError as exc:
                raise Unsupported(f"bad escape \\{nxt}{digits}") from exc
            i += 2 + width
            continue
        if c in " \t\n":
            j = i
            while j < n and raw[j] in " \t\n":
                j += 1
            run = raw[i:j]
            breaks = run.count("\n")
            if breaks == 0:
                out.append(run)
            else:
                out.append(" " if breaks == 1 else "\n" * (breaks - 1))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.i = 0

    # -- navigation ---------------------------------------------------------
    def _skip_blank(self) -> None:
        lines = self.lines
        while self.i < len(lines):
            stripped = lines[self.i].strip()
            if stripped and not stripped.startswith("#"):
                return
            self.i += 1

    def document(self) -> Any:
        self._skip_blank()
        if self.i < len(self.lines) and self.lines[self.i].rstrip() == "---":
            self.i += 1
            self._skip_blank()
        if self.i >= len(self.lines):
            return None
        line = self.lines[self.i]
        if "\t" in line[: _indent_of(line) + 1]:
            raise Unsupported("tab indentation")
        value = self._block(_indent_of(line))
        self._skip_blank()
        if self.i < len(self.lines) and self.lines[self.i].rstrip() != "...":
            raise Unsupported(f"unexpected content at line {self.i + 1}")
        return value

    def _block(self, indent: int) -> Any:
        content = self.lines[self.i][indent:]
        if content == "-" or content.startswith("- "):
            return self._sequence(indent)
        if self._split_key(content) is None:
            # A bare scalar document (MLflow never writes one, but it is legal).
            self.i += 1
            return self._scalar(content, indent - 1)
        return self._mapping(indent)

    # -- collections --------------------------------------------------------
    def _mapping(self, indent: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        while True:
            self._skip_blank()
            if self.i >= len(self.lines):
                return result
            line = self.lines[self.i]
            current = _indent_of(line)
            if current < indent:
                return result
            if current > indent:
                raise Unsupported(f"unexpected indentation at line {self.i + 1}")
            content = line[indent:]
            if content == "-" or content.startswith("- "):
                return result  # a sequence at this indent belongs to the parent key
            split = self._split_key(content)
            if split is None:
                raise Unsupported(f"expected 'key: value' at line {self.i + 1}")
            key, rest = split
            self.i += 1
            result[key] = self._value(rest, indent)

    def _sequence(self, indent: int) -> list[Any]:
        result: list[Any] = []
        while True:
            self._skip_blank()
            if self.i >= len(self.lines):
                return result
            line = self.lines[self.i]
            current = _indent_of(line)
            content = line[indent:]
            if current != indent or not (content == "-" or content.startswith("- ")):
                if current > indent:
                    raise Unsupported(f"unexpected indentation at line {self.i + 1}")
                return result
            item = content[2:].lstrip(" ")
            if not item:
                self.i += 1
                result.append(self._value("", indent))
                continue
            if item == "-" or item.startswith("- ") or self._split_key(item) is not None:
                # "- key: v" opens a mapping (or nested sequence) whose column is
                # where the item text starts: re-read the line from there.
                column = len(line) - len(item)
                self.lines[self.i] = " " * column + item
                result.append(self._block(column))
                continue
            self.i += 1
            result.append(self._scalar(item, indent))

    def _value(self, rest: str, indent: int) -> Any:
        if rest:
            return self._scalar(rest, indent)
        self._skip_blank()
        if self.i >= len(self.lines):
            return None
        line = self.lines[self.i]
        current = _indent_of(line)
        content = line[current:]
        if current > indent:
            return self._block(current)
        if current == indent and (content == "-" or content.startswith("- ")):
            return self._sequence(indent)  # PyYAML puts a mapping's list at the key's indent
        return None

    # -- scalars ------------------------------------------------------------
    def _split_key(self, content: str) -> tuple[Any, str] | None:
        """``(key, rest of line)`` if ``content`` starts a mapping entry."""
        if content[:1] in ("'", '"'):
            end = self._closing_quote(content, 0)
            if end is None:
                return None
            after = content[end + 1 :]
            if not (after == ":" or after.startswith(": ")):
                return None
            body = content[1:end]
            if content[0] == "'":
                key = _fold(body.replace("''", "'"), double=False)
            else:
                key = _fold(body, double=True)
            return key, after[1:].strip(" ")
        if content[:1] in _FLOW_START or content.startswith("? ") or content[:1] in "[{#":
            return None
        pos = content.find(": ")
        if pos < 0:
            if not content.endswith(":"):
                return None
            pos = len(content) - 1
        key_text = content[:pos].rstrip(" ")
        if not key_text or " #" in key_text:
            return None
        return _resolve_plain(key_text), content[pos + 1 :].strip(" ")

    @staticmethod
    def _closing_quote(text: str, start: int) -> int | None:
        quote = text[start]
        i = start + 1
        while i < len(text):
            c = text[i]
            if quote == "'" and c == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    i += 2
                    continue
                return i
            if quote == '"':
                if c == "\\":
                    i += 2
                    continue
                if c == '"':
                    return i
            i += 1
        return None

    def _scalar(self, first: str, indent: int) -> Any:
        """A scalar starting with ``first``; continuation lines are indented past ``indent``."""
        head = first[0]
        if head in ("'", '"'):
            text = first
            while True:
                end = self._closing_quote(text, 0)
                if end is not None:
                    break
                if self.i >= len(self.lines):
                    raise Unsupported("unterminated quoted scalar")
                text += "\n" + self.lines[self.i]
                self.i += 1
            if text[end + 1 :].strip(" "):
                raise Unsupported("content after a quoted scalar")
            body = text[1:end]
            if head == "'":
                return _fold(body.replace("''", "'"), double=False)
            return _fold(body, double=True)
        if head in _FLOW_START:
            raise Unsupported(f"YAML feature {head!r} is not supported")
        if head in "[{":
            stripped = first.rstrip(" ")
            if stripped == "[]":
                return []
            if stripped == "{}":
                return {}
            raise Unsupported("flow collections with content are not supported")
        if " #" in first or ": " in first or first.endswith(":") or first.startswith("- "):
            raise Unsupported(f"ambiguous plain scalar at line {self.i}")
        parts = [first.rstrip(" ")]
        lines = self.lines
        while self.i < len(lines):
            line = lines[self.i]
            if not line.strip():
                # Blank lines inside a plain scalar fold to newlines, but only if
                # the scalar goes on after them.
                j = self.i
                while j < len(lines) and not lines[j].strip():
                    j += 1
                if j < len(lines) and _indent_of(lines[j]) > indent:
                    parts.extend([""] * (j - self.i))
                    self.i = j
                    continue
                break
            if _indent_of(line) <= indent:
                break
            stripped = line.strip(" ")
            if (
                stripped.startswith("#")
                or ": " in stripped
                or stripped.endswith(":")
                or " #" in stripped
            ):
                raise Unsupported(f"ambiguous plain continuation at line {self.i + 1}")
            parts.append(stripped)
            self.i += 1
        if len(parts) == 1:
            return _resolve_plain(parts[0])
        return _fold("\n".join(parts), double=False)


def load(text: str) -> Any:
    """Parse one YAML document in the subset MLflow writes.

    Returns the document (usually a ``dict``; ``None`` for an empty one).
    Raises :class:`Unsupported` when the text uses anything outside the
    subset or is not valid YAML.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            raise Unsupported("lone carriage return")
    # PyYAML also breaks lines at NEL / LS / PS; rather than mimic that, refuse.
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        raise Unsupported("unicode line separators")
    return _Parser(text).document()


def load_with_fallback(text: str) -> Any:
    """:func:`load`, or PyYAML's ``safe_load`` where the subset is not enough.

    Raises :class:`Unsupported` if neither can read the text (PyYAML missing,
    or the text is not YAML).
    """
    try:
        return load(text)
    except Unsupported as first:
        try:
            import yaml
        except ImportError:
            raise first from None
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            raise Unsupported(f"not valid YAML: {exc}") from exc
