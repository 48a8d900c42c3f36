"""Ending a run, by any path, closes the log it opened: no descriptor leaks over a sweep."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.entities import Metric, Param

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_client_sweep_of_2000_runs_keeps_descriptors_flat(store_path: Path) -> None:
    # Warm up once (index connection, store folders), then count.
    client = Client()
    run = client.create_run("0")
    client.set_terminated(run.info.run_id)
    # The index connection (the sweep's writers catch the index up every
    # INDEX_CATCH_UP_EVERY runs): three descriptors per store, opened once.
    client.search_runs(["0"])
    before = _open_fds()
    for i in range(2000):
        c = Client()
        rid = c.create_run("0").info.run_id
        c.log_batch(rid, metrics=[Metric("rmse", 1.0 / (i + 1), 0, 0)], params=[Param("i", str(i))])
        c.set_terminated(rid)
    # The writer cache is bounded (256) but a finished run keeps nothing open.
    assert _open_fds() - before <= 2


@pytest.mark.parametrize("path", ["set_terminated", "update_run", "fluent_end_run", "killed"])
def test_every_way_of_ending_a_run_closes_its_log(store_path: Path, path: str) -> None:
    client = Client()
    client.set_terminated(client.create_run("0").info.run_id)
    before = _open_fds()
    for _ in range(300):
        if path == "fluent_end_run":
            with litetrack.start_run():
                litetrack.log_metric("m", 1.0)
            continue
        rid = client.create_run("0").info.run_id
        client.log_metric(rid, "m", 1.0)
        if path == "set_terminated":
            client.set_terminated(rid)
        elif path == "update_run":
            client.update_run(rid, status="FINISHED")
        else:
            client.set_terminated(rid, status="KILLED")
    assert _open_fds() - before <= 2


def test_logging_to_finished_runs_stays_bounded(store_path: Path) -> None:
    client = Client()
    ids = []
    for _ in range(300):
        rid = client.create_run("0").info.run_id
        client.set_terminated(rid)
        ids.append(rid)
    before = _open_fds()
    for rid in ids:  # MLflow allows logging to a finished run
        client.log_metric(rid, "late", 2.0)
    # At most the bounded writer cache (256) of descriptors stays open.
    assert _open_fds() - before <= 257
    assert client.get_run(ids[0]).data.metrics["late"] == 2.0
