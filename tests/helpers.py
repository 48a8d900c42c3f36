"""Helpers shared by several test files (imported as ``helpers``, like ``remote_fixtures``)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class Hung(TimeoutError):
    """A block under :func:`bounded` ran out of time (a hang turned into a failure)."""


@contextmanager
def bounded(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) if the block is still running after ``seconds``.

    Uses SIGALRM, so only in the main thread; the previous handler is restored.
    """

    def on_alarm(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s (blocked on a FIFO or a lock?)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
