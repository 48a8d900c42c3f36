"""Plain-text tables that fit the terminal."""

from __future__ import annotations

import shutil
from collections.abc import Sequence


def terminal_width(width: int | None = None) -> int:
    """The width to fit: ``width`` if given (0 = unlimited), else the terminal's."""
    if width is not None:
        return width
    return shutil.get_terminal_size((120, 24)).columns


def _trim(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[: width - 1] + "…"


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int | None = None,
    right_align: Sequence[bool] | None = None,
) -> str:
    """Render ``rows`` under ``headers``, trimming the widest columns first until it fits.

    Each column keeps at least 4 characters (or its header if shorter); a
    table that cannot fit even then is printed at that minimum.
    """
    max_width = terminal_width(width)
    ncols = len(headers)
    widths = [len(h) for h in headers]
    if rows:
        widths = [max(w, max(map(len, col))) for w, col in zip(widths, zip(*rows))]
    sep = 2
    if max_width > 0:
        floor = [min(w, max(4, min(len(h), 8))) for w, h in zip(widths, headers)]
        total = sum(widths) + sep * (ncols - 1)
        while total > max_width:
            # Shrink the widest column that can still shrink.
            candidates = [i for i in range(ncols) if widths[i] > floor[i]]
            if not candidates:
                break
            i = max(candidates, key=lambda j: widths[j])
            widths[i] -= 1
            total -= 1
        # Still too wide at the minimum widths: leave out the rightmost columns.
        while total > max_width and ncols > 1:
            total -= widths[ncols - 1] + sep
            ncols -= 1
        headers = list(headers)[:ncols]
        rows = [list(r)[:ncols] for r in rows]
    right = list(right_align or [False] * ncols)[:ncols]
    # Trim only the columns that were shrunk, then lay every row out with one
    # str.format call: tables can have 10,000 rows.
    natural = [len(h) for h in headers[:ncols]]
    if rows:
        natural = [max(n, max(map(len, col))) for n, col in zip(natural, zip(*rows))]
    shrunk = [i for i in range(ncols) if natural[i] > widths[i]]
    table: list[Sequence[str]] = [list(headers), *rows]
    if shrunk:
        trimmed = [list(r) for r in table]
        for cells in trimmed:
            for i in shrunk:
                cells[i] = _trim(cells[i], widths[i])
        table = list(trimmed)
    fmt = (" " * sep).join(
        f"{{:{'>' if r else '<'}{w}}}" for w, r in zip(widths, right)
    )
    return "\n".join(fmt.format(*row).rstrip() for row in table)


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
