"""The time litetrack stamps on what it records: the wall clock, read as MLflow reads it.

Runs, experiments, registered models and metrics carry milliseconds since the
epoch, as in MLflow (``int(time.time() * 1000)``). Every stamp is taken here, and
``time.time`` is looked up at each call: a test or a user that mocks
``time.time`` (MLflow's own tests fix it at 123 s and expect stamps of 123000)
moves litetrack's stamps as it moves MLflow's.

A stamp does not guard against the wall clock stepping back (MLflow's do not
either): under a mock, or a clock set by hand, stamps are what the clock says.
What litetrack orders by more than the clock is ordered where it is made:
experiments' creation times strictly increase with their ids, and a change to
an experiment stamps later than every experiment stamp its process made
(:mod:`litetrack.store.experiments`).
"""

from __future__ import annotations

import time


def now_ms() -> int:
    """Milliseconds since the epoch (MLflow's unit for every timestamp), from ``time.time()``."""
    return int(time.time() * 1000)


def now_ns() -> int:
    """Nanoseconds since the epoch, from ``time.time_ns()``."""
    return time.time_ns()
