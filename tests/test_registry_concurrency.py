"""Many processes registering and promoting at once: no version lost, duplicated or doubled."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from litetrack import Client

WORKERS = 8
PER_WORKER = 25


def _register_worker(args: tuple[str, int, Any]) -> list[tuple[int, str]]:
    """Create PER_WORKER runs, wait for the common start, then register them all as 'shared'."""
    store, worker, start = args
    import litetrack
    from litetrack.registry import register_model

    litetrack.set_tracking_uri(store)
    run_ids = []
    for i in range(PER_WORKER):
        with litetrack.start_run() as run:
            litetrack.log_text(f"worker {worker} model {i}", "model/model.txt")
            litetrack.log_text("flavors: {}\n", "model/MLmodel")
        run_ids.append(run.info.run_id)
    start.wait(timeout=600)
    return [(register_model(f"runs:/{rid}/model", "shared").version, rid) for rid in run_ids]


@pytest.mark.slow
def test_concurrent_registrations_give_exactly_versions_1_to_200(store_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    # Every worker has imported and created its runs before any registers,
    # however slowly the machine starts them (one task per pool process).
    with ctx.Manager() as manager, ctx.Pool(WORKERS) as pool:
        start = manager.Barrier(WORKERS)
        results = pool.map(
            _register_worker, [(str(store_path), w, start) for w in range(WORKERS)], chunksize=1
        )
    got = [pair for r in results for pair in r]
    total = WORKERS * PER_WORKER
    assert sorted(v for v, _ in got) == list(range(1, total + 1))
    assert len({rid for _, rid in got}) == total
    # The registrations really overlapped: version order switches between workers often.
    owner = {v: w for w, r in enumerate(results) for v, _ in r}
    switches = sum(owner[v] != owner[v + 1] for v in range(1, total))
    assert switches > WORKERS, f"registrations did not overlap ({switches} switches)"
    c = Client(str(store_path))
    versions = {mv.version: mv for mv in c.search_model_versions("name = 'shared'")}
    assert sorted(versions) == list(range(1, total + 1))
    for v, rid in got:
        mv = versions[v]
        assert mv.run_id == rid and mv.source == f"runs:/{rid}/model"
        # Each version pins its own run's model file.
        from litetrack.registry import resolve_model_uri
        from litetrack.store.artifacts import materialize

        folder = materialize(*resolve_model_uri(f"models:/shared/{v}", c.store))
        assert (folder / "model.txt").read_text().startswith("worker ")
    assert c.get_registered_model("shared").latest_versions[0].version == total
    history = c.get_registered_model_history("shared")
    assert [h["action"] for h in history].count("create_model") == 1
    assert sorted(h["version"] for h in history if h["action"] == "create_version") == list(
        range(1, total + 1)
    )


def _transition_worker(args: tuple[str, int, Any, int]) -> int:
    store, worker, start, rounds = args
    from litetrack import Client

    c = Client(store)
    start.wait(timeout=600)
    for i in range(rounds):
        version = 1 + (worker * rounds + i) % 10
        c.transition_model_version_stage(
            "m", version, "Production", archive_existing_versions=True, comment=f"worker {worker}"
        )
        if i % 3 == 0:
            c.set_registered_model_alias("m", "champion", version)
    return rounds


@pytest.mark.slow
def test_concurrent_promotions_leave_exactly_one_production_version(store_path: Path) -> None:
    import litetrack
    from litetrack.registry import register_model

    with litetrack.start_run() as run:
        litetrack.log_text("m", "model/MLmodel")
    for _ in range(10):
        register_model(f"runs:/{run.info.run_id}/model", "m")
    rounds = 15
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(WORKERS) as pool:
        start = manager.Barrier(WORKERS)
        done = pool.map(
            _transition_worker,
            [(str(store_path), w, start, rounds) for w in range(WORKERS)],
            chunksize=1,
        )
    assert sum(done) == WORKERS * rounds
    c = Client(str(store_path))
    stages = [c.get_model_version("m", v).current_stage for v in range(1, 11)]
    assert stages.count("Production") == 1
    assert set(stages) <= {"Production", "Archived", "None"}
    assert len(c.get_latest_versions("m", ["Production"])) == 1
    # Replaying the history gives the same stages: every move was recorded, in commit order.
    replay = {v: "None" for v in range(1, 11)}
    for h in c.get_registered_model_history("m"):
        if h["action"] == "transition_stage":
            assert replay[h["version"]] == h["from"]
            replay[h["version"]] = h["to"]
    assert [replay[v] for v in range(1, 11)] == stages
    from litetrack.store.registry.store import model_key

    doc = json.loads((store_path / "registry" / model_key("m") / "model.json").read_text())
    assert len(doc["stages"]["Production"]) == 1
