"""Time the compiled SQL of a typical search over a 100k-run index.

    PYTHONPATH=. python benchmarks/bench_filter.py [--runs 100000] [--no-analyze] [--rebuild]

Builds (or reuses) an index with N runs (one experiment), 5 metrics and 10
params each, then times a few filters, the target being
``metrics.rmse < 0.5 and params.max_depth = '6'`` ordered by ``metrics.rmse``
(median of 5, fetching every row). Not part of the test run.

Results (2-core shared VM, Python 3.11.7, SQLite 3.40.1, 100,000 runs):

    with ANALYZE    target  34 ms (5127 rows)   same with LIMIT 1000: 33 ms
    --no-analyze    target 190 ms               (plan: metrics_by_last range scan)
    OR of the two predicates, no limit: 510 ms (LEFT JOINs cannot be reordered)
    no filter, default order, LIMIT 1000: 0.8 ms; ordered by a metric: 215 ms
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import time

from litetrack.query import (
    INDEX_SCHEMA,
    compile_sql,
    configure_connection,
    parse_filter,
    parse_order_by,
)

METRICS = ["rmse", "mae", "r2", "loss", "val_loss"]
PARAMS = [f"p{i}" for i in range(9)] + ["max_depth"]


def build(path: str, n: int) -> None:
    rng = random.Random(0)
    conn = sqlite3.connect(path)
    conn.executescript(INDEX_SCHEMA)
    runs, params, metrics = [], [], []
    for i in range(n):
        run_id = f"{rng.getrandbits(128):032x}"
        runs.append(
            (
                run_id,
                "1",
                f"run-{i}",
                "FINISHED",
                1_700_000_000_000 + i * 1000,
                None,
                f"/store/runs/{run_id}/artifacts",
                "me",
                "active",
                "{}",
            )
        )
        for key in PARAMS:
            value = str(rng.randint(1, 10)) if key == "max_depth" else str(rng.random())
            params.append((run_id, key, value))
        for key in METRICS:
            v = rng.random()
            metrics.append((run_id, key, v, v * 0.9, v * 1.1, v * 2, 10))
    conn.executemany("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)", runs)
    conn.executemany("INSERT INTO params VALUES (?,?,?)", params)
    conn.executemany("INSERT INTO metrics VALUES (?,?,?,?,?,?,?)", metrics)
    conn.commit()
    conn.close()


def timed(
    conn: sqlite3.Connection, sql: str, params: list[object], repeat: int = 5
) -> tuple[float, int]:
    times = []
    rows = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = len(conn.execute(sql, params).fetchall())
        times.append(time.perf_counter() - t0)
    return statistics.median(times), rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100_000)
    ap.add_argument("--db", default="/tmp/litetrack_bench_index.sqlite")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--no-analyze", action="store_true", help="drop the planner statistics")
    args = ap.parse_args()
    if args.rebuild and os.path.exists(args.db):
        os.remove(args.db)
    if not os.path.exists(args.db):
        t0 = time.perf_counter()
        build(args.db, args.runs)
        print(f"built {args.runs} runs in {time.perf_counter() - t0:.1f} s")
    conn = sqlite3.connect(args.db)
    if args.no_analyze:
        conn.execute("DROP TABLE IF EXISTS sqlite_stat1")
    else:
        conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    conn = sqlite3.connect(args.db)  # a fresh connection reads the statistics as they are now
    configure_connection(conn)
    cases = [
        ("metrics.rmse < 0.5 and params.max_depth = '6'", ["metrics.rmse"]),
        ("metrics.rmse < 0.05 and params.max_depth = '6'", ["metrics.rmse"]),
        ("metrics.rmse < 0.5 or params.max_depth = '6'", ["metrics.rmse DESC"]),
        ("params.max_depth ILIKE '6'", []),
        ("", ["metrics.rmse"]),
        ("", []),
    ]
    for text, order in cases:
        for limit in (None, 1000):
            sql, params = compile_sql(
                parse_filter(text),
                parse_order_by(order),
                experiment_ids=["1"],
                lifecycle_stages=["active"],
                limit=limit,
            )
            seconds, rows = timed(conn, sql, params)
            print(f"{seconds * 1000:8.1f} ms  {rows:6d} rows  limit={limit!s:5}  {text!r} {order}")


if __name__ == "__main__":
    main()
