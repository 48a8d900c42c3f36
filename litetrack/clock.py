"""The time litetrack stamps on what it records: wall-clock milliseconds that never go back.

Runs, experiments, registered models and metrics carry milliseconds since the
epoch, as in MLflow, and searches order and filter on them ("newest first",
``last_update_time >= T``). The wall clock itself can step backwards: NTP or
chrony setting the clock of a freshly booted or resumed machine, a user fixing
the date. A stamp taken after such a step would sort before the ones taken just
before it, a run could end before it started, and a duration could be negative.

So within a process a stamp is the wall clock, except that it never falls behind
the last stamp plus the time that has really passed since it (the monotonic
clock, which no step moves). A forward step is followed at once; after a
backward step of D the stamps run D ahead of the wall clock for the rest of the
process, still advancing at the real rate. Processes share only the wall clock:
two processes' stamps are as ordered as their clocks.
"""

from __future__ import annotations

import threading
import time

# Module attributes, so that a test can put a stepping wall clock in their place.
_wall_ns = time.time_ns
_monotonic_ns = time.monotonic_ns

_lock = threading.Lock()
# Last stamp (ns since the epoch) minus the monotonic reading it was taken at:
# base + monotonic is the earliest the next stamp may be.
_base: int | None = None


def now_ns() -> int:
    """Nanoseconds since the epoch: the wall clock, but never behind an earlier stamp
    of this process plus the real time elapsed since it."""
    global _base
    with _lock:
        mono = _monotonic_ns()
        wall = _wall_ns()
        stamp = wall if _base is None else max(wall, _base + mono)
        _base = stamp - mono
        return stamp


def now_ms() -> int:
    """Milliseconds since the epoch (MLflow's unit for every timestamp), as :func:`now_ns`."""
    return now_ns() // 1_000_000
