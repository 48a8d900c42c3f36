"""Benchmark of ObjectStore.put_file against plain hashing.

Run: ``python benchmarks/bench_objects.py [--size-mb 200] [--dir /tmp]``

Creates a random file in a temp folder (it stays in the page cache, so this
measures CPU and memory bandwidth, not the disk) and prints, in one run:

* ``sha256sum`` of the file (subprocess, best of 3), and for reference a
  Python ``hashlib`` read+hash loop and ``openssl dgst -sha256`` (coreutils'
  sha256sum may lack the SHA-NI instructions OpenSSL uses, so it can be
  several times slower than the real floor);
* ``put_file`` of the file as new content, best of 3, each into a fresh store;
* ``put_file`` of the same file again (dedup), both within the process (the
  stat cache hit) and with the cache cleared (as from another process);
* bytes on disk in a store after 5 puts of the file.

``os.sync()`` runs before every timed call (outside the timing) so the
kernel's writeback of the previous run's data does not land inside the next.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litetrack.store import objects as objects_mod  # noqa: E402
from litetrack.store.objects import ObjectStore  # noqa: E402

REPEAT = 3


def best_of(
    fn: Callable[[], object], repeat: int = REPEAT, setup: Callable[[], object] | None = None
) -> float:
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        os.sync()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def hashlib_pass(path: Path) -> None:
    hasher = hashlib.sha256()
    buf = bytearray(objects_mod.CHUNK_SIZE)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            hasher.update(view[:n])


def disk_usage(root: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in root.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--dir", default=None, help="where to create the temp folder")
    args = parser.parse_args()
    mb = args.size_mb

    with tempfile.TemporaryDirectory(prefix="bench-objects-", dir=args.dir) as tmp:
        work = Path(tmp)
        src = work / "data.bin"
        with open(src, "wb") as f:
            for _ in range(mb):
                f.write(os.urandom(1 << 20))
        created = time.time()
        print(f"file: {mb} MB random, {src} (load average {os.getloadavg()[0]:.2f})")

        t_sum = best_of(
            lambda: subprocess.run(["sha256sum", str(src)], check=True, capture_output=True)
        )
        t_py = best_of(lambda: hashlib_pass(src))
        print(f"sha256sum {mb}MB: {t_sum:.3f} s")
        print(f"hashlib read+sha256 {mb}MB: {t_py:.3f} s ({t_py / t_sum:.2f}x sha256sum)")
        if shutil.which("openssl"):
            t_ossl = best_of(
                lambda: subprocess.run(
                    ["openssl", "dgst", "-sha256", str(src)], check=True, capture_output=True
                )
            )
            print(f"openssl dgst -sha256 {mb}MB: {t_ossl:.3f} s ({t_ossl / t_sum:.2f}x sha256sum)")

        stores = iter(range(1000))
        current: list[ObjectStore] = []

        def fresh_store() -> None:
            for old in current:
                shutil.rmtree(old.root, ignore_errors=True)
            current[:] = [ObjectStore(work / f"store{next(stores)}" / "objects")]
            objects_mod._stat_cache.clear()

        t_new = best_of(lambda: current[0].put_file(src), setup=fresh_store)
        print(
            f"put_file new {mb}MB: {t_new:.3f} s "
            f"({t_new / t_sum:.2f}x sha256sum, {t_new / t_py:.2f}x hashlib)"
        )

        # Dedup. The stat cache only takes files whose timestamps are older
        # than its racy-timestamp margin, so let the file age past it first.
        margin = objects_mod._RACY_NS / 1e9
        time.sleep(max(0.0, created + margin + 0.1 - time.time()))
        fresh_store()
        store = current[0]
        ref = store.put_file(src)
        t_cold = best_of(lambda: store.put_file(src), setup=objects_mod._stat_cache.clear)
        print(
            f"put_file again {mb}MB, cache cold (other process): {t_cold:.3f} s "
            f"({t_cold / t_sum:.2f}x sha256sum, {t_cold / t_py:.2f}x hashlib)"
        )
        store.put_file(src)  # fills the cache
        t_hot = best_of(lambda: store.put_file(src))
        print(
            f"put_file again {mb}MB, same process (stat cache): {t_hot * 1e6:.0f} us "
            f"({t_hot / t_sum:.5f}x sha256sum)"
        )

        fresh_store()
        store = current[0]
        for _ in range(5):
            assert store.put_file(src) == ref
        objects_mod._stat_cache.clear()
        for _ in range(5):
            assert store.put_file(src) == ref
        used = disk_usage(store.root)
        print(
            f"bytes on disk after 5+5 puts (cached, then cache cold): {used} "
            f"({used / src.stat().st_size:.3f}x the file, {len(list(store.iter_digests()))} blob, "
            f"{len(list((store.root / 'tmp').iterdir()))} temp files)"
        )


if __name__ == "__main__":
    main()
