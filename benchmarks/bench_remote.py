"""Benchmark of push/pull through a remote (S3 on a loopback moto server, and a folder).

Run: ``python benchmarks/bench_remote.py [--runs 200] [--mb 100] [--big-runs 10000]``

Prints, in one run:

* **push throughput**: a store of ``--runs`` runs holding ``--mb`` MB of
  artifacts, half of them duplicate bytes (each run logs one file of its own
  and one file every run shares), pushed to S3 on moto: bytes sent, bytes
  skipped, seconds, MB/s of distinct bytes; next to obstore itself uploading
  the same distinct files with the same parallelism (the ceiling: moto, a
  Python server, is the bottleneck on loopback, not the client);
* **pull** of that remote into an empty store;
* **second push of an unchanged store** of ``--big-runs`` runs (metrics and
  params, no artifacts) to a folder remote: it must not list or head anything;
* with ``--registry``: resolving ``models:/NAME/Production`` on the S3
  registry (first call, then a cached second load).

Keep it modest on a shared machine: the defaults take about a minute.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_REGION", "us-east-1")

from litetrack.client import Client  # noqa: E402
from litetrack.store.remote.config import add_remote  # noqa: E402
from litetrack.store.remote.sync import WORKERS, pull, push  # noqa: E402


def build_artifact_store(root: Path, runs: int, mb: float) -> tuple[Client, list[Path]]:
    """``runs`` runs, each with an own file and the shared one (same size): half duplicates."""
    client = Client(str(root))
    eid = client.create_experiment("bench")
    per_file = int(mb * 1e6 / (2 * runs))
    files = root.parent / "files"
    files.mkdir()
    shared = files / "shared.bin"
    shared.write_bytes(os.urandom(per_file))
    distinct = [shared]
    for i in range(runs):
        rid = client.create_run(eid).info.run_id
        own = files / f"own-{i}.bin"
        own.write_bytes(os.urandom(per_file))
        distinct.append(own)
        client.log_artifact(rid, str(own))
        client.log_artifact(rid, str(shared))
        client.log_metric(rid, "loss", 0.5)
        client.set_terminated(rid)
    return client, distinct


def build_big_store(root: Path, runs: int) -> Client:
    """``runs`` finished runs with a few params and metrics each."""
    client = Client(str(root))
    eid = client.create_experiment("big")
    for i in range(runs):
        rid = client.create_run(eid).info.run_id
        client.log_param(rid, "i", str(i))
        client.log_metric(rid, "m", i * 0.1)
        client.set_terminated(rid)
    return client


class ProcServer:
    """moto's S3 server in its own process on 127.0.0.1 (a benchmark must not share the GIL
    with the server it measures)."""

    def __init__(self) -> None:
        import socket
        import subprocess
        import urllib.request

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.endpoint = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.05)

    def new_bucket(self) -> str:
        """A fresh bucket."""
        import uuid

        import boto3

        name = f"bench-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1").create_bucket(
            Bucket=name
        )
        return name

    def stop(self) -> None:
        """Stop the server process."""
        self.proc.terminate()
        self.proc.wait()


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--big-runs", type=int, default=10_000)
    ap.add_argument("--registry", action="store_true", help="also time models:/ on the S3 registry")
    args = ap.parse_args()

    import obstore
    from obstore.store import from_url

    server = ProcServer()
    tmp = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    try:
        print(f"building {args.runs} runs with {args.mb:.0f} MB of artifacts (half duplicate)...")
        client, distinct = build_artifact_store(tmp / "a", args.runs, args.mb)
        distinct_bytes = sum(p.stat().st_size for p in distinct)

        # obstore on its own: the distinct files, same parallelism as push.
        bucket = server.new_bucket()
        store = from_url(
            f"s3://{bucket}/raw", endpoint=server.endpoint, client_options={"allow_http": True}
        )
        t = time.perf_counter()
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda p: obstore.put(store, p.name, p), distinct))
        raw_s = time.perf_counter() - t
        print(
            f"obstore alone: {len(distinct)} files, {mb(distinct_bytes)} in {raw_s:.2f} s "
            f"= {distinct_bytes / 1e6 / raw_s:.1f} MB/s"
        )

        url = f"s3://{server.new_bucket()}/team"
        add_remote(client.store.root, "s3", url, endpoint_url=server.endpoint, default=True)
        t = time.perf_counter()
        rep = push(client.store, "s3", progress=False)
        push_s = time.perf_counter() - t
        print(
            f"push:  {rep.runs} runs, {rep.blobs_sent} blobs, sent {mb(rep.bytes_sent)}, "
            f"skipped {mb(rep.bytes_skipped)} in {push_s:.2f} s = "
            f"{rep.bytes_sent / 1e6 / push_s:.1f} MB/s ({raw_s / push_s:.0%} of obstore alone)"
        )
        t = time.perf_counter()
        rep = push(client.store, "s3", progress=False)
        again = time.perf_counter() - t
        print(f"push again (unchanged): {rep.runs_unchanged} runs unchanged in {again:.3f} s")

        c = Client(str(tmp / "c"))
        add_remote(c.store.root, "s3", url, endpoint_url=server.endpoint)
        t = time.perf_counter()
        rep = pull(c.store, "s3", progress=False)
        pull_s = time.perf_counter() - t
        print(
            f"pull:  {rep.runs} runs, {rep.blobs_sent} blobs, {mb(rep.bytes_sent)} "
            f"in {pull_s:.2f} s = {rep.bytes_sent / 1e6 / pull_s:.1f} MB/s"
        )
        shutil.rmtree(tmp / "a")
        shutil.rmtree(tmp / "c")
        shutil.rmtree(tmp / "files")

        if args.big_runs:
            print(f"building {args.big_runs} runs for the unchanged-push figure...")
            big = build_big_store(tmp / "big", args.big_runs)
            add_remote(big.store.root, "folder", (tmp / "remote").as_uri(), default=True)
            t = time.perf_counter()
            rep = push(big.store, progress=False)
            print(
                f"first push of {rep.runs} runs to a folder remote: {time.perf_counter() - t:.2f} s"
            )
            times = []
            for _ in range(3):
                t = time.perf_counter()
                rep = push(big.store, progress=False)
                times.append(time.perf_counter() - t)
            print(
                f"second push of the unchanged {rep.runs_unchanged}-run store: "
                f"best {min(times):.3f} s of 3"
            )

        if args.registry:
            bench_registry(server, tmp)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def bench_registry(server: ProcServer, tmp: Path) -> None:
    """Time ``models:/NAME/Production`` on the S3 registry: resolve, first load, second load."""
    import litetrack
    from litetrack.registry import resolve_model_uri
    from litetrack.store.artifacts import materialize

    os.environ["AWS_ENDPOINT_URL"] = server.endpoint
    os.environ["AWS_ALLOW_HTTP"] = "true"
    litetrack.set_registry_uri(f"s3://{server.new_bucket()}/team")
    a = Client(str(tmp / "reg-a"))
    folder = tmp / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "model.bin").write_bytes(os.urandom(2_000_000))
    for _ in range(5):
        mv = litetrack.register_model(str(folder), "taxi", store=a.store)
    a.transition_model_version_stage("taxi", mv.version, "Production")
    b = Client(str(tmp / "reg-b"))  # another machine: nothing cached yet
    from litetrack.store.registry.reader import RegistryReader
    from litetrack.store.registry.store import registry_for
    from litetrack.store.registry.uris import parse_model_uri

    reg, ref = registry_for(b.store), parse_model_uri("models:/taxi/Production")
    lookups = []
    for _ in range(5):
        t = time.perf_counter()
        RegistryReader.resolve(reg, ref)  # the two documents only, no download
        lookups.append(time.perf_counter() - t)
    print(
        f"models:/taxi/Production lookup on S3 (model.json + version doc): "
        f"best {min(lookups) * 1000:.1f} ms, worst {max(lookups) * 1000:.1f} ms of 5"
    )
    t = time.perf_counter()
    store, files = resolve_model_uri("models:/taxi/Production", store=b.store)
    first = time.perf_counter() - t
    t = time.perf_counter()
    materialize(store, files)
    mat = time.perf_counter() - t
    times = []
    for _ in range(5):
        t = time.perf_counter()
        store, files = resolve_model_uri("models:/taxi/Production", store=b.store)
        materialize(store, files)
        times.append(time.perf_counter() - t)
    print(
        f"models:/taxi/Production on S3: first resolve (downloads 2 MB) {first * 1000:.1f} ms, "
        f"materialize {mat * 1000:.1f} ms; later resolve + cached load best "
        f"{min(times) * 1000:.1f} ms of 5"
    )


if __name__ == "__main__":
    main()
