"""Push and pull: move runs, experiments and blobs between a store and a remote.

Layout on the remote (keys under the remote's URL; ``docs/remote.md`` has the
full argument)::

    litetrack-remote.json                         marker: format and schema version
    objects/sha256/ab/<62 hex>                    blobs, content-addressed, never modified
    experiments/<sha256(name)[:32]>.json          one experiment per *name*
    runs/<run_id>/log/<end:012d>-<sha16>.jsonl    log segments, immutable; bytes [start, end)
    runs/<run_id>/run.json                        run manifest (replaced by compare-and-swap),
                                                  small log segments inline
    index/<store_id>.json                         per-store index shard: runs that store pushed

Experiments are keyed by name, not by the per-store integer id: the run
documents on the remote carry the experiment key and name, and a pull maps
them to the local experiment of that name (created when missing). Run ids
are uuid4 hex, unique across machines, so runs never collide; a run is one
manifest, so it is never duplicated.

A log is append-only, so it travels as segments: a push uploads bytes
``[remote_end, local_end)`` of the complete lines as a new immutable object,
then appends ``{start, end, sha256 of the log's first end bytes, key}`` to
the manifest. The prefix digest lets either side check that its copy is a
prefix of the other's before it appends, so a pull never clobbers local
points and two diverged copies are reported, not merged.

Commit order, per run: blobs, then log segments, then the manifest
(create-if-absent, or compare-and-swap on the ETag the pusher last saw), and
per push the store's index shard last. A push killed at any instant leaves
at worst unreferenced blobs or segments; running it again finishes. A pull
writes blobs through the object store (hashed, checked), a new run as a temp
folder renamed into place, and an existing run's longer log and document
with atomic replaces; the sync record is written after what it describes.

The sync record (``<store>/remotes/<name>.state.json``) remembers what the
remote holds: each run's manifest ETag, segments, document digest and the
stat of its local files when they matched, every blob digest known to be
there, and each index shard's ETag. An unchanged run costs two ``stat``
calls on a repeated push, and no request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from litetrack.errors import (
    ChecksumMismatch,
    CorruptDocument,
    ExperimentAlreadyExists,
    InvalidArgument,
    RemoteError,
    RemoteNotFound,
    RunNotFound,
)
from litetrack.store.fs import (
    atomic_write,
    dumps,
    ensure_dir,
    lock_fd,
    locked,
    stat_key,
    write_json,
)
from litetrack.store.procs import hostname, process_alive
from litetrack.store.refs import DIGEST_RE, run_blob_digests
from litetrack.store.remote import Remote, open_remote
from litetrack.store.remote.blobs import blob_key, download_blob
from litetrack.store.remote.config import (
    STATE_DIR,
    read_state,
    resolve_remote,
    store_id,
    write_state,
)
from litetrack.store.runs import RUN_DOC, RUN_LOG, fold_log
from litetrack.validation import validate_run_id

if TYPE_CHECKING:
    from litetrack.store.core import Store

log = logging.getLogger(__name__)

MARKER = "litetrack-remote.json"
FORMAT = "litetrack-remote"
SCHEMA_VERSION = 1
#: Parallel transfers (blobs, manifests): enough to hide request latency.
WORKERS = 4
#: The sync record is saved at least this often during a long push or pull.
SAVE_EVERY = 500
_CAS_ATTEMPTS = 8
#: Log bytes a run manifest may carry inline (beyond that, segments are objects).
INLINE_MAX = 64 * 1024
#: From this many blobs of unknown presence on, a bounded listing may replace HEADs.
LIST_MIN = 32


# -- keys ------------------------------------------------------------------------
def experiment_key(name: str) -> str:
    """Key of an experiment on remotes: derived from its name, the same on every machine."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]


def experiment_obj(key: str) -> str:
    """Object holding an experiment."""
    return f"experiments/{key}.json"


def manifest_key(run_id: str) -> str:
    """Object holding a run's manifest."""
    return f"runs/{run_id}/run.json"


def segment_key(run_id: str, end: int, prefix_sha: str) -> str:
    """Object holding one log segment (named by where it ends and the log's digest there)."""
    return f"runs/{run_id}/log/{end:012d}-{prefix_sha[:16]}.jsonl"


def shard_key(sid: str) -> str:
    """Object holding one store's index shard."""
    return f"index/{sid}.json"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- reports ---------------------------------------------------------------------
@dataclass
class SyncReport:
    """What a push or pull did: counts, bytes, and what it left alone and why."""

    remote: str
    direction: str
    runs: int = 0
    runs_unchanged: int = 0
    experiments: int = 0
    blobs_sent: int = 0
    blobs_skipped: int = 0
    bytes_sent: int = 0
    bytes_skipped: int = 0
    log_bytes: int = 0
    skipped_live: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing was refused (conflicts) or missing (problems)."""
        return not self.conflicts and not self.problems

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {**asdict(self), "ok": self.ok}


def _progress(total: int, desc: str, enabled: bool) -> Any:
    """A tqdm bar on a terminal, else an object with the same two methods doing nothing."""
    if enabled and sys.stderr.isatty():
        try:
            from tqdm import tqdm

            return tqdm(total=total, desc=desc, unit="run", leave=False)
        except ImportError:
            pass

    class _Quiet:
        def update(self, n: int = 1) -> None:
            pass

        def close(self) -> None:
            pass

    return _Quiet()


# -- shared session --------------------------------------------------------------
class _Session:
    """A store, a remote, and the sync record, for one push or pull (under the record's lock)."""

    def __init__(
        self, store: Store, remote: Remote, name: str, url: str, report: SyncReport
    ) -> None:
        self.store = store
        self.remote = remote
        self.name = name
        self.state = read_state(store.root, name, url)
        self.blobs: set[str] = set(self.state["blobs"])
        self.report = report
        self._unsaved = 0

    def save(self, force: bool = False) -> None:
        self._unsaved += 1
        if force or self._unsaved >= SAVE_EVERY:
            self.state["blobs"] = sorted(self.blobs)
            write_state(self.store.root, self.name, self.state)
            self._unsaved = 0

    def forget(self) -> None:
        """Drop the sync record: everything is checked on the remote again."""
        url = self.state["url"]
        self.state = {
            "schema_version": 1,
            "url": url,
            "runs": {},
            "blobs": [],
            "experiments": {},
            "shards": {},
        }
        self.blobs = set()

    def check_marker(self) -> None:
        """Create the remote's marker, or check that an existing one is ours."""
        if self.state.get("marker"):
            return
        marker = dumps({"format": FORMAT, "schema_version": SCHEMA_VERSION})
        if self.remote.put_if_absent(MARKER, marker) is None:
            data, _ = self.remote.get(MARKER)
            try:
                doc = json.loads(data)
            except ValueError:
                doc = None
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise RemoteError(f"remote {self.name!r} holds a {MARKER} that is not litetrack's")
            if doc.get("schema_version", 0) > SCHEMA_VERSION:
                raise RemoteError(
                    f"remote {self.name!r} uses layout version {doc['schema_version']}; "
                    f"this litetrack reads up to {SCHEMA_VERSION}: upgrade litetrack"
                )
        self.state["marker"] = True


@contextmanager
def _session(store: Store, name: str | None, direction: str) -> Iterator[_Session]:
    rname, entry = resolve_remote(store.root, name)
    remote = open_remote(entry["url"], endpoint_url=entry.get("endpoint_url"), name=rname)
    report = SyncReport(remote=rname, direction=direction)
    started = time.perf_counter()
    ensure_dir(store.root / STATE_DIR)
    # One push or pull per remote per store at a time: they share the record.
    with locked(store.root / STATE_DIR / f"{rname}.lock"):
        sess = _Session(store, remote, rname, entry["url"], report)
        try:
            yield sess
        finally:
            sess.save(force=True)
            report.seconds = round(time.perf_counter() - started, 3)


def _complete(data: bytes) -> bytes:
    """The complete lines of a log (a torn last line never leaves the machine)."""
    return data[: data.rfind(b"\n") + 1]


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def _stat(path: str) -> list[int] | None:
    try:
        return list(stat_key(os.stat(path)))
    except FileNotFoundError:
        return None


# -- push ------------------------------------------------------------------------
def push(
    store: Store,
    name: str | None = None,
    *,
    experiment: str | None = None,
    run_ids: Iterable[str] | None = None,
    progress: bool = True,
    recheck: bool = False,
) -> SyncReport:
    """Send the store's runs (or the selected ones), their experiments and blobs to a remote.

    ``experiment`` selects by experiment name or id, ``run_ids`` by run id.
    Only what the remote lacks is sent: new log bytes, blobs it does not
    hold, changed documents. Raises :class:`~litetrack.errors.RemoteError`
    (naming the remote) when the remote fails; running push again finishes.
    ``recheck`` forgets the sync record first (after the remote was emptied
    or restored from a backup): every run and blob is checked on the remote.
    """
    with _session(store, name, "push") as sess:
        if recheck:
            sess.forget()
        if not store.exists():
            return sess.report
        sess.check_marker()
        experiments = {d["experiment_id"]: d for d in store.experiments.list_docs()}
        ids = _select_runs(store, experiments, experiment, run_ids)
        _push_runs(sess, experiments, ids, progress)
        return sess.report


def _select_runs(
    store: Store,
    experiments: dict[str, dict[str, Any]],
    experiment: str | None,
    run_ids: Iterable[str] | None,
) -> list[str]:
    if run_ids is not None:
        ids = [validate_run_id(r) for r in run_ids]
        for run_id in ids:
            if not store.runs.exists(run_id):
                raise RunNotFound(
                    f"Run with id={run_id} not found in store {str(store.root)!r}", run_id=run_id
                )
    else:
        ids = sorted(store.runs.iter_ids())
    if experiment is None:
        return ids
    wanted = {eid for eid, d in experiments.items() if d["name"] == experiment or eid == experiment}
    if not wanted:
        names = ", ".join(sorted(repr(d["name"]) for d in experiments.values()))
        raise InvalidArgument(
            f"no experiment named {experiment!r} in this store (experiments: {names})"
        )
    out = []
    for run_id in ids:
        try:
            if store.runs.read_raw(run_id)["experiment_id"] in wanted:
                out.append(run_id)
        except RunNotFound:
            continue
    return out


@dataclass
class _Pending:
    """A run whose local files changed since the remote last matched them."""

    run_id: str
    stat: list[Any]
    log: bytes
    doc: dict[str, Any]
    blobs: list[tuple[str, int]]


def _push_runs(
    sess: _Session, experiments: dict[str, dict[str, Any]], ids: list[str], progress: bool
) -> None:
    store, report, runs_state = sess.store, sess.report, sess.state["runs"]
    runs_dir = str(store.runs.dir)
    pending: list[_Pending] = []
    # 1. Find what changed: two stats per run against the record.
    for run_id in ids:
        doc_path, log_path = f"{runs_dir}/{run_id}/{RUN_DOC}", f"{runs_dir}/{run_id}/{RUN_LOG}"
        st = [_stat(doc_path), _stat(log_path)]
        if st[0] is None:
            continue  # removed meanwhile
        rec = runs_state.get(run_id)
        if rec is not None and rec.get("stat") == st:
            report.runs_unchanged += 1
            continue
        try:
            raw = store.runs.read_raw(run_id)
        except RunNotFound:
            continue
        except CorruptDocument as e:
            report.problems.append(f"run {run_id}: {e}")
            continue
        log_bytes = _complete(_read(log_path))
        exp = experiments.get(raw["experiment_id"])
        if exp is None:
            report.problems.append(
                f"run {run_id}: its experiment {raw['experiment_id']!r} does not exist"
            )
            continue
        folded = fold_log(json.loads(dumps(raw)), log_path)
        blobs = [
            (d, int(size or 0))
            for d, size, _ in run_blob_digests(folded)
            if isinstance(d, str) and DIGEST_RE.fullmatch(d)
        ]
        ekey = _push_experiment(sess, exp)
        doc = {**raw, "experiment_id": ekey, "experiment_name": exp["name"]}
        pending.append(_Pending(run_id, st, log_bytes, doc, blobs))
    if not pending:
        return
    bar = _progress(len(pending), f"push {sess.name}", progress)
    # 2. Blobs first, each once, in parallel; 3. a run's log and manifest as
    # soon as all its blobs are there (a second pool, so manifests overlap
    # the remaining uploads). The record follows each commit.
    with ThreadPoolExecutor(WORKERS) as blob_pool, ThreadPoolExecutor(WORKERS) as run_pool:
        sending = _push_blobs(sess, [b for p in pending for b in p.blobs], blob_pool)
        runs = []
        for p in pending:
            if all(sending[d].result() for d, _ in p.blobs if d in sending):
                runs.append((p, run_pool.submit(_push_run, sess, p)))
            else:
                report.problems.append(f"run {p.run_id}: not pushed, a blob it lacks is missing")
                bar.update()
        for p, fut in runs:
            rec = fut.result()
            if rec is not None:
                runs_state[p.run_id] = rec
                sess.save()
            bar.update()
    bar.close()
    # 4. The index shard last: it names every run this store holds on the remote.
    sid = store_id(store.root)
    shard = {
        "schema_version": SCHEMA_VERSION,
        "store_id": sid,
        "runs": {
            rid: [r["log"][-1]["end"] if r["log"] else 0, r["doc"]]
            for rid, r in sorted(runs_state.items())
        },
    }
    sess.remote.put(shard_key(sid), dumps(shard))


def _push_experiment(sess: _Session, exp: dict[str, Any]) -> str:
    key = experiment_key(exp["name"])
    body = {
        "schema_version": SCHEMA_VERSION,
        "name": exp["name"],
        "tags": exp.get("tags") or {},
        "lifecycle_stage": exp.get("lifecycle_stage", "active"),
        "creation_time": exp.get("creation_time"),
    }
    data = dumps(body)
    digest = _sha(data)
    if sess.state["experiments"].get(key) == digest:
        return key
    # The first store to push a name creates it; later ones share it as is.
    if sess.remote.put_if_absent(experiment_obj(key), data) is not None:
        sess.report.experiments += 1
    sess.state["experiments"][key] = digest
    return key


def _push_blobs(
    sess: _Session, blobs: list[tuple[str, int]], pool: ThreadPoolExecutor
) -> dict[str, Future[bool]]:
    """Start sending the blobs the remote lacks; a future per digest (False: missing locally)."""
    report, objects = sess.report, sess.store.objects
    todo: dict[str, int] = {}
    for digest, size in blobs:
        if digest in sess.blobs or digest in todo:
            report.blobs_skipped += 1
            report.bytes_skipped += size
        else:
            todo[digest] = size
    present = _listed_blobs(sess.remote, len(todo)) if len(todo) >= LIST_MIN else None
    lock = threading.Lock()

    def send(digest: str) -> bool:
        key = blob_key(digest)
        if (digest in present) if present is not None else sess.remote.head(key) is not None:
            sent = False
        else:
            path = objects.path_for(digest)
            if not path.exists():
                with lock:
                    report.problems.append(f"blob {digest} is missing from the local store")
                return False
            sess.remote.put_file(key, path)
            sent = True
        with lock:
            if sent:
                report.blobs_sent += 1
                report.bytes_sent += todo[digest]
            else:
                report.blobs_skipped += 1
                report.bytes_skipped += todo[digest]
            sess.blobs.add(digest)
        return True

    return {d: pool.submit(send, d) for d in todo}


def _listed_blobs(remote: Remote, wanted: int) -> set[str] | None:
    """Every blob on the remote, if a listing is cheaper than ``wanted`` HEAD requests.

    A listing page holds 1,000 keys: it is stopped (None) once it would cost
    more than a tenth of the HEADs it replaces, so a remote with millions of
    blobs is never listed in full.
    """
    cap = wanted * 100
    found: set[str] = set()
    for meta in remote.list("objects/sha256/"):
        if len(found) >= cap:
            return None
        parts = meta.key.split("/")
        if len(parts) == 4:
            found.add(parts[2] + parts[3])
    return found


def _fetch_manifest(remote: Remote, run_id: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data, etag = remote.get(manifest_key(run_id))
    except RemoteNotFound:
        return None, None
    try:
        manifest = json.loads(data)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("log"), list):
            raise ValueError("not a manifest")
    except ValueError:
        raise CorruptDocument(
            f"remote {remote.name!r}: {manifest_key(run_id)} is not a run manifest",
            path=manifest_key(run_id),
        ) from None
    return manifest, etag


def _push_run(sess: _Session, p: _Pending) -> dict[str, Any] | None:
    """Send one run's new log bytes and document; return its new record (None if refused)."""
    remote, report = sess.remote, sess.report
    rec = sess.state["runs"].get(p.run_id)
    origin = rec.get("origin", "local") if rec else "local"
    doc_bytes = dumps(p.doc)
    doc_sha = _sha(doc_bytes)
    end = len(p.log)
    blobs = sorted(set(p.blobs))
    # A run the record does not know is usually new on the remote: try to
    # create its manifest straight away (one request), and read the remote's
    # only if that finds one there.
    optimistic = rec is None
    if rec is not None and any("inlined" in seg for seg in rec["log"]):
        rec = None  # the record keeps no inline log text: the manifest is needed to extend it
    for _ in range(_CAS_ATTEMPTS):
        if rec is not None and rec.get("etag"):
            cur_log, cur_doc, etag = rec["log"], rec["doc"], rec["etag"]
        elif optimistic:
            cur_log, cur_doc, etag = [], None, None
        else:
            manifest, etag = _fetch_manifest(remote, p.run_id)
            cur_log = manifest["log"] if manifest else []
            cur_doc = _sha(dumps(manifest["doc"])) if manifest else None
        remote_end = cur_log[-1]["end"] if cur_log else 0
        if end < remote_end or (remote_end and _sha(p.log[:remote_end]) != cur_log[-1]["sha256"]):
            if rec is not None and rec.get("etag"):
                rec, optimistic = None, False  # the record may be stale: read the remote
                continue
            what = (
                "holds more of its log (pull first)" if end < remote_end else "has a different log"
            )
            report.conflicts.append(f"run {p.run_id}: the remote {what}; not pushed")
            return None
        new_log = list(cur_log)
        if end > remote_end:
            prefix_sha = _sha(p.log)
            tail = p.log[remote_end:]
            seg: dict[str, Any] = {"start": remote_end, "end": end, "sha256": prefix_sha}
            text = _inline_text(tail, new_log)
            if text is not None:
                seg["inline"] = text  # one request fewer per run: the usual case
            else:
                seg["key"] = segment_key(p.run_id, end, prefix_sha)
                remote.put(seg["key"], tail)
            new_log.append(seg)
        if new_log == cur_log and doc_sha == cur_doc and etag:
            return _run_record(p.stat, etag, cur_log, doc_sha, origin)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "run_id": p.run_id,
            "experiment": {"key": p.doc["experiment_id"], "name": p.doc["experiment_name"]},
            "doc": p.doc,
            "log": new_log,
            "blobs": blobs,
        }
        data = dumps(manifest)
        if etag:
            new_etag = remote.put_if_match(manifest_key(p.run_id), data, etag)
        else:
            new_etag = remote.put_if_absent(manifest_key(p.run_id), data)
        if new_etag is None:
            rec, optimistic = None, False  # someone else changed it: read it and try again
            continue
        report.runs += 1
        report.log_bytes += end - remote_end
        return _run_record(p.stat, new_etag, new_log, doc_sha, origin)
    raise RemoteError(
        f"remote {remote.name!r}: run {p.run_id} kept changing during "
        f"{_CAS_ATTEMPTS} attempts to update it",
        remote=remote.name,
    )


def _inline_text(tail: bytes, segments: list[dict[str, Any]]) -> str | None:
    """``tail`` as text to keep inside the manifest, or None when it goes in its own object.

    Small log tails travel inside the manifest (a run pushed once at its end
    costs one request instead of two) as long as the manifest's inline text
    stays under :data:`INLINE_MAX` bytes.
    """
    inlined = sum(s["end"] - s["start"] for s in segments if "inline" in s)
    if inlined + len(tail) > INLINE_MAX:
        return None
    try:
        return tail.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _run_record(
    stat: list[Any] | None, etag: str | None, log: list[dict[str, Any]], doc_sha: str, origin: str
) -> dict[str, Any]:
    """What the sync record keeps about one run (see the module docstring)."""
    return {"stat": stat, "etag": etag, "log": _slim(log), "doc": doc_sha, "origin": origin}


def _slim(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Segments as the sync record keeps them: inline text replaced by a mark."""
    return [
        {k: v for k, v in s.items() if k != "inline"} | ({"inlined": True} if "inline" in s else {})
        for s in segments
    ]


def push_on_end(store: Store, run_id: str, name: str) -> None:
    """Push one run that just ended (``LITETRACK_PUSH_ON_END=NAME``); failures become a warning.

    The run's data is safe locally whatever happens here; a later
    ``python -m litetrack push`` sends what this could not.
    """
    try:
        push(store, name or None, run_ids=[run_id], progress=False)
    except Exception as e:  # noqa: BLE001 - ending a run must not fail because of the network
        log.warning(
            "push of run %s to remote %r at run end failed: %s; run `push` later", run_id, name, e
        )


# -- pull ------------------------------------------------------------------------
def pull(
    store: Store, name: str | None = None, *, experiment: str | None = None, progress: bool = True
) -> SyncReport:
    """Bring the remote's runs (of ``experiment``, a name, if given), experiments and blobs here.

    New runs are added, longer logs extended, documents updated when only
    the remote changed them. A run this host is still writing is left
    alone. Raises :class:`~litetrack.errors.RemoteError` naming the remote when
    it fails; running pull again finishes.
    """
    with _session(store, name, "pull") as sess:
        store.ensure_writable()
        sess.check_marker()
        remote, state = sess.remote, sess.state
        wanted: dict[str, tuple[int, str]] = {}
        new_shards: dict[str, str | None] = {}
        for meta in remote.list("index/"):
            if not meta.key.endswith(".json"):
                continue
            if meta.etag is not None and state["shards"].get(meta.key) == meta.etag:
                continue  # no run of that store changed since the last complete pull
            data, etag = remote.get(meta.key)
            try:
                runs = json.loads(data)["runs"]
            except (ValueError, KeyError, TypeError):
                sess.report.problems.append(f"index shard {meta.key} is unreadable")
                continue
            new_shards[meta.key] = etag
            for run_id, (end, doc_sha) in runs.items():
                rec = state["runs"].get(run_id)
                if (
                    rec is not None
                    and (rec["log"][-1]["end"] if rec["log"] else 0) == end
                    and rec["doc"] == doc_sha
                ):
                    continue
                wanted[run_id] = (end, doc_sha)
        _pull_runs(sess, sorted(wanted), experiment, progress)
        if experiment is None and not sess.report.problems:
            state["shards"].update(new_shards)
        return sess.report


def _pull_runs(sess: _Session, ids: list[str], experiment: str | None, progress: bool) -> None:
    remote, report = sess.remote, sess.report
    with ThreadPoolExecutor(WORKERS) as pool:
        manifests = list(pool.map(lambda rid: (rid, *_fetch_manifest(remote, rid)), ids))
    todo = []
    for run_id, manifest, etag in manifests:
        if manifest is None:
            report.problems.append(f"run {run_id} is in an index shard but has no manifest")
            continue
        if manifest.get("run_id") != run_id:
            report.problems.append(f"manifest of run {run_id} names another run")
            continue
        if experiment is not None and manifest["experiment"]["name"] != experiment:
            continue
        todo.append((run_id, manifest, etag))
    if not todo:
        return
    # Blobs first: a run document never lands before the blobs it references.
    _pull_blobs(sess, [(d, s) for _, m, _ in todo for d, s in m.get("blobs", [])])
    exp_ids: dict[str, str] = {}
    bar = _progress(len(todo), f"pull {sess.name}", progress)
    try:
        for run_id, manifest, etag in todo:
            eid = _local_experiment(sess, manifest["experiment"], exp_ids)
            rec = _pull_run(sess, run_id, manifest, etag, eid)
            if rec is not None:
                sess.state["runs"][run_id] = rec
                sess.save()
            bar.update()
    finally:
        bar.close()


def _pull_blobs(sess: _Session, blobs: list[tuple[str, int]]) -> None:
    report, objects, remote = sess.report, sess.store.objects, sess.remote
    todo: dict[str, int] = {}
    for digest, size in blobs:
        if not (isinstance(digest, str) and DIGEST_RE.fullmatch(digest)):
            report.problems.append(f"a manifest references an invalid digest {digest!r}")
        elif digest in todo or objects.exists(digest):
            report.blobs_skipped += 1
            report.bytes_skipped += int(size)
        else:
            todo[digest] = int(size)
    if not todo:
        return
    tmp_dir = ensure_dir(objects.root / "tmp")

    def fetch(digest: str) -> None:
        download_blob(remote, objects, digest, tmp_dir, where=f"remote {remote.name!r}", tag="pull")

    with ThreadPoolExecutor(WORKERS) as pool:
        for digest, fut in [(d, pool.submit(fetch, d)) for d in todo]:
            try:
                fut.result()
            except RemoteNotFound:
                report.problems.append(f"blob {digest} is referenced but missing on the remote")
                continue
            report.blobs_sent += 1
            report.bytes_sent += todo[digest]


def _local_experiment(sess: _Session, exp: dict[str, Any], cache: dict[str, str]) -> str:
    """The local id of the experiment called ``exp['name']``; created from the remote's document."""
    name = exp["name"]
    if name in cache:
        return cache[name]
    experiments = sess.store.experiments
    doc = experiments.find_by_name(name)
    if doc is None:
        tags: dict[str, str] = {}
        try:
            data, _ = sess.remote.get(experiment_obj(experiment_key(name)))
            tags = dict(json.loads(data).get("tags") or {})
        except (RemoteNotFound, ValueError, AttributeError):
            pass
        try:
            eid = experiments.create(name, tags=tags)
            sess.report.experiments += 1
        except ExperimentAlreadyExists:
            found = experiments.find_by_name(name)
            assert found is not None
            eid = found["experiment_id"]
    else:
        eid = doc["experiment_id"]
    cache[name] = eid
    return eid


def _live_here(raw: dict[str, Any]) -> bool:
    return (
        raw.get("status") == "RUNNING"
        and raw.get("host") == hostname()
        and process_alive(raw.get("pid"), raw.get("host"), raw.get("proc_start"))
    )


def _download_log(remote: Remote, run_id: str, segments: list[dict[str, Any]], start: int) -> bytes:
    parts = []
    for seg in segments:
        if seg["end"] <= start:
            continue
        if "inline" in seg:
            data = str(seg["inline"]).encode("utf-8")
            if len(data) != seg["end"] - seg["start"]:
                raise CorruptDocument(
                    f"remote {remote.name!r}: an inline log segment of run {run_id} holds "
                    f"{len(data)} bytes, the manifest says {seg['end'] - seg['start']}",
                    path=manifest_key(run_id),
                )
            parts.append(data)
            continue
        key = seg["key"]
        if not key.startswith(f"runs/{run_id}/log/"):
            raise CorruptDocument(
                f"manifest of run {run_id} names a segment outside the run: {key!r}", path=key
            )
        data, _ = remote.get(key)
        if len(data) != seg["end"] - seg["start"]:
            raise CorruptDocument(
                f"remote {remote.name!r}: log segment {key} holds {len(data)} bytes, "
                f"the manifest says {seg['end'] - seg['start']}",
                path=key,
            )
        parts.append(data)
    return b"".join(parts)


def _local_form(doc: dict[str, Any], eid: str, run_id: str) -> dict[str, Any]:
    from litetrack.store.docs import parse_doc

    local = {k: v for k, v in doc.items() if k != "experiment_name"}
    local["experiment_id"] = eid
    local = parse_doc(dumps(local), manifest_key(run_id), "run")
    if local.get("run_id") != run_id:
        raise CorruptDocument(
            f"manifest of run {run_id} holds the document of another run", path=run_id
        )
    return local


def _pull_run(
    sess: _Session, run_id: str, manifest: dict[str, Any], etag: str | None, eid: str
) -> dict[str, Any] | None:
    """Bring one run here; return its new record (None when left alone)."""
    store, remote, report = sess.store, sess.remote, sess.report
    segments = manifest["log"]
    remote_end = segments[-1]["end"] if segments else 0
    rdoc = manifest["doc"]
    rdoc_sha = _sha(dumps(rdoc))
    runs_dir = str(store.runs.dir)
    run_dir = f"{runs_dir}/{validate_run_id(run_id)}"
    local_doc = _local_form(rdoc, eid, run_id)

    def record(matching: bool, origin: str) -> dict[str, Any]:
        st = [_stat(f"{run_dir}/{RUN_DOC}"), _stat(f"{run_dir}/{RUN_LOG}")] if matching else None
        return _run_record(st, etag, segments, rdoc_sha, origin)

    if not os.path.isdir(run_dir):
        data = _download_log(remote, run_id, segments, 0)
        if segments and _sha(data) != segments[-1]["sha256"]:
            raise ChecksumMismatch(
                f"remote {remote.name!r}: the log of run {run_id} does not match its digest"
            )
        ensure_dir(runs_dir)
        # A new run appears whole: built in a temp folder (named like other
        # temp files, so verify --fix removes one left by a kill), then renamed.
        tmp = f"{runs_dir}/.tmp-{os.getpid()}-pull-{run_id}"
        shutil.rmtree(tmp, ignore_errors=True)
        os.mkdir(tmp)
        with open(f"{tmp}/{RUN_LOG}", "wb") as f:
            f.write(data)
        write_json(f"{tmp}/{RUN_DOC}", local_doc)
        try:
            os.rename(tmp, run_dir)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not os.path.isdir(run_dir):
                raise
        else:
            store.runs.changed(run_id)
            report.runs += 1
            report.log_bytes += len(data)
            return record(True, "remote")
    # The run exists here.
    dir_fd = lock_fd(run_dir, folder=True)  # the lock RunStore.update_doc takes
    try:
        try:
            raw = store.runs.read_raw(run_id)
        except (RunNotFound, CorruptDocument) as e:
            report.problems.append(f"run {run_id}: {e}")
            return None
        rec = sess.state["runs"].get(run_id)
        # A copy this store pulled is never written here, whatever pid it names.
        if _live_here(raw) and not (rec and rec.get("origin") == "remote"):
            report.skipped_live.append(run_id)
            return None
        log_path = f"{run_dir}/{RUN_LOG}"
        local_log = _complete(_read(log_path))
        local_end = len(local_log)
        base = rec["doc"] if rec else None
        ekey = rdoc.get("experiment_id")
        mine = _sha(
            dumps({**raw, "experiment_id": ekey, "experiment_name": manifest["experiment"]["name"]})
        )
        tail = b""
        if local_end < remote_end:
            at = [s for s in segments if s["end"] == local_end]
            if local_end and (not at or at[0]["sha256"] != _sha(local_log)):
                report.conflicts.append(
                    f"run {run_id}: the local log is not a prefix of the remote's; kept"
                )
                return None
            tail = _download_log(remote, run_id, segments, local_end)
            if _sha(local_log + tail) != segments[-1]["sha256"]:
                raise ChecksumMismatch(
                    f"remote {remote.name!r}: the log of run {run_id} does not match its digest"
                )
        elif remote_end and _sha(local_log[:remote_end]) != segments[-1]["sha256"]:
            report.conflicts.append(f"run {run_id}: the local log and the remote's differ; kept")
            return None
        take_doc = rdoc_sha != mine and (mine == base or (base is None and local_end < remote_end))
        # Announced first (RunStore.intend): a kill after the rewrite but
        # before the line confirming it must not leave the index behind.
        token = store.runs.intend(run_id) if tail or take_doc else None
        try:
            if tail:
                atomic_write(log_path, local_log + tail)
                report.log_bytes += len(tail)
            if take_doc:
                write_json(f"{run_dir}/{RUN_DOC}", local_doc, replacing=True)
        finally:
            if token is not None:
                store.runs.release(run_id)
                store.runs.changed(run_id, done=token)
        if tail or take_doc:
            report.runs += 1
        else:
            report.runs_unchanged += 1
        in_step = local_end <= remote_end and (take_doc or rdoc_sha == mine)
        return record(in_step, rec.get("origin", "local") if rec else "local")
    finally:
        os.close(dir_fd)


def sync(
    store: Store, name: str | None = None, *, progress: bool = True
) -> tuple[SyncReport, SyncReport]:
    """Pull, then push: both sides end up with the union of their runs."""
    return pull(store, name, progress=progress), push(store, name, progress=progress)
