"""Progress bars for long commands (tqdm), shown only on a terminal.

:func:`progress_bar` gives a ``progress(stage, done, total)`` callback for
the store's long operations (verify, gc, reindex, import); it draws on
stderr when stderr is a terminal and does nothing otherwise, so piped or
logged output stays clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def progress_bar(
    what: str, enabled: bool | None = None
) -> Iterator[Callable[[str, int, int], None] | None]:
    """A ``progress(stage, done, total)`` callback (None off a terminal); bars close on exit."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(
                total=total,
                desc=f"{what}: {stage}",
                unit=" " + stage.split()[0].rstrip("s"),
                file=sys.stderr,
                leave=False,
                dynamic_ncols=True,
            )
        bar.total = total
        bar.n = done
        if done >= total or done % 64 == 0:
            bar.refresh()

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()
