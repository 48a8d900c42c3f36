"""What litetrack stamps: the clock as MLflow reads it, and experiment changes in order.

The CI failure these tests come from: x, y and z created in one millisecond got
creation times ahead of the clock (they strictly increase), so x renamed 2 ms
later stamped no later than z, and ``last_update_time >= renamed`` found z too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import litetrack
from litetrack.client import Client


class FakeTime:
    """``time.time`` as a test moves it (seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms / 1000


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTime]:
    fake = FakeTime(1_800_000_000.0)
    monkeypatch.setattr(time, "time", fake)
    yield fake


def test_stamps_follow_a_mocked_time_time_as_mlflow_s_do(store_path: Path) -> None:
    # MLflow's test_log_metric and friends fix time.time() at 123 s and expect
    # stamps of 123000 ms; earlier real-time stamps in the process do not matter.
    client = Client()
    first = client.create_experiment("before-the-mock")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(time, "time", lambda: 123)
        with litetrack.start_run() as run:
            litetrack.log_metric("m", 1.0)
            litetrack.log_metrics({"a": 2.0, "b": 3.0})
        client.rename_experiment(first, "renamed-under-the-mock")
    got = client.get_run(run.info.run_id)
    assert got.info.start_time == got.info.end_time == 123_000
    history = [
        m.timestamp for k in ("m", "a", "b") for m in client.get_metric_history(run.info.run_id, k)
    ]
    assert history == [123_000] * 3
    assert client.get_experiment(first).last_update_time == 123_000


def test_a_change_after_a_burst_of_creations_stamps_later_than_all(
    fake_time: FakeTime, store_path: Path
) -> None:
    client = Client()
    ids = [client.create_experiment(name) for name in ("x", "y", "z")]  # no time passes
    created = [client.get_experiment(i).creation_time or 0 for i in ids]
    assert created == sorted(set(created))
    assert created[-1] > int(fake_time.now * 1000)  # stamped ahead of the clock
    fake_time.advance(2)
    client.rename_experiment(ids[0], "new_name")
    renamed = client.get_experiment(ids[0]).last_update_time
    assert renamed is not None and renamed > created[-1]
    found = client.search_experiments(filter_string=f"last_update_time >= {renamed}")
    assert [e.name for e in found] == ["new_name"]
    assert client.search_experiments(order_by=["last_update_time DESC"])[0].name == "new_name"
    # Once the clock has passed those stamps, changes carry the clock again.
    fake_time.advance(1_000)
    client.set_experiment_tag(ids[1], "k", "v")
    assert client.get_experiment(ids[1]).last_update_time == int(fake_time.now * 1000)


def test_changes_in_one_millisecond_stamp_in_order(fake_time: FakeTime, store_path: Path) -> None:
    client = Client()
    ids = [client.create_experiment(name) for name in ("a", "b")]
    fake_time.advance(5_000)
    for eid in (ids[1], ids[0]):  # b then a, in one millisecond
        client.set_experiment_tag(eid, "k", "v")
    newest_first = client.search_experiments(order_by=["last_update_time DESC"])
    assert [e.name for e in newest_first][:2] == ["a", "b"]
