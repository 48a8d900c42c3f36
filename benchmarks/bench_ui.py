"""The web UI: start-up, the runs table on a large experiment, a big chart in Chromium.

Usage: python benchmarks/bench_ui.py [--runs 10000] [--table-runs 100000] [--store DIR]

1. ``python -m litetrack ui`` on a store of ``--runs`` runs: wall time from
   starting the process to the first page (index.html, /api/config,
   /api/experiments and the first runs page) answered.  Target < 1 s.
2. The runs table of an experiment of ``--table-runs`` runs: first page
   (50 rows) with a filter and a sort, server time (measured in the handler)
   and wall time of the HTTP request, best of 5.  Target < 300 ms.
3. A chart of 10 runs x 10,000 steps in headless Chromium (the compare
   page): fetch time and chart build + paint time from the page's own
   performance.now() marks.  Target < 1 s.

The stores are built with ordinary litetrack calls (source and environment
capture off); ``--store`` keeps and reuses them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def build_runs(store: str, name: str, n: int) -> str:
    """An experiment of n runs with 10 params and 5 metrics each (reused when present)."""
    import litetrack

    litetrack.set_tracking_uri(store)
    c = litetrack.Client(store)
    exp = c.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    eid = c.create_experiment(name)
    t = time.perf_counter()
    for i in range(n):
        with litetrack.start_run(
            experiment_id=eid, capture_source=False, capture_environment=False
        ):
            litetrack.log_params(
                {
                    "max_depth": i % 10,
                    "learning_rate": 0.01 * (i % 7),
                    "min_child_weight": i % 5,
                    "subsample": 0.5 + (i % 5) / 10,
                    "colsample": 0.8,
                    "reg_alpha": i % 3,
                    "reg_lambda": i % 4,
                    "objective": "reg:squarederror",
                    "seed": 42,
                    "n_estimators": 100 + i % 50,
                }
            )
            litetrack.log_metrics(
                {
                    "rmse": 5 + (i * 7919 % 1000) / 250,
                    "mae": 3 + (i % 13) / 10,
                    "r2": 0.5,
                    "train_rmse": 4.0,
                    "duration_s": 1.0,
                }
            )
        if (i + 1) % 10000 == 0:
            rate = (i + 1) / (time.perf_counter() - t)
            print(f"  {name}: built {i + 1} runs ({rate:,.0f} runs/s)", flush=True)
    return eid


def build_curves(store: str, runs: int = 10, steps: int = 10_000) -> list[str]:
    """10 runs logging one metric for 10,000 steps each (one log_batch per run)."""
    import litetrack
    from litetrack.entities import Metric

    c = litetrack.Client(store)
    exp = c.get_experiment_by_name("curves")
    if exp is not None:
        return [r.info.run_id for r in c.search_runs([exp.experiment_id], max_results=runs)]
    eid = c.create_experiment("curves")
    ids = []
    now = int(time.time() * 1000)
    for r in range(runs):
        run = c.create_run(eid, run_name=f"curve-{r}")
        rid = run.info.run_id
        c.log_batch(
            rid,
            metrics=[
                Metric("loss", 1.0 / (s + 1) + r * 0.01, now + s * 10, s) for s in range(steps)
            ],
        )
        c.set_terminated(rid)
        ids.append(rid)
    return ids


def get(url: str, timeout: float = 120) -> tuple[float, bytes]:
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read()
    return time.perf_counter() - t, body


def bench_startup(store: str, eid: str, n: int) -> None:
    best = []
    for _ in range(3):
        t = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "litetrack",
                "--store",
                store,
                "ui",
                "--port",
                "0",
                "--no-browser",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=BYTECODE_ENV,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            url = line.split(" on ", 1)[1].split()[0]
            get(url)
            get(url + "api/config")
            get(url + "api/experiments")
            get(url + f"api/runs?experiment_ids={eid}&max_results=50")
            best.append(time.perf_counter() - t)
        finally:
            proc.terminate()
            proc.wait(10)
    print(
        f"ui start + first page (index, config, experiments, 50 runs) on a {n:,}-run store: "
        f"{min(best):.2f} s wall (best of 3; includes interpreter start)"
    )


def bench_table(store: str, eid: str, n: int) -> None:
    import threading

    import uvicorn

    import litetrack
    from litetrack.ui.app import create_app

    # Bring the derived index up to date first (a fresh bulk-written store
    # catches up on its first search); the UI then reads it as any search does.
    t = time.perf_counter()
    litetrack.Client(store).search_runs([eid], max_results=1)
    print(f"  index catch-up before serving: {time.perf_counter() - t:.1f} s", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(create_app(store), host="127.0.0.1", port=0, log_level="warning")
    )
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}/api/runs?experiment_ids={eid}&max_results=50"
    from urllib.parse import quote

    cases = [
        (
            "filter + sort by metric",
            "metrics.rmse < 6 and params.max_depth = '6'",
            "metrics.rmse ASC",
        ),
        ("filter + sort by duration", "params.max_depth = '6'", "attributes.duration DESC"),
        ("no filter, sort by param", "", "params.n_estimators DESC"),
    ]
    try:
        get(base)  # warm: index refresh
        for label, flt, order in cases:
            url = base + f"&filter={quote(flt)}&order_by={quote(order)}"
            server_ms, wall = [], []
            for _ in range(5):
                dt, body = get(url)
                server_ms.append(json.loads(body)["server_ms"])
                wall.append(dt * 1000)
            print(
                f"runs table first page, {n:,}-run experiment, {label}: "
                f"server {min(server_ms):.0f} ms, HTTP wall {min(wall):.0f} ms (best of 5)"
            )
    finally:
        server.should_exit = True
        th.join(10)


def bench_chart(store: str, ids: list[str]) -> None:
    import threading

    import uvicorn
    from playwright.sync_api import sync_playwright

    from litetrack.ui.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(create_app(store), host="127.0.0.1", port=0, log_level="warning")
    )
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/#/compare?runs={','.join(ids)}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            results = []
            for _ in range(3):
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                t = time.perf_counter()
                page.goto(url)
                page.wait_for_selector("#curve-chart[data-rendered='10']", timeout=60_000)
                wall = time.perf_counter() - t
                el = page.locator("#curve-chart")
                results.append(
                    (
                        float(el.get_attribute("data-render-ms") or "nan"),
                        float(el.get_attribute("data-fetch-ms") or "nan"),
                        wall,
                    )
                )
                page.close()
            browser.close()
        render, fetch, wall = min(results)
        print(
            f"chart of 10 runs x 10,000 steps in headless Chromium: build + paint {render:.0f} ms, "
            f"history fetch {fetch:.0f} ms, whole compare page load {wall:.2f} s (best of 3)"
        )
    finally:
        server.should_exit = True
        th.join(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000, help="runs of the start-up store")
    ap.add_argument("--table-runs", type=int, default=100_000, help="runs of the big experiment")
    ap.add_argument("--store", default=None, help="keep/reuse the stores under this folder")
    args = ap.parse_args()
    root = Path(args.store or tempfile.mkdtemp(prefix="litetrack-bench-ui-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        small = str(root / "small")
        eid = build_runs(small, "sweep", args.runs)
        bench_startup(small, eid, args.runs)
        big = str(root / "big")
        big_eid = build_runs(big, "sweep", args.table_runs)
        bench_table(big, big_eid, args.table_runs)
        ids = build_curves(small)
        bench_chart(small, ids)
    finally:
        if not args.store:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
