"""The small YAML that model folders use: MLmodel, conda.yaml, python_env.yaml.

litetrack must not depend on pyyaml at run time, and importing it costs a
fresh process ~15 ms, so both directions are written here:

* :func:`dump` writes what ``yaml.safe_dump(doc, default_flow_style=False)``
  writes (MLflow's writer): block mappings with sorted keys, sequences not
  indented under their key, ``{}``/``[]`` for empty collections, scalars
  quoted by pyyaml's rules. Only long lines differ: pyyaml folds scalars
  longer than 80 columns, this writer never does (both read back the same).
* :func:`load` reads block-style YAML as pyyaml and MLflow write it,
  including scalars folded over several lines, simple flow collections and
  comments. Anything outside that subset (anchors, tags, block scalars ...)
  goes to pyyaml when it is installed, and raises
  :class:`~litetrack.errors.CorruptDocument` otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from litetrack.errors import CorruptDocument

__all__ = ["dump", "load", "scalar"]

# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

# pyyaml's implicit resolvers (YAML 1.1): a plain scalar matching one of these
# would read back as a bool/number/null/date, so it must be quoted.
_IMPLICIT = re.compile(
    r"""^(?:
      yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    | [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    | << | ~ | null|Null|NULL | = | [!&*]
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
      (?:[Tt]|[\ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
      (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    )$""",
    re.X,
)
_WS = " \t\r\n\x00"


def _plain_ok(s: str) -> bool:
    """Whether pyyaml would write ``s`` as a plain scalar in block context."""
    if not s or _IMPLICIT.match(s):
        return False
    if any(not (" " <= ch <= "~") for ch in s):
        return False
    if s[0] == " " or s[-1] == " " or s.startswith(("---", "...")):
        return False
    followed_ws = len(s) == 1 or s[1] in _WS
    if s[0] in "#,[]{}&*!|>'\"%@`":
        return False
    if s[0] in "?:-" and followed_ws:
        return False
    for i in range(1, len(s)):
        ch = s[i]
        nxt_ws = i + 1 >= len(s) or s[i + 1] in _WS
        if ch == ":" and nxt_ws:
            return False
        if ch == "#" and s[i - 1] in _WS:
            return False
    return True


def scalar(s: str) -> str:
    """``s`` as a YAML scalar: plain when pyyaml would write it plain, else quoted."""
    if _plain_ok(s):
        return s
    if all(" " <= ch <= "~" for ch in s):
        return "'" + s.replace("'", "''") + "'"
    # Control or non-ASCII characters: a double-quoted scalar with YAML
    # escapes (\x, \u, \U; not JSON's surrogate pairs, which YAML reads as
    # two characters).
    out = []
    for ch in s:
        code = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif 0x20 <= code <= 0x7E:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _value(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        text = repr(float(v))
        if "." not in text and "e" in text:  # pyyaml: 1e-05 -> 1.0e-05 (keeps it a float)
            mant, _, exp = text.partition("e")
            text = f"{mant}.0e{exp}"
        return text
    if isinstance(v, str):
        return scalar(v)
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as YAML")


def _block(doc: Any, indent: str, lines: list[str]) -> None:
    if isinstance(doc, Mapping):
        for key in sorted(doc, key=str):
            value = doc[key]
            k = scalar(str(key))
            if isinstance(value, Mapping) and value:
                lines.append(f"{indent}{k}:")
                _block(value, indent + "  ", lines)
            elif isinstance(value, Sequence) and not isinstance(value, str) and value:
                lines.append(f"{indent}{k}:")
                _block(value, indent, lines)
            else:
                lines.append(f"{indent}{k}: {_flow_empty(value)}")
        return
    for item in doc:
        if isinstance(item, Mapping) and item:
            sub: list[str] = []
            _block(item, indent + "  ", sub)
            sub[0] = f"{indent}- {sub[0][len(indent) + 2 :]}"
            lines.extend(sub)
        elif isinstance(item, Sequence) and not isinstance(item, str) and item:
            sub = []
            _block(item, indent + "  ", sub)
            sub[0] = f"{indent}- {sub[0][len(indent) + 2 :]}"
            lines.extend(sub)
        else:
            lines.append(f"{indent}- {_flow_empty(item)}")


def _flow_empty(v: Any) -> str:
    if isinstance(v, Mapping):
        return "{}"
    if isinstance(v, Sequence) and not isinstance(v, str):
        return "[]"
    return _value(v)


def dump(doc: Mapping[str, Any]) -> str:
    """Block-style YAML for a mapping of mappings, lists and scalars (keys sorted)."""
    if not doc:
        return "{}\n"
    lines: list[str] = []
    _block(doc, "", lines)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


class _Unsupported(Exception):
    """The text uses YAML this reader does not handle (pyyaml may)."""


_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
# pyyaml's YAML 1.1 floats need a dot: "1e5" is a string there, and here.
_FLOAT_RE = re.compile(
    r"[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
)
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_FALSE = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}


def _plain(text: str) -> Any:
    s = text.strip()
    if s in _NULLS:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    if s[0] in "&*!|>%@`":
        raise _Unsupported(s)
    if _INT_RE.fullmatch(s):
        return int(s.replace("_", ""))
    if re.fullmatch(r"[-+]?0x[0-9a-fA-F_]+", s):
        return int(s.replace("_", ""), 16)
    if re.fullmatch(r"[-+]?0b[01_]+", s):
        return int(s.replace("_", "").replace("0b", ""), 2)
    if re.fullmatch(r"[-+]?0[0-7_]+", s):
        return int(s.replace("_", ""), 8)
    low = s.lower()
    if low in (".inf", "+.inf"):
        return math.inf
    if low == "-.inf":
        return -math.inf
    if low == ".nan":
        return math.nan
    if _FLOAT_RE.fullmatch(s) and any(c.isdigit() for c in s):
        return float(s.replace("_", ""))
    if _IMPLICIT.match(s):  # sexagesimal numbers, timestamps, '<<', '='
        raise _Unsupported(s)
    return s


_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
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
_HEX_LEN = {"x": 2, "u": 4, "U": 8}


def _fold(parts: list[str]) -> str:
    """Join the lines of a multi-line flow scalar: one line break folds to a space."""
    out = parts[0].rstrip(" \t") if len(parts) > 1 else parts[0]
    blanks = 0
    for i, raw in enumerate(parts[1:], 1):
        last = i == len(parts) - 1
        line = raw.strip(" \t") if not last else raw.lstrip(" \t")
        if not line and not last:
            blanks += 1
            continue
        out += "\n" * blanks if blanks else " "
        blanks = 0
        out += line
    return out


def _single(body: str) -> str:
    return _fold(body.split("\n")).replace("''", "'")


def _odd_backslashes(s: str) -> bool:
    return (len(s) - len(s.rstrip("\\"))) % 2 == 1


def _double(body: str) -> str:
    # A line ending in an escaping backslash continues on the next line with
    # nothing in between (its leading blanks dropped); other breaks fold.
    lines = body.split("\n")
    parts: list[str] = []
    cur = lines[0]
    for nxt in lines[1:]:
        if _odd_backslashes(cur):
            cur = cur[:-1] + nxt.lstrip(" \t")
        else:
            parts.append(cur)
            cur = nxt
    parts.append(cur)
    folded = _fold(parts)
    res = []
    j = 0
    while j < len(folded):
        ch = folded[j]
        if ch != "\\":
            res.append(ch)
            j += 1
            continue
        nxt_ch = folded[j + 1] if j + 1 < len(folded) else ""
        if nxt_ch in _HEX_LEN:
            n = _HEX_LEN[nxt_ch]
            res.append(chr(int(folded[j + 2 : j + 2 + n], 16)))
            j += 2 + n
        elif nxt_ch in _ESCAPES:
            res.append(_ESCAPES[nxt_ch])
            j += 2
        else:
            raise _Unsupported(f"escape \\{nxt_ch}")
    return "".join(res)


def _strip_comment(line: str) -> str:
    """Remove a trailing ``# comment`` that is outside quotes."""
    if "#" not in line:
        return line
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"" and (i == 0 or line[i - 1] in " :-[{,"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line


class _Reader:
    def __init__(self, text: str) -> None:
        # (indent, content) per line; blank and comment-only lines get indent
        # -1 (their text is kept: inside a quoted scalar it is content).
        self.lines: list[tuple[int, str]] = []
        for raw in text.split("\n"):
            line = raw.rstrip("\r")
            stripped = line.lstrip(" ")
            if stripped.startswith("\t"):
                raise _Unsupported("tab indentation")
            if line in ("---", "...") or line.startswith(("--- ", "... ")):
                if line.strip() not in ("---", "..."):
                    raise _Unsupported("document marker with content")
                continue
            if not stripped.strip() or stripped.startswith("#"):
                self.lines.append((-1, stripped))
                continue
            self.lines.append((len(line) - len(stripped), stripped))
        self.pos = 0

    def peek(self) -> tuple[int, str] | None:
        while self.pos < len(self.lines) and self.lines[self.pos][0] < 0:
            self.pos += 1
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def parse_block(self) -> Any:
        nxt = self.peek()
        if nxt is None:
            return None
        ind, content = nxt
        if content.startswith(("%", "&", "!", "*", "? ")) or content in ("|", ">"):
            raise _Unsupported(content[:10])
        if _is_item(content):
            return self.parse_seq(ind)
        return self.parse_map(ind)

    def parse_seq(self, indent: int) -> list[Any]:
        out: list[Any] = []
        while True:
            nxt = self.peek()
            if nxt is None or nxt[0] < indent:
                return out
            if nxt[0] > indent or not _is_item(nxt[1]):
                if nxt[0] == indent:
                    return out  # the next key of the enclosing (indentless) mapping
                raise _Unsupported("bad indentation in a sequence")
            self.pos += 1
            rest = nxt[1][1:].lstrip(" ")
            item_indent = indent + (len(nxt[1]) - len(rest))
            if not rest or rest.startswith("#"):
                follow = self.peek()
                out.append(self.parse_block() if follow and follow[0] > indent else None)
            elif _is_item(rest) or _split_key(rest) is not None:
                # "- - x" or "- key: value": a nested collection starting on
                # the dash line, continuing at the item's indent.
                self.pos -= 1
                self.lines[self.pos] = (item_indent, rest)
                out.append(self.parse_block())
            else:
                out.append(self.scalar_value(rest, indent))

    def parse_map(self, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while True:
            nxt = self.peek()
            if nxt is None or nxt[0] < indent:
                return out
            if nxt[0] > indent:
                raise _Unsupported("bad indentation in a mapping")
            split = _split_key(nxt[1])
            if split is None:
                if _is_item(nxt[1]):
                    return out
                raise _Unsupported(f"not a mapping entry: {nxt[1][:40]!r}")
            key, rest = split
            self.pos += 1
            if rest and not rest.startswith("#"):
                out[key] = self.scalar_value(rest, indent)
                continue
            follow = self.peek()
            if follow is None:
                out[key] = None
            elif follow[0] > indent:
                out[key] = self.parse_block()
            elif follow[0] == indent and _is_item(follow[1]):
                out[key] = self.parse_seq(indent)  # pyyaml's indentless sequence
            else:
                out[key] = None

    def _continuation(self, indent: int) -> list[str]:
        """Lines of a plain scalar continued below its start (more indented, or blank)."""
        parts: list[str] = []
        while self.pos < len(self.lines):
            ind, content = self.lines[self.pos]
            if ind < 0:
                if content:  # a comment ends a plain scalar
                    break
                parts.append("")
                self.pos += 1
                continue
            if ind <= indent:
                break
            parts.append(content)
            self.pos += 1
        while parts and parts[-1] == "":  # trailing blanks belong to the structure
            parts.pop()
            self.pos -= 1
        return parts

    def scalar_value(self, text: str, indent: int) -> Any:
        if text[0] in "'\"":
            q = text[0]
            body = text[1:]
            while _close_index(body, q) < 0:
                if self.pos >= len(self.lines):
                    raise _Unsupported("unterminated quoted scalar")
                body += "\n" + self.lines[self.pos][1]
                self.pos += 1
            end = _close_index(body, q)
            tail = body[end + 1 :].strip()
            if tail and not tail.startswith("#"):
                raise _Unsupported("text after a quoted scalar")
            inner = body[:end]
            return _single(inner) if q == "'" else _double(inner)
        if text[0] in "&*!|>%@`" or text.startswith("? ") or text == "?":
            raise _Unsupported(text[:10])
        text = _strip_comment(text)
        if text[0] in "[{":
            return _flow(text)
        more = self._continuation(indent)
        if more:
            return _fold([text, *more])  # a multi-line plain scalar is a string
        return _plain(text)


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


def _split_key(content: str) -> tuple[str, str] | None:
    """``key: rest`` -> (key, rest), None when the line is not a mapping entry."""
    if content[0] in "'\"":
        q = content[0]
        end = _close_index(content[1:], q)
        if end < 0:
            return None
        after = content[end + 2 :]
        if after.startswith(":") and (len(after) == 1 or after[1] == " "):
            inner = content[1 : end + 1]
            key = _single(inner) if q == "'" else _double(inner)
            return key, after[1:].lstrip(" ")
        return None
    if content[0] in "[{#&*!|>%@`" or content.startswith("? "):
        return None
    m = _KEY_RE.match(content)
    if m is None:
        return None
    return m.group(1), content[m.end() :]


_KEY_RE = re.compile(r"(.*?):(?: +|$)")


def _close_index(body: str, q: str) -> int:
    j = 0
    while j < len(body):
        ch = body[j]
        if q == "'" and ch == "'":
            if body[j + 1 : j + 2] == "'":
                j += 2
                continue
            return j
        if q == '"':
            if ch == "\\":
                j += 2
                continue
            if ch == '"':
                return j
        j += 1
    return -1


def _flow(text: str) -> Any:
    if text in ("[]", "{}"):
        return [] if text == "[]" else {}
    inner = text[1:-1].strip()
    if text[-1] != {"[": "]", "{": "}"}[text[0]] or any(c in inner for c in "[]{}'\""):
        raise _Unsupported("flow collection")
    items = [p.strip() for p in inner.split(",") if p.strip()]
    if text[0] == "[":
        return [_plain(p) for p in items]
    out = {}
    for p in items:
        k, sep, v = p.partition(":")
        if not sep:
            raise _Unsupported("flow mapping entry")
        out[k.strip()] = _plain(v)
    return out


def load(text: str, path: str | None = None, *, fallback: bool = True) -> Any:
    """Parse YAML text (the block style MLflow and litetrack write) into Python objects.

    Text outside the supported subset goes to pyyaml when it is installed
    (unless ``fallback=False``). Raises
    :class:`~litetrack.errors.CorruptDocument` (naming ``path``) when the text
    cannot be read.
    """
    try:
        if any(c in text for c in "\x85\u2028\u2029"):
            # YAML line breaks beyond \n and \r: pyyaml folds them, leave it to pyyaml.
            raise _Unsupported("NEL / LS / PS line breaks")
        reader = _Reader(text)
        doc = reader.parse_block()
        if reader.peek() is not None:
            raise _Unsupported("text after the document")
        return doc
    except (_Unsupported, ValueError, IndexError) as exc:
        if not fallback:
            raise CorruptDocument(
                f"cannot read YAML{f' in {path}' if path else ''}: {exc}", path=path
            ) from None
        try:
            import yaml
        except ImportError:
            raise CorruptDocument(
                f"cannot read YAML{f' in {path}' if path else ''}: {exc}; "
                "install pyyaml to read YAML beyond the block style MLflow writes",
                path=path,
            ) from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as yexc:
            raise CorruptDocument(
                f"invalid YAML{f' in {path}' if path else ''}: {yexc}", path=path
            ) from None
