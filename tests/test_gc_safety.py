"""gc against live writers and loaders: nothing referenced or in use is removed.

* blob ages are measured from when gc started listing references, so a pass
  slower than the grace period cannot delete a blob a writer recorded
  meanwhile;
* a grace below the minimum is raised to it (with a warning) unless the
  caller says no process writes;
* a cached model folder a ``load_model`` is reading is not removed.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.store.core import get_store
from litetrack.store.maintenance import gc, verify


@pytest.fixture
def store(store_path: Path):  # type: ignore[no-untyped-def]
    Client().create_experiment("warmup")  # creates the store
    return get_store(store_path)


def test_a_pass_slower_than_the_grace_keeps_a_blob_recorded_meanwhile(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import litetrack.store.gc as gc_module

    grace = 1.0
    monkeypatch.setattr(gc_module, "MIN_GRACE_SECONDS", grace, raising=False)
    run = litetrack.start_run()
    rid = run.info.run_id
    real = gc_module.registry_digests
    recorded = {}

    def writer_during_the_pass(s):  # type: ignore[no-untyped-def]
        # gc has listed the runs' references; a writer now stores a blob and
        # records it (too late for this pass to see the record) ...
        ref = s.objects.put_bytes(b"logged while gc was listing")
        s.runs.writer(rid).log_artifact_records([("late.txt", ref.digest, ref.size)])
        recorded["digest"] = ref.digest
        # ... and the pass goes on for longer than the grace period.
        time.sleep(grace * 1.5)
        return real(s)

    monkeypatch.setattr(gc_module, "registry_digests", writer_during_the_pass)
    rep = gc(store, older_than_seconds=0, grace_seconds=grace)
    assert recorded["digest"] not in rep.blobs
    assert litetrack.artifacts.load_text(f"runs:/{rid}/late.txt") == "logged while gc was listing"
    litetrack.end_run()
    assert verify(store).ok


def test_a_grace_below_the_minimum_is_raised_unless_no_writers(
    store, caplog: pytest.LogCaptureFixture
) -> None:
    from litetrack.store.gc import MIN_GRACE_SECONDS

    assert MIN_GRACE_SECONDS >= 60
    orphan = store.objects.put_bytes(b"stored a moment ago, its record not written yet").digest
    with caplog.at_level(logging.WARNING):
        rep = gc(store, older_than_seconds=0, grace_seconds=0)
    assert rep.blobs == [] and "shorter than the minimum" in caplog.text
    assert gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True).blobs == [orphan]


def _logged_model() -> str:
    import litetrack.pyfunc

    class Echo(litetrack.pyfunc.PythonModel):
        def predict(self, context, model_input):  # type: ignore[no-untyped-def]
            return model_input

    with litetrack.start_run():
        return litetrack.pyfunc.log_model("model", python_model=Echo()).model_uri  # type: ignore[no-any-return]


def test_a_cache_folder_being_loaded_is_not_removed(store, store_path: Path) -> None:
    from litetrack.models.base import open_model

    uri = _logged_model()
    md = open_model(uri)  # what every load_model holds while it reads the folder
    cached = md.path
    assert "materialized" in str(cached)
    rep = gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True)
    assert rep.cache_dirs == [] and cached.is_dir()
    assert gc(store, older_than_seconds=0, grace_seconds=0, dry_run=True, no_writers=True).cache_dirs == []
    del md  # the load is over
    rep = gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True)
    assert rep.cache_dirs == [str(cached)] and not cached.exists()
    assert litetrack.pyfunc.load_model(uri).predict([1, 2]) == [1, 2]  # rebuilt on demand


def test_a_load_whose_twin_gc_removed_in_the_window_still_places_its_folder(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another loader's folder is there when our rename fails, and gc removes it before we look."""
    import errno
    import os
    import shutil

    from litetrack.store import artifacts

    ref = store.objects.put_bytes(b"weights")
    entries = {"model.bin": {"digest": ref.digest, "size": ref.size}}
    real_rename = os.rename
    raced = []

    def rename(src, dst):  # type: ignore[no-untyped-def]
        if not raced and Path(dst).parent.name == "materialized":
            raced.append(dst)
            Path(dst).mkdir()  # the twin loader's folder lands first ...
            (Path(dst) / "model.bin").write_bytes(b"weights")
            try:
                real_rename(src, dst)
            except OSError as e:
                assert e.errno in (errno.ENOTEMPTY, errno.EEXIST)
                shutil.rmtree(dst)  # ... and gc clears it before this loader checks
                raise
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    folder = artifacts.materialize(store, entries)
    assert raced and (folder / "model.bin").read_bytes() == b"weights"
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")]


def test_a_second_gc_never_removes_a_folder_rebuilt_and_held_since_the_first_opened_it(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two gc passes at once: one opens the folder, the other removes it, a loader rebuilds
    and holds a new one under the same name, then the first locks the old one it opened."""
    import fcntl

    from litetrack.models.base import open_model

    uri = _logged_model()
    old = open_model(uri).path  # built, then released
    real_flock = fcntl.flock
    held = []

    def flock(fd, op):  # type: ignore[no-untyped-def]
        if op == fcntl.LOCK_EX | fcntl.LOCK_NB and not held:
            held.append(None)  # once: the nested gc and the loader lock for real
            # The first gc has opened the old folder; another gc removes it meanwhile ...
            assert gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True).cache_dirs
            # ... and a loader rebuilds it and holds it while it reads.
            held[0] = open_model(uri)
        return real_flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock)
    rep = gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True)
    md = held[0]
    assert md.path == old and md.path.is_dir()
    assert rep.cache_dirs == []  # the folder it opened was gone; the new one is in use
    assert litetrack.pyfunc.load_model(uri).predict([3]) == [3]


def test_a_leftover_of_an_earlier_removal_does_not_stop_gc(store) -> None:
    """A folder gc renamed away but could not delete (or another thread's) keeps its name."""
    import os

    from litetrack.models.base import open_model

    uri = _logged_model()
    cached = open_model(uri).path
    for suffix in ("0", "1"):  # what a pid-only name would have been
        left = cached.parent / f".tmp-gc-{cached.name}.{os.getpid()}.{suffix}"
        left.mkdir()
        (left / "MLmodel").write_text("half removed")
    rep = gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True)
    assert rep.cache_dirs == [str(cached)] and not cached.exists()


LOADER = """
import itertools, os, sys, litetrack.pyfunc
uri, n, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in itertools.count():
    if i >= n and os.path.exists(stop):
        break
    assert litetrack.pyfunc.load_model(uri).predict([i]) == [i]
print("ok")
"""


def test_gc_clearing_the_cache_never_breaks_concurrent_loads(store, tmp_path: Path) -> None:
    uri = _logged_model()
    script = tmp_path / "loader.py"
    script.write_text(LOADER)
    stop = tmp_path / "stop"
    procs = [
        subprocess.Popen([sys.executable, str(script), uri, "150", str(stop)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    # The loaders go on until gc has cleared the cache under them a few times
    # (how often a pass finds both between loads depends on the machine's load).
    removed = 0
    deadline = time.monotonic() + 300
    try:
        while any(p.poll() is None for p in procs):
            removed += len(gc(store, older_than_seconds=0, grace_seconds=0, no_writers=True).cache_dirs)
            if removed >= 10 or time.monotonic() > deadline:
                stop.touch()
    finally:
        stop.touch()
        outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    assert removed >= 10  # gc really cleared the cache under the loaders
