"""What every fluent run records at start: its source and its Python environment.

:func:`on_run_start` is registered in :data:`litetrack.fluent.run_start_hooks`,
so ``start_run`` (not ``Client.create_run``, as in MLflow) calls it for each
new run. It stores

* the environment description (:func:`litetrack.environment.environment_blob`)
  as one content-addressed blob, identical for every run of one virtualenv;
* the entry-point script and, inside a git work tree with changes, the output
  of ``git diff HEAD``, each as a blob;

then appends to the run's log, **in one write**, a ``{"source": {...}}`` and
an ``{"environment": {...}}`` summary record plus MLflow's system tags
(``mlflow.source.name``, ``mlflow.source.type``, ``mlflow.source.git.*``,
``mlflow.user``). Tags given to ``start_run`` win over the captured ones.

Summaries (folded into ``run.json`` under ``source`` and ``environment``)::

    "source": {"entry_point": "/home/me/proj/train.py", "type": "LOCAL",
               "script_digest": "<sha256>", "script_size": 1234,
               "git_root": "/home/me/proj", "git_commit": "<sha1>",
               "git_branch": "main", "git_repo_url": "https://...",
               "git_dirty": true, "diff_digest": "<sha256>", "diff_size": 567}
    "environment": {"digest": "<sha256>", "size": 3636, "python": "3.11.7",
                    "implementation": "CPython", "platform": "Linux 6.1 x86_64",
                    "packages": 125}

The ``*_digest`` fields name blobs: they are gc roots like artifacts (see
:func:`litetrack.store.maintenance.run_blob_digests`).

Cost: the first run of a process pays for reading the installed packages'
metadata and a few ``git`` subprocesses (tens of ms); later runs reuse the
process-wide caches of :mod:`litetrack.source` and :mod:`litetrack.environment`
and of the blob digests here, so the capture costs a few ``utime`` calls (the
gc grace protocol needs each referenced blob refreshed) and one log write.

Switches: ``start_run(capture_source=False)`` / ``capture_environment=False``
turn a part off for one run; ``LITETRACK_CAPTURE_SOURCE=0`` /
``LITETRACK_CAPTURE_ENV=0`` turn it off for every run of the process, and win
over ``True`` in code: the variables are the operator's switch (a script run
on someone else's behalf cannot opt back in to recording its source). With the
source off, no source tag, summary or blob is recorded; ``mlflow.user`` is
always set.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from litetrack import settings
from litetrack.store.core import Store, current_store
from litetrack.store.runs import USER_TAG, current_user
from litetrack.validation import validate_run_id

if TYPE_CHECKING:
    from litetrack.client import Client
    from litetrack.source import SourceInfo
    from litetrack.store.objects import BlobRef, ObjectStore

__all__ = [
    "environment_summary",
    "load_diff",
    "load_environment",
    "load_script",
    "on_run_start",
    "source_summary",
]

logger = logging.getLogger(__name__)

_lock = threading.Lock()
# id(bytes) -> (the bytes, their digest). The captures hand out the same bytes
# object while their caches hold, so identity means "already hashed"; keeping
# a reference to the bytes makes sure the id is not reused meanwhile.
_digests: dict[int, tuple[bytes, str]] = {}
_DIGESTS_MAX = 32
# (environment blob, its summary without digest/size): the blob is parsed once.
_env_meta: tuple[bytes, dict[str, Any]] | None = None


def _put_cached(objects: ObjectStore, data: bytes) -> BlobRef:
    # The capture modules (subprocess, platform, the object store) load at the
    # first run start, not at `import litetrack`; none of them imports this module.
    from litetrack.store.objects import BlobRef as _BlobRef

    """Store ``data`` (hashed once per process) and refresh it for the gc grace period."""
    with _lock:
        hit = _digests.get(id(data))
    if hit is not None and hit[0] is data:
        # touch is put_bytes' own "present? then refresh" step; calling it
        # directly skips re-hashing a possibly large diff on every run.
        if objects.touch(hit[1], len(data)):
            return _BlobRef(hit[1], len(data))
    ref = objects.put_bytes(data)
    with _lock:
        if len(_digests) >= _DIGESTS_MAX:
            _digests.clear()
        _digests[id(data)] = (data, ref.digest)
    return ref


def environment_summary(objects: ObjectStore, blob: bytes | None = None) -> dict[str, Any]:
    """Store the environment blob; return the run's ``environment`` summary.

    ``blob`` defaults to this interpreter's; a project runner passes the one
    captured in the interpreter its command runs in.
    """
    global _env_meta
    from litetrack.environment import environment_blob  # lazy: see _put_cached

    if blob is None:
        blob = environment_blob()
    ref = _put_cached(objects, blob)
    meta = _env_meta
    if meta is None or meta[0] is not blob:
        env = json.loads(blob)
        py = env.get("python") or {}
        plat = env.get("platform") or {}
        meta = _env_meta = (
            blob,
            {
                "python": py.get("version"),
                "implementation": py.get("implementation"),
                "platform": " ".join(
                    str(plat[k]) for k in ("system", "release", "machine") if plat.get(k)
                ),
                "packages": len(env.get("packages") or {}),
            },
        )
    return {"digest": ref.digest, "size": ref.size, **meta[1]}


def source_summary(objects: ObjectStore, info: SourceInfo) -> dict[str, Any]:
    """Store the script and diff blobs of ``info``; return the run's ``source`` summary."""
    script = _put_cached(objects, info.content) if info.content is not None else None
    diff = _put_cached(objects, info.git_diff) if info.git_diff else None
    return {
        "entry_point": info.entry_point,
        "type": info.source_type,
        "script_digest": script.digest if script else None,
        "script_size": script.size if script else None,
        "git_root": info.git_root,
        "git_commit": info.git_commit,
        "git_branch": info.git_branch,
        "git_repo_url": info.git_repo_url,
        "git_dirty": info.git_dirty,
        "diff_digest": diff.digest if diff else None,
        "diff_size": diff.size if diff else None,
    }


_prefetched_pid: int | None = None


def _prefetch_environment() -> threading.Thread | None:
    """On a process's first capture, read the package metadata on a thread.

    The source capture meanwhile waits on ``git`` subprocesses, so the two
    overlap and the first ``start_run`` costs about the slower one instead of
    their sum. Later runs hit the caches; a thread there would only add cost.
    """
    global _prefetched_pid
    pid = os.getpid()
    if _prefetched_pid == pid:
        return None
    _prefetched_pid = pid
    from litetrack.environment import environment_blob  # lazy: see _put_cached

    thread = threading.Thread(target=environment_blob, name="litetrack-env-capture", daemon=True)
    thread.start()
    return thread


def on_run_start(client: Client, run_id: str, opts: dict[str, Any]) -> None:
    """The ``start_run`` hook: capture source and environment into the new run.

    ``opts`` holds ``capture_source`` / ``capture_environment`` as given to
    ``start_run`` (None: follow the environment variables; False: off).
    Capturing never fails the run (git and package metadata problems are
    skipped by the capture functions); a failing *store* write raises as any
    other logging call would.
    """
    from litetrack.source import capture_source, mlflow_source_tags  # lazy: see _put_cached

    store = client.store
    writer = store.runs.writer(run_id)
    records: list[dict[str, Any]] = []
    tags: dict[str, str] = {USER_TAG: current_user()}
    want_env = opts.get("capture_environment") is not False and settings.capture_env_enabled()
    want_source = opts.get("capture_source") is not False and settings.capture_source_enabled()
    prefetch = _prefetch_environment() if want_env and want_source else None
    if want_source:
        info = capture_source()
        records.append({"source": source_summary(store.objects, info)})
        tags.update(mlflow_source_tags(info, user=tags[USER_TAG]))
    if want_env:
        if prefetch is not None:
            prefetch.join()
        records.insert(0, {"environment": environment_summary(store.objects)})
    # Tags passed to start_run win, as MLflow's context tags yield to the user's.
    tags = {k: v for k, v in tags.items() if k not in writer.tags}
    if records or tags:  # fluent.start_run records the user tag with the run itself
        writer.log_records(records, tags)


# -- reading back ---------------------------------------------------------------


def _run_doc(store: Store | None, run_id: str) -> tuple[Store, dict[str, Any]]:
    if store is None:
        store = current_store()

    return store, store.runs.read(validate_run_id(run_id))


def load_environment(run_id: str, store: Store | None = None) -> dict[str, Any] | None:
    """The environment captured for a run (as :func:`litetrack.environment.capture_environment`
    returns it), its blob verified; None when the run has none (capture was off).

    Raises :class:`RunNotFound`, :class:`ArtifactNotFound` if the blob is
    missing and :class:`ChecksumMismatch` if it is corrupt.
    """
    store, doc = _run_doc(store, run_id)
    env = doc.get("environment") or {}
    if not env.get("digest"):
        return None
    return json.loads(store.objects.read_bytes(env["digest"], verify=True))


def _source_blob(run_id: str, field: str, store: Store | None) -> bytes | None:
    store, doc = _run_doc(store, run_id)
    digest = (doc.get("source") or {}).get(field)
    return store.objects.read_bytes(digest, verify=True) if digest else None


def load_script(run_id: str, store: Store | None = None) -> bytes | None:
    """The entry-point script's content as captured for a run (verified), or None."""
    return _source_blob(run_id, "script_digest", store)


def load_diff(run_id: str, store: Store | None = None) -> bytes | None:
    """The uncommitted ``git diff --binary HEAD`` captured for a run (verified), or None.

    None when the tree was clean, outside git, or capture was off. The bytes
    re-apply with ``git apply`` on top of the recorded commit.
    """
    return _source_blob(run_id, "diff_digest", store)
