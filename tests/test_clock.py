"""Stamps never go back within a process, even when the wall clock is stepped back.

An experiment renamed after another was created must get a later
``last_update_time``, even when the wall clock steps back in between, or when
creations in one millisecond were stamped ahead of it. These tests put a wall
clock the test moves in place of the real one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import litetrack
from litetrack import clock
from litetrack.client import Client


class SteppedClock:
    """A wall clock and a monotonic clock the test moves by hand (nanoseconds)."""

    def __init__(self, wall_ns: int) -> None:
        self.wall = wall_ns
        self.mono = 10**12

    def advance(self, ms: int) -> None:
        """Real time passes: both clocks move."""
        self.wall += ms * 1_000_000
        self.mono += ms * 1_000_000

    def step(self, ms: int) -> None:
        """The wall clock is set (backwards when ``ms`` < 0); no time passes."""
        self.wall += ms * 1_000_000


@pytest.fixture
def stepped(monkeypatch: pytest.MonkeyPatch) -> Iterator[SteppedClock]:
    fake = SteppedClock(1_800_000_000_000 * 1_000_000)
    monkeypatch.setattr(clock, "_wall_ns", lambda: fake.wall)
    monkeypatch.setattr(clock, "_monotonic_ns", lambda: fake.mono)
    monkeypatch.setattr(clock, "_base", None)
    yield fake


def test_follows_the_wall_clock_and_its_forward_steps(stepped: SteppedClock) -> None:
    first = clock.now_ms()
    assert first == stepped.wall // 1_000_000
    stepped.advance(5)
    assert clock.now_ms() == first + 5
    stepped.step(60_000)
    assert clock.now_ms() == first + 5 + 60_000


def test_a_backward_step_is_not_followed_and_time_still_passes(stepped: SteppedClock) -> None:
    first = clock.now_ms()
    stepped.step(-3_600_000)  # an hour back
    assert clock.now_ms() == first
    stepped.advance(7)
    assert clock.now_ms() == first + 7
    # Once the wall clock is ahead again, it is followed.
    stepped.step(3_600_000 + 1_000)
    assert clock.now_ms() == stepped.wall // 1_000_000


def test_stamps_never_decrease_under_random_steps(stepped: SteppedClock) -> None:
    import random

    rng = random.Random(7)
    last = clock.now_ns()
    for _ in range(2_000):
        if rng.random() < 0.3:
            stepped.step(rng.randint(-5_000, 5_000))
        stepped.advance(rng.randint(0, 3))
        now = clock.now_ns()
        assert now >= last
        last = now


def test_a_change_after_a_burst_of_creations_stamps_later_than_all(
    stepped: SteppedClock, store_path: Path
) -> None:
    # The CI failure: x, y, z made in one millisecond get creation times ahead of
    # the wall clock (they strictly increase); x renamed 2 ms later stamped the
    # wall clock, no later than z, and "last_update_time >= renamed" found z too.
    client = Client()
    ids = [client.create_experiment(name) for name in ("x", "y", "z")]
    created = [client.get_experiment(i).creation_time or 0 for i in ids]
    assert created == sorted(set(created))
    stepped.advance(2)
    client.rename_experiment(ids[0], "new_name")
    renamed = client.get_experiment(ids[0]).last_update_time
    assert renamed is not None and renamed > created[-1]
    found = client.search_experiments(filter_string=f"last_update_time >= {renamed}")
    assert [e.name for e in found] == ["new_name"]
    ordered = client.search_experiments(order_by=["last_update_time DESC"])
    assert ordered[0].name == "new_name"


def test_search_order_survives_a_backward_step(
    stepped: SteppedClock, store_path: Path
) -> None:
    # z created, the wall clock stepped back, x renamed: the rename is still the
    # latest update, and a later run start the newest.
    client = Client()
    ids = [client.create_experiment(name) for name in ("x", "y", "z")]
    created = client.get_experiment(ids[0]).creation_time
    assert created is not None and created >= 1_800_000_000_000  # stamped by the fake clock
    stepped.advance(2)
    stepped.step(-10_000)
    stepped.advance(2)
    client.rename_experiment(ids[0], "new_name")
    renamed = client.get_experiment(ids[0]).last_update_time
    assert renamed is not None
    assert renamed > (client.get_experiment(ids[2]).creation_time or 0)
    found = client.search_experiments(filter_string=f"last_update_time >= {renamed}")
    assert [e.name for e in found] == ["new_name"]

    litetrack.set_experiment("x-runs")
    with litetrack.start_run() as early:
        stepped.advance(3)
    stepped.step(-60_000)
    stepped.advance(1)
    with litetrack.start_run() as late:
        litetrack.log_metric("m", 1.0)
    early_run, late_run = client.get_run(early.info.run_id), client.get_run(late.info.run_id)
    early_start, early_end = early_run.info.start_time, early_run.info.end_time
    late_start = late_run.info.start_time
    assert early_start is not None and early_end is not None and late_start is not None
    assert early_start <= early_end < late_start
    assert late_start >= 1_800_000_000_000  # stamped by the fake clock
    assert late_run.data.metrics["m"] == 1.0
    newest = litetrack.search_runs(output_format="list")
    assert [r.info.run_id for r in newest] == [late.info.run_id, early.info.run_id]
