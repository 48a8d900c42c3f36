"""Plain-text tables that fit the terminal."""

from __future__ import annotations

import operator
import shutil
import sys
from collections.abc import Sequence
from typing import Any

from litetrack import settings


def terminal_width(width: int | None = None) -> int:
    """The width to fit: ``width`` if given (0 = unlimited), else the terminal's.

    Output that is not a terminal (a pipe, a file) is never cut: 0.
    """
    if width is not None:
        return width
    if not sys.stdout.isatty():
        return 0
    return shutil.get_terminal_size((80, 24)).columns


def _trim(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[: width - 1] + "…"


#: Column name prefixes that may be shortened in headers when the table is tight.
_PREFIXES = (("metrics.", "m."), ("params.", "p."), ("tags.", "t."))


def abbreviate_headers(headers: Sequence[str]) -> list[str]:
    """Shorter headers that stay distinct: ``metrics.rmse`` -> ``rmse``, else ``m.rmse``."""
    short: list[str] = []
    for h in headers:
        for long_prefix, short_prefix in _PREFIXES:
            if h.startswith(long_prefix):
                key = h[len(long_prefix):]
                clash = sum(
                    1 for other in headers
                    if other != h and (other == key or any(
                        other == lp + key for lp, _ in _PREFIXES))
                )
                short.append(short_prefix + key if clash else key)
                break
        else:
            short.append(h)
    # Any remaining clash (a bare "rmse" next to a shortened one): keep the long names.
    return short if len(set(short)) == len(short) else list(headers)


def _layout(
    headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int],
    right: Sequence[bool], sep: int = 2,
) -> str:
    fmt = (" " * sep).join(f"{{:{'>' if r else '<'}{w}}}" for w, r in zip(widths, right))
    # One str.format call per row: tables can have 10,000 rows.
    return "\n".join(fmt.format(*row).rstrip() for row in [list(headers), *rows])


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int | None = None,
    right_align: Sequence[bool] | None = None,
    keep: int = 1,
) -> str:
    """Render ``rows`` under ``headers``, fitting ``width`` (see :func:`terminal_width`).

    Cells are never cut to fit. A table too wide for the width first gets
    shorter (still distinct) headers; if still too wide, its columns are
    split into several tables, each repeating the first ``keep`` columns (the
    run id, the name), and a last line says so. Only a single column wider
    than the whole width on its own has its cells trimmed (marked ``…``).
    """
    max_width = terminal_width(width)
    ncols = len(headers)
    right = list(right_align or [False] * ncols) + [False] * ncols
    sep = 2

    # The widest cell of each column, measured once (the headers may change below).
    cells = [max(map(len, col)) for col in zip(*rows)] if rows else [0] * ncols

    def natural(hs: Sequence[str]) -> list[int]:
        return [max(len(h), w) for h, w in zip(hs, cells)]

    widths = natural(headers)
    total = sum(widths) + sep * (ncols - 1)
    if max_width <= 0 or total <= max_width:
        return _layout(headers, rows, widths, right[:ncols], sep)
    headers = abbreviate_headers(headers)
    widths = natural(headers)
    total = sum(widths) + sep * (ncols - 1)
    if total <= max_width:
        return _layout(headers, rows, widths, right[:ncols], sep)
    keep = max(0, min(keep, ncols - 1))
    fixed = sum(widths[:keep]) + sep * keep
    room = max(max_width - fixed, 8)
    parts: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i in range(keep, ncols):
        w = min(widths[i], room)
        if current and used + sep + w > room:
            parts.append(current)
            current, used = [], 0
        used += (sep if current else 0) + w
        current.append(i)
    if current:
        parts.append(current)
    out = []
    for part in parts:
        cols = list(range(keep)) + part
        ws = [min(widths[i], room) if i >= keep else widths[i] for i in cols]
        cut = {j for j, i in enumerate(cols) if widths[i] > ws[j]}
        hs = [_trim(headers[i], ws[j]) if j in cut else headers[i] for j, i in enumerate(cols)]
        rs: Sequence[Sequence[str]]
        if cut:
            rs = [[_trim(r[i], ws[j]) if j in cut else r[i] for j, i in enumerate(cols)]
                  for r in rows]
        else:
            pick = operator.itemgetter(*cols)  # one C call per row (tables can have 10,000 rows)
            rs = [pick(r) for r in rows] if len(cols) > 1 else [[r[cols[0]]] for r in rows]
        out.append(_layout(hs, rs, ws, [right[i] for i in cols], sep))
    text = "\n\n".join(out)
    if len(parts) > 1:
        import textwrap

        note = (f"({ncols} columns split into {len(parts)} tables to fit {max_width} columns; "
                "--width 0 or a pipe prints one table)")
        text += "\n" + textwrap.fill(note, max(max_width, 20))
    return text


def format_duration(ms: float | None) -> str:
    """``1h 02m``, ``3m 07s``, ``4.2s``, ``120ms``; ``-`` when unknown."""
    if ms is None:
        return "-"
    seconds = ms / 1000
    if seconds < 1:
        return f"{ms:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_size(nbytes: float | None) -> str:
    """Human-readable byte count (``1.5 MB``); ``-`` when unknown."""
    if nbytes is None:
        return "-"
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def format_number(value: float | None) -> str:
    """Compact numbers for table cells (6 significant digits)."""
    if value is None:
        return ""
    if value != value:
        return "nan"
    return f"{value:.6g}"


_time_cache: dict[int, str] = {}


def format_time(ms: int | None) -> str:
    """Local time ``YYYY-MM-DD HH:MM:SS`` from epoch milliseconds."""
    if ms is None:
        return "-"
    second = ms // 1000
    text = _time_cache.get(second)
    if text is None:
        # Runs of a sweep start within the same seconds: format each second once.
        import time

        if len(_time_cache) > 100_000:
            _time_cache.clear()
        try:
            text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        except (OverflowError, OSError, ValueError):
            return f"{ms} ms?"  # a hand-edited time beyond what the platform can show
        _time_cache[second] = text
    return text


def terminal_height() -> int:
    """Lines of the terminal (24 when unknown)."""
    return shutil.get_terminal_size((80, 24)).lines


def page(text: str, no_pager: bool = False) -> None:
    """Print ``text``; on a terminal, through a pager when it is taller than the screen.

    As git does: ``LITETRACK_PAGER``, else ``PAGER``, else ``less -FRX``
    (quit at once if one screen is enough, keep colours, leave the text on
    screen). Piped output, ``--no-pager`` or a pager set to ``cat`` print directly.
    """
    import os
    import subprocess

    if not text.endswith("\n"):
        text += "\n"
    pager = settings.pager()
    if no_pager or not sys.stdout.isatty() or pager in ("", "cat") or text.count("\n") < terminal_height():
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    try:
        proc = subprocess.Popen(pager, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        sys.stdout.write(text)
        return
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode(sys.stdout.encoding or "utf-8", "replace"))
        proc.stdin.close()
    except BrokenPipeError:
        pass  # the user quit the pager early
    if proc.wait() == 127:  # the shell found no such pager
        sys.stdout.write(text)


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    args: Any,
    right_align: Sequence[bool] | None = None,
    keep: int = 1,
) -> None:
    """Format a table for ``args`` (``--width``, ``--no-pager``) and print or page it."""
    text = format_table(headers, rows, getattr(args, "width", None), right_align, keep)
    page(text, getattr(args, "no_pager", False))
