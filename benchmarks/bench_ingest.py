"""The first look after a sweep (issue 15): index ingest, first search, `ls`.

Usage: python benchmarks/bench_ingest.py [--runs 5000] [--ls-runs 10000] [--rebuild-runs 100000] [--dir DIR]

Writes a sweep of N runs (10 params, 5 tags, 5 metrics each) with the fluent
API, then times, each in a fresh process where the issue says so:

* the fluent run lifecycle next to the bare filesystem floor of a run;
* the first ``search_runs`` (filter + order) in a fresh process right after
  the sweep, as a list (and whether pandas got imported) and as a DataFrame;
* ingest per run: a full rebuild, and a refresh picking up N new runs;
* ``python -m litetrack ls EXP`` right after a sweep of ``--ls-runs`` runs.
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
import zlib
from pathlib import Path

# The bare filesystem floor of a run, measured the same way as bench_tracking.py does.
from bench_tracking import fs_floor  # noqa: E402  (a sibling script: benchmarks/ is on sys.path)

# Installed packages run from compiled bytecode; this machine sets
# PYTHONDONTWRITEBYTECODE, which would recompile litetrack in every child.
BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

FIRST_SEARCH = """
import json, sys, time
t = time.perf_counter()
import litetrack
litetrack.set_tracking_uri(sys.argv[1])
kw = dict(filter_string="metrics.metric_0 < 40 and params.param_1 = '6'", order_by=["metrics.metric_0"])
if sys.argv[2] == "list":
    out = litetrack.search_runs(experiment_names=["sweep"], output_format="list", **kw)
else:
    out = litetrack.search_runs(experiment_names=["sweep"], **kw)
print(json.dumps({"s": time.perf_counter() - t, "n": len(out), "pandas": "pandas" in sys.modules}))
"""


def sweep(store: str, n: int, experiment: str = "sweep", start: int = 0) -> float:
    """Write n runs; return seconds per run."""
    import litetrack

    litetrack.set_tracking_uri(store)
    litetrack.set_experiment(experiment)
    tags = {f"tag_{i}": f"value-{i}" for i in range(5)}
    t = time.perf_counter()
    for i in range(start, start + n):
        with litetrack.start_run(capture_source=False, capture_environment=False):
            litetrack.log_params({f"param_{j}": (i + j) % 10 for j in range(10)})
            litetrack.set_tags(tags)
            litetrack.log_metrics({f"metric_{j}": (i * 7919 % 1000) / 10 + j for j in range(5)})
    dt = (time.perf_counter() - t) / n
    litetrack.set_tracking_uri(None)
    return dt


def python_floor(n: int, parent: str | None, summary: bool) -> float:
    """Seconds per run of the least Python that makes a run's writes.

    The writes of the fluent lifecycle (mkdir, the atomic document,
    a journal line, the log, its three batch appends and the status record,
    the journal line of the end), with no validation and no layers:
    a lower bound of any Python writer of this store format. ``summary``
    also builds the end-of-run index summary (row, metric summaries, view)
    with litetrack's own encoders, as the writer does so that readers
    ingest a run without opening it (the ingest figures rest on it).
    """
    import uuid

    from litetrack.store.runlog import apply_metric, index_row_json, index_stats_json, index_view_json

    with tempfile.TemporaryDirectory(dir=parent) as d:
        journal = os.open(f"{d}/changes.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        tags = {f"tag_{j}": f"value-{j}" for j in range(5)}
        tag_lines = b"".join(f'{{"tag":"{k}","value":"{v}"}}\n'.encode() for k, v in tags.items())
        t = time.perf_counter()
        for i in range(n):
            run_id = uuid.uuid4().hex
            run = f"{d}/{run_id}"
            os.mkdir(run)
            now = int(time.time() * 1000)
            doc = {
                "schema_version": 1, "run_id": run_id, "experiment_id": "1", "run_name": "x",
                "user_id": "u", "status": "RUNNING", "start_time": now, "end_time": None,
                "lifecycle_stage": "active", "deleted_time": None, "artifact_uri": f"runs:/{run_id}",
                "pid": 1, "host": "h", "proc_start": 1, "parent_run_id": None, "params": {},
                "tags": {"mlflow.runName": "x", "mlflow.user": "u"}, "metrics": {},
                "log_offset": 0, "inputs": [],
            }
            fd = os.open(f"{run}/.tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, json.dumps(doc, separators=(",", ":"), sort_keys=True).encode())
            os.close(fd)
            os.replace(f"{run}/.tmp", f"{run}/run.json")
            os.write(journal, b"\n" + run_id.encode() + b"\n")
            log = os.open(f"{run}/log.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            params = {f"param_{j}": str((i + j) % 10) for j in range(10)}
            os.write(log, b"".join(f'{{"param":"{k}","value":"{v}"}}\n'.encode() for k, v in params.items()))
            os.write(log, tag_lines)
            metrics = {f"metric_{j}": (i * 7919 % 1000) / 10 + j for j in range(5)}
            os.write(log, b"".join(
                f'{{"key":"{k}","value":{v!r},"timestamp":{now},"step":0}}\n'.encode() for k, v in metrics.items()
            ))
            end = f'{{"status":"FINISHED","end_time":{now}'
            line = b"\n" + run_id.encode() + b"\n"
            if summary:
                doc["params"] = params
                doc["tags"].update(tags)
                for k, v in metrics.items():
                    apply_metric(doc["metrics"], k, v, now, 0)
                doc["status"], doc["end_time"] = "FINISHED", now
                parts = (index_row_json(doc), index_stats_json(doc), index_view_json(doc))
                end += f',"row":{parts[0]},"stats":{parts[1]},"view":{parts[2]}'
                body = "\t".join(parts).encode()
                line = b"\n" + run_id.encode() + b"\t%08x\t%s\n" % (zlib.crc32(body), body)
            os.write(log, (end + "}\n").encode())
            os.close(log)
            os.write(journal, line)
        dt = (time.perf_counter() - t) / n
        os.close(journal)
        return dt


def drop_index(store: str) -> None:
    """Delete the store's search index (a cache): the next reader ingests every run."""
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(f"{store}/index.sqlite{suffix}")
        except FileNotFoundError:
            pass


def first_search(store: str, fmt: str) -> dict[str, object]:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", FIRST_SEARCH, store, fmt],
        check=True, capture_output=True, text=True, env=BYTECODE_ENV,
    ).stdout
    res: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    res["wall"] = time.perf_counter() - t
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5000)
    ap.add_argument("--ls-runs", type=int, default=10_000)
    ap.add_argument("--rebuild-runs", type=int, default=0,
                    help="also time the rebuild of an index over a sweep this large (e.g. 100000)")
    ap.add_argument("--dir", default=None, help="parent folder of the temporary stores")
    args = ap.parse_args()
    os.environ.pop("LITETRACK_STORE", None)
    os.environ.pop("LITETRACK_INDEX", None)
    n = args.runs

    store = tempfile.mkdtemp(prefix="litetrack-bench-ingest-", dir=args.dir)
    try:
        # The sweep and the filesystem floor alternate in chunks of 250 runs:
        # this disk's metadata speed drifts several-fold within minutes, and a
        # ratio of two figures taken minutes apart measures the drift.
        from litetrack.store.index import SearchIndex

        # The writer's share of the index (Store._index_catch_up), timed apart.
        caught: list[float] = []
        real_catch_up = SearchIndex.catch_up

        def timed_catch_up(self: SearchIndex) -> None:
            t = time.perf_counter()
            real_catch_up(self)
            caught.append(time.perf_counter() - t)

        SearchIndex.catch_up = timed_catch_up  # type: ignore[method-assign]
        chunk, spent, floor_spent, done = 250, 0.0, 0.0, 0
        user = system = floor_system = 0.0
        bare = {False: 0.0, True: 0.0}
        while done < n:
            k = min(chunk, n - done)
            before = os.times()
            floor_spent += fs_floor(k, args.dir) * k
            floor_system += os.times().system - before.system
            for with_summary in bare:
                bare[with_summary] += python_floor(k, args.dir, with_summary) * k
            before = os.times()
            spent += sweep(store, k, start=done) * k
            after = os.times()
            user += after.user - before.user
            system += after.system - before.system
            done += k
        SearchIndex.catch_up = real_catch_up  # type: ignore[method-assign]
        per_run, floor = spent / n, floor_spent / n
        print(f"fluent run lifecycle (start, 10 params, 5 tags, 5 metrics, end): {per_run * 1e6:.0f} us/run "
              f"over {n:,} runs; filesystem floor {floor * 1e6:.0f} us/run, interleaved in chunks of "
              f"{chunk} ({per_run / floor:.2f}x)")
        # Where the time goes: user CPU is the Python (and JSON, SQLite) work,
        # system CPU the filesystem calls the floor also makes.
        print(f"  CPU per run: {user / n * 1e6:.0f} us user + {system / n * 1e6:.0f} us system "
              f"(the floor: {floor_system / n * 1e6:.0f} us system)")
        print(f"  the least Python making the same writes: {bare[False] / n * 1e6:.0f} us/run "
              f"({bare[False] / floor_spent:.2f}x the floor); with the end-of-run index summary "
              f"the ingest figures rest on: {bare[True] / n * 1e6:.0f} us/run ({bare[True] / floor_spent:.2f}x)")
        print(f"  of which the writer's index catch-ups: {sum(caught) / n * 1e6:.0f} us/run "
              f"({len(caught)} catch-ups, {1e3 * sum(caught) / max(len(caught), 1):.1f} ms each)")
        # Each first search meets an unindexed store: the index is deleted in
        # between (a copy of the store would lose the writers' summaries,
        # which name the documents' inodes, and show the slow path instead).
        for fmt in ("list", "pandas"):
            tries = []
            for _ in range(3):
                drop_index(store)
                tries.append(first_search(store, fmt))
            r = min(tries, key=lambda x: float(x["s"]))  # type: ignore[arg-type]
            kind = "list" if fmt == "list" else "DataFrame"
            print(f"first search_runs, {kind}, fresh process, {n:,} runs just written: {r['s']:.3f} s in process, "
                  f"{r['wall']:.3f} s wall, best of 3 ({r['n']} matches; pandas imported: {r['pandas']})")
        walls = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import pandas"], check=True, env=BYTECODE_ENV)
            walls.append(time.perf_counter() - t)
        print(f"  for reference: python -c 'import pandas' {min(walls):.3f} s wall, best of 3")

        from litetrack.store.core import Store

        idx = Store(Path(store)).search_index()
        best = []
        for _ in range(3):
            t = time.perf_counter()
            count = idx.rebuild(from_files=False)
            best.append(time.perf_counter() - t)
        print(f"full index rebuild of {count:,} runs (a missing index): {min(best):.3f} s "
              f"({min(best) / count * 1e6:.0f} us/run, best of 3)")
        best = []
        for _ in range(3):
            t = time.perf_counter()
            count = idx.rebuild()
            best.append(time.perf_counter() - t)
        print(f"  `reindex` of the same (every run's files looked at): {min(best):.3f} s "
              f"({min(best) / count * 1e6:.0f} us/run, best of 3)")

        sweep(store, n, start=n)
        idx.close()
        idx = Store(Path(store)).search_index()
        t = time.perf_counter()
        idx.refresh()
        dt = time.perf_counter() - t
        print(f"refresh picking up {n:,} new runs (index of {n:,} runs open): {dt:.3f} s ({dt / n * 1e6:.0f} us/run)")
        idx.close()
    finally:
        shutil.rmtree(store, ignore_errors=True)

    store = tempfile.mkdtemp(prefix="litetrack-bench-ls-", dir=args.dir)
    ls_cmd = [sys.executable, "-m", "litetrack", "--store", store, "ls", "big", "--width", "120"]

    def ls() -> float:
        t = time.perf_counter()
        subprocess.run(ls_cmd, check=True, stdout=subprocess.DEVNULL, env=BYTECODE_ENV)
        return time.perf_counter() - t

    try:
        from litetrack.store.runs import INDEX_CATCH_UP_EVERY

        # One run short of the sweep: the sweeping process caught the index up
        # every INDEX_CATCH_UP_EVERY runs, so the first reader ingests the
        # most it can be left (INDEX_CATCH_UP_EVERY - 1 runs).
        sweep(store, args.ls_runs - 1, experiment="big")
        left = (args.ls_runs - 1) % INDEX_CATCH_UP_EVERY
        first = ls()
        print(f"python -m litetrack ls EXP right after a {args.ls_runs - 1:,}-run sweep (prints every run), "
              f"index as the sweep left it ({left} runs left to ingest): {first:.2f} s wall")
        firsts = []
        for _ in range(3):
            # The index deleted: every try ingests the whole sweep.
            drop_index(store)
            firsts.append(ls())
        again = ls()
        print(f"  same with no index at all (ingests all {args.ls_runs - 1:,} runs): {min(firsts):.2f} s wall, "
              f"best of 3; with the index up to date {again:.2f} s")
    finally:
        shutil.rmtree(store, ignore_errors=True)

    if args.rebuild_runs:
        store = tempfile.mkdtemp(prefix="litetrack-bench-rebuild-", dir=args.dir)
        try:
            t = time.perf_counter()
            sweep(store, args.rebuild_runs)
            print(f"  (sweep of {args.rebuild_runs:,} runs written in {time.perf_counter() - t:.0f} s)")
            from litetrack.store.core import Store

            idx = Store(Path(store)).search_index()
            t = time.perf_counter()
            count = idx.rebuild(from_files=False)
            dt = time.perf_counter() - t
            print(f"full index rebuild of {count:,} runs (a missing index): {dt:.2f} s ({dt / count * 1e6:.0f} us/run)")
            idx.close()
        finally:
            shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
